//! The hub's projection of the public board: the rows of the tickets the board may show
//! (open ones not hidden; archived ones for a while, as done), the vehicle on duty for
//! each in its coarse cell and its live distance, and the squads' leaderboard. Rows are
//! rebuilt from the committed ticket on each of its events, never patched from event data;
//! a vehicle's moves and status changes touch only the shown rows it was sent to, each
//! judged by `domain::board::crew_on` — so a vehicle on a hidden ticket never reaches a
//! board frame, not even through a row it worked before. A row follows its vehicle only
//! while the vehicle is on that very ticket: once it is on none (done, called off) its
//! moves reach no board frame, neither as a marker nor as a distance.

use std::collections::{HashMap, HashSet};

use crate::domain::Timestamp;
use crate::domain::board::{
    BoardPolicy, BoardRow, Leaderboard, LiveVehicle, PublicHandler, Showing, Standing,
};
use crate::domain::catalog::Catalog;
use crate::domain::geo::LatLng;
use crate::domain::ids::{TicketId, VehicleId};
use crate::domain::ticket::Ticket;

/// What an event did to the board.
#[derive(Debug, PartialEq)]
pub enum BoardChange<'a> {
    Upserted(&'a BoardRow),
    Removed { id: String, number: String },
}

/// What a shown row needs to follow its vehicle: the site and the vehicle sent.
struct Site {
    position: Option<LatLng>,
    vehicle: Option<VehicleId>,
}

#[derive(Default)]
pub struct BoardProjection {
    policy: BoardPolicy,
    rows: HashMap<TicketId, BoardRow>,
    sites: HashMap<TicketId, Site>,
    /// The shown rows each vehicle was sent to.
    by_vehicle: HashMap<VehicleId, HashSet<TicketId>>,
    /// When each done row leaves the board.
    done_until: HashMap<TicketId, Timestamp>,
    distance_dirty: HashSet<TicketId>,
    /// Rows whose vehicle changed (status or cell): sent whole on the next tick.
    row_dirty: HashSet<TicketId>,
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

