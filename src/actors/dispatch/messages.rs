//! Messages of the dispatcher.

use actix::prelude::*;

use crate::actors::ticket::{CommandError, Executed};
use crate::domain::ids::{OfferId, TicketId, VehicleId};
use crate::domain::role::Principal;

/// Why a dispatch request did not happen. Nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error(transparent)]
    Command(#[from] CommandError),
    #[error("no eligible vehicle is available{0}")]
    NoCandidate(String),
    #[error("no vehicle `{0}` is registered")]
    UnknownVehicle(VehicleId),
    #[error("vehicle {0} is {1}; set `override` to send it anyway")]
    VehicleBusy(VehicleId, &'static str),
    #[error("the ticket has no position yet: set its location at triage, or name a vehicle")]
    NoSite,
    #[error("vehicle {0} holds no open offer {1}")]
    NotOffered(VehicleId, OfferId),
    #[error("the dispatcher is overloaded; try again shortly")]
    Busy,
    #[error(
        "the ticket's position lies outside the service area (more than {0:.1} km beyond \
         every outline): not offered to the nearest vehicle; name the vehicle to send, or \
         correct the location at triage"
    )]
    OutsideArea(f64),
}

/// Offer the ticket now: to the nearest eligible vehicle, or to the one named.
#[derive(Message)]
#[rtype(result = "Result<Executed, DispatchError>")]
pub struct OfferTicket {
    pub ticket_id: TicketId,
    pub vehicle: Option<VehicleId>,
    pub by: Principal,
    /// Send a vehicle that already holds an offer or a ticket, or one that declined.
    pub override_busy: bool,
}

/// The engine's own offer to the nearest eligible vehicle (fast track, auto grades, after
/// a decline or an expiry).
#[derive(Message)]
#[rtype(result = "()")]
pub struct AutoOffer(pub TicketId);

/// A vehicle answers its offer.
#[derive(Message)]
#[rtype(result = "Result<(), DispatchError>")]
pub struct AnswerOffer {
    pub vehicle_id: VehicleId,
    pub offer_id: OfferId,
    pub accept: bool,
    pub reason: Option<String>,
}

/// Call off the open offer or the vehicle on its way.
#[derive(Message)]
#[rtype(result = "Result<Executed, DispatchError>")]
pub struct CancelDispatch {
    pub ticket_id: TicketId,
    pub reason: String,
    pub by: Principal,
}

/// The crew says it has arrived at its ticket's site.
#[derive(Message)]
#[rtype(result = "Result<(), DispatchError>")]
pub struct ReportArrival {
    pub vehicle_id: VehicleId,
}

/// Offers waiting for an answer (for tests and the console).
#[derive(Message)]
#[rtype(result = "Vec<(TicketId, OfferId, VehicleId)>")]
pub struct ListOpenOffers;
