//! The actions behind the routes and frames: a caller step's command run on the ticket's
//! actor, with what only the engine knows checked first (the retailer a triage names, the
//! staff member an assignment names); and the four actions that are more than one step —
//! dispatching and calling off (through the dispatcher), merging (two tickets), forming a
//! group. The caller's role was checked before the body was read; nothing changes on an
//! error.

use serde::Deserialize;
use utoipa::ToSchema;

use super::{Outcome, parse_id};
use crate::actors::dispatch::{CancelDispatch, OfferTicket};
use crate::actors::fleet::messages::GetVehicle;
use crate::domain::error_code::ErrorCode;
use crate::domain::ids::{TicketId, VehicleId};
use crate::domain::input::check_len;
use crate::domain::role::Principal;
use crate::domain::ticket::Command;
use crate::domain::ticket::steps::{self, unknown_staff};
use crate::engine::Engine;
use crate::service::Error;

/// What a caller sends to dispatch (optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchRequest {
    /// The vehicle to offer the ticket to; the nearest eligible one when absent.
    pub vehicle_id: Option<String>,
    /// Send the named vehicle at once (already agreed by phone), without an offer.
    #[serde(default)]
    pub assign: bool,
    /// Send a vehicle that holds another offer or ticket, or that declined this one.
    #[serde(default, rename = "override")]
    pub override_busy: bool,
}

/// What a caller sends to call a dispatch off.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelDispatchRequest {
    pub reason: String,
}

/// What a caller sends to merge a duplicate.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The duplicate folded into this ticket; both timelines are kept.
    pub duplicate_id: String,
}

/// Runs a caller step's `command` on ticket `id` (as the caller wrote it), after the
/// checks only the engine can make.
pub(super) async fn step(
    engine: &Engine,
    by: &Principal,
    id: &str,
    mut command: Command,
) -> Result<Outcome, Error> {
    match &mut command {
        Command::Triage(triage) => {
            if let Some(licence) = &triage.retailer_licence {
                // Confirming a registry retailer places the ticket at the shop.
                let shop = engine.retailers.get(licence).ok_or_else(|| {
                    Error::of(
                        ErrorCode::UnknownRetailer,
                        format!("no retailer `{licence}` in the registry"),
                    )
                })?;
                triage.position.get_or_insert(shop.position());
            }
        }
        Command::Assign(assign) => {
            let raw = assign.staff.to_string();
            let staff = engine
                .roster
                .staff(&assign.staff)?
                .ok_or_else(|| unknown_staff(&raw))?;
            if !staff.in_service() {
                return Err(out_of_service(&raw));
            }
        }
        #[cfg(feature = "fault-injection")]
        Command::Supervise(s) if s.notice == crate::api::FAULT_INJECTION_NOTICE => {
            let died = engine.tickets.inject_panic(&parse_id(id)?).await;
            return Ok(Outcome::ActorDied(died));
        }
        _ => {}
    }
    command_on(engine, by, parse_id(id)?, command).await
}

/// Runs `command` on ticket `id` through its actor; answers once durable.
async fn command_on(
    engine: &Engine,
    by: &Principal,
    id: TicketId,
    command: Command,
) -> Result<Outcome, Error> {
    let done = engine.tickets.execute(id, command, by.clone()).await?;
    tracing::info!(ticket_id = %id, event = done.event.kind.name(), event_id = done.event.event_id, "ticket changed");
    Ok(Outcome::Ticket(done.ticket))
}

/// A vehicle or person out of service is given no work until it is back.
fn out_of_service(id: &str) -> Error {
    Error::of(
        ErrorCode::OutOfService,
        format!("`{id}` is out of service: put it back in service first"),
    )
}

fn dispatcher_busy() -> Error {
    Error::busy("the dispatcher is busy; try again shortly")
}

