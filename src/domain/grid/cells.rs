//! Keeping the cells right: filing a vehicle under its fine and coarse cells and taking it
//! out again (swap-remove with fix-ups, so every operation is O(1)), raising cell caps so
//! they always cover their members, the inline copies the search reads, and the invariant
//! check the property tests lean on.

use std::hash::{Hash, Hasher};

use super::geom::{CellShape, Point, Unit, cell_at, ring_edge_m, sides_of};
use super::{CoarseCell, FineCell, HexGrid, Loc, NOT_LISTED, Slot, idx, pos32};
use crate::domain::catalog::Department;
use crate::domain::clock::Timestamp;
use crate::domain::fleet::VehicleStatus;
use crate::domain::geo::LatLng;
use crate::domain::ids::{TeamId, VehicleId};
use h3o::CellIndex;
use time::OffsetDateTime;

/// What the search reads of a vehicle, copied inline into its fine cell: one cache line, so
/// a cell scan streams contiguous memory and an answer is built without touching the slot
/// (on a 100,000-vehicle fleet every avoided cache miss is ~10 % of a query).
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(align(64))]
pub(super) struct Member {
    /// Latitude and longitude in degrees, as in the vehicle's `LatLng`.
    lat: f64,
    lng: f64,
    /// For the trig-free rejection of far members.
    pub(super) unit: Unit,
    /// Fix time in Unix nanoseconds; `NO_NANOS` when out of `i64` range (read the slot).
    fix_ns: i64,
    pub(super) slot: u32,
    pub(super) team: u32,
    pub(super) status: VehicleStatus,
    pub(super) department: Department,
    pub(super) online: bool,
    pub(super) id: InlineId,
}

const NO_NANOS: i64 = i64::MIN;

impl Member {
    pub(super) fn new(s: u32, slot: &Slot) -> Self {
        let mut m = Self {
            lat: 0.0,
            lng: 0.0,
            unit: Unit::of(slot.vehicle.position),
            fix_ns: NO_NANOS,
            slot: s,
            team: slot.team,
            status: slot.vehicle.status,
            department: slot.vehicle.department,
            online: slot.vehicle.online,
            id: InlineId::new(&slot.vehicle.id),
        };
        m.set_fix(slot.vehicle.position, slot.vehicle.fix_at);
        m
    }

    pub(super) fn set_fix(&mut self, position: LatLng, fix_at: Timestamp) {
        (self.lat, self.lng, self.unit) = (position.lat(), position.lng(), Unit::of(position));
        self.fix_ns = i64::try_from(fix_at.inner().unix_timestamp_nanos()).unwrap_or(NO_NANOS);
    }

    /// The prepared point, bit-identical to `Point::new(position)`.
    pub(super) fn point(&self) -> Point {
        Point::from_degrees(self.lat, self.lng)
    }

    pub(super) fn position(&self) -> Option<LatLng> {
        LatLng::new(self.lat, self.lng).ok()
    }

    /// Fix time in Unix nanoseconds, when kept inline.
    pub(super) fn fix_ns(&self) -> Option<i128> {
        (self.fix_ns != NO_NANOS).then_some(i128::from(self.fix_ns))
    }

    pub(super) fn fix_at(&self) -> Option<Timestamp> {
        let at = OffsetDateTime::from_unix_timestamp_nanos(self.fix_ns()?).ok()?;
        Some(Timestamp::new(at))
    }
}

/// A short vehicle id copied inline (`len == 0`: too long, read the slot instead).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct InlineId {
    len: u8,
    bytes: [u8; 17],
}

impl InlineId {
    fn new(id: &VehicleId) -> Self {
        let src = id.as_str().as_bytes();
        let mut bytes = [0; 17];
        match bytes.get_mut(..src.len()) {
            Some(dst) => {
                dst.copy_from_slice(src);
                Self {
                    len: u8::try_from(src.len()).unwrap_or(0),
                    bytes,
                }
            }
            None => Self { len: 0, bytes },
        }
    }

    pub(super) fn get(&self) -> Option<VehicleId> {
        let text = std::str::from_utf8(self.bytes.get(..usize::from(self.len))?).ok()?;
        if text.is_empty() {
            None
        } else {
            text.parse().ok()
        }
    }
}

/// A key for the id index: short ids inline (no heap read on lookup), long ones as is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum IdKey {
    Short(InlineId),
    Long(VehicleId),
}

