//! Send a registered vehicle (grade I may go before triage).

use super::*;

/// Send a registered vehicle; `team` and `crew` come from the registry.
#[derive(Clone, Debug, PartialEq)]
pub struct Dispatch {
    pub vehicle: VehicleId,
    pub team: TeamId,
    pub crew: Vec<StaffId>,
}

impl Step for Dispatch {
    const INFO: StepInfo = StepInfo {
        name: "dispatch",
        verb: "dispatch",
        roles: &[Role::Dispatcher],
        summary: "Send a registered vehicle (grade I may go before triage).",
    };

    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection> {
        let Self { vehicle, team, crew } = self;
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
}
