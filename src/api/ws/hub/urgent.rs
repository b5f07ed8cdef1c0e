//! The open tickets in urgency order, kept by the hub from the tickets it fans out, so a
//! console's snapshot reads only the tickets it shows. A province holds 100,000 open
//! tickets and consoles cut off for lagging ask for snapshots together; reading and
//! decoding every open ticket per snapshot took most of the engine's core under load.
//!
//! The index is exact at the hub's own seq: a console joining at that seq reads the listed
//! tickets from the store (as new or newer) and takes every later event from the hub.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::domain::Timestamp;
use crate::domain::catalog::Catalog;
use crate::domain::ids::TicketId;
use crate::domain::ticket::Ticket;

/// Grade (I first, ungraded last), then the stage's due time, then the receipt time.
pub type Urgency = (u8, i64, Timestamp);

/// A ticket's place in the console's order.
pub fn urgency(t: &Ticket, catalog: &Catalog) -> Urgency {
    let grade = t.urgency.map_or(u8::MAX, |u| u as u8);
    let due = t
        .deadlines(catalog)
        .stage_due_at
        .map(|d| d.inner().unix_timestamp());
    (grade, due.unwrap_or(i64::MAX), t.received_at)
}

#[derive(Default)]
pub struct OpenTickets {
    order: BTreeSet<(Urgency, TicketId)>,
    held: HashMap<TicketId, Urgency>,
    /// Open tickets with an active collaboration group (the snapshot lists every group).
    grouped: HashSet<TicketId>,
}

/// What a console's snapshot is built from.
pub struct Shown {
    /// The most urgent open tickets, most urgent first, at most the cap.
    pub urgent: Vec<TicketId>,
    /// Open tickets with an active group, wherever they rank.
    pub grouped: Vec<TicketId>,
    pub open_total: usize,
}

impl OpenTickets {
    /// Follows one ticket's latest state: placed while open, dropped once closed.
    pub fn update(&mut self, t: &Ticket, catalog: &Catalog) {
        if let Some(old) = self.held.remove(&t.id) {
            self.order.remove(&(old, t.id));
        }
        self.grouped.remove(&t.id);
        if t.status.is_closed() {
            return;
        }
        let key = urgency(t, catalog);
        self.order.insert((key, t.id));
        self.held.insert(t.id, key);
        if !t.group_member_ids().is_empty() {
            self.grouped.insert(t.id);
        }
    }

    pub fn clear(&mut self) {
        *self = Self::default();
    }

    pub fn shown(&self, cap: usize) -> Shown {
        Shown {
            urgent: self.order.iter().take(cap).map(|(_, id)| *id).collect(),
            grouped: self.grouped.iter().copied().collect(),
            open_total: self.held.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::domain::board::tests::ticket;
    use crate::domain::catalog::{BUILTIN_CATALOG, Urgency as Grade};

    #[test]
    fn a_ticket_moves_with_its_urgency_and_leaves_once_closed() {
        let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
        let mut open = OpenTickets::default();
        let mut a = ticket("counterfeit", Grade::III, &catalog);
        let b = ticket("counterfeit", Grade::II, &catalog);
        open.update(&a, &catalog);
        open.update(&b, &catalog);
        assert_eq!(open.shown(1).urgent, vec![b.id]);
        a.urgency = Some(Grade::I);
        open.update(&a, &catalog);
        let shown = open.shown(1);
        assert_eq!(
            shown.urgent,
            vec![a.id],
            "re-graded I: first, and held once"
        );
        assert_eq!(shown.open_total, 2);
        a.status = crate::domain::ticket::Status::Archived;
        open.update(&a, &catalog);
        let shown = open.shown(10);
        assert_eq!((shown.urgent, shown.open_total), (vec![b.id], 1));
    }
}
