//! The exact nearest search. Small fleets are scanned. Otherwise, where the query's coarse
//! cell is busy, fine cells are visited ring by ring around the query's cell and the search
//! stops as soon as [`ring_bound_m`] proves every unvisited cell is farther than the current
//! k-th best. If the rings run out (thin neighbourhood, restrictive filters, a pentagon),
//! the coarse phase visits the non-empty coarse cells best-first by cap lower bound,
//! descending best-first into the fine cells of busy ones: that phase needs only the
//! triangle inequality, so it is exact anywhere. Within a cell a trig-free bound rejects
//! most vehicles before the haversine is computed.

use std::cmp::Ordering;

use h3o::CellIndex;
use time::{Duration, OffsetDateTime};

use super::geom::{Point, cap_lower_bound_m, cell_at, hav_cut, ring_bound_m};
use super::{Candidate, CoarseCell, FineCell, HexGrid, Member, NearestQuery, Slot, idx};
use crate::domain::catalog::Department;
use crate::domain::clock::Timestamp;
use crate::domain::fleet::VehicleStatus;
use crate::domain::ids::TeamId;

/// The fine rings are tried when the query's coarse cell holds at least this many vehicles
/// per requested answer (a resolution-6 cell has 343 resolution-9 cells).
const FINE_MIN_PER_RESULT: usize = 32;
/// Rings searched before handing over to the coarse phase (ring 8: ~1.5 km in Wuxue).
const FINE_MAX_RING: u32 = 8;
/// Coarse cells with at most this many vehicles are scanned rather than descended into.
const DESCEND_ABOVE: usize = 48;

/// The query with its filters resolved to what the members carry.
struct Prepared {
    origin: Point,
    only_available: bool,
    department: Option<Department>,
    team: Option<u32>,
    now: OffsetDateTime,
    max_fix_age: Option<Duration>,
    include_stale: bool,
    /// Excluded slots, sorted.
    exclude: Vec<u32>,
}

impl Prepared {
    fn admits(&self, status: VehicleStatus, department: Department, team: u32) -> bool {
        (!self.only_available || status == VehicleStatus::Available)
            && self.department.is_none_or(|d| d == department)
            && self.team.is_none_or(|t| t == team)
    }

    fn is_stale(&self, fix_at: Timestamp) -> bool {
        self.max_fix_age
            .is_some_and(|age| self.now - fix_at.inner() > age)
    }
}

/// One answer so far; `member` when found in a fine cell (the answer is built from it).
#[derive(Clone, Copy)]
struct Hit<'g> {
    d: f64,
    slot: u32,
    member: Option<&'g Member>,
}

/// The best answers so far, sorted by (distance, id), and the bound they imply.
struct Best<'g> {
    limit: usize,
    items: Vec<Hit<'g>>,
    /// Anything farther than this cannot enter (ties may, to be ordered by id).
    bound: f64,
    /// `hav_cut(bound)`, for the trig-free rejection.
    hav_bound: f64,
    /// Set when a vehicle may be offered twice (the coarse phase after the rings).
    dedupe: bool,
}

impl<'g> Best<'g> {
    fn new(limit: usize, max_radius: f64, capacity: usize) -> Self {
        Self {
            limit,
            items: Vec::with_capacity(limit.min(capacity)),
            bound: max_radius,
            hav_bound: hav_cut(max_radius),
            dedupe: false,
        }
    }

    fn offer(&mut self, hit: Hit<'g>, slots: &[Slot]) {
        if self.dedupe && self.items.iter().any(|h| h.slot == hit.slot) {
            return;
        }
        // Ties (equal distances) are rare: only then are ids read from the slots.
        let key = |h: &Hit<'_>| {
            h.d.total_cmp(&hit.d).then_with(|| {
                slots[idx(h.slot)]
                    .vehicle
                    .id
                    .cmp(&slots[idx(hit.slot)].vehicle.id)
            })
        };
        if self.items.len() == self.limit {
            match self.items.last() {
                Some(last) if key(last) == Ordering::Greater => {
                    self.items.pop();
                }
                _ => return,
            }
        }
        let at = self.items.partition_point(|e| key(e) == Ordering::Less);
        self.items.insert(at, hit);
        if self.items.len() == self.limit
            && let Some(last) = self.items.last()
            && last.d < self.bound
        {
            self.bound = last.d;
            self.hav_bound = hav_cut(last.d);
        }
    }
}

