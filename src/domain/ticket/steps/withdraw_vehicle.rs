//! The engine: a vehicle out of service leaves the ticket.

use super::*;

/// The engine: `vehicle` was taken out of service. Its open offer of this ticket is
/// cancelled, or, when it is on the ticket (on its way or on site), it is called off
/// and the ticket waits for another vehicle. Named by vehicle, so it never touches
/// another vehicle's offer or dispatch.
#[derive(Clone, Debug, PartialEq)]
pub struct WithdrawVehicle {
    pub vehicle: VehicleId,
    pub reason: String,
}

impl Step for WithdrawVehicle {
    const INFO: StepInfo = StepInfo {
        name: "vehicle.withdraw",
        verb: "withdraw a vehicle out of service from",
        roles: &[],
        summary: "The engine: a vehicle out of service leaves the ticket.",
    };

    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection> {
        let Self { vehicle, reason } = self;
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
}
