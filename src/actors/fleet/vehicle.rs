//! The actor of one registered vehicle: its status, crew, latest fix and the offer or
//! ticket it holds. It checks every fix (range, future, order), tells the grid the latest
//! one, detects arrival at the site, pushes offers and ticket changes to the vehicle's
//! socket, and persists its state: durably on every status change, periodically for fixes.
//! A vehicle out of service (its roster record says so) stays `out_of_service` whatever
//! offers and tickets would make of it, and its crew cannot change that; the record is the
//! truth, so the status follows it at start and on every record update.
//!
//! The vehicle's sockets (its own device's, and its crew members' phones) are held in
//! `sessions`: one per principal, pushes to each, one of them reporting positions.
//!
//! Online or offline is part of the live state: online while a socket is connected, or for
//! `fleet.gateway_online_s` after a GPS gateway's last fix (`GatewayFixes`). An offline
//! vehicle is never offered work (the grid leaves it out); an offer it already holds stays
//! until it is answered or expires (a reconnecting device gets it again with `hello`).
//! Every change is published with the status (`vehicle.status` on the console).
//!
//! Offers pushed to an app that confirms them are followed up in `receipts`.

use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration as StdDuration;

use actix::prelude::*;
use time::Duration;

use super::messages::*;
use super::sessions::Sessions;
use super::silence::GatewaySilence;
use crate::actors::grid::{GridMoves, HexGridActor, SetGridOnline, SetGridStatus, TrackVehicle};
use crate::bus::{BusEvent, EventBus, VehicleMoved, VehicleStatusChanged};
use crate::config::DispatchSettings;
use crate::domain::Timestamp;
use crate::domain::clock::Clock;
use crate::domain::fleet::{Fix, HeldOffer, VehicleState, VehicleStatus};
use crate::domain::grid::GridVehicle;
use crate::domain::roster::Vehicle;
use crate::domain::ticket::Status;
use crate::store::{PutMode, RecordKind, Store, Write};

/// Most periodic fix writes the whole fleet keeps in the store's queue at once (of
/// `store.queue_capacity`, 20,000 by default, which intake needs): 100,000 vehicles writing
/// their latest fix at the same moment filled it and intake was refused 429. A vehicle that
/// finds every slot taken keeps its fix dirty and writes it at its next turn.
const MAX_FIX_WRITES: usize = 512;

/// The fleet's shared, bounded ways out for fixes: fixes are shed before anything else.
#[derive(Clone)]
pub struct FixPaths {
    /// Where moves wait for the grid (latest wins).
    moves: GridMoves,
    /// Periodic fix writes in the store's queue now.
    writing: Arc<AtomicUsize>,
}

impl FixPaths {
    pub fn new(moves: GridMoves) -> Self {
        Self {
            moves,
            writing: Arc::default(),
        }
    }
}

/// What every vehicle actor shares.
pub struct FleetDeps {
    pub store: Arc<dyn Store>,
    pub bus: Arc<EventBus>,
    pub clock: Arc<dyn Clock>,
    pub grid: Addr<HexGridActor>,
    pub arrivals: Recipient<VehicleArrived>,
    /// The dispatcher, told of offers the vehicle's app never confirmed.
    pub undelivered: Recipient<OfferUndelivered>,
    pub settings: DispatchSettings,
    /// `fleet.gateway_online_s`: how long a gateway's fix keeps a vehicle online.
    pub gateway_online_s: u64,
    /// Where the fleet's watch learns when each gateway was last heard.
    pub gateway_silence: Arc<GatewaySilence>,
}

pub struct VehicleActor {
    pub(super) vehicle: Vehicle,
    pub(super) state: VehicleState,
    pub(super) deps: Arc<FleetDeps>,
    /// Where its fixes go (the grid, the store), shared by the fleet.
    fixes: FixPaths,
    /// The sockets attached: one per principal, one of them reporting positions.
    pub(super) sessions: Sessions,
    distance_to_site_m: Option<f64>,
    /// Arrival was reported for the active ticket; do not report it on every fix.
    arrival_reported: bool,
    /// The latest fix is not yet in the store.
    fix_dirty: bool,
    fixes_rejected: u64,
    /// The grid knows this vehicle (it has had a fix).
    in_grid: bool,
    /// The offer being held, to show again to a reconnecting device.
    offer_notice: Option<Arc<OfferNotice>>,
    /// When a GPS gateway last reported a fix for it (the engine's clock).
    gateway_heard_at: Option<Timestamp>,
    /// Online as last published (a socket, or a recent gateway fix).
    online: bool,
    /// Every app on the sockets confirms offers (said so in its `hello`).
    /// Kept once the last socket is gone: an offer made while no app is connected then goes
    /// on at once instead of waiting out the answer time.
    pub(super) receipts: bool,
    /// The offer pushed to such apps and confirmed by none yet, with the number of the wait
    /// (a timer of an earlier wait for the same offer finds another number and does nothing).
    pub(super) awaiting_receipt: Option<(HeldOffer, u64)>,
    /// Waits started so far.
    pub(super) receipt_waits: u64,
    /// The offer a socket last wrote to its app, and when (the receipt time counts from it).
    pub(super) offer_written: Option<(crate::domain::ids::OfferId, std::time::Instant)>,
}