pub(super) async fn dispatch(
    engine: &Engine,
    by: &Principal,
    id: &str,
    b: DispatchRequest,
) -> Result<Outcome, Error> {
    let ticket_id = parse_id(id)?;
    let vehicle = match &b.vehicle_id {
        Some(raw) => {
            let unknown = || {
                Error::of(
                    ErrorCode::UnknownVehicle,
                    format!("no vehicle `{raw}` is registered"),
                )
            };
            let vid: VehicleId = raw.parse().map_err(|_| unknown())?;
            let v = engine.roster.vehicle(&vid)?.ok_or_else(unknown)?;
            // Not even with `override`: nobody can answer for it.
            if !v.in_service() {
                return Err(out_of_service(raw));
            }
            Some(v)
        }
        None if b.assign => {
            return Err(Error::of(
                ErrorCode::VehicleRequired,
                "`assign` needs the `vehicle_id` to send",
            ));
        }
        None => None,
    };
    if b.assign {
        let Some(v) = vehicle else {
            return Err(Error::of(ErrorCode::VehicleRequired, "name the vehicle"));
        };
        if !b.override_busy {
            check_free(engine, &v.id).await?;
        }
        // Sent before triage: the dispatcher confirms the proposed triage first.
        if let Some(t) = engine.store.ticket(&ticket_id)?
            && crate::actors::dispatch::confirm::needs_confirmation(&t, by, &engine.catalog)
                .map_err(|r| Error::from(crate::actors::ticket::CommandError::Rejected(r)))?
        {
            crate::actors::dispatch::confirm::confirm_triage(&engine.tickets, &t, by.clone())
                .await?;
        }
        let command = Command::Dispatch(steps::Dispatch {
            vehicle: v.id,
            team: v.team_id,
            crew: v.crew,
        });
        return command_on(engine, by, ticket_id, command).await;
    }
    let offer = OfferTicket {
        ticket_id,
        vehicle: vehicle.map(|v| v.id),
        by: by.clone(),
        override_busy: b.override_busy,
    };
    let done = engine
        .dispatcher
        .send(offer)
        .await
        .map_err(|_| dispatcher_busy())??;
    Ok(Outcome::Ticket(done.ticket))
}

/// Refuses a vehicle that is not free (holding an offer, or on another ticket).
async fn check_free(engine: &Engine, id: &VehicleId) -> Result<(), Error> {
    use crate::domain::fleet::VehicleStatus as V;
    let Some(addr) = engine.fleet.vehicle(id, &engine.roster)? else {
        return Ok(());
    };
    let view = addr.send(GetVehicle).await.map_err(|_| dispatcher_busy())?;
    if matches!(view.status, V::Offered | V::EnRoute | V::OnSite) {
        return Err(Error::of(
            ErrorCode::VehicleBusy,
            format!(
                "vehicle {id} is {}; set `override` to send it anyway",
                view.status.as_str()
            ),
        ));
    }
    Ok(())
}

pub(super) async fn cancel_dispatch(
    engine: &Engine,
    by: &Principal,
    id: &str,
    b: CancelDispatchRequest,
) -> Result<Outcome, Error> {
    check_len("reason", &b.reason, 1000)?;
    let reason = b.reason;
    let msg = CancelDispatch {
        ticket_id: parse_id(id)?,
        reason,
        by: by.clone(),
    };
    let done = engine
        .dispatcher
        .send(msg)
        .await
        .map_err(|_| dispatcher_busy())??;
    Ok(Outcome::Ticket(done.ticket))
}

pub(super) async fn merge(
    engine: &Engine,
    by: &Principal,
    id: &str,
    b: MergeRequest,
) -> Result<Outcome, Error> {
    let target = parse_id(id)?;
    let raw = b.duplicate_id;
    let duplicate = raw
        .parse()
        .map_err(|_| Error::of(ErrorCode::UnknownTicket, format!("no ticket `{raw}`")))?;
    let done = engine.tickets.merge(target, duplicate, by.clone()).await?;
    Ok(Outcome::Ticket(done.ticket))
}
