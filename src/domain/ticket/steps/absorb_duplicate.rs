//! Record a duplicate folded into this ticket.

use super::*;

/// Who may take this step.
pub const ROLES: &[Role] = &[Role::Dispatcher];

/// This step's row of [`STEPS`](super::STEPS).
pub const STEP: StepInfo = StepInfo {
    name: "duplicate.absorb",
    verb: "merge into",
    roles: ROLES,
    summary: "Record a duplicate folded into this ticket.",
};

/// Checks the step against the ticket: the event it yields and the status it leads to.
pub(super) fn decide(
    cx: &Cx,
    duplicate: &TicketId,
    duplicate_number: &TicketNumber,
) -> Result<(EventKind, Status), Rejection> {
    let t = cx.ticket;
    let status = t.status;
    if status.is_closed() {
        return Err(cx.illegal());
    }
    if t.duplicates.contains(duplicate) {
        return Err(Rejection::rule(
            ErrorCode::AlreadyMerged,
            "that ticket is already merged into this one",
        ));
    }
    if *duplicate == t.id {
        return Err(Rejection::rule(
            ErrorCode::MergeIntoItself,
            "a ticket cannot be merged into itself",
        ));
    }
    let kind = EventKind::DuplicateMerged {
        duplicate: *duplicate,
        duplicate_number: duplicate_number.clone(),
    };
    Ok((kind, status))
}
