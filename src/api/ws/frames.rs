//! The frames of the console, field and board streams (`docs/protocol.md`, "Streams").
//! A frame is serialised once and shared by every session that gets it. Each audience has
//! its own view of a ticket: the console sees everything, the field never the reporter
//! (and text with the reporter's identity masked), the board only a redacted row.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::groups::dto::GroupDto;
use crate::api::tickets::dto::{EventDto, TicketDto};
use crate::bus::VehicleMoved;
use crate::domain::Timestamp;
use crate::domain::board::{BoardRow, Standing};
use crate::domain::catalog::{Catalog, Department};
use crate::domain::error_code::ErrorCode;
use crate::domain::fleet::VehicleStatus;
use crate::domain::ids::TicketId;
use crate::domain::input::LatLngDto;
use crate::domain::redact;
use crate::domain::role::Role;
use crate::domain::ticket::{EventRecord, Stage, Ticket, WARNING_SHARE};
use crate::roster::Roster;

/// A frame ready to send, shared by every session it goes to.
#[derive(Clone, Debug)]
pub struct Frame {
    /// The global event id of a ticket frame, or the stream position of any other frame.
    pub seq: u64,
    /// For ticket frames: the ticket and its per-ticket seq, so a session can skip what its
    /// snapshot already holds.
    pub ticket: Option<(TicketId, u64)>,
    pub text: Arc<str>,
    /// The bytes queued for the session this copy went to; given back once the client has
    /// read it (`stream.rs`), or when the session skips it.
    pub queued: Option<Arc<AtomicUsize>>,
}

impl Frame {
    pub fn other(seq: u64, value: &impl Serialize) -> Self {
        Self {
            seq,
            ticket: None,
            text: to_text(value).into(),
            queued: None,
        }
    }

    /// The session skipped this frame: its bytes no longer count.
    pub fn release(&self) {
        if let Some(q) = &self.queued {
            q.fetch_sub(self.text.len(), Ordering::AcqRel);
        }
    }
}

pub fn to_text(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| {
        format!(
            r#"{{"type":"error","code":"{}","message":"frame not serialisable: {e}"}}"#,
            ErrorCode::Internal
        )
    })
}

/// The frame type a ticket event travels as.
pub fn frame_type(e: &EventRecord) -> &'static str {
    let name = e.kind.name();
    match name {
        "ticket.received" => "ticket.created",
        _ if name.starts_with("offer.")
            || name.starts_with("sla.")
            || name.starts_with("group.")
            || name == "alert" =>
        {
            name
        }
        _ if e.changed_stage() => "ticket.stage_changed",
        _ => "ticket.updated",
    }
}

/// Where a ticket stands against its current stage's limit.
#[derive(Debug, Serialize)]
pub struct SlaClock {
    pub stage: Stage,
    pub entered_at: Timestamp,
    pub warning_at: Option<Timestamp>,
    pub due_at: Option<Timestamp>,
    pub remaining_s: Option<f64>,
    pub overdue: bool,
}

impl SlaClock {
    pub fn new(t: &Ticket, catalog: &Catalog, now: Timestamp) -> Self {
        let entered_at = t.stages.last().map_or(t.received_at, |s| s.entered_at);
        let due_at = t.deadlines(catalog).stage_due_at;
        let warning_at =
            due_at.map(|due| entered_at + (due.inner() - entered_at.inner()) * WARNING_SHARE);
        let remaining_s = due_at.map(|due| (due.inner() - now.inner()).as_seconds_f64().round());
        Self {
            stage: t.stage(),
            entered_at,
            warning_at,
            due_at,
            remaining_s,
            overdue: t.sla.overdue || remaining_s.is_some_and(|r| r < 0.0),
        }
    }
}

/// A ticket as the console sees it: the full ticket and its SLA clock.
#[derive(Debug, Serialize)]
pub struct ConsoleTicket {
    #[serde(flatten)]
    pub ticket: TicketDto,
    pub sla_clock: SlaClock,
}

impl ConsoleTicket {
    pub fn new(t: &Ticket, catalog: &Catalog, now: Timestamp) -> Self {
        Self {
            ticket: TicketDto::new(t, Role::Dispatcher, catalog),
            sla_clock: SlaClock::new(t, catalog, now),
        }
    }
}

/// A ticket as a field device sees it: no reporter, their identity masked in text.
pub fn field_ticket(t: &Ticket, catalog: &Catalog) -> Value {
    let mut v =
        serde_json::to_value(TicketDto::new(t, Role::Field, catalog)).unwrap_or(Value::Null);
    redact::mask_json(&mut v, t.reporter.as_ref());
    v
}