impl VehicleActor {
    pub fn new(
        vehicle: Vehicle,
        state: VehicleState,
        deps: Arc<FleetDeps>,
        fixes: FixPaths,
    ) -> Self {
        Self {
            vehicle,
            state,
            deps,
            fixes,
            sessions: Sessions::default(),
            distance_to_site_m: None,
            arrival_reported: false,
            fix_dirty: false,
            fixes_rejected: 0,
            in_grid: false,
            offer_notice: None,
            gateway_heard_at: None,
            online: false,
            receipts: false,
            awaiting_receipt: None,
            receipt_waits: 0,
            offer_written: None,
        }
    }

    /// Whether the vehicle can be reached now: a socket, or a gateway fix not too old.
    fn reachable(&self) -> bool {
        let window = i64::try_from(self.deps.gateway_online_s).unwrap_or(i64::MAX);
        !self.sessions.is_empty()
            || self
                .gateway_heard_at
                .is_some_and(|at| self.deps.clock.now().seconds_since(at) <= window)
    }

    /// Publishes a change of online/offline (grid and console).
    pub(super) fn refresh_online(&mut self) {
        let online = self.reachable();
        if online == self.online {
            return;
        }
        self.online = online;
        tracing::info!(vehicle_id = %self.vehicle.id, online, "vehicle online state changed");
        let _ = self.deps.grid.try_send(SetGridOnline {
            id: self.vehicle.id.clone(),
            online,
        });
        self.publish_status(self.deps.clock.now());
    }

    fn publish_status(&self, at: Timestamp) {
        self.deps
            .bus
            .publish(BusEvent::VehicleStatus(Arc::new(VehicleStatusChanged {
                vehicle_id: self.vehicle.id.clone(),
                status: self.state.status,
                ticket_id: self.state.active.as_ref().map(|a| a.ticket_id),
                at,
                online: self.online,
            })));
    }

    /// Puts the vehicle on the grid with everything the search filters on.
    fn track(&mut self) {
        let Some(fix) = self.state.last_fix else {
            return;
        };
        let entry = GridVehicle {
            id: self.vehicle.id.clone(),
            position: fix.position,
            fix_at: fix.at,
            status: self.state.status,
            online: self.online,
            department: self.vehicle.department,
            team: self.vehicle.team_id.clone(),
        };
        self.in_grid = self.deps.grid.try_send(TrackVehicle(entry)).is_ok();
    }

    fn view(&self) -> VehicleView {
        VehicleView {
            id: self.vehicle.id.clone(),
            status: self.state.status,
            since: self.state.since,
            last_fix: self.state.last_fix,
            active: self.state.active.clone(),
            offer: self.state.offer.clone(),
            distance_to_site_m: self.distance_to_site_m,
            connected: !self.sessions.is_empty(),
            online: self.online,
            fixes_rejected: self.fixes_rejected,
            offer_notice: self.offer_notice.clone(),
        }
    }

    /// Writes the whole state; durable before the store answers (not awaited here: the
    /// actor does not stall on disk, and the writer keeps the order of writes).
    fn persist(&mut self) {
        // Not awaited: the writer keeps the order and makes it durable shortly.
        drop(self.persist_durably());
    }

    /// The periodic write of the latest fix, within the fleet's slots for fix writes; a fix
    /// not written (no slot, or the store refused it) stays dirty for the next turn.
    fn write_fix(&mut self, ctx: &mut Context<Self>) {
        if !self.fix_dirty {
            return;
        }
        let writing = self.fixes.writing.clone();
        if writing.fetch_add(1, Ordering::AcqRel) >= MAX_FIX_WRITES {
            writing.fetch_sub(1, Ordering::AcqRel);
            metrics::counter!("hotline_fix_writes_deferred_total").increment(1);
            return;
        }
        let Some(write) = self.persist_durably() else {
            writing.fetch_sub(1, Ordering::AcqRel);
            return;
        };
        ctx.spawn(
            async move {
                let done = write.await;
                writing.fetch_sub(1, Ordering::AcqRel);
                done.is_ok()
            }
            .into_actor(self)
            .map(|written, act, _| {
                if !written {
                    act.fix_dirty = true;
                }
            }),
        );
    }

