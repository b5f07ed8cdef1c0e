//! The stream hub: one actor follows the bus and fans every change out to the console,
//! field and board sessions, each frame serialised once per audience. Every session has a
//! bounded queue; the hub only ever `try_send`s into it, so a client that stops reading
//! fills its own queue and is cut off (the session then closes with "resume with since")
//! while everyone else carries on. This is the cut-off GUIDE.md asks for: an actix-web-actors
//! session that cannot write is frozen and cannot notice anything itself, so the decision is
//! taken here, on the sending side.
//!
//! Vehicle moves are not sent one by one: the latest fix of each vehicle is kept and the
//! moves of a tick go out as one `vehicle.moved` frame; the board's distances likewise.
//! A console that falls behind is thinned before it is cut off (`consoles.rs`): past half
//! its backlog its moves are held back, the latest per vehicle, and sent as one frame once
//! it drains; ticket and status frames are never held back.

mod board;
mod consoles;
mod fields;
mod public;
mod recent;
pub mod urgent;
pub mod viewport;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use actix::prelude::*;
use tokio::sync::mpsc;

use self::board::{BoardChange, BoardProjection};
use self::fields::FieldSessions;
use self::recent::RecentFrames;
use self::urgent::{OpenTickets, Shown};
use self::viewport::{ConsoleView, SharedView};
use super::frames::{self, BoardSnapshot, DistanceRow, Frame, Move, StreamFrame, VehicleLive};
use crate::actors::fleet::FleetDirectory;
use crate::actors::fleet::messages::GetVehicle;
use crate::actors::ticket::TicketDirectory;
use crate::bus::{BusEvent, Committed, EventBus, Interest, VehicleMoved, VehicleStatusChanged};
use crate::config::{BoardSettings, StreamSettings};
use crate::domain::board::PublicHandler;
use crate::domain::catalog::Catalog;
use crate::domain::clock::Clock;
use crate::domain::ids::{StaffId, TicketId, VehicleId};
use crate::domain::roster::Vehicle;
use crate::domain::ticket::{EventRecord, Ticket};
use crate::retailers::RetailerBook;
use crate::roster::Roster;
use crate::store::Store;

pub struct HubDeps {
    pub store: Arc<dyn Store>,
    pub catalog: Arc<Catalog>,
    pub roster: Arc<Roster>,
    pub fleet: Arc<FleetDirectory>,
    /// Intakes in flight: consoles' moves wait while intake is pressed.
    pub tickets: Arc<TicketDirectory>,
    pub retailers: Arc<RetailerBook>,
    pub clock: Arc<dyn Clock>,
    pub bus: Arc<EventBus>,
    pub streams: StreamSettings,
    pub board: BoardSettings,
}

/// Whose tickets a field session follows: the staff it speaks for and their vehicles.
#[derive(Clone, Debug, Default)]
pub struct FieldIdentity {
    pub staff: Vec<StaffId>,
    pub vehicles: Vec<VehicleId>,
    /// Only `group.*` frames (the vehicle socket, which has its own ticket frames).
    pub groups_only: bool,
}

impl FieldIdentity {
    /// Whether the ticket is one of this device's: its vehicle, crew, handler or group.
    pub fn concerns(&self, t: &Ticket) -> bool {
        let vehicle = t
            .assignment
            .vehicle_id
            .as_ref()
            .is_some_and(|v| self.vehicles.contains(v));
        vehicle
            || self
                .staff
                .iter()
                .any(|s| t.assignment.crew.contains(s) || t.assignment.staff.contains(s))
            || participants(t).iter().any(|s| self.staff.contains(s))
    }

