//! The stream sockets: `/ws/console`, `/ws/field`, `/ws/board`. Each joins the hub first
//! and only then reads the store, so nothing committed in between can fall in a gap: what
//! the read saw is skipped when it also comes through the hub (by global `seq`, or by the
//! ticket's own seq for a snapshot). A snapshot reads only the tickets the hub lists for it
//! (`hub/urgent.rs`: the most urgent, or a device's own, as they stood at the seq it
//! joined), so it costs what it shows however many tickets are open. With `?since=` the
//! client gets the events it missed, replayed from the store, or a fresh snapshot when it
//! is too far behind.

use std::collections::HashMap;

use actix::Addr;
use actix_web::{HttpRequest, HttpResponse, get, web};
use actix_web_actors::ws;
use serde::Deserialize;

use super::frames::{self, ConsoleTicket, StreamFrame, to_text};
use super::hub::urgent::{Shown, urgency};
use super::hub::viewport::ViewportFrame;
use super::hub::{Audience, FieldIdentity, Join, Joined, StreamHub};
use super::stream::{Prepared, StreamSession};
use crate::api::auth::Caller;
use crate::api::error::ApiError;
use crate::domain::error_code::ErrorCode;
use crate::domain::ids::TicketId;
use crate::domain::role::{Role, Subject};
use crate::domain::roster::Vehicle;
use crate::domain::ticket::Ticket;
use crate::engine::Engine;

#[derive(Debug, Deserialize)]
pub struct StreamParams {
    /// The last `seq` the client saw.
    since: Option<String>,
}

/// A console's: `since`, and the view it opens with (a `viewport` frame's object as JSON).
#[derive(Debug, Deserialize)]
pub struct ConsoleParams {
    since: Option<String>,
    view: Option<String>,
}

fn since(since: Option<&str>) -> Result<Option<u64>, ApiError> {
    since
        .map(|s| {
            s.parse::<u64>()
                .map_err(|_| ApiError::malformed("`since` must be a whole number (a stream seq)"))
        })
        .transpose()
}

/// The hub's address, kept as app data.
pub type Hub = web::Data<Addr<StreamHub>>;

fn hub_gone() -> ApiError {
    ApiError::of(
        ErrorCode::Unavailable,
        "the stream hub is not running; try again shortly",
    )
}

async fn join(hub: &Hub, audience: Audience) -> Result<Joined, ApiError> {
    hub.send(Join(audience)).await.map_err(|_| hub_gone())
}

/// What the store holds for one audience.
enum View<'a> {
    Console,
    Field(&'a FieldIdentity),
}

impl View<'_> {
    fn frame(
        &self,
        e: &crate::domain::ticket::EventRecord,
        t: &Ticket,
        engine: &Engine,
    ) -> Option<frames::Frame> {
        match self {
            View::Console => Some(frames::console_frame(
                e,
                t,
                &engine.catalog,
                &engine.roster,
                engine.clock.now(),
            )),
            View::Field(who) => who
                .concerns_event(e, t)
                .then(|| frames::field_frame(e, t, &engine.catalog, &engine.roster)),
        }
    }
}

/// The events after `since` for this audience, or `None` when a snapshot is due (too far
/// behind, or ahead of the stream).
fn replay(
    engine: &Engine,
    view: &View<'_>,
    since: u64,
) -> Result<Option<(Vec<String>, u64)>, ApiError> {
    let last = engine.store.last_event_id();
    let window = engine.settings.streams.max_replay;
    if since > last || last - since > window {
        return Ok(None);
    }
    let events = engine.store.events_since(since, window as usize)?;
    let mut tickets: HashMap<TicketId, Option<Ticket>> = HashMap::new();
    let mut out = Vec::with_capacity(events.len());
    let mut upto = since;
    for e in &events {
        upto = e.event_id;
        let t = match tickets.get(&e.ticket_id) {
            Some(t) => t,
            None => {
                let t = engine.store.ticket(&e.ticket_id)?;
                tickets.entry(e.ticket_id).or_insert(t)
            }
        };
        if let Some(frame) = t.as_ref().and_then(|t| view.frame(e, t, engine)) {
            out.push(frame.text.to_string());
        }
    }
    Ok(Some((out, upto)))
}

/// The active collaboration groups of these tickets.
fn active_groups(engine: &Engine, tickets: &[Ticket]) -> Vec<serde_json::Value> {
    tickets
        .iter()
        .filter(|t| !t.group_member_ids().is_empty())
        .filter_map(|t| frames::group_json(t, &engine.roster))
        .collect()
}