/// How far the first two rings got.
enum Walk {
    /// The answer is complete.
    Done,
    /// Rings 0 and 1 are visited; farther rings may matter.
    More,
    /// H3 could not walk ring 1 (pentagon).
    Failed,
}

/// One running search.
struct Search<'g> {
    grid: &'g HexGrid,
    q: Prepared,
    best: Best<'g>,
}

impl<'g> Search<'g> {
    fn visit(&mut self, s: u32, point: Point, fix_at: Timestamp, member: Option<&'g Member>) {
        if self.q.exclude.binary_search(&s).is_ok() {
            return;
        }
        let d = self.q.origin.distance_m(point);
        if d > self.best.bound || (!self.q.include_stale && self.q.is_stale(fix_at)) {
            return;
        }
        self.best
            .offer(Hit { d, slot: s, member }, &self.grid.slots);
    }

    fn finish(self) -> Vec<Candidate> {
        let grid = self.grid;
        let q = &self.q;
        let answer = |h: &Hit<'_>| {
            let slot = &grid.slots[idx(h.slot)];
            let team = grid
                .team_names
                .get(idx(slot_team(h, slot)))
                .unwrap_or(&slot.vehicle.team)
                .clone();
            match h.member.and_then(|m| Some((m, m.id.get()?))) {
                // Everything from the inline copy: the slot is never touched.
                Some((m, id)) => Candidate {
                    id,
                    position: m.position,
                    distance_m: h.d,
                    fix_at: m.fix_at,
                    stale: q.is_stale(m.fix_at),
                    status: m.status,
                    department: m.department,
                    team,
                },
                None => candidate(
                    &slot.vehicle,
                    h.d,
                    q.is_stale(slot.vehicle.fix_at),
                    Some(&team),
                ),
            }
        };
        self.best.items.iter().map(answer).collect()
    }

    fn scan_members(&mut self, members: &'g [Member]) {
        for m in members {
            if self.q.origin.hav_lower_bound(m.point) > self.best.hav_bound
                || !self.q.admits(m.status, m.department, m.team)
            {
                continue;
            }
            self.visit(m.slot, m.point, m.fix_at, Some(m));
        }
    }

    fn scan_slot(&mut self, s: u32) {
        let slot = &self.grid.slots[idx(s)];
        if !slot.live
            || self.q.origin.hav_lower_bound(slot.point) > self.best.hav_bound
            || !self
                .q
                .admits(slot.vehicle.status, slot.vehicle.department, slot.team)
        {
            return;
        }
        self.visit(s, slot.point, slot.vehicle.fix_at, None);
    }

    fn scan_fine(&mut self, cell: &'g FineCell) {
        let lb = cap_lower_bound_m(self.q.origin, cell.shape.center, cell.shape.radius_m);
        if lb <= self.best.bound {
            self.scan_members(&cell.members);
        }
    }

    /// Ring 0 and 1 around `origin`; true when the answer is proven complete. With the
    /// origin cell's sides known, ring 1 is pruned side by side: a neighbour lies beyond the
    /// line of the edge it shares, so its distance is at least the query's distance to that
    /// line, and every cell outside the origin cell is at least the smallest such distance away.
    fn near_rings(&mut self, origin: CellIndex) -> Walk {
        let grid = self.grid;
        let Some(home) = grid.fine.get(&origin) else {
            return if self.ring(origin, 0) && self.ring(origin, 1) {
                Walk::More
            } else {
                Walk::Failed
            };
        };
        self.scan_members(&home.members);
        let Some(sides) = &home.sides else {
            return if self.ring(origin, 1) {
                Walk::More
            } else {
                Walk::Failed
            };
        };
        let xy = home.shape.center.local_xy(self.q.origin);
        let mut outside = f64::INFINITY;
        for side in sides.iter() {
            let lb = side.lower_bound_m(xy);
            outside = outside.min(lb);
            if lb <= self.best.bound
                && let Some(fine) = grid.fine.get(&side.neighbor)
                && !fine.members.is_empty()
            {
                self.scan_fine(fine);
            }
        }
        if outside > self.best.bound {
            Walk::Done
        } else {
            Walk::More
        }
    }

    /// Visits ring `k`; false if H3 cannot walk it (pentagon distortion).
    fn ring(&mut self, origin: CellIndex, k: u32) -> bool {
        for cell in origin.grid_ring_fast(k) {
            let Some(cell) = cell else { return false };
            if let Some(fine) = self.grid.fine.get(&cell)
                && !fine.members.is_empty()
            {
                self.scan_fine(fine);
            }
        }
        true
    }

    /// Rings 0..=FINE_MAX_RING around `origin`; true when the answer is proven complete:
    /// ring `k` is skipped, and the search ends, once [`ring_bound_m`] of `k` exceeds the
    /// current bound.
    fn rings(&mut self, origin: CellIndex, edge_m: f64) -> bool {
        match self.near_rings(origin) {
            Walk::Done => return true,
            Walk::Failed => return false,
            Walk::More => {}
        }
        for k in 2..=FINE_MAX_RING {
            if ring_bound_m(k, edge_m) > self.best.bound {
                return true;
            }
            if !self.ring(origin, k) {
                return false;
            }
        }
        ring_bound_m(FINE_MAX_RING + 1, edge_m) > self.best.bound
    }

    /// Best-first over non-empty coarse cells by cap lower bound, starting with the query's
    /// own (`home`) so that a finite bound prunes the rest before they are sorted; exact on
    /// its own.
    fn coarse(&mut self, home: CellIndex) {
        let grid = self.grid;
        let home_cell = grid.coarse.get(&home);
        if let Some(cell) = home_cell {
            self.coarse_cell(cell);
        }
        let origin = self.q.origin;
        let mut order: Vec<(f64, &CoarseCell)> = grid
            .coarse
            .values()
            .filter(|c| !c.members.is_empty() && !home_cell.is_some_and(|h| std::ptr::eq(h, *c)))
            .map(|c| {
                (
                    cap_lower_bound_m(origin, c.shape.center, c.shape.radius_m),
                    c,
                )
            })
            .filter(|&(lb, _)| lb <= self.best.bound)
            .collect();
        order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        for (lb, cell) in order {
            if lb > self.best.bound {
                break;
            }
            self.coarse_cell(cell);
        }
    }

    fn coarse_cell(&mut self, cell: &'g CoarseCell) {
        if cell.members.len() <= DESCEND_ABOVE {
            for &s in &cell.members {
                self.scan_slot(s);
            }
        } else {
            self.descend(cell);
        }
    }

    fn descend(&mut self, coarse: &'g CoarseCell) {
        let origin = self.q.origin;
        let fine = &self.grid.fine;
        let mut order: Vec<(f64, &FineCell)> = coarse
            .fine_cells
            .iter()
            .filter_map(|c| fine.get(c))
            .map(|c| {
                (
                    cap_lower_bound_m(origin, c.shape.center, c.shape.radius_m),
                    c,
                )
            })
            .filter(|&(lb, _)| lb <= self.best.bound)
            .collect();
        order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        for (lb, cell) in order {
            if lb > self.best.bound {
                break;
            }
            self.scan_members(&cell.members);
        }
    }
}