    /// Whether the event is for this device: its ticket, its group (including the members
    /// a change just let go, and after the dissolution), or its vehicle called off one.
    pub fn concerns_event(&self, e: &EventRecord, t: &Ticket) -> bool {
        use crate::domain::ticket::EventKind;
        if self.groups_only && !e.kind.name().starts_with("group.") {
            return false;
        }
        let mine = |s: &StaffId| self.staff.contains(s);
        match &e.kind {
            EventKind::DispatchCancelled { vehicle_id, .. }
                if self.vehicles.contains(vehicle_id) =>
            {
                return true;
            }
            EventKind::GroupMembersChanged(change) if change.removed.iter().any(mine) => {
                return true;
            }
            // Any group frame goes to the ticket's (latest) group, active or just dissolved.
            _ if e.kind.name().starts_with("group.")
                && t.group
                    .as_ref()
                    .is_some_and(|g| g.member_ids().iter().any(mine)) =>
            {
                return true;
            }
            _ => {}
        }
        self.concerns(t)
    }
}

/// The staff taking part in a ticket beyond its vehicle's crew and named handlers: the
/// members of its active collaboration group.
fn participants(t: &Ticket) -> Vec<StaffId> {
    t.group_member_ids()
}

#[derive(Clone, Debug)]
pub enum Audience {
    /// A console, with the view it named when it opened and the `seq` it resumes after.
    Console {
        view: Option<viewport::Viewport>,
        since: Option<u64>,
    },
    Field(FieldIdentity),
    Board,
}

/// A session's end of the hub.
pub struct Joined {
    pub frames: mpsc::Receiver<Frame>,
    /// Set when the hub cut the session off because its queue was full.
    pub lagged: Arc<AtomicBool>,
    /// The last ticket event the hub has fanned out.
    pub seq: u64,
    /// Consoles: every vehicle's live state (shared with the hub: a console joining costs
    /// the hub one reference per vehicle, not a copy; it is serialised off the hub).
    pub vehicles: Vec<Arc<VehicleLive>>,
    /// Boards: the board as it stands.
    pub board: Option<BoardSnapshot>,
    /// Consoles: the view the session sets (`viewport` frames), read by the hub.
    pub view: Option<SharedView>,
    /// Consoles: the open tickets the snapshot shows, as they stand at `seq`.
    pub shown: Option<Shown>,
    /// Consoles resuming: the frames of every ticket event after their `since` up to
    /// `seq`, when the hub still holds them all.
    pub missed: Option<Vec<Arc<str>>>,
    /// Field devices: the open tickets of their vehicles and staff at `seq`.
    pub mine: Vec<TicketId>,
}

#[derive(Message)]
#[rtype(result = "Joined")]
pub struct Join(pub Audience);

/// The board as it stands (`GET /api/v1/board`).
#[derive(Message)]
#[rtype(result = "BoardSnapshot")]
pub struct GetBoard;

struct Session {
    tx: mpsc::Sender<Frame>,
    lagged: Arc<AtomicBool>,
    /// Bytes queued and not yet taken by the session; bounded by `max_bytes`.
    queued: Arc<AtomicUsize>,
    max_bytes: usize,
    /// A console's view: only moves inside it are sent.
    view: Option<ConsoleView>,
    /// Moves held back while the session is past its high-water mark, the latest per
    /// vehicle (`consoles.rs`).
    held: HashMap<String, Move>,
    /// The held moves follow a view change: sent as the view's whole set (`view: true`).
    held_whole: bool,
}

impl Session {
    /// Frames queued and not yet taken by the session.
    fn depth(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }

    /// Past half its backlog (frames or bytes): its moves are thinned.
    fn above_high_water(&self) -> bool {
        self.depth() * 2 >= self.tx.max_capacity()
            || self.queued.load(Ordering::Acquire) * 2 >= self.max_bytes
    }

