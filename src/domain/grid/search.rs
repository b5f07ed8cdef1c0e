//! The exact nearest search: the query resolved against the index, the running k best with
//! the bound they imply, member scans, and the choice of phase. Small fleets are scanned;
//! where the query's neighbourhood is busy the fine rings run first, and whatever they cannot
//! prove complete goes to the coarse phase (both in `phases.rs`). Within a cell a trig-free
//! `f32` chord test rejects far vehicles before the haversine is computed; distances are
//! bit-identical to [`LatLng::distance_m`](crate::domain::geo::LatLng::distance_m), and the
//! reference scan is here too.

use std::cmp::Ordering;

use super::geom::{Point, Unit, cell_at, chord_cut, hav_cut};
use super::{Candidate, HexGrid, Member, NearestQuery, Slot, idx};
use crate::domain::catalog::Department;
use crate::domain::clock::Timestamp;
use crate::domain::fleet::VehicleStatus;
use crate::domain::ids::TeamId;

/// The fine rings are tried when the query's coarse cell holds at least this many vehicles
/// per requested answer (a resolution-6 cell has 343 resolution-9 cells).
const FINE_MIN_PER_RESULT: usize = 32;
/// The query with its filters resolved to what the members carry.
pub(super) struct Prepared {
    pub(super) origin: Point,
    unit: Unit,
    only_available: bool,
    department: Option<Department>,
    team: Option<u32>,
    /// "Now" and the maximum fix age in nanoseconds: `now − fix > age` is stale, exactly as
    /// with `OffsetDateTime` arithmetic.
    now_ns: i128,
    max_age_ns: Option<i128>,
    include_stale: bool,
    /// Excluded slots, sorted.
    exclude: Vec<u32>,
}

impl Prepared {
    fn admits(
        &self,
        status: VehicleStatus,
        online: bool,
        department: Department,
        team: u32,
    ) -> bool {
        (!self.only_available || (status == VehicleStatus::Available && online))
            && self.department.is_none_or(|d| d == department)
            && self.team.is_none_or(|t| t == team)
    }

    fn is_stale(&self, fix_at: Timestamp) -> bool {
        self.is_stale_ns(fix_at.inner().unix_timestamp_nanos())
    }

    fn is_stale_ns(&self, fix_ns: i128) -> bool {
        self.max_age_ns
            .is_some_and(|age| self.now_ns - fix_ns > age)
    }

    /// Staleness of a vehicle, from its member when the time is kept inline.
    fn stale_of(&self, member: Option<&Member>, slot: &Slot) -> bool {
        match member.and_then(Member::fix_ns) {
            Some(ns) => self.is_stale_ns(ns),
            None => self.is_stale(slot.vehicle.fix_at),
        }
    }
}

/// One answer so far; `member` when found in a fine cell (the answer is built from it).
#[derive(Clone, Copy)]
pub(super) struct Hit<'g> {
    d: f64,
    slot: u32,
    member: Option<&'g Member>,
}

/// The best answers so far, sorted by (distance, id), and the bound they imply.
pub(super) struct Best<'g> {
    pub(super) limit: usize,
    pub(super) items: Vec<Hit<'g>>,
    /// Anything farther than this cannot enter (ties may, to be ordered by id).
    pub(super) bound: f64,
    /// `hav_cut(bound)` and `chord_cut(bound)`, for the trig-free rejections.
    hav_bound: f64,
    chord_bound: f32,
    /// Set when a vehicle may be offered twice (the coarse phase after the rings).
    pub(super) dedupe: bool,
}

impl<'g> Best<'g> {
    fn new(limit: usize, max_radius: f64, capacity: usize) -> Self {
        Self {
            limit,
            items: Vec::with_capacity(limit.min(capacity)),
            bound: max_radius,
            hav_bound: hav_cut(max_radius),
            chord_bound: chord_cut(max_radius),
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
            self.chord_bound = chord_cut(last.d);
        }
    }
}

/// One running search.
pub(super) struct Search<'g> {
    pub(super) grid: &'g HexGrid,
    pub(super) q: Prepared,
    pub(super) best: Best<'g>,
}

impl<'g> Search<'g> {
    fn visit(&mut self, s: u32, point: Point, member: Option<&'g Member>) {
        if self.q.exclude.binary_search(&s).is_ok() {
            return;
        }
        let d = self.q.origin.distance_m(point);
        let stale =
            |q: &Prepared| q.max_age_ns.is_some() && q.stale_of(member, &self.grid.slots[idx(s)]);
        if d > self.best.bound || (!self.q.include_stale && stale(&self.q)) {
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
            let inline = h
                .member
                .and_then(|m| Some((m, m.id.get()?, m.position()?, m.fix_at()?)));
            match inline {
                // Everything from the inline copy: the slot is never touched.
                Some((m, id, position, fix_at)) => Candidate {
                    id,
                    position,
                    distance_m: h.d,
                    fix_at,
                    stale: q.stale_of(Some(m), slot),
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

    pub(super) fn scan_members(&mut self, members: &'g [Member]) {
        for m in members {
            if self.q.unit.chord2(m.unit) > self.best.chord_bound
                || !self.q.admits(m.status, m.online, m.department, m.team)
            {
                continue;
            }
            self.visit(m.slot, m.point(), Some(m));
        }
    }

    pub(super) fn scan_slot(&mut self, s: u32) {
        let slot = &self.grid.slots[idx(s)];
        if !slot.live
            || self.q.origin.hav_lower_bound(slot.point) > self.best.hav_bound
            || !self.q.admits(
                slot.vehicle.status,
                slot.vehicle.online,
                slot.vehicle.department,
                slot.team,
            )
        {
            return;
        }
        self.visit(s, slot.point, None);
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
        // Rings pay off where the neighbourhood is busy (the query's coarse cell is).
        if let Some(coarse) = self.coarse.get(&parent)
            && coarse.members.len() >= wanted
            && !cell.is_pentagon()
        {
            if search.rings(cell, coarse.ring_edge_m) {
                return search.finish();
            }
            search.best.dedupe = true;
        }
        search.coarse();
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
            .filter(|v| !q.only_available || (v.status == VehicleStatus::Available && v.online))
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
            unit: Unit::of(q.origin),
            only_available: q.only_available,
            department: q.department,
            team,
            now_ns: q.now.inner().unix_timestamp_nanos(),
            max_age_ns: q.max_fix_age.map(|age| age.whole_nanoseconds()),
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
