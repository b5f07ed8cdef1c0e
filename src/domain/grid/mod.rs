//! The hex grid behind the HexGridActor: the live fleet indexed by H3 cell, answering "the
//! nearest eligible vehicles to this point" exactly — never a vehicle when an eligible one is
//! closer — for a sparse county fleet and a dense one of 100,000 alike.
//!
//! Vehicles live in slots behind an id index; each sits in exactly one fine cell
//! (resolution 9 by default), whose member list carries a one-cache-line copy of what the
//! search reads, and one coarse cell (resolution 6). Every cell keeps a bounding cap (centre +
//! radius) that is raised whenever a vehicle lies outside it, so pruning a cell by
//! `distance(query, centre) − radius` is exact by the triangle inequality alone. Small fleets
//! are scanned; otherwise the fine rings around the query run first and stop on a lattice
//! bound ([`geom`] derives it), and anything they cannot settle goes to a best-first walk of
//! the coarse cells. Files: `cells.rs` keeps the cells right, `geom.rs` holds the geometry and
//! the bounds, `search.rs` the query, `phases.rs` the two phases, `tests.rs` the comparison
//! with brute force; `pending.rs` holds fixes waiting under load (latest wins per vehicle).

mod cells;
mod geom;
pub mod pending;
mod phases;
mod ready;
mod search;

pub use ready::FleetGrid;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use h3o::{CellIndex, Resolution};

use crate::domain::catalog::Department;
use crate::domain::clock::Timestamp;
use crate::domain::fleet::VehicleStatus;
use crate::domain::geo::LatLng;
use crate::domain::ids::{TeamId, VehicleId};

use cells::{IdKey, Member};
use geom::{CellHash, CellShape, Point, Side, cell_at};

/// How the grid is cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GridConfig {
    /// Resolution searched ring by ring around a query (9: edges of ~175–194 m in Wuxue).
    pub fine_resolution: Resolution,
    /// Resolution of the cells the search falls back to when the neighbourhood is thin
    /// (6: edges of ~3.3–3.7 km). Clamped to be no finer than `fine_resolution`.
    pub coarse_resolution: Resolution,
    /// Fleets with fewer vehicles than this are scanned: below it a scan beats any index.
    pub scan_below: usize,
}

impl Default for GridConfig {
    fn default() -> Self {
        Self {
            fine_resolution: Resolution::Nine,
            coarse_resolution: Resolution::Six,
            scan_below: 64,
        }
    }
}

/// A vehicle as the grid knows it.
#[derive(Clone, Debug, PartialEq)]
pub struct GridVehicle {
    pub id: VehicleId,
    /// Last accepted fix.
    pub position: LatLng,
    /// When that fix was taken: old fixes are stale.
    pub fix_at: Timestamp,
    /// Only `Available` vehicles are offered work.
    pub status: VehicleStatus,
    /// Its device can be reached (a connected socket, or a gateway's recent fix): only
    /// online vehicles are offered work.
    pub online: bool,
    pub department: Department,
    pub team: TeamId,
}

/// A nearest-vehicle question.
#[derive(Clone, Debug, PartialEq)]
pub struct NearestQuery {
    pub origin: LatLng,
    /// At most this many answers.
    pub limit: usize,
    /// Farther vehicles are left out (inclusive bound).
    pub max_radius_m: Option<f64>,
    pub department: Option<Department>,
    pub team: Option<TeamId>,
    /// Only vehicles that can take work: `Available` and online.
    pub only_available: bool,
    /// Fixes older than this are stale.
    pub max_fix_age: Option<time::Duration>,
    /// Return stale vehicles too (flagged `stale`) instead of leaving them out.
    pub include_stale: bool,
    /// "Now" for staleness, from the injected clock.
    pub now: Timestamp,
    /// Vehicles never to return (e.g. those that already refused this ticket).
    pub exclude: Vec<VehicleId>,
}

