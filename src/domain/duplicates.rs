//! Spotting repeats at intake: an open ticket about the same retailer, or of the same
//! category within 50 m and 30 days, is probably the same case. The new ticket is marked
//! `possible_duplicate_of` it; a dispatcher decides whether to merge.

use std::collections::HashMap;

use time::Duration;

use super::Timestamp;
use super::geo::LatLng;
use super::ids::TicketId;
use super::ticket::Ticket;

/// Two cases of the same category closer than this are probably one.
pub const NEAR_M: f64 = 50.0;
/// ... when the earlier one came in within this window.
pub const WINDOW: Duration = Duration::days(30);

#[derive(Clone, Debug)]
struct Case {
    id: TicketId,
    category: Option<String>,
    position: Option<LatLng>,
    retailer: Option<String>,
    received_at: Timestamp,
}

/// A ~110 m square of latitude/longitude (1/1000 of a degree): a 50 m neighbourhood lies
/// within the 3×3 squares around a point, so a check looks at a handful of cases, not at
/// every open ticket of the category.
type Square = (i32, i32);

fn square(p: LatLng) -> Square {
    (
        (p.lat() * 1000.0).floor() as i32,
        (p.lng() * 1000.0).floor() as i32,
    )
}

/// The open tickets, indexed for the duplicate check.
#[derive(Debug, Default)]
pub struct OpenCases {
    cases: HashMap<TicketId, Case>,
    by_retailer: HashMap<String, Vec<TicketId>>,
    by_place: HashMap<(String, Square), Vec<TicketId>>,
}

impl OpenCases {
    /// Adds, updates or (when closed) removes a ticket.
    pub fn track(&mut self, t: &Ticket) {
        self.forget(&t.id);
        if t.status.is_closed() {
            return;
        }
        let case = Case {
            id: t.id,
            category: t.category.clone(),
            position: t.location.position,
            retailer: t
                .location
                .retailer_licence
                .clone()
                .filter(|l| !l.trim().is_empty()),
            received_at: t.received_at,
        };
        if let Some(r) = &case.retailer {
            self.by_retailer.entry(r.clone()).or_default().push(t.id);
        }
        if let (Some(c), Some(p)) = (&case.category, case.position) {
            self.by_place
                .entry((c.clone(), square(p)))
                .or_default()
                .push(t.id);
        }
        self.cases.insert(t.id, case);
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
    }

    /// The open ticket a new one probably repeats: the same retailer first, then the
    /// nearest of the same category within [`NEAR_M`] received within [`WINDOW`].
    pub fn find(
        &self,
        retailer: Option<&str>,
        category: Option<&str>,
        position: Option<LatLng>,
        now: Timestamp,
    ) -> Option<TicketId> {
        if let Some(r) = retailer
            && let Some(id) = self.by_retailer.get(r).and_then(|l| l.last())
        {
            return Some(*id);
        }
        let (category, position) = (category?, position?);
        let (la, lo) = square(position);
        (la - 1..=la + 1)
            .flat_map(|a| (lo - 1..=lo + 1).map(move |o| (a, o)))
            .filter_map(|sq| self.by_place.get(&(category.to_owned(), sq)))
            .flatten()
            .filter_map(|id| self.cases.get(id))
            .filter(|c| now.seconds_since(c.received_at) <= WINDOW.whole_seconds())
            .filter_map(|c| c.position.map(|p| (c.id, p.distance_m(position))))
            .filter(|(_, d)| *d <= NEAR_M)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(id, _)| id)
    }

    pub fn len(&self) -> usize {
        self.cases.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cases.is_empty()
    }
}
