//! The HexGridActor: owns the H3 index of where every vehicle is ([`FleetGrid`]: every
//! vehicle, and apart those that can take an offer now) and answers nearest-eligible
//! queries. Vehicle actors tell it about status changes by message and
//! about moves through [`GridMoves`]; the dispatcher tells it which vehicles hold an offer
//! ([`HoldVehicle`]: not ready) and, with the API, asks it for candidates.
//!
//! Moves do not queue one message per fix. A province's fleet reports 100,000 fixes a
//! second, and one actor's thread behind a queue of them served every query late and every
//! position stale (the queue also dropped updates when it filled). Moves go into a
//! latest-wins map instead ([`LatestWins`]): a vehicle's newer fix replaces its waiting one
//! (counted in `hotline_fixes_thinned_total{stage="grid"}`), the first move after a drain
//! sends the one `DrainMoves` wake-up, and the actor applies the whole map in one turn. So
//! the work waiting is bounded by the fleet's size, the grid's mailbox holds at most one
//! wake-up for moves, and a move is never older than the latest fix taken. Every query and
//! every insert drains the map first, so what the grid answers is never behind the fixes
//! taken before the question was asked.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use parking_lot::Mutex;

use crate::domain::Timestamp;
use crate::domain::fleet::VehicleStatus;
use crate::domain::geo::LatLng;
use crate::domain::grid::pending::{LatestWins, Put};
use crate::domain::grid::{Candidate, FleetGrid, GridConfig, GridVehicle, NearestQuery};
use crate::domain::ids::VehicleId;

/// How often the grid drains waiting moves without being asked (a wake-up refused by a
/// full mailbox is asked for again by the next move; this bounds the wait if none comes).
const DRAIN_EVERY: Duration = Duration::from_millis(250);

/// A vehicle's latest position waiting for the grid.
#[derive(Clone, Copy, Debug)]
struct Move {
    position: LatLng,
    fix_at: Timestamp,
}

type Waiting = Arc<Mutex<LatestWins<VehicleId, Move>>>;

/// The vehicles' way to tell the grid a move: latest wins per vehicle, one wake-up.
#[derive(Clone)]
pub struct GridMoves {
    waiting: Waiting,
    grid: Addr<HexGridActor>,
}

impl GridMoves {
    /// Attaches a move buffer to `grid` (the grid drains it from then on).
    pub fn attach(grid: Addr<HexGridActor>) -> Self {
        let waiting = Waiting::default();
        // Our own wiring, not network input: it may pass the mailbox bound.
        grid.do_send(AttachMoves(waiting.clone()));
        Self { waiting, grid }
    }

    /// The latest accepted fix of a vehicle.
    pub fn put(&self, id: VehicleId, position: LatLng, fix_at: Timestamp) {
        let put = self.waiting.lock().put(id, Move { position, fix_at });
        match put {
            Put::AskDrain => {
                if self.grid.try_send(DrainMoves).is_err() {
                    metrics::counter!("hotline_grid_updates_dropped_total").increment(1);
                    self.waiting.lock().unask();
                }
            }
            Put::Held => {}
            Put::Replaced => {
                metrics::counter!("hotline_fixes_thinned_total", "stage" => "grid").increment(1);
            }
        }
    }
}

pub struct HexGridActor {
    grid: FleetGrid,
    /// Moves waiting to be applied (none until a [`GridMoves`] is attached).
    moves: Option<Waiting>,
    /// Moves drained before their vehicle's `TrackVehicle` was handled (it may still be
    /// queued behind a wake-up): applied when it is, if newer. At most one per vehicle.
    early: HashMap<VehicleId, Move>,
}

impl HexGridActor {
    pub fn new(config: GridConfig) -> Self {
        Self {
            grid: FleetGrid::new(config),
            moves: None,
            early: HashMap::new(),
        }
    }

    /// Applies every waiting move (a newer position already in the grid is kept).
    fn drain(&mut self) {
        let Some(waiting) = &self.moves else { return };
        let moves = {
            let mut w = waiting.lock();
            if w.is_empty() {
                w.unask();
                metrics::gauge!("hotline_grid_moves_waiting").set(0.0);
                return;
            }
            w.drain()
        };
        metrics::gauge!("hotline_grid_moves_waiting").set(moves.len() as f64);
        for (id, m) in moves {
            match self.grid.get(&id) {
                Some(v) if v.fix_at <= m.fix_at => {
                    self.grid.move_to(&id, m.position, m.fix_at);
                }
                Some(_) => {}
                None => {
                    let kept = self.early.entry(id).or_insert(m);
                    if kept.fix_at < m.fix_at {
                        *kept = m;
                    }
                }
            }
        }
    }
}

impl Actor for HexGridActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // Every fix of a large fleet passes through here; a full mailbox drops updates
        // (counted) rather than blocking the vehicles.
        ctx.set_mailbox_capacity(1 << 16);
        ctx.run_interval(DRAIN_EVERY, |act, _| act.drain());
    }
}

/// From now on, drain `0`.
#[derive(Message)]
#[rtype(result = "()")]
struct AttachMoves(Waiting);

/// Moves are waiting.
#[derive(Message)]
#[rtype(result = "()")]
struct DrainMoves;

impl Handler<AttachMoves> for HexGridActor {
    type Result = ();
    fn handle(&mut self, msg: AttachMoves, _: &mut Self::Context) {
        self.drain();
        self.moves = Some(msg.0);
    }
}

impl Handler<DrainMoves> for HexGridActor {
    type Result = ();
    fn handle(&mut self, _: DrainMoves, _: &mut Self::Context) {
        self.drain();
    }
}

/// Insert or replace a vehicle (registration, recovery, status with position).
#[derive(Message)]
#[rtype(result = "()")]
pub struct TrackVehicle(pub GridVehicle);

