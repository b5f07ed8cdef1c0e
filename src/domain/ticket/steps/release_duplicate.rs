//! The engine: a merge that could not close the duplicate is undone.

use super::*;

/// Who may take this step.
pub const ROLES: &[Role] = &[];

/// This step's row of [`STEPS`](super::STEPS).
pub const STEP: StepInfo = StepInfo {
    name: "duplicate.release",
    verb: "release a duplicate of",
    roles: ROLES,
    summary: "The engine: a merge that could not close the duplicate is undone.",
};

/// Checks the step against the ticket: the event it yields and the status it leads to.
pub(super) fn decide(
    cx: &Cx,
    duplicate: &TicketId,
    duplicate_number: &TicketNumber,
    reason: &str,
) -> Result<(EventKind, Status), Rejection> {
    let t = cx.ticket;
    let status = t.status;
    // Any status: the target may have closed while the merge was under way.
    if !t.duplicates.contains(duplicate) {
        return Err(Rejection::rule(
            ErrorCode::NotMerged,
            "that ticket is not merged into this one",
        ));
    }
    let kind = EventKind::DuplicateReleased {
        duplicate: *duplicate,
        duplicate_number: duplicate_number.clone(),
        reason: reason.to_owned(),
    };
    Ok((kind, status))
}
