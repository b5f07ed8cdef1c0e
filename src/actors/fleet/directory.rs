//! The fleet's directory: one vehicle actor per registered vehicle and one team actor per
//! squad, started at boot from the roster and the persisted vehicle states, found by id.
//! A vehicle actor whose mailbox has closed is rebuilt from the roster and the store (the
//! generic [`Directory`](crate::actors::directory::Directory) does the finding); a team
//! actor holds only counts the dispatcher keeps sending, and is never rebuilt.
//!
//! GPS gateways' fixes reach a vehicle actor through [`FleetDirectory::gateway_fixes`]:
//! one batch at a time per vehicle, the latest one waiting behind it (latest wins, the
//! replaced one counted in `hotline_fixes_thinned_total{stage="gateway"}`). A gateway that
//! posts faster than a vehicle's actor is served therefore never queues more than one
//! message per vehicle, and what waits is that vehicle's newest fixes.

use std::collections::HashMap;
use std::sync::Arc;

use actix::prelude::*;
use parking_lot::{Mutex, RwLock};

use super::messages::{FixReport, GatewayFixes, RefreshOnline};
use super::team::TeamActor;
use super::vehicle::{FixPaths, FleetDeps, VehicleActor};
use crate::actors::directory::Directory;
use crate::actors::grid::GridMoves;
use crate::domain::fleet::{Fix, VehicleState};
use crate::domain::grid::pending::InFlight;
use crate::domain::ids::{TeamId, VehicleId};
use crate::domain::roster::{Team, Vehicle};
use crate::roster::Roster;
use crate::store::{RecordKind, StoreError};

/// How often the fleet looks for gateways fallen silent (`GatewaySilence`).
const CHECK_SILENCE_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

pub struct FleetDirectory {
    vehicles: Directory<VehicleId, VehicleActor>,
    teams: RwLock<HashMap<TeamId, Addr<TeamActor>>>,
    deps: Arc<FleetDeps>,
    /// Where every vehicle's fixes go: the grid's waiting moves, the store's fix writes.
    fixes: FixPaths,
    /// Gateway batches being taken, per vehicle, and the latest one waiting.
    gateway: Arc<Mutex<InFlight<VehicleId, Vec<Fix>>>>,
}

/// One vehicle's gateway batch being taken; when it ends, the batch waiting behind it is
/// taken next, by a task of its own (its request was answered when it was admitted; the
/// vehicle actor counts what it accepts and refuses).
struct Turn {
    gateway: Arc<Mutex<InFlight<VehicleId, Vec<Fix>>>>,
    id: VehicleId,
    addr: Addr<VehicleActor>,
    /// Handed on after its batch was taken.
    done: bool,
}

impl Turn {
    /// The batch was taken: a task takes what waits, one batch at a time.
    fn hand_on(mut self) {
        self.done = true;
        let Some(first) = finish(&self.gateway, &self.id) else {
            return;
        };
        let (gateway, id, addr) = (self.gateway.clone(), self.id.clone(), self.addr.clone());
        actix::spawn(async move {
            let mut next = Some(first);
            while let Some(fixes) = next {
                let _ = addr.send(GatewayFixes(fixes)).await;
                next = finish(&gateway, &id);
            }
        });
    }
}

/// What waits for `id` now that its batch was taken, if anything (else `id` is free).
fn finish(gateway: &Mutex<InFlight<VehicleId, Vec<Fix>>>, id: &VehicleId) -> Option<Vec<Fix>> {
    let mut gateway = gateway.lock();
    let next = gateway.finish(id);
    busy(&gateway);
    next
}

fn busy(gateway: &InFlight<VehicleId, Vec<Fix>>) {
    metrics::gauge!("hotline_gateway_vehicles_busy").set(gateway.len() as f64);
}

impl Drop for Turn {
    /// The request was dropped while its batch was being taken (no task may be spawned
    /// here): what waits goes to the mailbox if it has room, and the vehicle is free.
    fn drop(&mut self) {
        if self.done {
            return;
        }
        while let Some(fixes) = finish(&self.gateway, &self.id) {
            let _ = self.addr.try_send(GatewayFixes(fixes));
        }
    }
}

/// What became of one vehicle's fixes from a gateway batch.
pub enum GatewayTaken {
    /// Taken by the vehicle actor: its report.
    Taken(Result<FixReport, MailboxError>),
    /// Waiting behind an earlier batch for the same vehicle (latest wins); `thinned` fixes
    /// that waited before them were replaced.
    Waiting { thinned: usize },
}

impl FleetDirectory {
    /// `arbiters` run the vehicle actors; at least one is required.
    pub fn new(deps: Arc<FleetDeps>, arbiters: Vec<ArbiterHandle>) -> Self {
        let fixes = FixPaths::new(GridMoves::attach(deps.grid.clone()));
        Self {
            vehicles: Directory::new("vehicle", "hotline_vehicle_actor_rebuilds_total", arbiters),
            teams: RwLock::default(),
            deps,
            fixes,
            gateway: Arc::default(),
        }
    }