#[derive(Serialize)]
struct TicketFrame<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    seq: u64,
    ticket_id: String,
    number: &'a str,
    event: Value,
    ticket: T,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<Value>,
}

fn ticket_frame(
    e: &EventRecord,
    event: Value,
    ticket: impl Serialize,
    group: Option<Value>,
) -> Frame {
    let frame = TicketFrame {
        kind: frame_type(e),
        seq: e.event_id,
        ticket_id: e.ticket_id.to_string(),
        number: e.number.as_str(),
        event,
        ticket,
        group,
    };
    Frame {
        seq: e.event_id,
        ticket: Some((e.ticket_id, e.seq)),
        text: to_text(&frame).into(),
        queued: None,
    }
}

fn event_value(e: &EventRecord) -> Value {
    serde_json::to_value(EventDto::from(e)).unwrap_or(Value::Null)
}

/// The console's frame for a ticket event; `t` is the ticket as committed (at or after it).
pub fn console_frame(
    e: &EventRecord,
    t: &Ticket,
    catalog: &Catalog,
    roster: &Roster,
    now: Timestamp,
) -> Frame {
    let group = group_value(e, t, roster);
    ticket_frame(
        e,
        event_value(e),
        ConsoleTicket::new(t, catalog, now),
        group,
    )
}

/// The field's frame for a ticket event: the reporter's identity masked everywhere.
pub fn field_frame(e: &EventRecord, t: &Ticket, catalog: &Catalog, roster: &Roster) -> Frame {
    let mut event = event_value(e);
    redact::mask_json(&mut event, t.reporter.as_ref());
    let mut group = group_value(e, t, roster);
    if let Some(g) = &mut group {
        redact::mask_json(g, t.reporter.as_ref());
    }
    ticket_frame(e, event, field_ticket(t, catalog), group)
}

/// The group a `group.*` event is about, as the group routes show it.
fn group_value(e: &EventRecord, t: &Ticket, roster: &Roster) -> Option<Value> {
    if !e.kind.name().starts_with("group.") {
        return None;
    }
    group_json(t, roster)
}

/// A ticket's group as `GET /api/v1/groups/{id}` shows it (without messages).
pub fn group_json(t: &Ticket, roster: &Roster) -> Option<Value> {
    GroupDto::new(t, roster).and_then(|g| serde_json::to_value(g).ok())
}

/// A vehicle in a console snapshot or `vehicle.moved` frame.
#[derive(Clone, Debug, Serialize)]
pub struct VehicleLive {
    pub vehicle_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<Department>,
    pub status: VehicleStatus,
    /// Its device can be reached (a socket connected, or a gateway's recent fix); an
    /// offline vehicle is never offered work.
    pub online: bool,
    pub position: Option<LatLngDto>,
    pub at: Option<Timestamp>,
    pub speed_kmh: Option<f64>,
    pub heading: Option<f64>,
    pub ticket_id: Option<String>,
    pub distance_to_site_m: Option<f64>,
}

/// One vehicle's latest fix in a `vehicle.moved` frame.
#[derive(Debug, Serialize)]
pub struct Move {
    pub vehicle_id: String,
    pub position: LatLngDto,
    pub at: Timestamp,
    pub speed_kmh: Option<f64>,
    pub heading: Option<f64>,
    pub ticket_id: Option<String>,
    pub distance_to_site_m: Option<f64>,
}

impl From<&VehicleMoved> for Move {
    fn from(m: &VehicleMoved) -> Self {
        Self {
            vehicle_id: m.vehicle_id.to_string(),
            position: m.position.into(),
            at: m.at,
            speed_kmh: m.speed_kmh,
            heading: m.heading,
            ticket_id: m.ticket_id.map(|t| t.to_string()),
            distance_to_site_m: m.distance_to_site_m.map(|d| d.round()),
        }
    }
}