#[derive(Message)]
#[rtype(result = "()")]
pub struct SetGridStatus {
    pub id: VehicleId,
    pub status: VehicleStatus,
}

/// The vehicle's device went online or offline.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SetGridOnline {
    pub id: VehicleId,
    pub online: bool,
}

/// The dispatcher holds the vehicle for an offer (or lets it go): a held vehicle is not
/// offered another.
#[derive(Message)]
#[rtype(result = "()")]
pub struct HoldVehicle {
    pub id: VehicleId,
    pub held: bool,
}

/// The nearest eligible vehicles, sorted by distance.
#[derive(Message)]
#[rtype(result = "Vec<Candidate>")]
pub struct FindNearest(pub NearestQuery);

/// Every tracked vehicle (for snapshots).
#[derive(Message)]
#[rtype(result = "Vec<GridVehicle>")]
pub struct ListTracked;

impl Handler<TrackVehicle> for HexGridActor {
    type Result = ();
    fn handle(&mut self, msg: TrackVehicle, _: &mut Self::Context) {
        self.drain();
        let mut v = msg.0;
        // A move taken after this entry was made may already be here (in the grid, or
        // drained before the vehicle was): keep the newest fix.
        let early = self.early.remove(&v.id);
        let known = self.grid.get(&v.id).map(|g| Move {
            position: g.position,
            fix_at: g.fix_at,
        });
        for m in [known, early].into_iter().flatten() {
            if m.fix_at > v.fix_at {
                (v.position, v.fix_at) = (m.position, m.fix_at);
            }
        }
        self.grid.upsert(v);
    }
}

impl Handler<SetGridStatus> for HexGridActor {
    type Result = ();
    fn handle(&mut self, msg: SetGridStatus, _: &mut Self::Context) {
        self.grid.set_status(&msg.id, msg.status);
    }
}

impl Handler<SetGridOnline> for HexGridActor {
    type Result = ();
    fn handle(&mut self, msg: SetGridOnline, _: &mut Self::Context) {
        self.grid.set_online(&msg.id, msg.online);
    }
}

impl Handler<HoldVehicle> for HexGridActor {
    type Result = ();
    fn handle(&mut self, msg: HoldVehicle, _: &mut Self::Context) {
        self.grid.set_held(&msg.id, msg.held);
    }
}

impl Handler<FindNearest> for HexGridActor {
    type Result = MessageResult<FindNearest>;
    fn handle(&mut self, msg: FindNearest, _: &mut Self::Context) -> Self::Result {
        self.drain();
        MessageResult(self.grid.nearest(&msg.0))
    }
}

impl Handler<ListTracked> for HexGridActor {
    type Result = MessageResult<ListTracked>;
    fn handle(&mut self, _: ListTracked, _: &mut Self::Context) -> Self::Result {
        self.drain();
        MessageResult(self.grid.all())
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::domain::catalog::Department;
    use crate::domain::ids::TeamId;

    fn at(s: i64) -> Timestamp {
        Timestamp::parse("2026-11-27T08:00:00Z").expect("time") + time::Duration::seconds(s)
    }

    fn vehicle(id: &str, lat: f64, fix_at: Timestamp) -> GridVehicle {
        GridVehicle {
            id: VehicleId::from_str(id).expect("id"),
            position: LatLng::new(lat, 115.5).expect("position"),
            fix_at,
            status: VehicleStatus::Available,
            online: true,
            department: Department::ALL[0],
            team: TeamId::from_str("T-1").expect("team"),
        }
    }

    async fn lat_of(grid: &Addr<HexGridActor>, id: &str) -> f64 {
        let all = grid.send(ListTracked).await.expect("grid");
        all.iter()
            .find(|v| v.id.as_str() == id)
            .expect("tracked")
            .position
            .lat()
    }

    #[actix_web::test]
    async fn waiting_moves_are_applied_latest_first_and_a_track_never_goes_back() {
        let grid = HexGridActor::new(GridConfig::default()).start();
        let moves = GridMoves::attach(grid.clone());
        grid.send(TrackVehicle(vehicle("V-1", 30.0, at(0))))
            .await
            .expect("grid");
        let id = VehicleId::from_str("V-1").expect("id");
        for s in 1..=100 {
            let p = LatLng::new(30.0 + s as f64 * 0.001, 115.5).expect("position");
            moves.put(id.clone(), p, at(s));
        }
        // A query drains first: it sees the latest move, whatever the wake-ups did.
        assert!((lat_of(&grid, "V-1").await - 30.1).abs() < 1e-9);
        // A track made before the last move (an older fix) keeps the newer position.
        moves.put(id.clone(), LatLng::new(30.2, 115.5).expect("p"), at(200));
        grid.send(TrackVehicle(vehicle("V-1", 30.15, at(150))))
            .await
            .expect("grid");
        assert!((lat_of(&grid, "V-1").await - 30.2).abs() < 1e-9);
        assert_eq!(moves.waiting.lock().len(), 0);
    }

    /// A move drained before its vehicle is tracked (the track still queued) is kept and
    /// applied by the track, not dropped.
    #[actix_web::test]
    async fn a_move_drained_before_its_vehicle_is_tracked_is_kept() {
        let grid = HexGridActor::new(GridConfig::default()).start();
        let moves = GridMoves::attach(grid.clone());
        let id = VehicleId::from_str("V-2").expect("id");
        moves.put(id, LatLng::new(30.3, 115.5).expect("p"), at(50));
        grid.send(DrainMoves).await.expect("grid");
        grid.send(TrackVehicle(vehicle("V-2", 30.0, at(10))))
            .await
            .expect("grid");
        assert!((lat_of(&grid, "V-2").await - 30.3).abs() < 1e-9);
    }
}
