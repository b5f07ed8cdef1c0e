//! Make a staff member a handler of the ticket.

use super::*;

/// Who may take this step.
pub const ROLES: &[Role] = &[Role::Dispatcher];

/// This step's row of [`STEPS`](super::STEPS).
pub const STEP: StepInfo = StepInfo {
    name: "assign",
    verb: "assign",
    roles: ROLES,
    summary: "Make a staff member a handler of the ticket.",
};

/// Checks the step against the ticket: the event it yields and the status it leads to.
pub(super) fn decide(cx: &Cx, staff: &StaffId) -> Result<(EventKind, Status), Rejection> {
    let t = cx.ticket;
    let status = t.status;
    if status.is_closed() {
        return Err(cx.illegal());
    }
    Ok((
        EventKind::Assigned {
            staff_id: staff.clone(),
        },
        status,
    ))
}
