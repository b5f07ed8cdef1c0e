//! The hub's projection of the public board: the rows of the open tickets the board may
//! show, the live distance of each one's vehicle, and the squads' leaderboard. Rows are
//! rebuilt from the committed ticket on each of its events, never patched from event data.

use std::collections::{HashMap, HashSet};

use crate::domain::Timestamp;
use crate::domain::board::{BoardPolicy, BoardRow, Leaderboard, PublicHandler, Standing};
use crate::domain::catalog::Catalog;
use crate::domain::ids::{TicketId, VehicleId};
use crate::domain::ticket::Ticket;

/// What an event did to the board.
pub enum BoardChange<'a> {
    Upserted(&'a BoardRow),
    Removed { id: String, number: String },
}

#[derive(Default)]
pub struct BoardProjection {
    policy: BoardPolicy,
    rows: HashMap<TicketId, BoardRow>,
    /// The ticket each handling vehicle is on, for live distances.
    by_vehicle: HashMap<VehicleId, TicketId>,
    distance_dirty: HashSet<TicketId>,
    leaderboard: Leaderboard,
    leaderboard_dirty: bool,
    standings: Vec<Standing>,
}

impl BoardProjection {
    pub fn new(policy: BoardPolicy) -> Self {
        Self {
            policy,
            ..Self::default()
        }
    }

    /// Takes the ticket as committed into account.
    pub fn update<'a>(
        &'a mut self,
        t: &Ticket,
        catalog: &Catalog,
        now: Timestamp,
        town: impl FnOnce() -> Option<String>,
        handler: impl FnOnce() -> PublicHandler,
        distance: impl FnOnce(&VehicleId) -> Option<f64>,
    ) -> Option<BoardChange<'a>> {
        self.leaderboard_dirty |= self.leaderboard.observe(t);
        self.by_vehicle.retain(|_, ticket| *ticket != t.id);
        if !self.policy.shows(t) {
            self.distance_dirty.remove(&t.id);
            return self.rows.remove(&t.id).map(|row| BoardChange::Removed {
                id: row.id,
                number: row.number,
            });
        }
        let vehicle = t.assignment.vehicle_id.clone();
        let distance = vehicle.as_ref().and_then(distance);
        let row = crate::domain::board::row(t, catalog, now, town(), &handler(), distance);
        if let Some(v) = vehicle {
            self.by_vehicle.insert(v, t.id);
        }
        let unchanged = self
            .rows
            .get(&t.id)
            .is_some_and(|old| same_but_clock(old, &row));
        self.rows.insert(t.id, row);
        if unchanged {
            return None;
        }
        self.rows.get(&t.id).map(BoardChange::Upserted)
    }

    /// Leaves a simulated ticket off the board: no row, nothing on the leaderboard.
    pub fn drop_ticket(&mut self, id: &TicketId) -> Option<BoardChange<'_>> {
        self.leaderboard_dirty |= self.leaderboard.forget(id);
        self.by_vehicle.retain(|_, ticket| ticket != id);
        self.distance_dirty.remove(id);
        self.rows.remove(id).map(|row| BoardChange::Removed {
            id: row.id,
            number: row.number,
        })
    }

    /// A vehicle moved: the distance of its ticket's row changes.
    pub fn vehicle_moved(&mut self, vehicle: &VehicleId, distance_m: Option<f64>) {
        let Some(id) = self.by_vehicle.get(vehicle) else {
            return;
        };
        if let Some(row) = self.rows.get_mut(id) {
            let d = distance_m.map(f64::round);
            if row.distance_to_site_m != d {
                row.distance_to_site_m = d;
                self.distance_dirty.insert(*id);
            }
        }
    }

    /// Rows whose distance changed since the last call.
    pub fn take_distances(&mut self) -> Vec<&BoardRow> {
        let dirty: Vec<TicketId> = self.distance_dirty.drain().collect();
        dirty.iter().filter_map(|id| self.rows.get(id)).collect()
    }

    /// The standings, recomputed if anything changed since the last call; `None` if not.
    pub fn refresh_leaderboard(
        &mut self,
        team_name: impl Fn(&crate::domain::ids::TeamId) -> Option<String>,
    ) -> Option<&[Standing]> {
        if !std::mem::take(&mut self.leaderboard_dirty) {
            return None;
        }
        self.standings = self.leaderboard.standings(team_name);
        Some(&self.standings)
    }

    /// The rows, most urgent first, with their clocks brought up to `now`.
    pub fn rows(&self, now: Timestamp) -> Vec<BoardRow> {
        let mut rows: Vec<BoardRow> = self
            .rows
            .values()
            .cloned()
            .map(|mut r| {
                r.elapsed_s = (now.inner() - r.stage_entered_at.inner())
                    .as_seconds_f64()
                    .max(0.0)
                    .round();
                r
            })
            .collect();
        rows.sort_by(|a, b| {
            b.overdue
                .cmp(&a.overdue)
                .then_with(|| a.received_at.cmp(&b.received_at))
        });
        rows
    }

    pub fn standings(&self) -> &[Standing] {
        &self.standings
    }
}

/// Whether two rows differ only in their elapsed time (which clients count themselves).
fn same_but_clock(a: &BoardRow, b: &BoardRow) -> bool {
    let mut b = b.clone();
    b.elapsed_s = a.elapsed_s;
    *a == b
}
