//! The JSON frames of the vehicle socket (`/ws/vehicle`). `docs/protocol.md` has an
//! example of each.

use serde::{Deserialize, Serialize};

use crate::actors::fleet::messages::{Connected, FixReport, OfferNotice, TicketNotice};
use crate::config::FleetSettings;
use crate::domain::Timestamp;
use crate::domain::catalog::{Kind, Urgency};
use crate::domain::error_code::ErrorCode;
use crate::domain::fleet::{Fix, VehicleStatus};
use crate::domain::geo::LatLng;
use crate::domain::input::LatLngDto;
use crate::domain::ticket::Status;

/// A fix as devices and gateways send it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixDto {
    pub lat: f64,
    pub lng: f64,
    /// Device time of the fix; the server's time when absent.
    pub ts: Option<Timestamp>,
    pub speed_kmh: Option<f64>,
    pub heading: Option<f64>,
}

/// Frames a vehicle app sends.
#[derive(Debug, Deserialize)]
#[serde(tag = "type")]
pub enum ClientFrame {
    /// One fix (`lat`, `lng`, `ts`...) or a batch (`fixes`).
    #[serde(rename = "position")]
    Position {
        lat: Option<f64>,
        lng: Option<f64>,
        ts: Option<Timestamp>,
        speed_kmh: Option<f64>,
        heading: Option<f64>,
        fixes: Option<Vec<FixDto>>,
    },
    #[serde(rename = "status")]
    Status { status: VehicleStatus },
    #[serde(rename = "offer.accept")]
    Accept { offer_id: String },
    #[serde(rename = "offer.decline")]
    Decline {
        offer_id: String,
        reason: Option<String>,
    },
    #[serde(rename = "arrived")]
    Arrived {},
    #[serde(rename = "ping")]
    Ping {},
    /// What the app does: `capabilities` may list `offer.received` (it confirms each
    /// offer). Sent first; an app that never sends it keeps the plain offer timeout.
    #[serde(rename = "hello")]
    Hello {
        #[serde(default)]
        capabilities: Vec<String>,
    },
    /// The app has offer `offer_id` on screen (from an app that declared the capability).
    #[serde(rename = "offer.received")]
    OfferReceived { offer_id: String },
}

/// What a vehicle socket accepts (`fleet.*`): a token bucket of `max_fix_burst` fixes that
/// refills at `max_fixes_per_s` (any other frame costs one), and at most `max_batch_fixes`
/// fixes in one frame. Past it the socket is closed as flooding.
#[derive(Debug, Serialize)]
pub struct FixLimits {
    pub max_fixes_per_s: u32,
    pub max_fix_burst: u32,
    pub max_batch_fixes: usize,
}

/// The capability an app declares in its `hello` to confirm offers.
pub const OFFER_RECEIPTS: &str = "offer.received";

#[derive(Debug, Serialize)]
pub struct OfferTicket {
    pub id: String,
    pub number: String,
    pub kind: Kind,
    pub category: Option<String>,
    pub category_name: Option<String>,
    pub urgency: Option<Urgency>,
    /// The citizen's description; never the reporter's name or phone.
    pub description: String,
    /// The town of the site, as the public board names it (the phone's offer line:
    /// category · town · distance · ETA).
    pub town: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct OfferLocation {
    pub position: Option<LatLngDto>,
    pub address_text: Option<String>,
    pub retailer_licence: Option<String>,
    /// `street` or `town` when the position only stands for the street or town the
    /// citizen named (the crew finds the shop there); absent when exact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precision: Option<crate::domain::place::Precision>,
}

#[derive(Debug, Serialize)]
pub struct RejectedFix {
    pub index: usize,
    pub code: &'static str,
    pub message: String,
}

/// Frames the server sends (built, serialised and dropped at once: size is no concern).
#[allow(
    clippy::large_enum_variant,
    reason = "short-lived values, never stored"
)]
#[derive(Debug, Serialize)]
#[serde(tag = "type")]
pub enum ServerFrame {
    #[serde(rename = "hello")]
    Hello {
        vehicle_id: String,
        status: VehicleStatus,
        /// The ticket it is on, if any.
        ticket_id: Option<String>,
        /// This session reports the vehicle's positions; another device does otherwise.
        reports_positions: bool,
        /// The socket's input bound, so an app replaying a backlog stays within it.
        limits: FixLimits,
    },
    #[serde(rename = "offer")]
    Offer {
        offer_id: String,
        ticket: OfferTicket,
        location: OfferLocation,
        distance_m: Option<f64>,
        eta_s: Option<f64>,
        expires_at: Timestamp,
        /// When the current stage of the ticket is due.
        deadline: Option<Timestamp>,
    },
    #[serde(rename = "offer.cancelled")]
    OfferCancelled {
        offer_id: String,
        ticket_id: String,
        reason: String,
    },
    /// Another session of this vehicle answered the offer (its ringing stops).
    #[serde(rename = "offer.answered")]
    OfferAnswered {
        offer_id: String,
        ticket_id: String,
        accepted: bool,
    },
    /// This session's role changed: it reports the vehicle's positions now, or no longer.
    #[serde(rename = "reporting")]
    Reporting { reports_positions: bool },
    #[serde(rename = "ticket.updated")]
    TicketUpdated {
        ticket_id: String,
        number: String,
        status: Status,
        event: &'static str,
        event_id: u64,
    },
    /// A command frame was carried out.
    #[serde(rename = "ack")]
    Ack {
        request: &'static str,
        status: Option<VehicleStatus>,
    },
    #[serde(rename = "error")]
    Error {
        code: String,
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        rejected: Option<Vec<RejectedFix>>,
    },
    #[serde(rename = "pong")]
    Pong {},
}

