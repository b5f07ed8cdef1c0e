//! The engine raises an alert on an open ticket.

use super::*;

/// Who may take this step.
pub const ROLES: &[Role] = &[];

/// This step's row of [`STEPS`](super::STEPS).
pub const STEP: StepInfo = StepInfo {
    name: "alert",
    verb: "raise an alert on",
    roles: ROLES,
    summary: "The engine raises an alert on an open ticket.",
};

/// Checks the step against the ticket: the event it yields and the status it leads to.
pub(super) fn decide(cx: &Cx, reason: &str) -> Result<(EventKind, Status), Rejection> {
    let t = cx.ticket;
    let status = t.status;
    if status.is_closed() {
        return Err(cx.illegal());
    }
    Ok((
        EventKind::Alerted {
            reason: reason.to_owned(),
        },
        status,
    ))
}
