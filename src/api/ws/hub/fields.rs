//! The field sessions, found by the staff and vehicles they speak for. Every vehicle socket
//! holds one (for its crew's group frames), so a province has tens of thousands: a ticket
//! event is offered to the sessions of the vehicles and people named on it, looked up by
//! id, instead of being checked against every session on the hub's thread.
//! `FieldIdentity::concerns_event` still decides for each of them, so who gets what is
//! unchanged; the index only narrows who is asked.

use std::collections::HashMap;

use super::{FieldIdentity, Session};
use crate::api::ws::frames::Frame;
use crate::domain::ids::{StaffId, VehicleId};
use crate::domain::ticket::{EventKind, EventRecord, Ticket};

#[derive(Default)]
pub struct FieldSessions {
    next: u64,
    all: HashMap<u64, (FieldIdentity, Session)>,
    by_staff: HashMap<StaffId, Vec<u64>>,
    by_vehicle: HashMap<VehicleId, Vec<u64>>,
}

impl FieldSessions {
    pub fn len(&self) -> usize {
        self.all.len()
    }

    pub fn sessions(&self) -> impl Iterator<Item = &Session> {
        self.all.values().map(|(_, s)| s)
    }

    pub fn add(&mut self, who: FieldIdentity, session: Session) {
        let key = self.next;
        self.next += 1;
        for s in &who.staff {
            self.by_staff.entry(s.clone()).or_default().push(key);
        }
        for v in &who.vehicles {
            self.by_vehicle.entry(v.clone()).or_default().push(key);
        }
        self.all.insert(key, (who, session));
    }

    fn remove(&mut self, key: u64) {
        let Some((who, _)) = self.all.remove(&key) else {
            return;
        };
        for s in &who.staff {
            unlist(&mut self.by_staff, s, key);
        }
        for v in &who.vehicles {
            unlist(&mut self.by_vehicle, v, key);
        }
    }

    /// Lets go of the sessions whose socket has ended. A session is otherwise let go when a
    /// frame for it finds it gone, and most vehicle sockets' sessions are offered nothing.
    pub fn sweep(&mut self) {
        let ended: Vec<u64> = self
            .all
            .iter()
            .filter(|(_, (_, s))| s.tx.is_closed())
            .map(|(k, _)| *k)
            .collect();
        for key in ended {
            self.remove(key);
        }
    }

    /// Every session, taken out (the hub cut them all off).
    pub fn drain(&mut self) -> Vec<Session> {
        self.by_staff.clear();
        self.by_vehicle.clear();
        self.all.drain().map(|(_, (_, s))| s).collect()
    }

    /// Offers the event's frame (made once, and only if someone is concerned) to the
    /// sessions it concerns; a session cut off or gone leaves.
    pub fn fan_out(&mut self, e: &EventRecord, t: &Ticket, frame: impl FnOnce() -> Frame) {
        let concerned: Vec<u64> = self
            .candidates(e, t)
            .into_iter()
            .filter(|k| {
                self.all
                    .get(k)
                    .is_some_and(|(who, _)| who.concerns_event(e, t))
            })
            .collect();
        if concerned.is_empty() {
            return;
        }
        let frame = frame();
        for key in concerned {
            let kept = self.all.get(&key).is_some_and(|(_, s)| s.offer(&frame));
            if !kept {
                self.remove(key);
            }
        }
    }

    /// The sessions of every vehicle and person the event or its ticket names: its vehicle
    /// (and one called off), its crew and handlers, and the members of its group (active,
    /// just dissolved, or just let go). A superset of those it concerns.
    fn candidates(&self, e: &EventRecord, t: &Ticket) -> Vec<u64> {
        let mut vehicles: Vec<&VehicleId> = t.assignment.vehicle_id.iter().collect();
        if let EventKind::DispatchCancelled { vehicle_id, .. } = &e.kind {
            vehicles.push(vehicle_id);
        }
        let mut staff: Vec<StaffId> = t
            .assignment
            .crew
            .iter()
            .chain(&t.assignment.staff)
            .cloned()
            .collect();
        if let Some(g) = &t.group {
            staff.extend(g.member_ids());
        }
        if let EventKind::GroupMembersChanged(change) = &e.kind {
            staff.extend(change.removed.iter().cloned());
        }
        let mut keys: Vec<u64> = vehicles
            .into_iter()
            .filter_map(|v| self.by_vehicle.get(v))
            .chain(staff.iter().filter_map(|s| self.by_staff.get(s)))
            .flatten()
            .copied()
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }
}

fn unlist<K: std::hash::Hash + Eq>(index: &mut HashMap<K, Vec<u64>>, id: &K, key: u64) {
    if let Some(keys) = index.get_mut(id) {
        keys.retain(|k| *k != key);
        if keys.is_empty() {
            index.remove(id);
        }
    }
}