impl ServerFrame {
    pub fn error(code: &str, message: impl Into<String>) -> Self {
        Self::Error {
            code: code.to_owned(),
            message: message.into(),
            rejected: None,
        }
    }

    pub fn offer(n: &OfferNotice) -> Self {
        Self::Offer {
            offer_id: n.offer_id.to_string(),
            ticket: OfferTicket {
                id: n.ticket_id.to_string(),
                number: n.number.to_string(),
                kind: n.kind,
                category: n.category.clone(),
                category_name: n.category_name.clone(),
                urgency: n.urgency,
                description: n.description.clone(),
                town: n.town.clone(),
            },
            location: OfferLocation {
                position: n.location.position.map(Into::into),
                address_text: n.location.address_text.clone(),
                retailer_licence: n.location.retailer_licence.clone(),
                precision: n.location.precision.filter(|p| p.is_approximate()),
            },
            distance_m: n.distance_m,
            eta_s: n.eta_s,
            expires_at: n.expires_at,
            deadline: n.stage_due_at,
        }
    }

    pub fn ticket_updated(n: &TicketNotice) -> Self {
        Self::TicketUpdated {
            ticket_id: n.ticket_id.to_string(),
            number: n.number.to_string(),
            status: n.status,
            event: n.event,
            event_id: n.event_id,
        }
    }

    pub fn hello(c: &Connected, fleet: &FleetSettings) -> Self {
        let v = &c.view;
        Self::Hello {
            vehicle_id: v.id.to_string(),
            status: v.status,
            ticket_id: v.active.as_ref().map(|a| a.ticket_id.to_string()),
            reports_positions: c.reports_positions,
            limits: FixLimits {
                max_fixes_per_s: fleet.max_fixes_per_s,
                max_fix_burst: fleet.max_fix_burst,
                max_batch_fixes: fleet.max_batch_fixes,
            },
        }
    }

    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| {
            format!(
                r#"{{"type":"error","code":"{}","message":"frame not serialisable"}}"#,
                ErrorCode::Internal
            )
        })
    }
}

/// Parses fixes from the wire; the first bad one names its index.
pub fn parse_fixes(dtos: Vec<FixDto>, now: Timestamp) -> Result<Vec<Fix>, (usize, String)> {
    dtos.into_iter()
        .enumerate()
        .map(|(i, f)| {
            let position = LatLng::new(f.lat, f.lng).map_err(|m| (i, m))?;
            Ok(Fix {
                position,
                at: f.ts.unwrap_or(now),
                speed_kmh: f.speed_kmh,
                heading: f.heading,
            })
        })
        .collect()
}

pub fn rejected(report: &FixReport) -> Vec<RejectedFix> {
    report
        .rejected
        .iter()
        .map(|(i, why)| RejectedFix {
            index: *i,
            code: why.code(),
            message: why.to_string(),
        })
        .collect()
}
