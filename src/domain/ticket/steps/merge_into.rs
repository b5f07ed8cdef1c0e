//! Fold this duplicate into another ticket.

use super::*;

/// Who may take this step.
pub const ROLES: &[Role] = &[Role::Dispatcher];

/// This step's row of [`STEPS`](super::STEPS).
pub const STEP: StepInfo = StepInfo {
    name: "merge",
    verb: "merge",
    roles: ROLES,
    summary: "Fold this duplicate into another ticket.",
};

/// Checks the step against the ticket: the event it yields and the status it leads to.
pub(super) fn decide(
    cx: &Cx,
    target: &TicketId,
    target_number: &TicketNumber,
) -> Result<(EventKind, Status), Rejection> {
    let t = cx.ticket;
    let status = t.status;
    use Status::*;
    if status.is_closed() {
        return Err(cx.illegal());
    }
    if t.duplicates.contains(target) {
        return Err(Rejection::rule(
            ErrorCode::MergeCycle,
            "that ticket was merged into this one; merge the other way round",
        ));
    }
    if *target == t.id {
        return Err(Rejection::rule(
            ErrorCode::MergeIntoItself,
            "a ticket cannot be merged into itself",
        ));
    }
    Ok((
        EventKind::Merged {
            into: *target,
            into_number: target_number.clone(),
        },
        Merged,
    ))
}
