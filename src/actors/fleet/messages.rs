//! Messages of the fleet: to a vehicle actor, and from it to the vehicle's socket.

use std::sync::Arc;

use actix::prelude::*;

use crate::domain::Timestamp;
use crate::domain::catalog::{Kind, Urgency};
use crate::domain::fleet::{ActiveTicket, Fix, FixRejection, HeldOffer, VehicleStatus};
use crate::domain::ids::{OfferId, TicketId, TicketNumber, VehicleId};
use crate::domain::role::Subject;
use crate::domain::ticket::{Location, Status};

/// What a vehicle is offered: the ticket without the reporter's identity.
#[derive(Clone, Debug)]
pub struct OfferNotice {
    pub offer_id: OfferId,
    pub ticket_id: TicketId,
    pub number: TicketNumber,
    pub kind: Kind,
    pub category: Option<String>,
    pub category_name: Option<String>,
    pub urgency: Option<Urgency>,
    pub description: String,
    pub location: Location,
    /// The town of the site, as the public board names it (the registry shop's town, else
    /// the town named in the address, else the nearest town).
    pub town: Option<String>,
    pub distance_m: Option<f64>,
    pub eta_s: Option<f64>,
    pub expires_at: Timestamp,
    pub stage_due_at: Option<Timestamp>,
}

/// A change to a ticket the vehicle is on.
#[derive(Clone, Debug)]
pub struct TicketNotice {
    pub ticket_id: TicketId,
    pub number: TicketNumber,
    pub status: Status,
    pub event: &'static str,
    pub event_id: u64,
}

/// Pushed to the vehicle's socket sessions.
#[derive(Message, Clone, Debug)]
#[rtype(result = "()")]
pub enum ToVehicle {
    Offer(Arc<OfferNotice>),
    OfferCancelled {
        offer_id: OfferId,
        ticket_id: TicketId,
        reason: String,
    },
    /// Another session of the vehicle answered the offer: its ringing stops here.
    OfferAnswered {
        offer_id: OfferId,
        ticket_id: TicketId,
        accepted: bool,
    },
    TicketUpdated(Arc<TicketNotice>),
    /// This session reports the vehicle's positions from now on (`true`), or no longer.
    Reporting(bool),
    /// Another connection of the same principal took over, or the principal left the crew.
    Close {
        reason: String,
    },
}

/// A socket session attaches. A vehicle holds one session per principal (the vehicle's own
/// token, each crew member's): an earlier session of the same principal is closed.
#[derive(Message)]
#[rtype(result = "Connected")]
pub struct Connect {
    pub session: u64,
    /// Whose token opened the socket: `Subject::Vehicle` or `Subject::Staff`.
    pub principal: Subject,
    pub recipient: Recipient<ToVehicle>,
}