    /// Queues a frame; `false` when the session is gone or cut off for lagging (its queue
    /// holds `streams.max_backlog` frames, or `streams.max_backlog_mb` of them).
    fn offer(&self, frame: &Frame) -> bool {
        let len = frame.text.len();
        let over_budget = self.queued.load(Ordering::Acquire) + len > self.max_bytes;
        let sent = if over_budget {
            Err(mpsc::error::TrySendError::Full(()))
        } else {
            let copy = Frame {
                queued: Some(self.queued.clone()),
                ..frame.clone()
            };
            self.queued.fetch_add(len, Ordering::AcqRel);
            self.tx.try_send(copy).map_err(|e| {
                self.queued.fetch_sub(len, Ordering::AcqRel);
                match e {
                    mpsc::error::TrySendError::Full(_) => mpsc::error::TrySendError::Full(()),
                    mpsc::error::TrySendError::Closed(_) => mpsc::error::TrySendError::Closed(()),
                }
            })
        };
        match sent {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(())) => {
                self.lagged.store(true, Ordering::Release);
                metrics::counter!("hotline_stream_cutoffs_total").increment(1);
                tracing::warn!("stream client cut off: its backlog is full");
                false
            }
            Err(mpsc::error::TrySendError::Closed(())) => false,
        }
    }
}

pub struct StreamHub {
    deps: Arc<HubDeps>,
    consoles: Vec<Session>,
    fields: FieldSessions,
    boards: Vec<Session>,
    /// The last ticket event fanned out.
    seq: u64,
    /// Each vehicle's live state; a move or status copies an entry only while a joining
    /// console still holds it.
    vehicles: HashMap<VehicleId, Arc<VehicleLive>>,
    /// Vehicles moved since the moves last went out, latest fix each.
    moved: HashMap<VehicleId, Arc<VehicleMoved>>,
    /// Ticks the moves have waited for intake (`streams.defer_moves_at_intakes`).
    deferred_ticks: u64,
    /// Vehicles whose app is connected (as their actor last said): the others' fixes come
    /// from a GPS gateway, and zoomed-out consoles count them per cell.
    apps: HashSet<VehicleId>,
    board: BoardProjection,
    /// The open tickets in urgency order, for consoles' snapshots.
    open: OpenTickets,
    /// The consoles' last ticket frames, for consoles resuming.
    recent: RecentFrames,
}

impl StreamHub {
    pub fn new(deps: Arc<HubDeps>) -> Self {
        let board = BoardProjection::new(deps.board.policy());
        let seq = deps.store.last_event_id();
        Self {
            seq,
            recent: RecentFrames::new(deps.streams.max_replay as usize, seq),
            deps,
            consoles: Vec::new(),
            fields: FieldSessions::default(),
            boards: Vec::new(),
            vehicles: HashMap::new(),
            moved: HashMap::new(),
            deferred_ticks: 0,
            apps: HashSet::new(),
            board,
            open: OpenTickets::default(),
        }
    }

    fn broadcast(sessions: &mut Vec<Session>, frame: &Frame) {
        sessions.retain(|s| s.offer(frame));
    }

    fn on_ticket_event(&mut self, committed: &Committed) {
        let (e, ticket) = (&*committed.event, &*committed.ticket);
        self.seq = self.seq.max(e.event_id);
        let now = self.deps.clock.now();
        let catalog = &self.deps.catalog;
        if self.consoles.is_empty() {
            self.recent.restart(self.seq);
        } else {
            let frame = frames::console_frame(e, ticket, catalog, &self.deps.roster, now);
            self.recent.push(&frame);
            Self::broadcast(&mut self.consoles, &frame);
        }
        let roster = &self.deps.roster;
        self.fields.fan_out(e, ticket, || {
            frames::field_frame(e, ticket, catalog, roster)
        });
        self.update_board(ticket, now);
        self.open.update(ticket, &self.deps.catalog);
    }

    fn on_moved(&mut self, m: Arc<VehicleMoved>) {
        let live = self.live(&m.vehicle_id);
        live.position = Some(m.position.into());
        live.at = Some(m.at);
        live.speed_kmh = m.speed_kmh;
        live.heading = m.heading;
        live.ticket_id = m.ticket_id.map(|t| t.to_string());
        live.distance_to_site_m = m.distance_to_site_m.map(f64::round);
        let seen = board_live(&m.vehicle_id, live);
        self.board.vehicle_changed(&seen);
        self.moved.insert(m.vehicle_id.clone(), m);
    }

