//! Offers: a ticket is offered to one vehicle at a time; the vehicle accepts (the ticket
//! goes `en_route`), declines, or lets it expire, and the dispatcher may cancel it; an
//! offer the vehicle's app never confirmed is withdrawn as undelivered. A vehicle that
//! declined, let an offer expire or never got it is not offered the same ticket again by
//! the engine.

use serde::{Deserialize, Serialize};

use super::{EventKind, Rejection, Status, Ticket};
use crate::domain::Timestamp;
use crate::domain::catalog::{HandlingPath, Urgency};
use crate::domain::error_code::ErrorCode;
use crate::domain::ids::{OfferId, StaffId, TeamId, VehicleId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OfferState {
    Open,
    Accepted,
    Declined,
    Expired,
    Cancelled,
    /// The vehicle's app never confirmed it.
    Undelivered,
}

/// One offer of this ticket to a vehicle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    pub id: OfferId,
    pub vehicle_id: VehicleId,
    pub team_id: TeamId,
    pub crew: Vec<StaffId>,
    pub sent_at: Timestamp,
    pub expires_at: Timestamp,
    /// Distance from the vehicle to the site when offered, if both were known.
    pub distance_m: Option<f64>,
    /// Chosen by a dispatcher rather than by the nearest-vehicle search.
    pub manual: bool,
    pub state: OfferState,
}

impl Ticket {
    /// The offer waiting for an answer, if any.
    pub fn open_offer(&self) -> Option<&Offer> {
        self.offers.iter().find(|o| o.state == OfferState::Open)
    }

    /// Vehicles that declined this ticket, let its offer expire or never got it.
    pub fn passed_over(&self) -> Vec<VehicleId> {
        self.offers
            .iter()
            .filter(|o| {
                matches!(
                    o.state,
                    OfferState::Declined | OfferState::Expired | OfferState::Undelivered
                )
            })
            .map(|o| o.vehicle_id.clone())
            .collect()
    }

    /// Whether a vehicle may be sent now: open, needing a site visit, not yet on its way,
    /// and triaged — or grade I, which is sent at intake (fast track).
    pub fn awaits_vehicle(&self) -> bool {
        let path_ok = !matches!(
            self.path,
            Some(HandlingPath::NoOnsite | HandlingPath::DirectAnswer)
        );
        let status_ok = match self.status {
            Status::Triaged => true,
            Status::Received => self.urgency == Some(Urgency::I),
            _ => false,
        };
        path_ok && status_ok
    }

    pub(super) fn check_offer(&self, vehicle: &VehicleId, manual: bool) -> Result<(), Rejection> {
        if !self.awaits_vehicle() {
            return Err(Rejection::IllegalTransition {
                action: "offer",
                status: self.status,
            });
        }
        if self.open_offer().is_some() {
            return Err(Rejection::rule(
                ErrorCode::OfferOpen,
                "this ticket already has an offer waiting for an answer",
            ));
        }
        if !manual && self.passed_over().contains(vehicle) {
            return Err(Rejection::rule(
                ErrorCode::VehiclePassed,
                format!("vehicle {vehicle} already declined this ticket"),
            ));
        }
        Ok(())
    }

    /// The open offer with id `offer`, for an answer from `vehicle`.
    pub(super) fn answerable(
        &self,
        offer: &OfferId,
        vehicle: Option<&VehicleId>,
    ) -> Result<&Offer, Rejection> {
        if !matches!(self.status, Status::Received | Status::Triaged) {
            return Err(Rejection::rule(
                ErrorCode::OfferNotOpen,
                format!("offer {offer} is not open"),
            ));
        }
        let open = self
            .open_offer()
            .filter(|o| o.id == *offer)
            .ok_or_else(|| {
                Rejection::rule(
                    ErrorCode::OfferNotOpen,
                    format!("offer {offer} is not open"),
                )
            })?;
        if vehicle.is_some_and(|v| *v != open.vehicle_id) {
            return Err(Rejection::NotAssigned);
        }
        Ok(open)
    }

    pub(super) fn apply_offer(&mut self, kind: &EventKind, at: Timestamp) {
        let set = |t: &mut Ticket, id: &OfferId, state: OfferState| {
            if let Some(o) = t.offers.iter_mut().find(|o| o.id == *id) {
                o.state = state;
            }
        };
        match kind {
            EventKind::OfferSent {
                offer_id,
                vehicle_id,
                team_id,
                crew,
                expires_at,
                distance_m,
                manual,
            } => {
                self.offers.push(Offer {
                    id: *offer_id,
                    vehicle_id: vehicle_id.clone(),
                    team_id: team_id.clone(),
                    crew: crew.clone(),
                    sent_at: at,
                    expires_at: *expires_at,
                    distance_m: *distance_m,
                    manual: *manual,
                    state: OfferState::Open,
                });
            }
            EventKind::OfferAccepted {
                offer_id,
                vehicle_id,
                team_id,
                crew,
                ..
            } => {
                set(self, offer_id, OfferState::Accepted);
                self.assignment.sent(vehicle_id, team_id, crew, at);
            }
            EventKind::OfferDeclined { offer_id, .. } => set(self, offer_id, OfferState::Declined),
            EventKind::OfferExpired { offer_id, .. } => set(self, offer_id, OfferState::Expired),
            EventKind::OfferUndelivered { offer_id, .. } => {
                set(self, offer_id, OfferState::Undelivered)
            }
            EventKind::OfferCancelled { offer_id, .. } => {
                set(self, offer_id, OfferState::Cancelled)
            }
            _ => {}
        }
    }
}
