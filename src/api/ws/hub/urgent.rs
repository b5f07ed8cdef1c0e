//! The open tickets in urgency order, and by the vehicles and staff they concern, kept by
//! the hub from the tickets it fans out, so a console's or field device's snapshot reads
//! only the tickets it shows. A province holds 100,000 open tickets and consoles cut off
//! for lagging ask for snapshots together; reading and decoding every open ticket per
//! snapshot took most of the engine's core under load, and a crew's phone connecting read
//! them all to find its own few.
//!
//! The index is exact at the hub's own seq: a session joining at that seq reads the listed
//! tickets from the store (as new or newer) and takes every later event from the hub.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::FieldIdentity;
use crate::domain::Timestamp;
use crate::domain::catalog::Catalog;
use crate::domain::ids::{StaffId, TicketId, VehicleId};
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
    held: HashMap<TicketId, Held>,
    /// Open tickets with an active collaboration group (the snapshot lists every group).
    grouped: HashSet<TicketId>,
    /// Open tickets by the vehicle sent, and by the staff on them (crew, handlers, group
    /// members): what [`FieldIdentity::concerns`] looks at.
    by_vehicle: HashMap<VehicleId, HashSet<TicketId>>,
    by_staff: HashMap<StaffId, HashSet<TicketId>>,
}

/// What the index holds of one ticket, to take it out again.
struct Held {
    urgency: Urgency,
    vehicle: Option<VehicleId>,
    staff: Vec<StaffId>,
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
        self.remove(&t.id);
        if t.status.is_closed() {
            return;
        }
        let urgency = urgency(t, catalog);
        self.order.insert((urgency, t.id));
        let members = t.group_member_ids();
        if !members.is_empty() {
            self.grouped.insert(t.id);
        }
        let vehicle = t.assignment.vehicle_id.clone();
        if let Some(v) = &vehicle {
            self.by_vehicle.entry(v.clone()).or_default().insert(t.id);
        }
        let mut staff: Vec<StaffId> = (t.assignment.crew.iter())
            .chain(&t.assignment.staff)
            .chain(&members)
            .cloned()
            .collect();
        staff.sort();
        staff.dedup();
        for s in &staff {
            self.by_staff.entry(s.clone()).or_default().insert(t.id);
        }
        self.held.insert(
            t.id,
            Held {
                urgency,
                vehicle,
                staff,
            },
        );
    }

    fn remove(&mut self, id: &TicketId) {
        let Some(old) = self.held.remove(id) else {
            return;
        };
        self.order.remove(&(old.urgency, *id));
        self.grouped.remove(id);
        if let Some(v) = old.vehicle {
            unlist(&mut self.by_vehicle, &v, id);
        }
        for s in old.staff {
            unlist(&mut self.by_staff, &s, id);
        }
    }

    /// The open tickets that may concern a field device: those of its vehicles and staff.
    pub fn concerning(&self, who: &FieldIdentity) -> Vec<TicketId> {
        let mut ids: HashSet<TicketId> = HashSet::new();
        for v in &who.vehicles {
            ids.extend(self.by_vehicle.get(v).into_iter().flatten());
        }
        for s in &who.staff {
            ids.extend(self.by_staff.get(s).into_iter().flatten());
        }
        ids.into_iter().collect()
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

fn unlist<K: std::hash::Hash + Eq>(
    index: &mut HashMap<K, HashSet<TicketId>>,
    key: &K,
    id: &TicketId,
) {
    if let Some(ids) = index.get_mut(key) {
        ids.remove(id);
        if ids.is_empty() {
            index.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::domain::board::tests::{handled, ticket};
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

    #[test]
    fn a_device_finds_the_open_tickets_of_its_vehicle_and_crew_only() {
        let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
        let mut open = OpenTickets::default();
        let mut sent = ticket("counterfeit", Grade::II, &catalog);
        handled(&mut sent, "T-1", 10, &catalog);
        sent.assignment.crew = vec!["S-1".parse().unwrap()];
        let other = ticket("counterfeit", Grade::II, &catalog);
        open.update(&sent, &catalog);
        open.update(&other, &catalog);
        let who = |vehicles: &[&str], staff: &[&str]| FieldIdentity {
            vehicles: vehicles.iter().map(|v| v.parse().unwrap()).collect(),
            staff: staff.iter().map(|s| s.parse().unwrap()).collect(),
            groups_only: false,
        };
        assert_eq!(open.concerning(&who(&["V-1"], &[])), vec![sent.id]);
        assert_eq!(open.concerning(&who(&[], &["S-1"])), vec![sent.id]);
        assert!(open.concerning(&who(&["V-2"], &["S-2"])).is_empty());
        sent.status = crate::domain::ticket::Status::Archived;
        open.update(&sent, &catalog);
        assert!(
            open.concerning(&who(&["V-1"], &["S-1"])).is_empty(),
            "closed: gone"
        );
        assert!(open.by_vehicle.is_empty() && open.by_staff.is_empty());
    }
}
