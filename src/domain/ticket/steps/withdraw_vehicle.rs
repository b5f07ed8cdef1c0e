//! The engine: a vehicle out of service leaves the ticket.

use super::*;

/// Who may take this step.
pub const ROLES: &[Role] = &[];

/// This step's row of [`STEPS`](super::STEPS).
pub const STEP: StepInfo = StepInfo {
    name: "vehicle.withdraw",
    verb: "withdraw a vehicle out of service from",
    roles: ROLES,
    summary: "The engine: a vehicle out of service leaves the ticket.",
};

/// Checks the step against the ticket: the event it yields and the status it leads to.
pub(super) fn decide(
    cx: &Cx,
    vehicle: &VehicleId,
    reason: &str,
) -> Result<(EventKind, Status), Rejection> {
    let t = cx.ticket;
    let status = t.status;
    use Status::*;
    if status.is_closed() {
        return Err(cx.illegal());
    }
    require_text(reason, ErrorCode::ReasonRequired, "the reason")?;
    let on_it =
        matches!(status, EnRoute | OnSite) && t.assignment.vehicle_id.as_ref() == Some(vehicle);
    Ok(match t.open_offer() {
        Some(offer) if offer.vehicle_id == *vehicle => (
            EventKind::OfferCancelled {
                offer_id: offer.id,
                vehicle_id: vehicle.clone(),
                reason: reason.to_owned(),
            },
            status,
        ),
        _ if on_it => {
            // Back to waiting for a vehicle: confirmed or not, as a call-off.
            let back = if t.triage.confirmed {
                Triaged
            } else {
                Received
            };
            (
                EventKind::DispatchCancelled {
                    vehicle_id: vehicle.clone(),
                    reason: reason.to_owned(),
                },
                back,
            )
        }
        _ => {
            return Err(Rejection::rule(
                ErrorCode::VehicleNotOnTicket,
                format!("vehicle {vehicle} holds no offer of this ticket and is not on it"),
            ));
        }
    })
}
