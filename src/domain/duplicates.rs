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

/// The open tickets, indexed for the duplicate check.
#[derive(Debug, Default)]
pub struct OpenCases {
    cases: HashMap<TicketId, Case>,
    by_retailer: HashMap<String, Vec<TicketId>>,
    by_category: HashMap<String, Vec<TicketId>>,
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
        if let Some(c) = &case.category {
            self.by_category.entry(c.clone()).or_default().push(t.id);
        }
        self.cases.insert(t.id, case);
    }

    pub fn forget(&mut self, id: &TicketId) {
        let Some(old) = self.cases.remove(id) else {
            return;
        };
        let drop_from = |map: &mut HashMap<String, Vec<TicketId>>, key: &Option<String>| {
            if let Some(k) = key
                && let Some(list) = map.get_mut(k)
            {
                list.retain(|x| x != id);
                if list.is_empty() {
                    map.remove(k);
                }
            }
        };
        drop_from(&mut self.by_retailer, &old.retailer);
        drop_from(&mut self.by_category, &old.category);
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
        self.by_category
            .get(category)?
            .iter()
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