/// One answer: an eligible vehicle and its great-circle distance from the query.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub id: VehicleId,
    pub position: LatLng,
    /// Haversine metres, equal to `origin.distance_m(position)`.
    pub distance_m: f64,
    pub fix_at: Timestamp,
    /// The fix is older than the query's `max_fix_age` (only with `include_stale`).
    pub stale: bool,
    pub status: VehicleStatus,
    pub department: Department,
    pub team: TeamId,
}

/// A vehicle's record in the grid (its fine cell is kept in the index, see [`Loc`]).
#[derive(Clone, Debug)]
struct Slot {
    vehicle: GridVehicle,
    point: Point,
    /// Interned team, so filters compare integers.
    team: u32,
    coarse: CellIndex,
    /// Index in the coarse cell's `members`.
    coarse_pos: u32,
    /// False once removed; the slot waits in `free` for reuse.
    live: bool,
}

/// Where a vehicle is filed, kept in the id index itself so that a fix that stays in its
/// cell reads only the index entry and the cell (two cache misses on a big fleet, not four).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Loc {
    slot: u32,
    fine: CellIndex,
    /// Index in the fine cell's `members`.
    fine_pos: u32,
}

/// Marks a fine cell not listed in its coarse cell (it is empty).
const NOT_LISTED: u32 = u32::MAX;

#[derive(Clone, Debug)]
struct FineCell {
    shape: CellShape,
    /// Sides and neighbours, so ring 1 is pruned edge by edge (none for odd cells).
    sides: Option<[Side; 6]>,
    /// Index in the coarse cell's `fine_cells` while non-empty.
    listed_at: u32,
    members: Vec<Member>,
}

#[derive(Clone, Debug)]
struct CoarseCell {
    shape: CellShape,
    /// Shortest fine edge near this cell: the `e` of the ring bound.
    ring_edge_m: f64,
    members: Vec<u32>,
    /// Non-empty fine cells inside, for the best-first descent.
    fine_cells: Vec<CellIndex>,
}

/// The index. Empty cells are kept (they cache geometry, bounded by the area the fleet ever
/// covered) until [`HexGrid::compact`].
#[derive(Clone, Debug)]
pub struct HexGrid {
    config: GridConfig,
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// Id → where the vehicle is; short ids are keyed inline so a lookup reads no heap string.
    index: HashMap<IdKey, Loc>,
    fine: HashMap<CellIndex, FineCell, CellHash>,
    coarse: HashMap<CellIndex, CoarseCell, CellHash>,
    teams: HashMap<TeamId, u32>,
    /// Interned teams by code; answers clone these (hot in cache) rather than the slot's.
    team_names: Vec<TeamId>,
}

fn idx(i: u32) -> usize {
    i as usize
}

fn pos32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

impl HexGrid {
    /// An empty grid.
    pub fn new(config: GridConfig) -> Self {
        let config = GridConfig {
            coarse_resolution: config.coarse_resolution.min(config.fine_resolution),
            ..config
        };
        Self {
            config,
            slots: Vec::new(),
            free: Vec::new(),
            index: HashMap::new(),
            fine: HashMap::default(),
            coarse: HashMap::default(),
            teams: HashMap::new(),
            team_names: Vec::new(),
        }
    }

    /// The configuration in force (after clamping).
    pub fn config(&self) -> GridConfig {
        self.config
    }

    /// Inserts or moves a vehicle; touches the cell maps only when its fine cell changes
    /// (otherwise its inline copy is refreshed in place). Returns whether the cell changed
    /// (true for a new vehicle).
    pub fn upsert(&mut self, v: GridVehicle) -> bool {
        let point = Point::new(v.position);
        let team = self.intern(&v.team);
        let cell = cell_at(v.position, self.config.fine_resolution);
        let key = IdKey::of(&v.id);
        if let Some(&loc) = self.index.get(&key) {
            let changed = cell != loc.fine;
            if changed {
                self.detach(loc);
            }
            let slot = &mut self.slots[idx(loc.slot)];
            slot.vehicle = v;
            slot.point = point;
            slot.team = team;
            if changed {
                self.attach(key, loc.slot, cell);
            } else {
                self.refresh_member(loc);
                self.cover(loc.slot, cell);
            }
            return changed;
        }
        let slot = Slot {
            vehicle: v,
            point,
            team,
            coarse: cell,
            coarse_pos: 0,
            live: true,
        };
        let s = match self.free.pop() {
            Some(s) => {
                self.slots[idx(s)] = slot;
                s
            }
            None => {
                self.slots.push(slot);
                pos32(self.slots.len() - 1)
            }
        };
        self.attach(key, s, cell);
        true
    }