    fn on_status(&mut self, s: &VehicleStatusChanged, ctx: &mut Context<Self>) {
        self.ask_app(&s.vehicle_id, ctx);
        let live = self.live(&s.vehicle_id);
        live.status = s.status;
        live.online = s.online;
        live.ticket_id = s.ticket_id.map(|t| t.to_string());
        let seen = board_live(&s.vehicle_id, live);
        self.board.vehicle_changed(&seen);
        if !self.consoles.is_empty() {
            let frame = Frame::other(
                self.seq,
                &StreamFrame::VehicleStatus {
                    seq: self.seq,
                    vehicle_id: s.vehicle_id.to_string(),
                    status: s.status,
                    ticket_id: s.ticket_id.map(|t| t.to_string()),
                    at: s.at,
                    online: s.online,
                },
            );
            Self::broadcast(&mut self.consoles, &frame);
        }
    }

    /// The live entry of a vehicle, made from the roster when first seen.
    fn live(&mut self, id: &VehicleId) -> &mut VehicleLive {
        let roster = &self.deps.roster;
        let entry = self.vehicles.entry(id.clone()).or_insert_with(|| {
            let record = roster.vehicle(id).ok().flatten();
            Arc::new(blank_live(id, record.as_ref()))
        });
        Arc::make_mut(entry)
    }

    /// Sets `hotline_stream_backlog` (sum) and `_max` per audience: frames queued and not
    /// yet taken by the sessions. Once a tick, never per frame.
    fn report_backlogs(&self) {
        let depth = Session::depth;
        let audiences: [(&str, Vec<usize>); 3] = [
            ("console", self.consoles.iter().map(depth).collect()),
            ("field", self.fields.sessions().map(depth).collect()),
            ("board", self.boards.iter().map(depth).collect()),
        ];
        for (audience, depths) in audiences {
            let sum: usize = depths.iter().sum();
            let max = depths.iter().copied().max().unwrap_or(0);
            metrics::gauge!("hotline_stream_backlog", "audience" => audience).set(sum as f64);
            metrics::gauge!("hotline_stream_backlog_max", "audience" => audience).set(max as f64);
        }
    }

    /// Whether the consoles' moves wait this tick: intake is pressed, and they have not
    /// waited their longest yet. They keep gathering, the latest per vehicle, so waiting
    /// thins them; ticket and status frames never wait.
    fn defer_moves(&mut self) -> bool {
        let s = &self.deps.streams;
        let pressed = s.defer_moves_at_intakes > 0
            && self.deps.tickets.intakes_in_flight() >= s.defer_moves_at_intakes;
        let longest = s.defer_moves_max_ms / s.tick_ms.max(1);
        if pressed && self.deferred_ticks < longest && !self.consoles.is_empty() {
            self.deferred_ticks += 1;
            metrics::counter!("hotline_stream_moves_deferred_total").increment(1);
            return true;
        }
        self.deferred_ticks = 0;
        false
    }

    /// Sends the moves and distances gathered since the last tick.
    fn tick(&mut self) {
        self.fields.sweep();
        self.report_backlogs();
        if !self.defer_moves() {
            let moved = std::mem::take(&mut self.moved);
            self.send_moves(moved);
        }
        self.send_cells(false);
        let rows: Vec<DistanceRow> = self
            .board
            .take_distances()
            .into_iter()
            .map(|r| DistanceRow {
                id: r.id.clone(),
                number: r.number.clone(),
                distance_to_site_m: r.distance_to_site_m,
            })
            .collect();
        if !rows.is_empty() && !self.boards.is_empty() {
            let frame = Frame::other(
                self.seq,
                &StreamFrame::BoardDistance {
                    seq: self.seq,
                    rows,
                },
            );
            Self::broadcast(&mut self.boards, &frame);
        }
        self.tick_board_rows();
    }

