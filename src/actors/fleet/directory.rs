//! The fleet's directory: one vehicle actor per registered vehicle and one team actor per
//! squad, started at boot from the roster and the persisted vehicle states, found by id.
//! A vehicle actor whose mailbox has closed is rebuilt from the roster and the store (the
//! generic [`Directory`](crate::actors::directory::Directory) does the finding); a team
//! actor holds only counts the dispatcher keeps sending, and is never rebuilt.

use std::collections::HashMap;
use std::sync::Arc;

use actix::prelude::*;
use parking_lot::RwLock;

use super::team::TeamActor;
use super::vehicle::{FleetDeps, VehicleActor};
use crate::actors::directory::Directory;
use crate::domain::fleet::VehicleState;
use crate::domain::ids::{TeamId, VehicleId};
use crate::domain::roster::{Team, Vehicle};
use crate::roster::Roster;
use crate::store::{RecordKind, StoreError};

pub struct FleetDirectory {
    vehicles: Directory<VehicleId, VehicleActor>,
    teams: RwLock<HashMap<TeamId, Addr<TeamActor>>>,
    deps: Arc<FleetDeps>,
}

impl FleetDirectory {
    /// `arbiters` run the vehicle actors; at least one is required.
    pub fn new(deps: Arc<FleetDeps>, arbiters: Vec<ArbiterHandle>) -> Self {
        Self {
            vehicles: Directory::new("vehicle", "hotline_vehicle_actor_rebuilds_total", arbiters),
            teams: RwLock::default(),
            deps,
        }
    }

    /// Starts an actor for every registered vehicle and team; returns the vehicle count.
    pub fn start_all(&self, roster: &Roster) -> Result<usize, StoreError> {
        for team in roster.list::<Team>()? {
            self.add_team(team);
        }
        let vehicles = roster.list::<Vehicle>()?;
        let n = vehicles.len();
        for v in vehicles {
            self.add(v)?;
        }
        Ok(n)
    }

    fn state_of(&self, id: &VehicleId) -> Result<VehicleState, StoreError> {
        match self
            .deps
            .store
            .record(RecordKind::VehicleState, id.as_str())?
        {
            Some(raw) => Ok(serde_json::from_slice(&raw)?),
            None => Ok(VehicleState::new(self.deps.clock.now())),
        }
    }

    /// What starts the actor of `vehicle`, from its persisted state.
    fn make(
        &self,
        vehicle: Vehicle,
    ) -> Result<impl FnOnce() -> VehicleActor + Send + 'static, StoreError> {
        let state = self.state_of(&vehicle.id)?;
        let deps = self.deps.clone();
        Ok(move || VehicleActor::new(vehicle, state, deps))
    }

    /// A newly registered vehicle (or one whose record changed) gets its live actor.
    pub fn add(&self, vehicle: Vehicle) -> Result<(), StoreError> {
        if let Some(addr) = self.vehicles.find(&vehicle.id) {
            addr.do_send(super::messages::UpdateRecord(vehicle));
            return Ok(());
        }
        let id = vehicle.id.clone();
        let make = self.make(vehicle)?;
        self.vehicles.start(&id, make);
        Ok(())
    }

    pub fn add_team(&self, team: Team) {
        let id = team.id.clone();
        let addr = TeamActor::new(team).start();
        self.teams.write().insert(id, addr);
    }

    /// The live actor of a vehicle, rebuilt from the roster and the store if its mailbox
    /// closed; `None` when the vehicle is not registered.
    pub fn vehicle(
        &self,
        id: &VehicleId,
        roster: &Roster,
    ) -> Result<Option<Addr<VehicleActor>>, StoreError> {
        self.vehicles
            .find_or_start(id, || match roster.vehicle(id)? {
                Some(record) => self.make(record).map(Some),
                None => Ok(None),
            })
    }

    /// The actor of a vehicle if it is live (no rebuild; for pushes).
    pub fn live_vehicle(&self, id: &VehicleId) -> Option<Addr<VehicleActor>> {
        self.vehicles.find(id)
    }

    pub fn team(&self, id: &TeamId) -> Option<Addr<TeamActor>> {
        self.teams.read().get(id).cloned()
    }

    pub fn vehicle_ids(&self) -> Vec<VehicleId> {
        self.vehicles.ids()
    }
}