impl HexGrid {
    /// Up to `limit` eligible vehicles sorted by haversine distance (ties by id), exact:
    /// no eligible vehicle left out is closer than the last one returned.
    pub fn nearest(&self, q: &NearestQuery) -> Vec<Candidate> {
        let Some(mut search) = self.start(q) else {
            return Vec::new();
        };
        if self.len() < self.config.scan_below {
            for s in 0..self.slots.len() {
                search.scan_slot(super::pos32(s));
            }
            return search.finish();
        }
        let cell = cell_at(q.origin, self.config.fine_resolution);
        let parent = cell.parent(self.config.coarse_resolution).unwrap_or(cell);
        let wanted = q.limit.min(self.len()).saturating_mul(FINE_MIN_PER_RESULT);
        if let Some(coarse) = self.coarse.get(&parent)
            && coarse.members.len() >= wanted
            && !cell.is_pentagon()
        {
            if search.rings(cell, coarse.ring_edge_m) {
                return search.finish();
            }
            search.best.dedupe = true;
        }
        search.coarse(parent);
        search.finish()
    }

    /// The reference: a scan of every vehicle, same eligibility and ordering, written
    /// independently of the index (public `LatLng::distance_m`, ids and teams compared as is).
    pub fn nearest_by_scan(&self, q: &NearestQuery) -> Vec<Candidate> {
        let mut all: Vec<Candidate> = self
            .slots
            .iter()
            .filter(|s| s.live)
            .map(|s| &s.vehicle)
            .filter(|v| !q.only_available || v.status == VehicleStatus::Available)
            .filter(|v| q.department.is_none_or(|d| d == v.department))
            .filter(|v| q.team.as_ref().is_none_or(|t| *t == v.team))
            .filter(|v| !q.exclude.contains(&v.id))
            .map(|v| {
                let stale = q
                    .max_fix_age
                    .is_some_and(|age| q.now.inner() - v.fix_at.inner() > age);
                candidate(v, q.origin.distance_m(v.position), stale, None)
            })
            .filter(|c| q.include_stale || !c.stale)
            .filter(|c| q.max_radius_m.is_none_or(|r| c.distance_m <= r))
            .collect();
        all.sort_by(|a, b| {
            a.distance_m
                .total_cmp(&b.distance_m)
                .then_with(|| a.id.cmp(&b.id))
        });
        all.truncate(q.limit);
        all
    }