impl IdKey {
    pub(super) fn of(id: &VehicleId) -> Self {
        let short = InlineId::new(id);
        if short.len > 0 {
            Self::Short(short)
        } else {
            Self::Long(id.clone())
        }
    }
}

impl Hash for IdKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Self::Short(id) => state.write(&id.bytes[..usize::from(id.len).min(id.bytes.len())]),
            Self::Long(id) => state.write(id.as_str().as_bytes()),
        }
    }
}

impl HexGrid {
    pub(super) fn intern(&mut self, team: &TeamId) -> u32 {
        if let Some(&code) = self.teams.get(team) {
            return code;
        }
        let code = pos32(self.team_names.len());
        self.teams.insert(team.clone(), code);
        self.team_names.push(team.clone());
        code
    }

    pub(super) fn member(&self, s: u32) -> Member {
        Member::new(s, &self.slots[idx(s)])
    }

    /// Copies the slot into its inline member.
    pub(super) fn refresh_member(&mut self, loc: Loc) {
        let m = self.member(loc.slot);
        if let Some(dst) = self
            .fine
            .get_mut(&loc.fine)
            .and_then(|c| c.members.get_mut(idx(loc.fine_pos)))
        {
            *dst = m;
        }
    }

    /// Raises the caps of `cell` (the slot's fine cell) and its parent to cover the slot.
    pub(super) fn cover(&mut self, s: u32, cell: CellIndex) {
        let slot = &self.slots[idx(s)];
        let Some(fine) = self.fine.get_mut(&cell) else {
            return;
        };
        let d = fine.shape.center.distance_m(slot.point);
        if d > fine.shape.radius_m {
            fine.shape.radius_m = d;
        }
        let (fc, fr) = (fine.shape.center, fine.shape.radius_m);
        if let Some(coarse) = self.coarse.get_mut(&slot.coarse) {
            let reach = coarse.shape.center.distance_m(fc) + fr;
            if reach > coarse.shape.radius_m {
                coarse.shape.radius_m = reach;
            }
        }
    }

    /// Files slot `s` (known as `key`) under `cell` and its coarse parent.
    pub(super) fn attach(&mut self, key: IdKey, s: u32, cell: CellIndex) {
        let fine_res = self.config.fine_resolution;
        let member = self.member(s);
        let parent = cell.parent(self.config.coarse_resolution).unwrap_or(cell);
        let coarse = self.coarse.entry(parent).or_insert_with(|| CoarseCell {
            shape: CellShape::of(parent),
            ring_edge_m: ring_edge_m(parent, fine_res),
            members: Vec::new(),
            fine_cells: Vec::new(),
        });
        let fine = self.fine.entry(cell).or_insert_with(|| {
            let shape = CellShape::of(cell);
            FineCell {
                sides: sides_of(cell, shape.center),
                shape,
                listed_at: NOT_LISTED,
                members: Vec::new(),
            }
        });
        fine.members.push(member);
        if fine.listed_at == NOT_LISTED {
            fine.listed_at = pos32(coarse.fine_cells.len());
            coarse.fine_cells.push(cell);
        }
        coarse.members.push(s);
        let fine_pos = pos32(fine.members.len() - 1);
        let slot = &mut self.slots[idx(s)];
        slot.coarse = parent;
        slot.coarse_pos = pos32(coarse.members.len() - 1);
        self.index.insert(
            key,
            Loc {
                slot: s,
                fine: cell,
                fine_pos,
            },
        );
        self.cover(s, cell);
    }

    /// Takes a vehicle out of its cells (swap-remove, fixing whoever moved into its place).
    pub(super) fn detach(&mut self, loc: Loc) {
        let (coarse_cell, coarse_pos) = {
            let slot = &self.slots[idx(loc.slot)];
            (slot.coarse, idx(slot.coarse_pos))
        };
        let fine_pos = idx(loc.fine_pos);
        let mut unlisted = None;
        if let Some(fine) = self.fine.get_mut(&loc.fine) {
            fine.members.swap_remove(fine_pos);
            if let Some(moved) = fine.members.get(fine_pos) {
                let key = if moved.id.len > 0 {
                    IdKey::Short(moved.id)
                } else {
                    IdKey::of(&self.slots[idx(moved.slot)].vehicle.id)
                };
                if let Some(l) = self.index.get_mut(&key) {
                    l.fine_pos = pos32(fine_pos);
                }
            }
            if fine.members.is_empty() {
                unlisted = Some(idx(fine.listed_at));
                fine.listed_at = NOT_LISTED;
            }
        }
        let mut relisted = None;
        if let Some(coarse) = self.coarse.get_mut(&coarse_cell) {
            coarse.members.swap_remove(coarse_pos);
            if let Some(&moved) = coarse.members.get(coarse_pos) {
                self.slots[idx(moved)].coarse_pos = pos32(coarse_pos);
            }
            if let Some(at) = unlisted {
                coarse.fine_cells.swap_remove(at);
                relisted = coarse.fine_cells.get(at).map(|&c| (c, at));
            }
        }
        if let Some((cell, at)) = relisted
            && let Some(fine) = self.fine.get_mut(&cell)
        {
            fine.listed_at = pos32(at);
        }
    }

