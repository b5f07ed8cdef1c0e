//! Spotting repeats: an open ticket about the same retailer, or a ticket of the same
//! category within 50 m received within 30 days (open, or closed since — a case handled
//! last week is still the same case when the shop is reported again), is probably the same
//! case. The new ticket is marked `possible_duplicate_of` it; a dispatcher decides whether
//! to merge. Checked at intake and again when triage gives a ticket its retailer, place or
//! category.

use std::collections::{BTreeSet, HashMap};

use time::Duration;

use super::Timestamp;
use super::geo::LatLng;
use super::ids::TicketId;
use super::ticket::{Status, Ticket};

/// Two cases of the same category closer than this are probably one.
pub const NEAR_M: f64 = 50.0;
/// ... when they came in within this window of each other. Closed tickets stay in the
/// index for this long after they were received.
pub const WINDOW: Duration = Duration::days(30);

#[derive(Clone, Debug)]
struct Case {
    id: TicketId,
    category: Option<String>,
    position: Option<LatLng>,
    retailer: Option<String>,
    received_at: Timestamp,
    /// The case this one was marked a repeat of: never the other way round too.
    repeats: Option<TicketId>,
}

/// A ~110 m square of latitude/longitude (1/1000 of a degree): a 50 m neighbourhood lies
/// within the 3×3 squares around a point, so a check looks at a handful of cases, not at
/// every ticket of the category.
type Square = (i32, i32);

fn square(p: LatLng) -> Square {
    (
        (p.lat() * 1000.0).floor() as i32,
        (p.lng() * 1000.0).floor() as i32,
    )
}

fn within_window(a: Timestamp, b: Timestamp) -> bool {
    a.seconds_since(b).abs() <= WINDOW.whole_seconds()
}

/// The open tickets and those closed but received within [`WINDOW`], indexed for the
/// duplicate check.
#[derive(Debug, Default)]
pub struct CaseIndex {
    cases: HashMap<TicketId, Case>,
    /// Open tickets only: the retailer rule asks for an open one.
    by_retailer: HashMap<String, Vec<TicketId>>,
    by_place: HashMap<(String, Square), Vec<TicketId>>,
    /// Closed cases, oldest receipt first, so pruning stops at the first recent one.
    closed: BTreeSet<(Timestamp, TicketId)>,
}

impl CaseIndex {
    /// Adds or updates a ticket. A closed one is kept (for the place rule) while it was
    /// received within [`WINDOW`] of `now`; a merged one is dropped, as its target carries
    /// the case on. Prunes closed cases that have aged out.
    pub fn track(&mut self, t: &Ticket, now: Timestamp) {
        self.forget(&t.id);
        self.prune(now);
        let open = !t.status.is_closed();
        if t.status == Status::Merged || (!open && !within_window(now, t.received_at)) {
            return;
        }
        let case = Case {
            id: t.id,
            category: t.category.clone(),
            position: t.location.position,
            retailer: t.location.shop_key().map(str::to_owned),
            received_at: t.received_at,
            repeats: t.possible_duplicate_of,
        };
        if open && let Some(r) = &case.retailer {
            self.by_retailer.entry(r.clone()).or_default().push(t.id);
        }
        if let (Some(c), Some(p)) = (&case.category, case.position) {
            self.by_place
                .entry((c.clone(), square(p)))
                .or_default()
                .push(t.id);
        }
        if !open {
            self.closed.insert((t.received_at, t.id));
        }
        self.cases.insert(t.id, case);
    }

    /// Drops the closed cases received more than [`WINDOW`] before `now`.
    pub fn prune(&mut self, now: Timestamp) {
        let cutoff = now + -WINDOW;
        while let Some(&(received_at, id)) = self.closed.first() {
            if received_at >= cutoff {
                break;
            }
            self.closed.pop_first();
            self.forget(&id);
        }
    }

    pub fn forget(&mut self, id: &TicketId) {
        let Some(old) = self.cases.remove(id) else {
            return;
        };
        fn drop_from<K: std::hash::Hash + Eq>(
            map: &mut HashMap<K, Vec<TicketId>>,
            key: Option<K>,
            id: &TicketId,
        ) {
            if let Some(k) = key
                && let Some(list) = map.get_mut(&k)
            {
                list.retain(|x| x != id);
                if list.is_empty() {
                    map.remove(&k);
                }
            }
        }
        drop_from(&mut self.by_retailer, old.retailer.clone(), id);
        let place = old.category.clone().zip(old.position.map(square));
        drop_from(&mut self.by_place, place, id);
        self.closed.remove(&(old.received_at, *id));
    }