    /// Updates position + fix time only (the hot path for GPS fixes); false if unknown id.
    /// A fix well inside the current cell (a disc at 95 % of the centre-to-edge distance)
    /// skips the H3 lookup and touches only the index entry, the cell and the two copies.
    pub fn move_to(&mut self, id: &VehicleId, position: LatLng, fix_at: Timestamp) -> bool {
        let key = IdKey::of(id);
        let Some(&loc) = self.index.get(&key) else {
            return false;
        };
        let point = Point::new(position);
        let stays = match self.fine.get_mut(&loc.fine) {
            Some(cell) if cell.shape.surely_holds(point) => {
                if let Some(m) = cell.members.get_mut(idx(loc.fine_pos)) {
                    m.set_fix(position, fix_at);
                }
                true
            }
            _ => false,
        };
        let slot = &mut self.slots[idx(loc.slot)];
        (slot.point, slot.vehicle.position, slot.vehicle.fix_at) = (point, position, fix_at);
        if stays {
            return true;
        }
        let cell = cell_at(position, self.config.fine_resolution);
        if cell == loc.fine {
            self.refresh_member(loc);
            self.cover(loc.slot, cell);
        } else {
            self.detach(loc);
            self.attach(key, loc.slot, cell);
        }
        true
    }

    /// Sets a vehicle's status; false if unknown id.
    pub fn set_status(&mut self, id: &VehicleId, status: VehicleStatus) -> bool {
        let Some(&loc) = self.index.get(&IdKey::of(id)) else {
            return false;
        };
        self.slots[idx(loc.slot)].vehicle.status = status;
        self.refresh_member(loc);
        true
    }

    /// Sets whether a vehicle is online; false if unknown id.
    pub fn set_online(&mut self, id: &VehicleId, online: bool) -> bool {
        let Some(&loc) = self.index.get(&IdKey::of(id)) else {
            return false;
        };
        self.slots[idx(loc.slot)].vehicle.online = online;
        self.refresh_member(loc);
        true
    }

    /// Removes a vehicle; false if unknown id.
    pub fn remove(&mut self, id: &VehicleId) -> bool {
        let Some(loc) = self.index.remove(&IdKey::of(id)) else {
            return false;
        };
        self.detach(loc);
        self.slots[idx(loc.slot)].live = false;
        self.free.push(loc.slot);
        true
    }

    /// A vehicle as last told.
    pub fn get(&self, id: &VehicleId) -> Option<GridVehicle> {
        self.index
            .get(&IdKey::of(id))
            .map(|loc| self.slots[idx(loc.slot)].vehicle.clone())
    }

    /// Every vehicle, sorted by id (for snapshots).
    pub fn all(&self) -> Vec<GridVehicle> {
        let mut all: Vec<GridVehicle> = self
            .slots
            .iter()
            .filter(|s| s.live)
            .map(|s| s.vehicle.clone())
            .collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all
    }

    /// Number of vehicles.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether no vehicle is indexed.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The fine cell a vehicle is filed under.
    pub fn cell_of(&self, id: &VehicleId) -> Option<CellIndex> {
        self.index.get(&IdKey::of(id)).map(|loc| loc.fine)
    }

    /// Drops the cached geometry of empty cells.
    pub fn compact(&mut self) {
        self.fine.retain(|_, c| !c.members.is_empty());
        self.coarse.retain(|_, c| !c.members.is_empty());
    }
}