    /// Reads the open tickets' order again from the store, after missing events. A ticket
    /// the bus still brings afterwards is placed again by its latest event.
    fn reload_open(&mut self) {
        self.open.clear();
        let ids = match self.deps.store.open_ticket_ids() {
            Ok(ids) => ids,
            Err(e) => {
                tracing::error!(error = %e, "stream hub cannot list open tickets");
                return;
            }
        };
        for id in ids {
            if let Ok(Some(t)) = self.deps.store.ticket(&id) {
                self.open.update(&t, &self.deps.catalog);
            }
        }
    }

    /// Loads every ticket into the board and leaderboard, and every vehicle's live state.
    fn recover(&mut self, ctx: &mut Context<Self>) {
        let now = self.deps.clock.now();
        let mut query = crate::store::TicketQuery {
            limit: 1000,
            ..Default::default()
        };
        loop {
            let page = match self.deps.store.list_tickets(&query) {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(error = %e, "stream hub cannot list tickets");
                    break;
                }
            };
            for t in &page.items {
                self.update_board(t, now);
                self.open.update(t, &self.deps.catalog);
            }
            match page.next_cursor {
                Some(after) => query.after = Some(after),
                None => break,
            }
        }
        let roster = self.deps.roster.clone();
        let teams =
            |team: &crate::domain::ids::TeamId| roster.team(team).ok().flatten().map(|t| t.name);
        let _ = self.board.refresh_leaderboard(teams);
        for id in self.deps.fleet.vehicle_ids() {
            self.live(&id);
            let Some(addr) = self.deps.fleet.live_vehicle(&id) else {
                continue;
            };
            ctx.spawn(
                addr.send(GetVehicle)
                    .into_actor(self)
                    .map(move |view, act, _| {
                        let Ok(view) = view else { return };
                        if view.connected {
                            act.apps.insert(id.clone());
                        }
                        let live = act.live(&id);
                        live.status = view.status;
                        live.online = view.online;
                        live.ticket_id = view.active.as_ref().map(|a| a.ticket_id.to_string());
                        live.distance_to_site_m = view.distance_to_site_m.map(f64::round);
                        if let Some(fix) = view.last_fix {
                            live.position = Some(fix.position.into());
                            live.at = Some(fix.at);
                            live.speed_kmh = fix.speed_kmh;
                            live.heading = fix.heading;
                        }
                        // The board's rows follow the vehicles sent to them from the start.
                        let seen = board_live(&id, live);
                        act.board.vehicle_changed(&seen);
                    }),
            );
        }
    }
}

fn blank_live(id: &VehicleId, record: Option<&Vehicle>) -> VehicleLive {
    VehicleLive {
        vehicle_id: id.to_string(),
        plate: record.map(|v| v.plate.clone()),
        team_id: record.map(|v| v.team_id.to_string()),
        department: record.map(|v| v.department),
        status: crate::domain::fleet::VehicleStatus::OffDuty,
        online: false,
        position: None,
        at: None,
        speed_kmh: None,
        heading: None,
        ticket_id: None,
        distance_to_site_m: None,
    }
}

/// A vehicle's live state as the board's projection reads it.
fn board_live(id: &VehicleId, live: &VehicleLive) -> crate::domain::board::LiveVehicle {
    crate::domain::board::LiveVehicle {
        id: id.clone(),
        position: live
            .position
            .as_ref()
            .and_then(|p| crate::domain::geo::LatLng::new(p.lat, p.lng).ok()),
        status: live.status,
        ticket: live.ticket_id.as_deref().and_then(|t| t.parse().ok()),
    }
}