/// Frames that are not ticket events.
#[derive(Serialize)]
#[serde(tag = "type")]
pub enum StreamFrame<'a> {
    #[serde(rename = "hello")]
    Hello {
        seq: u64,
        role: Role,
        tick_ms: u64,
        resumed: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        subject: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        staff: Option<Vec<String>>,
    },
    #[serde(rename = "snapshot")]
    ConsoleSnapshot {
        seq: u64,
        generated_at: Timestamp,
        tickets: Vec<ConsoleTicket>,
        /// Open tickets in all; the snapshot holds the most urgent `tickets.len()`.
        open_total: usize,
        truncated: bool,
        vehicles: Vec<std::sync::Arc<VehicleLive>>,
        groups: Vec<Value>,
    },
    #[serde(rename = "snapshot")]
    FieldSnapshot {
        seq: u64,
        generated_at: Timestamp,
        tickets: Vec<Value>,
        groups: Vec<Value>,
    },
    #[serde(rename = "snapshot")]
    BoardSnapshot(&'a BoardSnapshot),
    /// `view`: the frame brings every vehicle shown one by one inside the console's new
    /// view (`viewport`), so a marker inside it that is not in the frame is not shown.
    #[serde(rename = "vehicle.moved")]
    VehicleMoved {
        seq: u64,
        moves: Vec<Move>,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        view: bool,
    },
    /// A zoomed-out console's counts of off-duty and gateway-only vehicles per H3 cell of its
    /// view; replaces the last such frame (a cell left out holds none). `hidden`: vehicles
    /// it showed one by one that are counted now.
    #[serde(rename = "vehicle.cells")]
    VehicleCells {
        seq: u64,
        res: u8,
        cells: Vec<CellCount>,
        hidden: Vec<String>,
    },
    /// Every vehicle's latest fix, ending a resume.
    #[serde(rename = "vehicle.moved")]
    VehiclesNow {
        seq: u64,
        moves: Vec<std::sync::Arc<VehicleLive>>,
    },
    #[serde(rename = "vehicle.status")]
    VehicleStatus {
        seq: u64,
        vehicle_id: String,
        status: VehicleStatus,
        ticket_id: Option<String>,
        at: Timestamp,
        online: bool,
    },
    #[serde(rename = "board.ticket")]
    BoardTicket { seq: u64, ticket: &'a BoardRow },
    #[serde(rename = "board.removed")]
    BoardRemoved {
        seq: u64,
        id: String,
        number: String,
    },
    #[serde(rename = "board.distance")]
    BoardDistance { seq: u64, rows: Vec<DistanceRow> },
    #[serde(rename = "board.leaderboard")]
    BoardLeaderboard {
        seq: u64,
        leaderboard: &'a [Standing],
    },
    #[serde(rename = "pong")]
    Pong {},
    #[serde(rename = "error")]
    Error {
        #[serde(skip_serializing_if = "Option::is_none")]
        request_id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
        code: String,
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        details: Option<Value>,
    },
    #[serde(rename = "result")]
    Result {
        request_id: Option<String>,
        status: u16,
        body: crate::api::tickets::lifecycle::Answer,
    },
}

/// What a console, field or board client sends: a typed frame, tagged by `type` like the
/// vehicle socket's (`protocol::ClientFrame`). Only consoles take `command`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type")]
pub enum ClientFrame {
    #[serde(rename = "ping")]
    Ping {},
    #[serde(rename = "command")]
    Command(CommandFrame),
    /// Consoles: the part of the map shown, and the squads, departments and statuses
    /// filtered on; moves outside it are not sent. All left out: every move.
    #[serde(rename = "viewport")]
    Viewport(super::hub::viewport::ViewportFrame),
}

/// A ticket step sent from a console, answered with a `result` or `error` frame carrying
/// `request_id`. `action` names the step as `service::tickets::Action` does (the last segment
/// of its HTTP route); `body` is that route's body, read once the caller's role is checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandFrame {
    pub request_id: Option<String>,
    pub action: String,
    pub ticket_id: String,
    #[serde(default)]
    pub body: Option<Value>,
}

impl StreamFrame<'_> {
    pub fn error(code: &str, message: impl Into<String>) -> Self {
        Self::Error {
            request_id: None,
            status: None,
            code: code.to_owned(),
            message: message.into(),
            details: None,
        }
    }
}

/// One cell of a `vehicle.cells` frame.
#[derive(Debug, Serialize)]
pub struct CellCount {
    /// The H3 cell index.
    pub cell: String,
    pub center: LatLngDto,
    pub off_duty: u32,
    pub gateway: u32,
}

#[derive(Debug, Serialize)]
pub struct DistanceRow {
    pub id: String,
    pub number: String,
    pub distance_to_site_m: Option<f64>,
}

/// The public board: open tickets (redacted) and the squads' standings. Also the body of
/// `GET /api/v1/board`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct BoardSnapshot {
    pub seq: u64,
    #[schema(value_type = String, format = DateTime)]
    pub generated_at: Timestamp,
    pub tickets: Vec<BoardRow>,
    pub leaderboard: Vec<Standing>,
}
