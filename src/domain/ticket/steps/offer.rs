//! Offer the ticket to a vehicle, which accepts or declines.

use super::*;

/// Offer the ticket to a vehicle; `team` and `crew` come from the registry.
#[derive(Clone, Debug, PartialEq)]
pub struct Offer {
    pub offer_id: OfferId,
    pub vehicle: VehicleId,
    pub team: TeamId,
    pub crew: Vec<StaffId>,
    pub expires_at: Timestamp,
    pub distance_m: Option<f64>,
    /// Chosen by a dispatcher: may go to a vehicle that declined before.
    pub manual: bool,
}

impl Step for Offer {
    const INFO: StepInfo = StepInfo {
        name: "offer",
        verb: "offer",
        roles: &[Role::Dispatcher],
        summary: "Offer the ticket to a vehicle, which accepts or declines.",
    };

    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection> {
        let Self { offer_id, vehicle, team, crew, expires_at, distance_m, manual } = self;
        let t = cx.ticket;
        let status = t.status;
        t.check_offer(vehicle, *manual)?;
        let kind = EventKind::OfferSent {
            offer_id: *offer_id,
            vehicle_id: vehicle.clone(),
            team_id: team.clone(),
            crew: crew.to_vec(),
            expires_at: *expires_at,
            distance_m: *distance_m,
            manual: *manual,
        };
        Ok((kind, status))
    }
}