impl Actor for StreamHub {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.add_stream(
            self.deps
                .bus
                .subscribe(1 << 16, Interest::Everything)
                .into_stream(),
        );
        self.recover(ctx);
        let tick = Duration::from_millis(self.deps.streams.tick_ms);
        ctx.run_interval(tick, |act, _| act.tick());
        let idle_tick = Duration::from_millis(self.deps.streams.idle_tick_ms);
        ctx.run_interval(idle_tick, |act, _| act.send_cells(true));
        let every = Duration::from_secs(self.deps.board.leaderboard_every_s);
        ctx.run_interval(every, |act, _| act.push_leaderboard());
    }
}

impl StreamHandler<BusEvent> for StreamHub {
    fn handle(&mut self, event: BusEvent, ctx: &mut Context<Self>) {
        match event {
            BusEvent::Ticket(e) => self.on_ticket_event(&e),
            BusEvent::VehicleMoved(m) => self.on_moved(m),
            BusEvent::VehicleStatus(s) => self.on_status(&s, ctx),
        }
    }

    /// The bus cut the hub off (it fell 65,536 events behind): every session may have
    /// missed something, so all are closed to resume with `since`, and the hub follows
    /// the bus again.
    fn finished(&mut self, ctx: &mut Context<Self>) {
        tracing::error!("stream hub fell behind the bus; closing every stream session to resume");
        for s in self.consoles.drain(..).chain(self.boards.drain(..)) {
            s.lagged.store(true, Ordering::Release);
        }
        for s in self.fields.drain() {
            s.lagged.store(true, Ordering::Release);
        }
        ctx.add_stream(
            self.deps
                .bus
                .subscribe(1 << 16, Interest::Everything)
                .into_stream(),
        );
        self.seq = self.deps.store.last_event_id();
        self.recent.restart(self.seq);
        self.reload_open();
    }
}

impl Handler<Join> for StreamHub {
    type Result = MessageResult<Join>;

    fn handle(&mut self, Join(audience): Join, _: &mut Context<Self>) -> Self::Result {
        let (tx, rx) = mpsc::channel(self.deps.streams.max_backlog);
        let lagged = Arc::new(AtomicBool::new(false));
        let mut session = Session {
            tx,
            lagged: lagged.clone(),
            queued: Arc::new(AtomicUsize::new(0)),
            max_bytes: self.deps.streams.max_backlog_mb * 1024 * 1024,
            view: None,
            held: HashMap::new(),
            held_whole: false,
        };
        let mut joined = Joined {
            frames: rx,
            lagged,
            seq: self.seq,
            vehicles: Vec::new(),
            board: None,
            view: None,
            shown: None,
            missed: None,
            mine: Vec::new(),
        };
        match audience {
            Audience::Console {
                view: opened_with,
                since,
            } => {
                joined.missed = since.and_then(|since| self.recent.after(since, self.seq));
                let view = SharedView::default();
                let mut console = ConsoleView::new(view.clone());
                joined.vehicles = match opened_with {
                    // Only what the view shows: a province's every vehicle is tens of
                    // megabytes of snapshot for a desk that watches one town.
                    Some(v) => console.opened(v, &self.vehicles, |id, live| {
                        viewport::counted(live, self.apps.contains(id)).is_some()
                    }),
                    None => self.vehicles.values().cloned().collect(),
                };
                joined.shown = Some(self.open.shown(self.deps.streams.snapshot_max_tickets));
                session.view = Some(console);
                joined.view = Some(view);
                self.consoles.push(session);
            }
            Audience::Field(who) => {
                if !who.groups_only {
                    joined.mine = self.open.concerning(&who);
                }
                self.fields.add(who, session);
            }
            Audience::Board => {
                joined.board = Some(self.board_snapshot());
                self.boards.push(session);
            }
        }
        metrics::gauge!("hotline_stream_sessions")
            .set((self.consoles.len() + self.fields.len() + self.boards.len()) as f64);
        MessageResult(joined)
    }
}

impl Handler<GetBoard> for StreamHub {
    type Result = MessageResult<GetBoard>;

    fn handle(&mut self, _: GetBoard, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.board_snapshot())
    }
}
