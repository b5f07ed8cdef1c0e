//! The fleet registry: one vehicle actor per registered vehicle and one team actor per
//! squad, started at boot from the roster and the persisted vehicle states, found by id,
//! and rebuilt from the store when an actor's mailbox has closed.

use std::collections::HashMap;
use std::sync::Arc;

use actix::prelude::*;
use parking_lot::RwLock;

use super::team::TeamActor;
use super::vehicle::{FleetDeps, VehicleActor};
use crate::domain::fleet::VehicleState;
use crate::domain::ids::{TeamId, VehicleId};
use crate::domain::registry::{Team, Vehicle};
use crate::roster::Roster;
use crate::store::{RecordKind, StoreError};

pub struct FleetRegistry {
    vehicles: RwLock<HashMap<VehicleId, Addr<VehicleActor>>>,
    teams: RwLock<HashMap<TeamId, Addr<TeamActor>>>,
    arbiters: Vec<ArbiterHandle>,
    deps: Arc<FleetDeps>,
}

impl FleetRegistry {
    pub fn new(deps: Arc<FleetDeps>, arbiters: Vec<ArbiterHandle>) -> Self {
        assert!(!arbiters.is_empty(), "vehicle actors need an arbiter");
        Self {
            vehicles: RwLock::default(),
            teams: RwLock::default(),
            arbiters,
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

    fn spawn(&self, vehicle: Vehicle, state: VehicleState) -> Addr<VehicleActor> {
        let i = self.vehicles.read().len() % self.arbiters.len();
        let deps = self.deps.clone();
        VehicleActor::start_in_arbiter(&self.arbiters[i], move |_| {
            VehicleActor::new(vehicle, state, deps)
        })
    }

    /// A newly registered vehicle (or one whose record changed) gets its live actor.
    pub fn add(&self, vehicle: Vehicle) -> Result<(), StoreError> {
        if let Some(addr) = self
            .vehicles
            .read()
            .get(&vehicle.id)
            .filter(|a| a.connected())
        {
            addr.do_send(super::messages::UpdateRecord(vehicle));
            return Ok(());
        }
        let state = self.state_of(&vehicle.id)?;
        let id = vehicle.id.clone();
        let addr = self.spawn(vehicle, state);
        self.vehicles.write().insert(id, addr);
        Ok(())
    }

    pub fn add_team(&self, team: Team) {
        let id = team.id.clone();
        let addr = TeamActor::new(team).start();
        self.teams.write().insert(id, addr);
    }

    /// The live actor of a vehicle, rebuilt from the store if its mailbox closed.
    pub fn vehicle(
        &self,
        id: &VehicleId,
        roster: &Roster,
    ) -> Result<Option<Addr<VehicleActor>>, StoreError> {
        if let Some(addr) = self.vehicles.read().get(id)
            && addr.connected()
        {
            return Ok(Some(addr.clone()));
        }
        let Some(record) = roster.vehicle(id)? else {
            return Ok(None);
        };
        tracing::warn!(vehicle_id = %id, "vehicle actor missing; rebuilding from the store");
        metrics::counter!("hotline_vehicle_actor_rebuilds_total").increment(1);
        let state = self.state_of(id)?;
        let addr = self.spawn(record, state);
        self.vehicles.write().insert(id.clone(), addr.clone());
        Ok(Some(addr))
    }

    /// The actor of a vehicle if it is live (no rebuild; for pushes).
    pub fn live_vehicle(&self, id: &VehicleId) -> Option<Addr<VehicleActor>> {
        self.vehicles
            .read()
            .get(id)
            .filter(|a| a.connected())
            .cloned()
    }

    pub fn team(&self, id: &TeamId) -> Option<Addr<TeamActor>> {
        self.teams.read().get(id).cloned()
    }

    pub fn vehicle_ids(&self) -> Vec<VehicleId> {
        self.vehicles.read().keys().cloned().collect()
    }
}