    /// Resolves the query; `None` when nothing can be eligible.
    fn start(&self, q: &NearestQuery) -> Option<Search<'_>> {
        let max_radius = q.max_radius_m.unwrap_or(f64::INFINITY);
        if q.limit == 0 || self.is_empty() || max_radius.is_nan() || max_radius < 0.0 {
            return None;
        }
        let team = match &q.team {
            Some(t) => Some(*self.teams.get(t)?),
            None => None,
        };
        let mut exclude: Vec<u32> = q
            .exclude
            .iter()
            .filter_map(|id| {
                self.index
                    .get(&super::cells::IdKey::of(id))
                    .map(|loc| loc.slot)
            })
            .collect();
        exclude.sort_unstable();
        let prepared = Prepared {
            origin: Point::new(q.origin),
            only_available: q.only_available,
            department: q.department,
            team,
            now: q.now.inner(),
            max_fix_age: q.max_fix_age,
            include_stale: q.include_stale,
            exclude,
        };
        Some(Search {
            grid: self,
            q: prepared,
            best: Best::new(q.limit, max_radius, self.len()),
        })
    }
}

/// The interned team of a hit (from the member when there is one: it is in cache).
fn slot_team(h: &Hit<'_>, slot: &Slot) -> u32 {
    h.member.map_or(slot.team, |m| m.team)
}

fn candidate(
    v: &super::GridVehicle,
    distance_m: f64,
    stale: bool,
    team: Option<&TeamId>,
) -> Candidate {
    Candidate {
        id: v.id.clone(),
        position: v.position,
        distance_m,
        fix_at: v.fix_at,
        stale,
        status: v.status,
        department: v.department,
        team: team.unwrap_or(&v.team).clone(),
    }
}