    /// Writes the whole state; the answer resolves once it is on disk.
    fn persist_durably(&mut self) -> Option<crate::store::Pending> {
        self.fix_dirty = false;
        match serde_json::to_vec(&self.state) {
            Ok(value) => Some(self.deps.store.submit(Write::PutRecord {
                kind: RecordKind::VehicleState,
                id: self.vehicle.id.to_string(),
                value,
                mode: PutMode::Upsert,
            })),
            Err(e) => {
                tracing::error!(vehicle_id = %self.vehicle.id, error = %e, "vehicle state not serialisable");
                None
            }
        }
    }

    fn set_status(&mut self, status: VehicleStatus) {
        let status = if self.vehicle.in_service() {
            status
        } else {
            VehicleStatus::OutOfService
        };
        if self.state.status == status {
            return;
        }
        self.state.status = status;
        self.state.since = self.deps.clock.now();
        self.persist();
        let _ = self.deps.grid.try_send(SetGridStatus {
            id: self.vehicle.id.clone(),
            status,
        });
        self.publish_status(self.state.since);
    }

    /// Brings the status in line with the record: out of service, or back (off duty until
    /// the crew says it is available).
    fn follow_service(&mut self) {
        let out = self.state.status == VehicleStatus::OutOfService;
        if !self.vehicle.in_service() {
            self.set_status(VehicleStatus::OutOfService);
        } else if out {
            self.set_status(VehicleStatus::OffDuty);
        }
    }

    fn update_distance(&mut self) {
        let site = self.state.active.as_ref().and_then(|a| a.site);
        self.distance_to_site_m = match (site, self.state.last_fix) {
            (Some(site), Some(fix)) => Some(fix.position.distance_m(site)),
            _ => None,
        };
    }
}

impl Actor for VehicleActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(256);
        self.update_distance();
        self.follow_service();
        self.track();
        // Each vehicle writes its latest fix at its own phase of the period, so a fleet
        // started at once does not write all at once.
        let every = StdDuration::from_secs(self.deps.settings.persist_fixes_every_s.max(1));
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.vehicle.id.hash(&mut h);
        let phase = StdDuration::from_millis(h.finish() % every.as_millis().max(1) as u64);
        ctx.run_later(phase, move |act, ctx| {
            act.write_fix(ctx);
            ctx.run_interval(every, |act, ctx| act.write_fix(ctx));
        });
        // A gateway that falls silent leaves the vehicle offline: the fleet's watch
        // (`GatewaySilence`) checks the clock and sends `RefreshOnline`.
    }

    fn stopping(&mut self, _: &mut Self::Context) -> Running {
        // Last chance: not held to the fleet's fix-write slots.
        if self.fix_dirty {
            self.persist();
        }
        Running::Stop
    }
}

impl Handler<Connect> for VehicleActor {
    type Result = MessageResult<Connect>;
    fn handle(&mut self, msg: Connect, ctx: &mut Self::Context) -> Self::Result {
        // The held offer goes out again with the engine's `hello` (a reconnecting device
        // must see the offer it may have missed), and the new app's own `hello` may start
        // a wait for its receipt.
        let reports_positions = self.attach_session(msg.session, msg.principal, msg.recipient, ctx);
        MessageResult(Connected {
            view: self.view(),
            reports_positions,
        })
    }
}

impl Handler<Disconnect> for VehicleActor {
    type Result = ();
    fn handle(&mut self, msg: Disconnect, ctx: &mut Self::Context) {
        self.drop_session(msg.session, ctx);
    }
}

impl Handler<GatewayFixes> for VehicleActor {
    type Result = MessageResult<GatewayFixes>;
    fn handle(&mut self, msg: GatewayFixes, _: &mut Self::Context) -> Self::Result {
        let report = self.take_fixes(msg.0);
        if report.accepted > 0 {
            let now = self.deps.clock.now();
            self.gateway_heard_at = Some(now);
            self.deps.gateway_silence.heard(&self.vehicle.id, now);
            self.refresh_online();
        }
        MessageResult(report)
    }
}