    /// Every vehicle is in exactly one fine cell and one coarse cell, matching its position;
    /// inline copies match the slots; caps cover their members; listings are consistent.
    pub fn check_invariants(&self) -> Result<(), String> {
        let live = self.slots.iter().filter(|s| s.live).count();
        if live != self.index.len() || live + self.free.len() != self.slots.len() {
            return Err(format!(
                "{live} live slots, {} ids, {} free",
                self.index.len(),
                self.free.len()
            ));
        }
        for (key, &loc) in &self.index {
            let s = loc.slot;
            let slot = self
                .slots
                .get(idx(s))
                .ok_or(format!("slot {s} out of range"))?;
            let id = &slot.vehicle.id;
            if !slot.live || IdKey::of(id) != *key {
                return Err(format!(
                    "{id}: slot {s} holds {} (live {})",
                    slot.vehicle.id, slot.live
                ));
            }
            let fine_cell = cell_at(slot.vehicle.position, self.config.fine_resolution);
            let coarse_cell = fine_cell
                .parent(self.config.coarse_resolution)
                .unwrap_or(fine_cell);
            if loc.fine != fine_cell || slot.coarse != coarse_cell {
                return Err(format!(
                    "{id}: filed under {}/{}, lies in {fine_cell}/{coarse_cell}",
                    loc.fine, slot.coarse
                ));
            }
            if slot.point != Point::new(slot.vehicle.position) {
                return Err(format!("{id}: prepared point is stale"));
            }
            let fine = self
                .fine
                .get(&fine_cell)
                .ok_or(format!("{id}: no fine cell {fine_cell}"))?;
            let m = fine
                .members
                .get(idx(loc.fine_pos))
                .ok_or(format!("{id}: fine position out of range"))?;
            if *m != self.member(s) {
                return Err(format!("{id}: inline member differs from its slot"));
            }
            let coarse = self
                .coarse
                .get(&coarse_cell)
                .ok_or(format!("{id}: no coarse cell {coarse_cell}"))?;
            if coarse.members.get(idx(slot.coarse_pos)) != Some(&s) {
                return Err(format!("{id}: coarse position does not point back"));
            }
            if fine.shape.center.distance_m(slot.point) > fine.shape.radius_m
                || coarse.shape.center.distance_m(slot.point) > coarse.shape.radius_m
            {
                return Err(format!("{id}: outside a cell cap"));
            }
        }
        let fine_total: usize = self.fine.values().map(|c| c.members.len()).sum();
        let coarse_total: usize = self.coarse.values().map(|c| c.members.len()).sum();
        if fine_total != live || coarse_total != live {
            return Err(format!(
                "{live} vehicles but {fine_total} fine and {coarse_total} coarse entries"
            ));
        }
        let listed: usize = self.coarse.values().map(|c| c.fine_cells.len()).sum();
        let non_empty = self.fine.values().filter(|c| !c.members.is_empty()).count();
        if listed != non_empty {
            return Err(format!("{listed} fine cells listed, {non_empty} non-empty"));
        }
        for (cell, fine) in &self.fine {
            let parent = cell.parent(self.config.coarse_resolution).unwrap_or(*cell);
            let ok = if fine.members.is_empty() {
                fine.listed_at == NOT_LISTED
            } else {
                self.coarse
                    .get(&parent)
                    .and_then(|c| c.fine_cells.get(idx(fine.listed_at)))
                    == Some(cell)
            };
            if !ok {
                return Err(format!("fine cell {cell} is listed wrongly"));
            }
        }
        Ok(())
    }
}
