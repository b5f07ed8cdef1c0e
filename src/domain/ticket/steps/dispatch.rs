//! Send a registered vehicle (grade I may go before triage).

use super::*;

/// Who may take this step.
pub const ROLES: &[Role] = &[Role::Dispatcher];

/// This step's row of [`STEPS`](super::STEPS).
pub const STEP: StepInfo = StepInfo {
    name: "dispatch",
    verb: "dispatch",
    roles: ROLES,
    summary: "Send a registered vehicle (grade I may go before triage).",
};

/// Checks the step against the ticket: the event it yields and the status it leads to.
pub(super) fn decide(
    cx: &Cx,
    vehicle: &VehicleId,
    team: &TeamId,
    crew: &[StaffId],
) -> Result<(EventKind, Status), Rejection> {
    let t = cx.ticket;
    let status = t.status;
    use Status::*;
    let fast_track = status == Received;
    let allowed = match status {
        Triaged | EnRoute => true,
        Received => t.urgency == Some(Urgency::I),
        _ => false,
    };
    if !allowed {
        return Err(cx.illegal());
    }
    if matches!(
        t.path,
        Some(HandlingPath::NoOnsite | HandlingPath::DirectAnswer)
    ) {
        return Err(Rejection::rule(
            ErrorCode::NoOnsiteStage,
            "this ticket's category needs no vehicle on site",
        ));
    }
    let kind = EventKind::Dispatched {
        vehicle_id: vehicle.clone(),
        team_id: team.clone(),
        crew: crew.to_vec(),
        fast_track,
    };
    Ok((kind, EnRoute))
}