impl Handler<RefreshOnline> for VehicleActor {
    type Result = ();
    fn handle(&mut self, _: RefreshOnline, _: &mut Self::Context) {
        self.refresh_online();
    }
}

impl Handler<ReportFixes> for VehicleActor {
    type Result = MessageResult<ReportFixes>;
    fn handle(&mut self, msg: ReportFixes, _: &mut Self::Context) -> Self::Result {
        MessageResult(self.take_fixes(msg.0))
    }
}

impl Handler<SessionFixes> for VehicleActor {
    type Result = Result<FixReport, NotReporter>;
    fn handle(&mut self, msg: SessionFixes, _: &mut Self::Context) -> Self::Result {
        // The socket refuses a non-reporter's fixes itself; these were sent before it
        // heard that the role moved (or from a session since replaced).
        if self.sessions.reporter() != Some(msg.session) {
            return Err(NotReporter);
        }
        Ok(self.take_fixes(msg.fixes))
    }
}

impl VehicleActor {
    /// Checks and takes a batch of fixes, oldest first.
    fn take_fixes(&mut self, fixes: Vec<Fix>) -> FixReport {
        let now = self.deps.clock.now();
        let skew = Duration::seconds(self.deps.settings.max_clock_skew_s as i64);
        let mut report = FixReport::default();
        let mut latest: Option<Fix> = None;
        for (i, fix) in fixes.into_iter().enumerate() {
            match fix.check(latest.as_ref().or(self.state.last_fix.as_ref()), now, skew) {
                Ok(()) => {
                    report.accepted += 1;
                    latest = Some(fix);
                }
                Err(why) => report.rejected.push((i, why)),
            }
        }
        if !report.rejected.is_empty() {
            self.fixes_rejected += report.rejected.len() as u64;
            for (_, why) in &report.rejected {
                metrics::counter!("hotline_fixes_rejected_total", "reason" => why.code())
                    .increment(1);
            }
        }
        metrics::counter!("hotline_fixes_accepted_total").increment(report.accepted as u64);
        let Some(fix) = latest else {
            return report;
        };
        self.state.last_fix = Some(fix);
        self.fix_dirty = true;
        self.update_distance();
        if !self.in_grid {
            self.track();
        } else {
            self.fixes
                .moves
                .put(self.vehicle.id.clone(), fix.position, fix.at);
        }
        let ticket_id = self.state.active.as_ref().map(|a| a.ticket_id);
        self.deps
            .bus
            .publish(BusEvent::VehicleMoved(Arc::new(VehicleMoved {
                vehicle_id: self.vehicle.id.clone(),
                position: fix.position,
                at: fix.at,
                speed_kmh: fix.speed_kmh,
                heading: fix.heading,
                distance_to_site_m: self.distance_to_site_m,
                ticket_id,
            })));
        let arrived = self.state.status == VehicleStatus::EnRoute
            && self
                .distance_to_site_m
                .is_some_and(|d| d <= self.deps.settings.arrival_radius_m);
        if arrived
            && !self.arrival_reported
            && let Some(ticket_id) = ticket_id
        {
            self.arrival_reported = true;
            let _ = self.deps.arrivals.try_send(VehicleArrived {
                vehicle_id: self.vehicle.id.clone(),
                ticket_id,
            });
        }
        report
    }
}

impl Handler<ChangeStatus> for VehicleActor {
    type Result = Result<VehicleView, StatusRefused>;
    fn handle(&mut self, msg: ChangeStatus, _: &mut Self::Context) -> Self::Result {
        let wanted = msg.0;
        if !self.vehicle.in_service() {
            return Err(StatusRefused::OutOfService);
        }
        if !wanted.settable_by_crew() {
            return Err(StatusRefused::NotSettable(wanted.as_str()));
        }
        let current = self.state.status;
        let busy = matches!(
            current,
            VehicleStatus::Offered | VehicleStatus::EnRoute | VehicleStatus::OnSite
        );
        if busy && wanted != current {
            return Err(StatusRefused::Busy(current.as_str()));
        }
        self.set_status(wanted);
        Ok(self.view())
    }
}