    /// Takes the ticket as committed into account; `vehicle` gives the live state of the
    /// vehicle sent to it.
    pub fn update<'a>(
        &'a mut self,
        t: &Ticket,
        catalog: &Catalog,
        now: Timestamp,
        town: impl FnOnce() -> Option<String>,
        handler: impl FnOnce() -> PublicHandler,
        vehicle: impl FnOnce(&VehicleId) -> Option<LiveVehicle>,
    ) -> Option<BoardChange<'a>> {
        self.leaderboard_dirty |= self.leaderboard.observe(t);
        let Some(showing) = self.policy.showing(t, now) else {
            return self.forget_row(&t.id);
        };
        let live = t
            .assignment
            .vehicle_id
            .as_ref()
            .and_then(vehicle)
            .filter(|v| v.ticket == Some(t.id));
        let row = crate::domain::board::row(t, catalog, now, town(), &handler(), live.as_ref());
        match showing {
            Showing::Done { until } => {
                self.done_until.insert(t.id, until);
            }
            Showing::Open => {
                self.done_until.remove(&t.id);
            }
        }
        self.unlink(&t.id);
        self.sites.insert(
            t.id,
            Site {
                position: t.location.position,
                vehicle: t.assignment.vehicle_id.clone(),
            },
        );
        if let Some(v) = &t.assignment.vehicle_id {
            self.by_vehicle.entry(v.clone()).or_default().insert(t.id);
        }
        self.distance_dirty.remove(&t.id);
        self.row_dirty.remove(&t.id);
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

    /// Forgets which vehicle a row follows.
    fn unlink(&mut self, id: &TicketId) {
        let Some(v) = self.sites.get(id).and_then(|s| s.vehicle.clone()) else {
            return;
        };
        if let Some(rows) = self.by_vehicle.get_mut(&v) {
            rows.remove(id);
            if rows.is_empty() {
                self.by_vehicle.remove(&v);
            }
        }
    }

    /// Takes a row off the board and everything kept for it.
    fn forget_row(&mut self, id: &TicketId) -> Option<BoardChange<'_>> {
        self.unlink(id);
        self.sites.remove(id);
        self.done_until.remove(id);
        self.distance_dirty.remove(id);
        self.row_dirty.remove(id);
        self.rows.remove(id).map(|row| BoardChange::Removed {
            id: row.id,
            number: row.number,
        })
    }

    /// Leaves a simulated ticket off the board: no row, nothing on the leaderboard.
    pub fn drop_ticket(&mut self, id: &TicketId) -> Option<BoardChange<'_>> {
        self.leaderboard_dirty |= self.leaderboard.forget(id);
        self.forget_row(id)
    }

    /// A vehicle moved or changed status: every shown row it was sent to follows it (its
    /// marker and distance, or neither once it is on another ticket).
    pub fn vehicle_changed(&mut self, live: &LiveVehicle) {
        let ids: Vec<TicketId> = self
            .by_vehicle
            .get(&live.id)
            .map(|rows| rows.iter().copied().collect())
            .unwrap_or_default();
        for id in ids {
            self.follow(id, live);
        }
    }

    fn follow(&mut self, id: TicketId, live: &LiveVehicle) {
        let (Some(row), Some(site)) = (self.rows.get_mut(&id), self.sites.get(&id)) else {
            return;
        };
        // Only while on this ticket: a vehicle on none is not the board's to follow.
        let live = (row.progress != crate::domain::board::Progress::Done
            && live.ticket == Some(id))
        .then_some(live);
        let (vehicle, distance) =
            crate::domain::board::crew_on(id, site.vehicle.as_ref(), site.position, live);
        // A distance always goes out as `board.distance` (what clients follow it by); a
        // changed marker sends the whole row too.
        if row.distance_to_site_m != distance {
            row.distance_to_site_m = distance;
            self.distance_dirty.insert(id);
        }
        if row.vehicle != vehicle {
            row.vehicle = vehicle;
            self.row_dirty.insert(id);
        }
    }

    /// Rows whose distance changed since the last call.
    pub fn take_distances(&mut self) -> Vec<&BoardRow> {
        let dirty: Vec<TicketId> = self.distance_dirty.drain().collect();
        dirty.iter().filter_map(|id| self.rows.get(id)).collect()
    }

    /// Rows whose vehicle changed since the last call, to be sent whole.
    pub fn take_changed_rows(&mut self) -> Vec<&BoardRow> {
        let dirty: Vec<TicketId> = self.row_dirty.drain().collect();
        dirty.iter().filter_map(|id| self.rows.get(id)).collect()
    }

    /// Takes off the done rows whose while is over at `now`.
    pub fn expire(&mut self, now: Timestamp) -> Vec<(String, String)> {
        let over: Vec<TicketId> = self
            .done_until
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(id, _)| *id)
            .collect();
        over.iter()
            .filter_map(|id| match self.forget_row(id) {
                Some(BoardChange::Removed { id, number }) => Some((id, number)),
                _ => None,
            })
            .collect()
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

    /// The rows, most urgent first and done ones last, with their clocks brought up to
    /// `now`.
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
        let done = |r: &BoardRow| r.progress == crate::domain::board::Progress::Done;
        rows.sort_by(|a, b| {
            done(a)
                .cmp(&done(b))
                .then_with(|| b.overdue.cmp(&a.overdue))
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::domain::board::tests::{archived, at, handled, policy, ticket, walk_to_reply};
    use crate::domain::board::{Progress, coarse_cell};
    use crate::domain::catalog::{BUILTIN_CATALOG, Urgency};
    use crate::domain::fleet::VehicleStatus;

    fn catalog() -> Catalog {
        Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap()
    }

    fn v1(status: VehicleStatus, at: LatLng, ticket: Option<TicketId>) -> LiveVehicle {
        LiveVehicle {
            id: "V-1".parse().unwrap(),
            position: Some(at),
            status,
            ticket,
        }
    }

    fn put<'a>(
        board: &'a mut BoardProjection,
        t: &Ticket,
        now: Timestamp,
        live: Option<LiveVehicle>,
    ) -> Option<BoardChange<'a>> {
        board.update(
            t,
            &catalog(),
            now,
            || Some("梅川镇".into()),
            PublicHandler::default,
            |_| live,
        )
    }

    /// Everything the board could send: the snapshot and every pending frame's row.
    fn everything(board: &mut BoardProjection, now: Timestamp) -> String {
        let mut out = serde_json::to_string(&board.rows(now)).unwrap();
        for r in board.take_changed_rows() {
            out.push_str(&serde_json::to_string(r).unwrap());
        }
        for r in board.take_distances() {
            out.push_str(&serde_json::to_string(r).unwrap());
        }
        out
    }

    #[test]
    fn a_vehicle_on_a_hidden_ticket_never_appears_on_the_board() {
        let catalog = catalog();
        let mut board = BoardProjection::new(policy(600));
        let site = LatLng::new(30.02, 115.585).unwrap();
        // V-1 worked the open ticket A and is shown there, on site.
        let mut a = ticket("counterfeit", Urgency::II, &catalog);
        handled(&mut a, "T-1", 10, &catalog);
        let change = put(
            &mut board,
            &a,
            at(11),
            Some(v1(VehicleStatus::OnSite, site, Some(a.id))),
        );
        let Some(BoardChange::Upserted(row)) = change else {
            panic!("A is shown")
        };
        assert_eq!(
            row.vehicle.as_ref().map(|v| v.status),
            Some(VehicleStatus::OnSite)
        );
        // A raid (grade I, and an embargoed category) far to the north-east: V-1 is sent.
        for (category, grade) in [
            ("counterfeit", Urgency::I),
            ("unlicensed_transport", Urgency::III),
        ] {
            let raid_at = LatLng::new(30.15, 115.75).unwrap();
            let mut h = ticket(category, grade, &catalog);
            h.location.position = Some(raid_at);
            handled(&mut h, "T-1", 40, &catalog);
            let sent = v1(VehicleStatus::EnRoute, site, Some(h.id));
            assert!(put(&mut board, &h, at(20), Some(sent.clone())).is_none());
            board.vehicle_changed(&sent);
            let mut secrets = Vec::new();
            for step in 0..=10 {
                let f = f64::from(step) / 10.0;
                let pos = LatLng::new(
                    30.02 + (30.15 - 30.02) * f,
                    115.585 + (115.75 - 115.585) * f,
                )
                .unwrap();
                let (cell, _) = coarse_cell(pos).unwrap();
                if cell != coarse_cell(site).unwrap().0 {
                    secrets.push(cell);
                }
                let status = if step == 10 {
                    VehicleStatus::OnSite
                } else {
                    VehicleStatus::EnRoute
                };
                board.vehicle_changed(&v1(status, pos, Some(h.id)));
                let all = everything(&mut board, at(21));
                assert!(
                    !all.contains(&h.id.to_string()),
                    "no row of the raid: {all}"
                );
                for s in &secrets {
                    assert!(!all.contains(s.as_str()), "the raid's cell {s}: {all}");
                }
                assert!(!all.contains("en_route\"") || !all.contains("\"vehicle\":{"));
            }
            let rows = board.rows(at(45));
            assert_eq!(rows.len(), 1);
            assert_eq!(
                (rows[0].vehicle.as_ref(), rows[0].distance_to_site_m),
                (None, None),
                "A forgets V-1"
            );
            // A's next event, with V-1 still at the raid, shows no vehicle either.
            let at_raid = v1(VehicleStatus::OnSite, raid_at, Some(h.id));
            put(&mut board, &a, at(46), Some(at_raid));
            let all = everything(&mut board, at(46));
            assert!(!all.contains("\"vehicle\":{"), "{all}");
        }
    }

    #[test]
    fn a_ticket_hidden_after_its_vehicle_was_shown_takes_the_vehicle_with_it() {
        let catalog = catalog();
        let mut board = BoardProjection::new(policy(600));
        let site = LatLng::new(30.02, 115.585).unwrap();
        let mut t = ticket("counterfeit", Urgency::II, &catalog);
        handled(&mut t, "T-1", 10, &catalog);
        put(
            &mut board,
            &t,
            at(5),
            Some(v1(VehicleStatus::EnRoute, site, Some(t.id))),
        );
        // Re-graded I: off the board, and the vehicle's moves with it.
        t.urgency = Some(Urgency::I);
        let change = put(&mut board, &t, at(6), None);
        assert!(matches!(change, Some(BoardChange::Removed { .. })));
        let moved = LatLng::new(30.05, 115.6).unwrap();
        board.vehicle_changed(&v1(VehicleStatus::EnRoute, moved, Some(t.id)));
        assert_eq!(everything(&mut board, at(7)), "[]");
    }

    #[test]
    fn a_hidden_ticket_appears_as_done_after_it_closes_for_the_configured_while() {
        let catalog = catalog();
        let mut board = BoardProjection::new(policy(600));
        let mut h = ticket("counterfeit", Urgency::I, &catalog);
        handled(&mut h, "T-1", 10, &catalog);
        assert!(put(&mut board, &h, at(10), None).is_none());
        walk_to_reply(&mut h, &catalog);
        assert!(
            put(&mut board, &h, at(20), None).is_none(),
            "hidden while open"
        );
        archived(&mut h, 60, &catalog);
        let Some(BoardChange::Upserted(row)) = put(&mut board, &h, at(60), None) else {
            panic!("shown once archived");
        };
        assert_eq!(row.progress, Progress::Done);
        assert_eq!(row.number, h.number.to_string());
        assert_eq!(board.rows(at(61)).len(), 1);
        assert!(board.expire(at(69)).is_empty());
        let gone = board.expire(at(70));
        assert_eq!(gone, vec![(h.id.to_string(), h.number.to_string())]);
        assert!(board.rows(at(70)).is_empty());
        // A restart after the while does not bring it back.
        let mut again = BoardProjection::new(policy(600));
        assert!(put(&mut again, &h, at(70), None).is_none());
        let mut soon = BoardProjection::new(policy(600));
        assert!(
            put(&mut soon, &h, at(65), None).is_some(),
            "within the while it is back"
        );
    }

    #[test]
    fn a_moving_vehicle_changes_its_cell_whole_and_its_distance_alone() {
        let catalog = catalog();
        let mut board = BoardProjection::new(policy(0));
        let site = LatLng::new(30.02, 115.585).unwrap();
        let mut t = ticket("counterfeit", Urgency::II, &catalog);
        handled(&mut t, "T-1", 10, &catalog);
        let far = LatLng::new(30.1, 115.7).unwrap();
        put(
            &mut board,
            &t,
            at(5),
            Some(v1(VehicleStatus::EnRoute, far, Some(t.id))),
        );
        let near = LatLng::new(30.1001, 115.7).unwrap();
        board.vehicle_changed(&v1(VehicleStatus::EnRoute, near, Some(t.id)));
        assert!(board.take_changed_rows().is_empty());
        assert_eq!(board.take_distances().len(), 1);
        board.vehicle_changed(&v1(VehicleStatus::OnSite, site, Some(t.id)));
        let changed = board.take_changed_rows();
        assert_eq!(changed.len(), 1);
        assert_eq!(changed[0].distance_to_site_m, Some(0.0));
        assert_eq!(
            changed[0].vehicle.as_ref().map(|v| v.status),
            Some(VehicleStatus::OnSite)
        );
        // Done here, heading back on no ticket: the marker and the distance go, and its
        // moves from then on change nothing the board sends.
        board.vehicle_changed(&v1(VehicleStatus::Returning, near, None));
        let changed = board.take_changed_rows();
        assert_eq!(changed.len(), 1);
        assert!(changed[0].vehicle.is_none());
        assert_eq!(changed[0].distance_to_site_m, None);
        assert_eq!(
            board.take_distances().len(),
            1,
            "the distance is cleared once"
        );
        board.vehicle_changed(&v1(VehicleStatus::Available, far, None));
        assert!(board.take_changed_rows().is_empty());
        assert!(
            board.take_distances().is_empty(),
            "no move reaches the board"
        );
    }
}
