//! Offer the ticket to a vehicle, which accepts or declines.

use super::*;

/// Who may take this step.
pub const ROLES: &[Role] = &[Role::Dispatcher];

/// This step's row of [`STEPS`](super::STEPS).
pub const STEP: StepInfo = StepInfo {
    name: "offer",
    verb: "offer",
    roles: ROLES,
    summary: "Offer the ticket to a vehicle, which accepts or declines.",
};

/// Checks the step against the ticket: the event it yields and the status it leads to.
#[allow(
    clippy::too_many_arguments,
    reason = "the payload of `Command::Offer`, field by field"
)]
pub(super) fn decide(
    cx: &Cx,
    offer_id: &OfferId,
    vehicle: &VehicleId,
    team: &TeamId,
    crew: &[StaffId],
    expires_at: &Timestamp,
    distance_m: &Option<f64>,
    manual: &bool,
) -> Result<(EventKind, Status), Rejection> {
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
