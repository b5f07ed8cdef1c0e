//! A vehicle out of service: its tokens revoked, its status `out_of_service` (consoles get
//! the `vehicle.status` frame), never offered work until it is back, its open offer
//! cancelled and re-offered, the tickets it accepted called off and back to dispatch (see
//! `actors/dispatch/withdraw.rs`). Its crew members stay in service: they may ride another
//! vehicle. Its positions are still taken (a vehicle towed to the workshop stays on the
//! map). Back in service it is `off_duty` until its crew, signed in with a new token, says
//! it is available.

use crate::actors::dispatch::{VehicleInService, WithdrawVehicle, Withdrawn};
use crate::actors::fleet::messages::GetVehicle;
use crate::domain::ids::{TicketId, VehicleId};
use crate::domain::role::{Principal, Subject};
use crate::domain::roster::Vehicle;
use crate::domain::ticket::Status;
use crate::engine::Engine;
use crate::store::PutMode;

use super::{ServiceError, put_back, reason_of, taken_out};

/// What taking a vehicle out of service did.
#[derive(Debug)]
pub struct VehicleOut {
    pub vehicle: Vehicle,
    /// False when it was already out of service (the sweep ran again all the same).
    pub changed: bool,
    pub tokens_revoked: usize,
    pub tickets: Vec<Withdrawn>,
}

fn read(engine: &Engine, id: &VehicleId) -> Result<Vehicle, ServiceError> {
    engine
        .roster
        .vehicle(id)?
        .ok_or_else(|| ServiceError::NotFound(format!("vehicle `{id}`")))
}

/// Takes vehicle `id` out of service for `reason` (required; kept from the first time).
pub async fn take_vehicle_out(
    engine: &Engine,
    id: &VehicleId,
    reason: &str,
    by: &Principal,
) -> Result<VehicleOut, ServiceError> {
    let (vehicle, changed) = {
        let _writing = engine.roster.writing().await;
        let mut vehicle = read(engine, id)?;
        let changed = match taken_out(&vehicle.service, reason, by, engine) {
            Some(service) => {
                vehicle.service = service;
                engine.roster.put(&vehicle, PutMode::Update).await?;
                true
            }
            None => false,
        };
        (vehicle, changed)
    };
    if changed {
        tracing::info!(vehicle_id = %id, "vehicle taken out of service");
    }
    let (tokens_revoked, tickets) = sweep(engine, &vehicle).await?;
    Ok(VehicleOut {
        vehicle,
        changed,
        tokens_revoked,
        tickets,
    })
}

/// Everything that follows from the record being out of service; safe to repeat. Every
/// step is tried even when one fails (a failed token revocation must not leave the vehicle
/// offered work, nor a busy ticket leave its tokens standing); the first failure is
/// answered, and a repeat finishes the rest.
pub(super) async fn sweep(
    engine: &Engine,
    vehicle: &Vehicle,
) -> Result<(usize, Vec<Withdrawn>), ServiceError> {
    let mut failed = None;
    // The live actor takes the record (its status becomes `out_of_service`, published to
    // the consoles and the grid); asking for its view after makes sure it has.
    if let Err(e) = follow_record(engine, vehicle).await {
        failed.get_or_insert(e);
    }
    let revoked = match engine
        .tokens
        .revoke_subject(&Subject::Vehicle(vehicle.id.clone()))
        .await
    {
        Ok(ids) => ids.len(),
        Err(e) => {
            failed.get_or_insert(e.into());
            0
        }
    };
    let tickets = match withdraw(engine, vehicle).await {
        Ok(tickets) => tickets,
        Err(e) => {
            failed.get_or_insert(e);
            Vec::new()
        }
    };
    match failed {
        Some(e) => Err(e),
        None => Ok((revoked, tickets)),
    }
}

async fn follow_record(engine: &Engine, vehicle: &Vehicle) -> Result<(), ServiceError> {
    engine.fleet.add(vehicle.clone())?;
    if let Some(addr) = engine.fleet.vehicle(&vehicle.id, &engine.roster)? {
        addr.send(GetVehicle)
            .await
            .map_err(|_| ServiceError::Busy("vehicle"))?;
    }
    Ok(())
}

/// The dispatcher stops offering the vehicle work and hands on its offer and tickets.
async fn withdraw(engine: &Engine, vehicle: &Vehicle) -> Result<Vec<Withdrawn>, ServiceError> {
    let withdraw = WithdrawVehicle {
        vehicle_id: vehicle.id.clone(),
        reason: reason_of(&vehicle.service),
        tickets: tickets_of(engine, &vehicle.id).unwrap_or_else(|e| {
            // The dispatcher still withdraws it from what it knows of.
            tracing::warn!(vehicle_id = %vehicle.id, error = %e, "open tickets not read");
            Vec::new()
        }),
    };
    Ok(engine
        .dispatcher
        .send(withdraw)
        .await
        .map_err(|_| ServiceError::Busy("dispatcher"))??)
}

/// Open tickets the store shows the vehicle on: holding their offer, or sent to them.
fn tickets_of(engine: &Engine, id: &VehicleId) -> Result<Vec<TicketId>, ServiceError> {
    let mut out = Vec::new();
    for ticket_id in engine.store.open_ticket_ids()? {
        let Some(t) = engine.store.ticket(&ticket_id)? else {
            continue;
        };
        let offered = t.open_offer().is_some_and(|o| o.vehicle_id == *id);
        let on_it = matches!(t.status, Status::EnRoute | Status::OnSite)
            && t.assignment.vehicle_id.as_ref() == Some(id);
        if offered || on_it {
            out.push(ticket_id);
        }
    }
    Ok(out)
}

/// Puts vehicle `id` back in service (`off_duty` until its crew says it is available);
/// returns the record and whether it changed.
pub async fn put_vehicle_back(
    engine: &Engine,
    id: &VehicleId,
    note: Option<String>,
    by: &Principal,
) -> Result<(Vehicle, bool), ServiceError> {
    let (vehicle, changed) = {
        let _writing = engine.roster.writing().await;
        let mut vehicle = read(engine, id)?;
        let changed = match put_back(&vehicle.service, note, by, engine) {
            Some(service) => {
                vehicle.service = service;
                engine.roster.put(&vehicle, PutMode::Update).await?;
                true
            }
            None => false,
        };
        (vehicle, changed)
    };
    engine
        .dispatcher
        .send(VehicleInService(vehicle.id.clone()))
        .await
        .map_err(|_| ServiceError::Busy("dispatcher"))?;
    engine.fleet.add(vehicle.clone())?;
    if changed {
        tracing::info!(vehicle_id = %id, "vehicle back in service");
    }
    Ok((vehicle, changed))
}
