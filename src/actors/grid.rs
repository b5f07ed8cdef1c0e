//! The HexGridActor: owns the H3 index of where every vehicle is ([`HexGrid`]) and answers
//! nearest-eligible queries. Vehicle actors tell it about moves (only the latest fix of a
//! batch) and status changes; the dispatcher and the API ask it for candidates.

use actix::prelude::*;

use crate::domain::Timestamp;
use crate::domain::fleet::VehicleStatus;
use crate::domain::geo::LatLng;
use crate::domain::grid::{Candidate, GridConfig, GridVehicle, HexGrid, NearestQuery};
use crate::domain::ids::VehicleId;

pub struct HexGridActor {
    grid: HexGrid,
}

impl HexGridActor {
    pub fn new(config: GridConfig) -> Self {
        Self {
            grid: HexGrid::new(config),
        }
    }
}

impl Actor for HexGridActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // Every fix of a large fleet passes through here; a full mailbox drops updates
        // (counted) rather than blocking the vehicles.
        ctx.set_mailbox_capacity(1 << 16);
    }
}

/// Insert or replace a vehicle (registration, recovery, status with position).
#[derive(Message)]
#[rtype(result = "()")]
pub struct TrackVehicle(pub GridVehicle);

/// The latest accepted fix of a vehicle.
#[derive(Message)]
#[rtype(result = "()")]
pub struct MoveVehicle {
    pub id: VehicleId,
    pub position: LatLng,
    pub fix_at: Timestamp,
}

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
        self.grid.upsert(msg.0);
    }
}

impl Handler<MoveVehicle> for HexGridActor {
    type Result = ();
    fn handle(&mut self, msg: MoveVehicle, _: &mut Self::Context) {
        self.grid.move_to(&msg.id, msg.position, msg.fix_at);
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

impl Handler<FindNearest> for HexGridActor {
    type Result = MessageResult<FindNearest>;
    fn handle(&mut self, msg: FindNearest, _: &mut Self::Context) -> Self::Result {
        MessageResult(self.grid.nearest(&msg.0))
    }
}

impl Handler<ListTracked> for HexGridActor {
    type Result = MessageResult<ListTracked>;
    fn handle(&mut self, _: ListTracked, _: &mut Self::Context) -> Self::Result {
        MessageResult(self.grid.all())
    }
}