impl Handler<HoldOffer> for VehicleActor {
    type Result = ();
    fn handle(&mut self, msg: HoldOffer, ctx: &mut Self::Context) {
        tracing::debug!(vehicle_id = %self.vehicle.id, offer_id = %msg.held.offer_id, connected = !self.sessions.is_empty(), "holding an offer");
        self.state.offer = Some(msg.held);
        self.offer_notice = Some(msg.notice.clone());
        self.set_status(VehicleStatus::Offered);
        // The car sees the offer only once the vehicle's state (with its latest fix) is on
        // disk, so a restart right after shows the same offer at the same place. Waiting
        // holds this vehicle's mailbox only, for one group commit.
        let durable = self.persist_durably();
        let notice = msg.notice;
        ctx.wait(
            async move {
                if let Some(write) = durable {
                    let _ = write.await;
                }
            }
            .into_actor(self)
            .map(move |_, act, ctx| {
                act.push(ToVehicle::Offer(notice), ctx);
                act.expect_receipt(ctx);
            }),
        );
    }
}

impl Handler<ReleaseOffer> for VehicleActor {
    type Result = ();
    fn handle(&mut self, msg: ReleaseOffer, ctx: &mut Self::Context) {
        let held = self.state.offer.take_if(|o| o.offer_id == msg.offer_id);
        let Some(held) = held else { return };
        self.offer_notice = None;
        self.awaiting_receipt
            .take_if(|(h, _)| h.offer_id == held.offer_id);
        // The answer is told here, once it is written and the offer let go, rather than by
        // the answering socket after its ack: this actor holds every session and knows
        // the offer's ticket, and the dispatcher says which session answered.
        let accepted = match &msg.outcome {
            OfferOutcome::Accepted(_) => Some(true),
            OfferOutcome::Declined => Some(false),
            OfferOutcome::Expired | OfferOutcome::Cancelled(_) => None,
        };
        if let Some(accepted) = accepted {
            let answered = ToVehicle::OfferAnswered {
                offer_id: held.offer_id,
                ticket_id: held.ticket_id,
                accepted,
            };
            self.push_to(answered, |s| Some(s.id) != msg.answered_by, ctx);
        }
        match msg.outcome {
            OfferOutcome::Accepted(active) => {
                self.state.active = Some(active);
                self.arrival_reported = false;
                self.update_distance();
                self.set_status(VehicleStatus::EnRoute);
            }
            OfferOutcome::Declined => self.set_status(VehicleStatus::Available),
            OfferOutcome::Expired => {
                let expired = ToVehicle::OfferCancelled {
                    offer_id: held.offer_id,
                    ticket_id: held.ticket_id,
                    reason: "expired: no answer in time".into(),
                };
                self.push(expired, ctx);
                self.set_status(VehicleStatus::Available);
            }
            OfferOutcome::Cancelled(reason) => {
                let cancelled = ToVehicle::OfferCancelled {
                    offer_id: held.offer_id,
                    ticket_id: held.ticket_id,
                    reason,
                };
                self.push(cancelled, ctx);
                self.set_status(VehicleStatus::Available);
            }
        }
        self.persist();
    }
}

impl Handler<TicketProgress> for VehicleActor {
    type Result = ();
    fn handle(&mut self, msg: TicketProgress, ctx: &mut Self::Context) {
        let TicketProgress(notice, assigned) = msg;
        if let Some(active) = assigned {
            // Sent directly by a dispatcher, without an offer.
            self.state.active = Some(active);
            self.arrival_reported = false;
            self.update_distance();
            self.set_status(VehicleStatus::EnRoute);
        }
        let mine = self
            .state
            .active
            .as_ref()
            .is_some_and(|a| a.ticket_id == notice.ticket_id);
        self.push(ToVehicle::TicketUpdated(notice.clone()), ctx);
        if !mine {
            return;
        }
        match notice.status {
            Status::EnRoute => self.set_status(VehicleStatus::EnRoute),
            Status::OnSite => self.set_status(VehicleStatus::OnSite),
            Status::Received | Status::Triaged => {
                // The dispatch was cancelled.
                self.state.active = None;
                self.distance_to_site_m = None;
                self.set_status(VehicleStatus::Available);
                self.persist();
            }
            _ => {
                // Done on site (report writing, or the ticket closed): head back.
                self.state.active = None;
                self.distance_to_site_m = None;
                self.set_status(VehicleStatus::Returning);
                self.persist();
            }
        }
    }
}

impl Handler<UpdateRecord> for VehicleActor {
    type Result = ();
    fn handle(&mut self, msg: UpdateRecord, ctx: &mut Self::Context) {
        self.vehicle = msg.0;
        self.follow_service();
        self.track();
        self.drop_former_crew(ctx);
    }
}

impl Handler<GetVehicle> for VehicleActor {
    type Result = MessageResult<GetVehicle>;
    fn handle(&mut self, _: GetVehicle, _: &mut Self::Context) -> Self::Result {
        MessageResult(self.view())
    }
}
