//! Taking a person or a vehicle out of service (left, sick, suspended; broken down, in the
//! workshop), and back. Out of service is durable on the roster record (`Service`), and
//! everything that depends on it follows from there, in this order:
//!
//! 1. the record is written (from then on no token is issued for it, no offer is made to
//!    it, nobody puts it in a crew or a group);
//! 2. every token bound to it is revoked (`TokenBook::revoke_subject`: HTTP refuses them at
//!    once, open sockets are told);
//! 3. its open work is handed on — a vehicle in `vehicle.rs` (offer cancelled and re-offered,
//!    tickets called off), a person in `staff.rs` (crews left, groups left or lead handed
//!    on, named handlers flagged).
//!
//! Each step is idempotent, so a repeated request finishes what a crash cut short (the
//! record keeps the first reason and time), and [`resume`] does the same at start for every
//! record out of service. Back in service only writes the record (and lets the dispatcher
//! offer the vehicle again once its crew says it is available): tokens are issued anew by
//! an admin, and crews and groups are a dispatcher's choice, never restored by themselves.

mod staff;
mod vehicle;

use std::sync::Arc;

pub use staff::{GroupLeft, StaffOut, put_staff_back, take_staff_out};
pub use vehicle::{VehicleOut, put_vehicle_back, take_vehicle_out};

use crate::actors::coordinator::GroupError;
use crate::actors::dispatch::DispatchError;
use crate::actors::ticket::CommandError;
use crate::domain::ids::TicketId;
use crate::domain::role::Principal;
use crate::domain::roster::{Service, ServiceChange, Staff, Vehicle};
use crate::domain::ticket::steps;
use crate::domain::ticket::{Command, EventKind};
use crate::engine::Engine;
use crate::store::StoreError;

/// Why a change of service did not (fully) happen. What was done stays done; repeating the
/// request finishes the rest.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0} not found")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Command(#[from] CommandError),
    #[error(transparent)]
    Dispatch(#[from] DispatchError),
    #[error(transparent)]
    Group(#[from] GroupError),
    #[error("the {0} is busy; try again shortly")]
    Busy(&'static str),
}

/// The service state after taking something out: the first time keeps the reason, a repeat
/// keeps the record as it is. `None` when it was already out.
fn taken_out(current: &Service, reason: &str, by: &Principal, engine: &Engine) -> Option<Service> {
    current.in_service.then(|| Service {
        in_service: false,
        changed: Some(ServiceChange {
            at: engine.clock.now(),
            reason: Some(reason.to_owned()),
            by: by.clone(),
        }),
    })
}

/// The service state after putting something back; `None` when it was in service.
fn put_back(
    current: &Service,
    note: Option<String>,
    by: &Principal,
    engine: &Engine,
) -> Option<Service> {
    (!current.in_service).then(|| Service {
        in_service: true,
        changed: Some(ServiceChange {
            at: engine.clock.now(),
            reason: note,
            by: by.clone(),
        }),
    })
}

/// The reason given when something went out of service, for the work it leaves.
fn reason_of(service: &Service) -> String {
    service
        .changed
        .as_ref()
        .and_then(|c| c.reason.clone())
        .unwrap_or_else(|| "out of service".into())
}

/// Raises `reason` as an alert on the ticket unless its timeline already holds the same
/// alert (a repeated request, or the sweep at start, never says it twice).
async fn alert_once(
    engine: &Engine,
    ticket_id: TicketId,
    reason: String,
) -> Result<(), ServiceError> {
    let said = engine
        .store
        .timeline(&ticket_id)?
        .iter()
        .any(|e| matches!(&e.kind, EventKind::Alerted { reason: r } if *r == reason));
    if said {
        return Ok(());
    }
    match engine
        .tickets
        .execute(
            ticket_id,
            Command::RaiseAlert(steps::RaiseAlert { reason }),
            Principal::system(),
        )
        .await
    {
        // Closed meanwhile: nobody needs telling.
        Ok(_) | Err(CommandError::Rejected(_) | CommandError::NotFound) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Finishes, at start, what taking something out of service may have left half done (a
/// crash between the record and the last hand-over). Each record out of service is swept
/// again; what was done is not done twice.
pub async fn resume(engine: Arc<Engine>) {
    let vehicles = engine.roster.list::<Vehicle>();
    let staff = engine.roster.list::<Staff>();
    let (Ok(vehicles), Ok(staff)) = (vehicles, staff) else {
        tracing::error!("cannot read the roster to finish taking records out of service");
        return;
    };
    for v in vehicles.into_iter().filter(|v| !v.in_service()) {
        if let Err(e) = vehicle::sweep(&engine, &v).await {
            tracing::warn!(vehicle_id = %v.id, error = %e, "vehicle out of service not fully withdrawn at start");
        }
    }
    for s in staff.into_iter().filter(|s| !s.in_service()) {
        if let Err(e) = staff::sweep(&engine, &s).await {
            tracing::warn!(staff_id = %s.id, error = %e, "staff member out of service not fully withdrawn at start");
        }
    }
}
