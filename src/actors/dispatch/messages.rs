//! Messages of the dispatcher.

use actix::prelude::*;

use crate::actors::ticket::{CommandError, Executed};
use crate::domain::ids::{OfferId, TicketId, TicketNumber, VehicleId};
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
    #[error("vehicle {0} is out of service")]
    OutOfService(VehicleId),
    #[error(
        "vehicle {0} is offline (no socket connected, no recent gateway fix): it cannot see \
         an offer; send it with `assign` once agreed by phone, or choose another"
    )]
    Offline(VehicleId),
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

/// A vehicle answers its offer from socket session `session`: once the answer is written,
/// the vehicle's other sessions (the crew's other phones) are told `offer.answered`.
#[derive(Message)]
#[rtype(result = "Result<(), DispatchError>")]
pub struct AnswerOfferFrom {
    pub session: u64,
    pub answer: AnswerOffer,
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

/// A vehicle was taken out of service: its open offer is cancelled (the ticket goes to the
/// next eligible vehicle, as after a decline) and it is called off the tickets it is on
/// (back to waiting for dispatch; offered again at once when the ticket's grade is offered
/// automatically, else an alert tells the dispatchers). Answers once every step is durable.
#[derive(Message)]
#[rtype(result = "Result<Vec<Withdrawn>, DispatchError>")]
pub struct WithdrawVehicle {
    pub vehicle_id: VehicleId,
    pub reason: String,
    /// Tickets the caller found the vehicle on in the store, besides those the dispatcher
    /// knows of (a dispatch whose event it has not seen yet).
    pub tickets: Vec<TicketId>,
}

/// What became of one ticket when its vehicle went out of service.
#[derive(Clone, Debug)]
pub struct Withdrawn {
    pub ticket_id: TicketId,
    pub number: TicketNumber,
    /// `offer.cancelled` (it held the ticket's offer) or `ticket.dispatch_cancelled` (it was
    /// on its way or on site; the ticket is back waiting for dispatch): the event written.
    pub event: &'static str,
    /// Offered again by the engine at once (after a cancelled offer, or a grade offered
    /// automatically); otherwise an alert asks a dispatcher to send another vehicle.
    pub reoffered: bool,
}

/// A vehicle is back in service: it may be offered work again (once its crew says it is
/// available).
#[derive(Message)]
#[rtype(result = "()")]
pub struct VehicleInService(pub VehicleId);