/// What a session learns as it attaches.
#[derive(Debug, Clone)]
pub struct Connected {
    pub view: VehicleView,
    /// This session reports the vehicle's positions (its `hello` says so).
    pub reports_positions: bool,
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct Disconnect {
    pub session: u64,
}

/// What the app on session `session` says it does, in its `hello`: whether it confirms
/// each offer with `offer.received`.
#[derive(Message)]
#[rtype(result = "()")]
pub struct DeclareCapabilities {
    pub session: u64,
    pub offer_receipts: bool,
}

/// The app on session `session` confirmed it has offer `offer_id` (`offer.received`).
#[derive(Message)]
#[rtype(result = "()")]
pub struct OfferReceived {
    pub session: u64,
    pub offer_id: OfferId,
}

/// A socket of the vehicle wrote offer `offer_id` to its app: the wait for the app's
/// receipt counts from here.
#[derive(Message)]
#[rtype(result = "()")]
pub struct OfferWritten {
    pub offer_id: OfferId,
}

/// An offer the vehicle's app (one that confirms offers) never confirmed: told to the
/// dispatcher, which withdraws it and offers the ticket to the next vehicle.
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct OfferUndelivered {
    pub vehicle_id: VehicleId,
    pub ticket_id: TicketId,
    pub offer_id: OfferId,
    pub reason: String,
}

/// Fixes from the vehicle's socket (or the engine's own demo), oldest first.
#[derive(Message)]
#[rtype(result = "FixReport")]
pub struct ReportFixes(pub Vec<Fix>);

/// Fixes from socket session `session`, oldest first: taken only from the session that
/// reports the vehicle's positions.
#[derive(Message)]
#[rtype(result = "Result<FixReport, NotReporter>")]
pub struct SessionFixes {
    pub session: u64,
    pub fixes: Vec<Fix>,
}

/// Fixes from a session that does not report the vehicle's positions: nothing taken.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("another device of this vehicle reports its positions")]
pub struct NotReporter;

/// Fixes from a GPS gateway (`POST /positions`), oldest first: an accepted one keeps the
/// vehicle online for `fleet.gateway_online_s`.
#[derive(Message)]
#[rtype(result = "FixReport")]
pub struct GatewayFixes(pub Vec<Fix>);

/// The vehicle's gateway has fallen silent: see whether it is still online.
#[derive(Message)]
#[rtype(result = "()")]
pub struct RefreshOnline;

/// Which fixes were refused, by index in the batch.
#[derive(Debug, Default, Clone)]
pub struct FixReport {
    pub accepted: usize,
    pub rejected: Vec<(usize, FixRejection)>,
}

/// The crew sets the vehicle's status (off duty, available, returning).
#[derive(Message)]
#[rtype(result = "Result<VehicleView, StatusRefused>")]
pub struct ChangeStatus(pub VehicleStatus);

#[derive(Debug, Clone, thiserror::Error)]
pub enum StatusRefused {
    #[error("the crew cannot set `{0}`: it follows offers and arrivals")]
    NotSettable(&'static str),
    #[error("the vehicle is {0} on a ticket; finish or cancel it first")]
    Busy(&'static str),
    #[error("the vehicle is out of service; the command centre puts it back in service")]
    OutOfService,
}

/// The dispatcher made an offer to this vehicle.
#[derive(Message)]
#[rtype(result = "()")]
pub struct HoldOffer {
    pub held: HeldOffer,
    pub notice: Arc<OfferNotice>,
}

/// How an offer this vehicle held ended.
#[derive(Debug, Clone)]
pub enum OfferOutcome {
    Accepted(ActiveTicket),
    Declined,
    Expired,
    Cancelled(String),
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct ReleaseOffer {
    pub offer_id: OfferId,
    pub outcome: OfferOutcome,
    /// The socket session whose answer this is: every other session of the vehicle is
    /// told `offer.answered` (an answer from elsewhere, such as the demo, tells them all).
    pub answered_by: Option<u64>,
}

/// A ticket this vehicle is on changed; the vehicle's status follows the ticket's.
#[derive(Message)]
#[rtype(result = "()")]
pub struct TicketProgress(pub Arc<TicketNotice>, pub Option<ActiveTicket>);

/// The roster record changed (crew, squad, department).
#[derive(Message)]
#[rtype(result = "()")]
pub struct UpdateRecord(pub crate::domain::roster::Vehicle);

/// The vehicle's live view.
#[derive(Message)]
#[rtype(result = "VehicleView")]
pub struct GetVehicle;

#[derive(Debug, Clone)]
pub struct VehicleView {
    pub id: VehicleId,
    pub status: VehicleStatus,
    pub since: Timestamp,
    pub last_fix: Option<Fix>,
    pub active: Option<ActiveTicket>,
    pub offer: Option<HeldOffer>,
    pub distance_to_site_m: Option<f64>,
    pub connected: bool,
    /// A socket is connected, or a gateway's fix is recent.
    pub online: bool,
    pub fixes_rejected: u64,
    pub offer_notice: Option<Arc<OfferNotice>>,
}

/// A vehicle reached the site of its ticket (detected from fixes, or said by the crew).
#[derive(Message, Clone, Debug)]
#[rtype(result = "()")]
pub struct VehicleArrived {
    pub vehicle_id: VehicleId,
    pub ticket_id: TicketId,
}