/// What a console snapshot shows of the open tickets, from the hub's order at the seq it
/// joined: the `snapshot_max_tickets` most urgent, most urgent first, and the active groups
/// of all. Only those tickets are read, so a snapshot costs the same however many are
/// open. A ticket read may be newer than the hub's order; one closed since is left out, its
/// seq still noted so its closing events are not sent either.
fn shown_tickets(
    engine: &Engine,
    shown: &Shown,
    snapshot_seqs: &mut HashMap<TicketId, u64>,
) -> Result<(Vec<Ticket>, Vec<serde_json::Value>), ApiError> {
    let mut tickets = Vec::with_capacity(shown.urgent.len());
    for id in &shown.urgent {
        let Some(t) = engine.store.ticket(id)? else {
            continue;
        };
        snapshot_seqs.insert(t.id, t.seq);
        if !t.status.is_closed() {
            tickets.push(t);
        }
    }
    let mut groups = Vec::new();
    for id in &shown.grouped {
        if let Some(t) = engine.store.ticket(id)?
            && !t.group_member_ids().is_empty()
        {
            groups.extend(frames::group_json(&t, &engine.roster));
        }
    }
    Ok((tickets, groups))
}

fn hello(
    role: Role,
    seq: u64,
    resumed: bool,
    engine: &Engine,
    field: Option<(&Subject, &FieldIdentity)>,
) -> String {
    to_text(&StreamFrame::Hello {
        seq,
        role,
        tick_ms: engine.settings.streams.tick_ms,
        resumed,
        subject: field.map(|(s, _)| s.to_string()),
        staff: field.map(|(_, who)| who.staff.iter().map(|s| s.to_string()).collect()),
    })
}

fn console_prelude(
    engine: &Engine,
    joined: &mut Joined,
    since: Option<u64>,
    role: Role,
) -> Result<Prepared, ApiError> {
    // The hub's own copies of what was missed when it still holds them all; else the store.
    let missed = match (since, joined.missed.take()) {
        (Some(_), Some(frames)) => {
            metrics::counter!("hotline_stream_resumes_total", "from" => "hub").increment(1);
            Some((frames.iter().map(|t| t.to_string()).collect(), joined.seq))
        }
        (Some(since), None) => {
            let replayed = replay(engine, &View::Console, since)?;
            if replayed.is_some() {
                metrics::counter!("hotline_stream_resumes_total", "from" => "store").increment(1);
            }
            replayed
        }
        (None, _) => None,
    };
    if let Some(since) = since
        && let Some((mut frames, upto)) = missed
    {
        frames.insert(0, hello(role, since, true, engine, None));
        // Positions are live state, not replayed: the latest of every vehicle ends the resume.
        let moves = std::mem::take(&mut joined.vehicles)
            .into_iter()
            .filter(|v| v.position.is_some())
            .collect();
        frames.push(to_text(&StreamFrame::VehiclesNow { seq: upto, moves }));
        let prelude = frames;
        return Ok(Prepared {
            prelude,
            covered_upto: upto,
            snapshot_seqs: HashMap::new(),
            seq: upto,
        });
    }
    // The hub's order is exact at the seq it joined: everything after comes from the hub.
    let seq = joined.seq;
    let now = engine.clock.now();
    let shown = joined.shown.take().unwrap_or_else(|| Shown {
        urgent: Vec::new(),
        grouped: Vec::new(),
        open_total: 0,
    });
    let mut snapshot_seqs = HashMap::new();
    let (shown_tickets, groups) = shown_tickets(engine, &shown, &mut snapshot_seqs)?;
    let tickets: Vec<ConsoleTicket> = shown_tickets
        .iter()
        .map(|t| ConsoleTicket::new(t, &engine.catalog, now))
        .collect();
    let snapshot = StreamFrame::ConsoleSnapshot {
        seq,
        generated_at: now,
        truncated: shown.open_total > tickets.len(),
        tickets,
        open_total: shown.open_total,
        vehicles: std::mem::take(&mut joined.vehicles),
        groups,
    };
    Ok(Prepared {
        prelude: vec![hello(role, seq, false, engine, None), to_text(&snapshot)],
        covered_upto: seq,
        snapshot_seqs,
        seq,
    })
}

/// The staff and vehicles a field token speaks for.
fn field_identity(engine: &Engine, caller: &Caller) -> Result<(Subject, FieldIdentity), ApiError> {
    caller.require(&[Role::Field])?;
    let vehicles = engine.roster.list::<Vehicle>()?;
    match &caller.principal().subject {
        Some(subject @ Subject::Vehicle(v)) => {
            let vehicle = vehicles
                .into_iter()
                .find(|x| &x.id == v)
                .ok_or_else(|| ApiError::forbidden("this token's vehicle is not registered"))?;
            Ok((
                subject.clone(),
                FieldIdentity {
                    staff: vehicle.crew,
                    vehicles: vec![vehicle.id],
                    groups_only: false,
                },
            ))
        }
        Some(subject @ Subject::Staff(s)) => {
            let rides: Vec<_> = vehicles
                .into_iter()
                .filter(|v| v.crew.contains(s))
                .map(|v| v.id)
                .collect();
            Ok((
                subject.clone(),
                FieldIdentity {
                    staff: vec![s.clone()],
                    vehicles: rides,
                    groups_only: false,
                },
            ))
        }
        _ => Err(ApiError::forbidden(
            "a field stream needs a token bound to a staff member or a vehicle",
        )),
    }
}

