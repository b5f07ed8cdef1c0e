//! The fleet as the dispatcher searches it: every vehicle in one index, and the vehicles
//! that can take an offer now (available and online) in a second one. A province has most
//! of its vehicles off duty or busy at any time (90,000 gateway trucks, crews on tickets);
//! an offer's search over one index had to step over all of them in every cell it opened,
//! and took a quarter of the engine's core under province load. The second index holds
//! only the ones an offer can go to, so the search meets no one it must skip for status.
//! Both are the same exact [`HexGrid`]; a fix moves a vehicle in each index that holds it.
//! A vehicle held for an offer (the dispatcher says which) is not ready either: with
//! thousands of offers open at once, leaving them out here costs nothing per search.

use super::{Candidate, GridConfig, GridVehicle, HexGrid, NearestQuery};
use crate::domain::clock::Timestamp;
use crate::domain::fleet::VehicleStatus;
use crate::domain::geo::LatLng;
use crate::domain::ids::VehicleId;
use h3o::CellIndex;
use std::collections::HashSet;

#[derive(Clone, Debug)]
pub struct FleetGrid {
    all: HexGrid,
    /// The vehicles `only_available` admits: `Available`, online and not held.
    ready: HexGrid,
    /// Vehicles held for an offer (known to the grid or not yet).
    held: HashSet<VehicleId>,
}

impl FleetGrid {
    pub fn new(config: GridConfig) -> Self {
        Self {
            all: HexGrid::new(config),
            ready: HexGrid::new(config),
            held: HashSet::new(),
        }
    }

    fn is_ready(&self, v: &GridVehicle) -> bool {
        v.status == VehicleStatus::Available && v.online && !self.held.contains(&v.id)
    }

    pub fn config(&self) -> GridConfig {
        self.all.config()
    }

    /// Inserts or replaces a vehicle; true when its cell changed (or it is new).
    pub fn upsert(&mut self, v: GridVehicle) -> bool {
        if self.is_ready(&v) {
            self.ready.upsert(v.clone());
        } else {
            self.ready.remove(&v.id);
        }
        self.all.upsert(v)
    }

    /// A fix (the hot path): no copy of the vehicle is made.
    pub fn move_to(&mut self, id: &VehicleId, position: LatLng, fix_at: Timestamp) -> bool {
        self.ready.move_to(id, position, fix_at);
        self.all.move_to(id, position, fix_at)
    }

    pub fn set_status(&mut self, id: &VehicleId, status: VehicleStatus) -> bool {
        let known = self.all.set_status(id, status);
        self.sync_ready(id);
        known
    }

    pub fn set_online(&mut self, id: &VehicleId, online: bool) -> bool {
        let known = self.all.set_online(id, online);
        self.sync_ready(id);
        known
    }

    /// Holds a vehicle for an offer (out of the ready index), or lets it go.
    pub fn set_held(&mut self, id: &VehicleId, held: bool) {
        if held {
            self.held.insert(id.clone());
        } else {
            self.held.remove(id);
        }
        self.sync_ready(id);
    }

    pub fn remove(&mut self, id: &VehicleId) -> bool {
        self.ready.remove(id);
        self.all.remove(id)
    }

    /// Files the vehicle in the ready index, or takes it out, as its state now says.
    fn sync_ready(&mut self, id: &VehicleId) {
        match self.all.get(id) {
            Some(v) if self.is_ready(&v) => {
                self.ready.upsert(v);
            }
            _ => {
                self.ready.remove(id);
            }
        }
    }

    /// The same answer as one index over every vehicle would give.
    pub fn nearest(&self, q: &NearestQuery) -> Vec<Candidate> {
        if q.only_available {
            self.ready.nearest(q)
        } else {
            self.all.nearest(q)
        }
    }

    pub fn get(&self, id: &VehicleId) -> Option<GridVehicle> {
        self.all.get(id)
    }

    pub fn all(&self) -> Vec<GridVehicle> {
        self.all.all()
    }

    pub fn len(&self) -> usize {
        self.all.len()
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// How many vehicles can take an offer now.
    pub fn ready_len(&self) -> usize {
        self.ready.len()
    }

    pub fn cell_of(&self, id: &VehicleId) -> Option<CellIndex> {
        self.all.cell_of(id)
    }

    pub fn compact(&mut self) {
        self.all.compact();
        self.ready.compact();
    }
}
