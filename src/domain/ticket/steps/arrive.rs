//! The vehicle on its way is on site.

use super::*;

/// Who may take this step.
pub const ROLES: &[Role] = &[Role::Field];

/// This step's row of [`STEPS`](super::STEPS).
pub const STEP: StepInfo = StepInfo {
    name: "arrive",
    verb: "arrive",
    roles: ROLES,
    summary: "The vehicle on its way is on site.",
};

/// Checks the step against the ticket: the event it yields and the status it leads to.
pub(super) fn decide(cx: &Cx) -> Result<(EventKind, Status), Rejection> {
    let t = cx.ticket;
    let status = t.status;
    use Status::*;
    if status != EnRoute {
        return Err(cx.illegal());
    }
    let vehicle_id = t.assignment.vehicle_id.clone();
    Ok((EventKind::Arrived { vehicle_id }, OnSite))
}