fn field_prelude(
    engine: &Engine,
    joined: &Joined,
    subject: &Subject,
    who: &FieldIdentity,
    since: Option<u64>,
) -> Result<Prepared, ApiError> {
    if let Some(since) = since
        && let Some((mut prelude, upto)) = replay(engine, &View::Field(who), since)?
    {
        prelude.insert(
            0,
            hello(Role::Field, since, true, engine, Some((subject, who))),
        );
        return Ok(Prepared {
            prelude,
            covered_upto: upto,
            snapshot_seqs: HashMap::new(),
            seq: upto,
        });
    }
    // The hub's lists are exact at the seq it joined: everything after comes from the hub.
    let seq = joined.seq;
    let mut mine = Vec::new();
    for id in &joined.mine {
        if let Some(t) = engine.store.ticket(id)?
            && !t.status.is_closed()
            && who.concerns(&t)
        {
            mine.push(t);
        }
    }
    mine.sort_by_cached_key(|t| urgency(t, &engine.catalog));
    let mut snapshot_seqs = HashMap::new();
    let tickets = mine
        .iter()
        .map(|t| {
            snapshot_seqs.insert(t.id, t.seq);
            frames::field_ticket(t, &engine.catalog)
        })
        .collect();
    let groups = active_groups(engine, &mine);
    let snapshot = StreamFrame::FieldSnapshot {
        seq,
        generated_at: engine.clock.now(),
        tickets,
        groups,
    };
    Ok(Prepared {
        prelude: vec![
            hello(Role::Field, seq, false, engine, Some((subject, who))),
            to_text(&snapshot),
        ],
        covered_upto: seq,
        snapshot_seqs,
        seq,
    })
}

fn start(
    engine: web::Data<Engine>,
    caller: Caller,
    prepared: Prepared,
    joined: Joined,
    commands: bool,
    req: &HttpRequest,
    stream: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    let session = StreamSession::new(
        engine,
        caller,
        prepared,
        joined.frames,
        joined.lagged,
        joined.view,
        commands,
    );
    ws::WsResponseBuilder::new(session, req, stream)
        .frame_size(64 * 1024)
        .start()
}

/// The dispatch console's stream. Token: dispatcher or supervisor.
#[get("/ws/console")]
pub async fn console_socket(
    engine: web::Data<Engine>,
    hub: Hub,
    caller: Caller,
    params: web::Query<ConsoleParams>,
    req: HttpRequest,
    stream: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    super::origin::check(&req, &engine.settings.server.allowed_origins)?;
    caller.require(&[Role::Dispatcher, Role::Supervisor])?;
    let since = since(params.since.as_deref())?;
    let view = params
        .view
        .as_deref()
        .map(ViewportFrame::from_query)
        .transpose()
        .map_err(ApiError::malformed)?
        .flatten();
    let mut joined = join(&hub, Audience::Console { view, since }).await?;
    // Reading the store is blocking work: off the HTTP worker.
    let (role, store_side) = (caller.role(), engine.clone());
    let (prepared, joined) = web::block(move || {
        console_prelude(&store_side, &mut joined, since, role).map(|p| (p, joined))
    })
    .await
    .map_err(|_| hub_gone())??;
    start(engine, caller, prepared, joined, true, &req, stream)
}

/// A field device's stream: its own tickets and groups. Token: field, bound to a staff
/// member or a vehicle.
#[get("/ws/field")]
pub async fn field_socket(
    engine: web::Data<Engine>,
    hub: Hub,
    caller: Caller,
    params: web::Query<StreamParams>,
    req: HttpRequest,
    stream: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    super::origin::check(&req, &engine.settings.server.allowed_origins)?;
    let (subject, who) = field_identity(&engine, &caller)?;
    let since = since(params.since.as_deref())?;
    let joined = join(&hub, Audience::Field(who.clone())).await?;
    let store_side = engine.clone();
    let (prepared, joined) = web::block(move || {
        field_prelude(&store_side, &joined, &subject, &who, since).map(|p| (p, joined))
    })
    .await
    .map_err(|_| hub_gone())??;
    start(engine, caller, prepared, joined, false, &req, stream)
}

/// The public board's stream: always a fresh snapshot, then deltas.
#[get("/ws/board")]
pub async fn board_socket(
    engine: web::Data<Engine>,
    hub: Hub,
    caller: Caller,
    params: web::Query<StreamParams>,
    req: HttpRequest,
    stream: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    super::origin::check(&req, &engine.settings.server.allowed_origins)?;
    caller.require(&[Role::Board, Role::Dispatcher, Role::Supervisor, Role::Admin])?;
    since(params.since.as_deref())?;
    let mut joined = join(&hub, Audience::Board).await?;
    let board = joined.board.take().ok_or_else(hub_gone)?;
    let prepared = Prepared {
        prelude: vec![
            hello(caller.role(), board.seq, false, &engine, None),
            to_text(&StreamFrame::BoardSnapshot(&board)),
        ],
        covered_upto: board.seq,
        snapshot_seqs: HashMap::new(),
        seq: board.seq,
    };
    start(engine, caller, prepared, joined, false, &req, stream)
}
