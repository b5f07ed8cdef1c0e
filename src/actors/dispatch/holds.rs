//! Which vehicle is held for which ticket's offer (open, being made, or planned with its
//! filing), told to the grid as it changes so an offer's search never meets a held vehicle.
//!
//! The search used to carry every held vehicle in its exclusion list: under province load
//! thousands of offers are open at once, and each search copied all their ids and the grid
//! sorted them (8% of the engine's core in the E2 profile). The grid now keeps the held
//! vehicles out of its ready index instead. A hold is told before any later search is
//! asked (both go to the grid's one mailbox, in order), so a search never returns a vehicle
//! held when it was asked; two searches in flight at once may still pick the same vehicle,
//! and [`super::DispatcherActor::reserve`] refuses the second.

use std::collections::HashMap;

use actix::Addr;

use crate::actors::grid::{HexGridActor, HoldVehicle};
use crate::domain::ids::{TicketId, VehicleId};

pub(super) struct Holds {
    by_vehicle: HashMap<VehicleId, TicketId>,
    grid: Addr<HexGridActor>,
}

impl Holds {
    pub fn new(grid: Addr<HexGridActor>) -> Self {
        Self {
            by_vehicle: HashMap::new(),
            grid,
        }
    }

    /// The ticket `vehicle` is held for.
    pub fn get(&self, vehicle: &VehicleId) -> Option<TicketId> {
        self.by_vehicle.get(vehicle).copied()
    }

    pub fn contains(&self, vehicle: &VehicleId) -> bool {
        self.by_vehicle.contains_key(vehicle)
    }

    /// Holds `vehicle` for `ticket` (in place of any earlier hold).
    pub fn insert(&mut self, vehicle: VehicleId, ticket: TicketId) {
        if self.by_vehicle.insert(vehicle.clone(), ticket).is_none() {
            self.tell(vehicle, true);
        }
    }

    pub fn remove(&mut self, vehicle: &VehicleId) {
        if self.by_vehicle.remove(vehicle).is_some() {
            self.tell(vehicle.clone(), false);
        }
    }

    /// Keeps the holds `keep` says to, and lets go of the others.
    pub fn retain(&mut self, mut keep: impl FnMut(&TicketId) -> bool) {
        let mut gone = Vec::new();
        self.by_vehicle.retain(|v, t| {
            let kept = keep(t);
            if !kept {
                gone.push(v.clone());
            }
            kept
        });
        for v in gone {
            self.tell(v, false);
        }
    }

    fn tell(&self, id: VehicleId, held: bool) {
        // Our own bookkeeping, not network input: it must not be dropped by a full mailbox.
        self.grid.do_send(HoldVehicle { id, held });
    }
}