    /// The ticket a case received at `at` probably repeats, `except` itself and the cases
    /// already marked as its repeats (a triage re-check of the first report must not name
    /// the second): an open one of the same retailer first, then the nearest of the same
    /// category within [`NEAR_M`] received within [`WINDOW`] of `at`, open or closed.
    pub fn find(
        &self,
        except: Option<TicketId>,
        retailer: Option<&str>,
        category: Option<&str>,
        position: Option<LatLng>,
        at: Timestamp,
    ) -> Option<TicketId> {
        let other = |id: &&TicketId| {
            Some(**id) != except
                && (except.is_none() || self.cases.get(*id).is_none_or(|c| c.repeats != except))
        };
        if let Some(r) = retailer.filter(|r| !r.trim().is_empty())
            && let Some(id) = self
                .by_retailer
                .get(r)
                .and_then(|l| l.iter().rev().find(other))
        {
            return Some(*id);
        }
        let (category, position) = (category?, position?);
        let (la, lo) = square(position);
        (la - 1..=la + 1)
            .flat_map(|a| (lo - 1..=lo + 1).map(move |o| (a, o)))
            .filter_map(|sq| self.by_place.get(&(category.to_owned(), sq)))
            .flatten()
            .filter(other)
            .filter_map(|id| self.cases.get(id))
            .filter(|c| within_window(at, c.received_at))
            .filter_map(|c| c.position.map(|p| (c.id, p.distance_m(position))))
            .filter(|(_, d)| *d <= NEAR_M)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(id, _)| id)
    }

    /// Cases held: open ones plus the recently closed.
    pub fn len(&self) -> usize {
        self.cases.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cases.is_empty()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::domain::catalog::{BUILTIN_CATALOG, Catalog, Kind};
    use crate::domain::ids::TicketNumber;
    use crate::domain::ticket::{Location, NewTicket, Source};

    fn day(d: i64) -> Timestamp {
        Timestamp::parse("2026-11-01T00:00:00Z").unwrap() + Duration::days(d)
    }

    /// A ticket received on `received` (a day number) at `lat`, optionally of a shop.
    fn case(received: i64, lat: f64, retailer: Option<&str>, status: Status) -> Ticket {
        let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
        let new = NewTicket {
            source: Source::Hotline,
            external_id: None,
            kind: Kind::Report,
            category: Some("counterfeit".into()),
            urgency: None,
            description: "疑似假烟".into(),
            reporter: None,
            location: Location {
                position: Some(LatLng::new(lat, 115.585).unwrap()),
                address_text: None,
                retailer_licence: retailer.map(str::to_owned),
                reported_licence: None,
                ..Location::default()
            },
            received_at: Some(day(received)),
            possible_duplicate_of: None,
            retailer_candidates: Vec::new(),
            suggestion: None,
        };
        let number = TicketNumber::new("WX", 2026, 1);
        let (mut t, _) =
            Ticket::receive(new, TicketId::generate(), number, &catalog, day(received)).unwrap();
        t.status = status;
        t
    }

    fn near(idx: &CaseIndex, lat: f64, at: i64) -> Option<TicketId> {
        let p = LatLng::new(lat, 115.585).unwrap();
        idx.find(None, None, Some("counterfeit"), Some(p), day(at))
    }

    #[test]
    fn a_closed_case_counts_nearby_for_thirty_days_from_its_receipt() {
        let mut idx = CaseIndex::default();
        let closed = case(0, 30.02, Some("421182100123"), Status::Archived);
        idx.track(&closed, day(1));
        assert_eq!(near(&idx, 30.0202, 29), Some(closed.id));
        assert_eq!(near(&idx, 30.0202, 31), None, "out of the window");
        // The retailer rule asks for an open ticket.
        let shop = idx.find(None, Some("421182100123"), None, None, day(2));
        assert_eq!(shop, None);
        idx.prune(day(30));
        assert_eq!(idx.len(), 1, "received 30 days ago: still kept");
        idx.prune(day(31));
        assert!(idx.is_empty(), "pruned once past the window");
        // Closed long ago: never indexed.
        idx.track(&case(0, 30.02, None, Status::Transferred), day(40));
        assert!(idx.is_empty());
    }

    #[test]
    fn a_first_report_is_never_marked_a_repeat_of_its_own_repeat() {
        let mut idx = CaseIndex::default();
        let first = case(0, 30.02, Some("421182100123"), Status::Received);
        idx.track(&first, day(0));
        let mut second = case(1, 30.02, Some("421182100123"), Status::Received);
        second.possible_duplicate_of = idx.find(
            None,
            Some("421182100123"),
            Some("counterfeit"),
            second.location.position,
            day(1),
        );
        assert_eq!(second.possible_duplicate_of, Some(first.id));
        idx.track(&second, day(1));
        // The first one's triage re-check: the second repeats it, not the other way round.
        let p = first.location.position;
        let again = idx.find(
            Some(first.id),
            Some("421182100123"),
            Some("counterfeit"),
            p,
            day(0),
        );
        assert_eq!(again, None);
        // A third report still finds one of them.
        let third = idx.find(None, Some("421182100123"), Some("counterfeit"), p, day(2));
        assert!(third == Some(first.id) || third == Some(second.id));
    }

    #[test]
    fn merged_cases_and_the_ticket_itself_are_not_duplicates() {
        let mut idx = CaseIndex::default();
        let merged = case(0, 30.02, None, Status::Merged);
        idx.track(&merged, day(0));
        assert!(idx.is_empty(), "the target carries a merged case on");
        let open = case(0, 30.02, Some("421182100123"), Status::Received);
        idx.track(&open, day(0));
        let p = Some(LatLng::new(30.02, 115.585).unwrap());
        let shop = Some("421182100123");
        assert_eq!(
            idx.find(Some(open.id), shop, Some("counterfeit"), p, day(0)),
            None
        );
        assert_eq!(idx.find(None, shop, None, None, day(90)), Some(open.id));
        // Closing it moves it out of the retailer rule but keeps it for the place rule.
        let mut closed = open.clone();
        closed.status = Status::Archived;
        idx.track(&closed, day(3));
        assert_eq!(idx.find(None, shop, None, None, day(3)), None);
        assert_eq!(near(&idx, 30.0203, 3), Some(open.id));
    }
}