    /// Starts an actor for every registered vehicle and team; returns the vehicle count.
    pub fn start_all(&self, roster: &Roster) -> Result<usize, StoreError> {
        for team in roster.list::<Team>()? {
            self.add_team(team);
        }
        let vehicles = roster.list::<Vehicle>()?;
        let n = vehicles.len();
        for v in vehicles {
            self.add(v)?;
        }
        Ok(n)
    }

    fn state_of(&self, id: &VehicleId) -> Result<VehicleState, StoreError> {
        match self
            .deps
            .store
            .record(RecordKind::VehicleState, id.as_str())?
        {
            Some(raw) => Ok(serde_json::from_slice(&raw)?),
            None => Ok(VehicleState::new(self.deps.clock.now())),
        }
    }

    /// What starts the actor of `vehicle`, from its persisted state.
    fn make(
        &self,
        vehicle: Vehicle,
    ) -> Result<impl FnOnce() -> VehicleActor + Send + 'static, StoreError> {
        let state = self.state_of(&vehicle.id)?;
        let deps = self.deps.clone();
        let fixes = self.fixes.clone();
        Ok(move || VehicleActor::new(vehicle, state, deps, fixes))
    }

    /// A newly registered vehicle (or one whose record changed) gets its live actor.
    pub fn add(&self, vehicle: Vehicle) -> Result<(), StoreError> {
        if let Some(addr) = self.vehicles.find(&vehicle.id) {
            addr.do_send(super::messages::UpdateRecord(vehicle));
            return Ok(());
        }
        let id = vehicle.id.clone();
        let make = self.make(vehicle)?;
        self.vehicles.start(&id, make);
        Ok(())
    }

    pub fn add_team(&self, team: Team) {
        let id = team.id.clone();
        let addr = TeamActor::new(team).start();
        self.teams.write().insert(id, addr);
    }

    /// The live actor of a vehicle, rebuilt from the roster and the store if its mailbox
    /// closed; `None` when the vehicle is not registered.
    pub fn vehicle(
        &self,
        id: &VehicleId,
        roster: &Roster,
    ) -> Result<Option<Addr<VehicleActor>>, StoreError> {
        self.vehicles
            .find_or_start(id, || match roster.vehicle(id)? {
                Some(record) => self.make(record).map(Some),
                None => Ok(None),
            })
    }

    /// The actor of a vehicle if it is live (no rebuild; for pushes).
    pub fn live_vehicle(&self, id: &VehicleId) -> Option<Addr<VehicleActor>> {
        self.vehicles.find(id)
    }

    /// Hands a gateway's fixes for one vehicle to its actor, unless a batch for it is
    /// being taken: then they wait behind it, replacing the batch that waited. Whatever
    /// waits is taken as soon as the one before it is done, by a task of its own.
    pub async fn gateway_fixes(
        &self,
        id: VehicleId,
        addr: Addr<VehicleActor>,
        fixes: Vec<Fix>,
    ) -> GatewayTaken {
        let admitted = {
            let mut gateway = self.gateway.lock();
            let admitted = gateway.admit(&id, fixes);
            busy(&gateway);
            admitted
        };
        let fixes = match admitted {
            Ok(fixes) => fixes,
            Err(replaced) => {
                let thinned = replaced.map_or(0, |r| r.len());
                if thinned > 0 {
                    metrics::counter!("hotline_fixes_thinned_total", "stage" => "gateway")
                        .increment(thinned as u64);
                }
                return GatewayTaken::Waiting { thinned };
            }
        };
        // Hands on to what waits even if this request is dropped mid-way.
        let turn = Turn {
            gateway: self.gateway.clone(),
            id,
            addr: addr.clone(),
            done: false,
        };
        let report = addr.send(GatewayFixes(fixes)).await;
        turn.hand_on();
        GatewayTaken::Taken(report)
    }

    /// Runs the fleet's gateway watch until the directory is dropped: twice a second,
    /// each vehicle whose gateway has been silent past `fleet.gateway_online_s` (on the
    /// engine's clock) is told to see whether it is still online.
    pub fn watch_gateway_silence(self: &Arc<Self>) {
        let fleet = Arc::downgrade(self);
        actix::spawn(async move {
            let mut tick = tokio::time::interval(CHECK_SILENCE_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(fleet) = fleet.upgrade() else {
                    return;
                };
                fleet.tell_silent();
            }
        });
    }

    fn tell_silent(&self) {
        let silence = &self.deps.gateway_silence;
        let now = self.deps.clock.now();
        for (id, at) in silence.fallen_silent(now, self.deps.gateway_online_s) {
            // A vehicle without a live actor has none to tell: a rebuilt one starts offline.
            let Some(addr) = self.vehicles.find(&id) else {
                continue;
            };
            if addr.try_send(RefreshOnline).is_err() {
                silence.retry(id, at);
            }
        }
    }

    pub fn team(&self, id: &TeamId) -> Option<Addr<TeamActor>> {
        self.teams.read().get(id).cloned()
    }

    pub fn vehicle_ids(&self) -> Vec<VehicleId> {
        self.vehicles.ids()
    }
}
