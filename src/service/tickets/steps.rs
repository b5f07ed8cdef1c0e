//! Each step's checks and its domain command: a typed body becomes a `Command` (or a
//! dispatcher or merge request) run on the ticket's actor. The caller's role was checked
//! before the body was read (`perform`/`execute`); nothing changes on an error.

use super::requests::*;
use super::{Outcome, Step, parse_id};
use crate::actors::dispatch::{CancelDispatch, OfferTicket};
use crate::actors::fleet::messages::GetVehicle;
use crate::api::tickets::dto::{
    self, EvidenceDto, LatLngDto, MAX_DESCRIPTION, check_len, check_opt,
};
use crate::api::tickets::returns;
use crate::domain::catalog::Department;
use crate::domain::error_code::ErrorCode;
use crate::domain::ids::{StaffId, TicketId, VehicleId};
use crate::domain::role::Principal;
use crate::domain::ticket::{ApprovalDecision, Command, TransferTarget};
use crate::engine::Engine;
use crate::service::Error;

/// Runs a step whose role was checked; `id` is the ticket id as the caller wrote it.
pub(super) async fn run(
    engine: &Engine,
    by: &Principal,
    id: &str,
    step: Step,
) -> Result<Outcome, Error> {
    let command = match step {
        Step::Triage(b) => triage(engine, b)?,
        Step::Dispatch(b) => return dispatch(engine, by, id, b).await,
        Step::CancelDispatch(b) => return cancel_dispatch(engine, by, id, b).await,
        Step::Assign(b) => assign(engine, b)?,
        Step::Arrive(_) => Command::Arrive,
        Step::OnsiteRecord(b) => Command::RecordOnsite {
            findings: text("findings", b.findings, MAX_DESCRIPTION)?,
            actions: text("actions", b.actions, MAX_DESCRIPTION)?,
            evidence: EvidenceDto::parse_all(b.evidence, &engine.catalog)?,
        },
        Step::Report(b) => report(engine, b)?,
        Step::Review(b) => Command::Review {
            decision: b.decision,
            reasons: returns::parse(b.reasons, &engine.catalog)?,
        },
        Step::Approval(b) => approval(engine, b)?,
        Step::Reply(b) => Command::Reply {
            text: text("text", b.text, MAX_DESCRIPTION)?,
        },
        Step::ReturnVisit(b) => {
            check_opt("comment", &b.comment, MAX_DESCRIPTION)?;
            Command::RecordVisit {
                satisfaction: b.satisfaction,
                comment: b.comment,
            }
        }
        Step::Archive(b) => {
            check_opt("note", &b.note, MAX_DESCRIPTION)?;
            Command::Archive { note: b.note }
        }
        Step::Reopen(b) => Command::Reopen {
            reason: text("reason", b.reason, 1000)?,
            to: b.to,
        },
        Step::Supervise(b) => {
            let notice = text("notice", b.notice, 1000)?;
            #[cfg(feature = "fault-injection")]
            if notice == crate::api::FAULT_INJECTION_NOTICE {
                let died = engine.tickets.inject_panic(&parse_id(id)?).await;
                return Ok(Outcome::ActorDied(died));
            }
            Command::Supervise { notice }
        }
        Step::Transfer(b) => transfer(b)?,
        Step::Merge(b) => return merge(engine, by, id, b).await,
        Step::Group(b) => {
            let ticket = crate::service::groups::form(engine, by, parse_id(id)?, b).await?;
            return Ok(Outcome::GroupFormed(Box::new(ticket)));
        }
    };
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

fn text(field: &str, value: String, max: usize) -> Result<String, Error> {
    check_len(field, &value, max)?;
    Ok(value)
}

fn triage(engine: &Engine, b: TriageRequest) -> Result<Command, Error> {
    check_opt("address_text", &b.address_text, 500)?;
    let retailer_licence = dto::licence(b.retailer_licence)?;
    let mut position = b.location.map(LatLngDto::parse).transpose()?;
    if let Some(licence) = &retailer_licence {
        // Confirming a registry retailer places the ticket at the shop.
        let shop = engine.retailers.get(licence).ok_or_else(|| {
            Error::of(
                ErrorCode::UnknownRetailer,
                format!("no retailer `{licence}` in the registry"),
            )
        })?;
        position.get_or_insert(shop.position());
    }
    Ok(Command::Triage {
        category: b.category,
        urgency: b.urgency,
        position,
        address_text: b.address_text,
        retailer_licence,
        duplicate_of: None,
    })
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

async fn dispatch(
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
        let command = Command::Dispatch {
            vehicle: v.id,
            team: v.team_id,
            crew: v.crew,
        };
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

async fn cancel_dispatch(
    engine: &Engine,
    by: &Principal,
    id: &str,
    b: CancelDispatchRequest,
) -> Result<Outcome, Error> {
    let reason = text("reason", b.reason, 1000)?;
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

fn assign(engine: &Engine, b: AssignRequest) -> Result<Command, Error> {
    let raw = b.staff_id;
    let unknown = || {
        Error::of(
            ErrorCode::UnknownStaff,
            format!("no staff member `{raw}` is registered"),
        )
    };
    let staff_id: StaffId = raw.parse().map_err(|_| unknown())?;
    let staff = engine.roster.staff(&staff_id)?.ok_or_else(unknown)?;
    if !staff.in_service() {
        return Err(out_of_service(&raw));
    }
    Ok(Command::Assign { staff: staff.id })
}

fn report(engine: &Engine, b: ReportRequest) -> Result<Command, Error> {
    if b.sections.len() > 50 {
        return Err(Error::of(ErrorCode::TooMany, "at most 50 sections"));
    }
    for (name, value) in &b.sections {
        check_len("sections (name)", name, 64)?;
        check_len(&format!("sections.{name}"), value, 20_000)?;
    }
    Ok(Command::SubmitReport {
        sections: b.sections,
        evidence: EvidenceDto::parse_all(b.evidence, &engine.catalog)?,
    })
}

fn approval(engine: &Engine, b: ApprovalRequest) -> Result<Command, Error> {
    let decision = match (b.decision, b.return_to) {
        (ApprovalVerdict::Approve, None) => ApprovalDecision::Approve,
        (ApprovalVerdict::Approve, Some(_)) => {
            return Err(Error::of(
                ErrorCode::BadReturnTo,
                "`return_to` goes with a return only",
            ));
        }
        (ApprovalVerdict::Return, None | Some(ReturnTo::Reporting)) => {
            ApprovalDecision::ReturnToReporting
        }
        (ApprovalVerdict::Return, Some(ReturnTo::InReview)) => ApprovalDecision::ReturnToReview,
    };
    Ok(Command::Approve {
        decision,
        reasons: returns::parse(b.reasons, &engine.catalog)?,
    })
}

fn transfer(b: TransferRequest) -> Result<Command, Error> {
    check_opt("unit", &b.unit, 200)?;
    let department = |department| TransferTarget::Department { department };
    let to = match b.to {
        TransferTo::Enforcement => department(Department::Enforcement),
        TransferTo::Marketing => department(Department::Marketing),
        TransferTo::Logistics => department(Department::Logistics),
        TransferTo::Platform => TransferTarget::Platform,
        TransferTo::OtherUnit => TransferTarget::OtherUnit {
            unit: b
                .unit
                .ok_or_else(|| Error::of(ErrorCode::UnitRequired, "name the receiving `unit`"))?,
        },
    };
    Ok(Command::Transfer {
        to,
        reason: text("reason", b.reason, 1000)?,
    })
}

async fn merge(
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
