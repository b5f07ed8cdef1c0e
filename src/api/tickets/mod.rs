//! Ticket routes: intake, listing, reading, the timeline, (in `lifecycle`) every step
//! of the state machine, and (in `drafts`) the report and reply drafts.

mod drafts;
pub mod dto;
mod evidence;
pub(crate) mod lifecycle;

use actix_web::{HttpResponse, get, post, web};

use self::dto::{EventDto, IntakeRequest, ListParams, TicketDto, TicketPageDto};
use super::auth::Caller;
use super::error::{ApiError, ErrorBody, parse_param};
use crate::domain::Timestamp;
use crate::domain::error_code::ErrorCode;
use crate::domain::ids::{TeamId, TicketId};
use crate::domain::role::Role;
use crate::domain::ticket::Ticket;
use crate::engine::Engine;
use crate::service::intake as filing;
use crate::store::{Cursor, TicketQuery};

pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(intake)
        .service(list)
        .service(read)
        .service(timeline);
    lifecycle::register(cfg);
    drafts::register(cfg);
    evidence::register(cfg);
}

pub(crate) use crate::service::tickets::parse_id;

/// Loads a ticket the caller may read; 404 when unknown, 403 when not theirs. A field token
/// of a member of the ticket's active group (or of a vehicle carrying one) may read it.
pub(crate) fn load_visible(
    engine: &Engine,
    caller: &Caller,
    id: &TicketId,
) -> Result<Ticket, ApiError> {
    let ticket = engine
        .store
        .ticket(id)?
        .ok_or_else(|| ApiError::not_found("ticket"))?;
    let member = || -> Result<bool, ApiError> {
        Ok(caller.role() == Role::Field
            && ticket.active_group().is_some()
            && crate::service::groups::speaks_for_member(engine, &ticket, caller.principal())?)
    };
    if !ticket.visible_to(caller.principal()) && !member()? {
        return Err(ApiError::of(
            ErrorCode::NotAssigned,
            "this ticket is not assigned to you",
        ));
    }
    Ok(ticket)
}

/// Registers a ticket. Idempotent on (source, external_id): a repeat answers 200 with the
/// ticket already filed.
#[utoipa::path(
    tag = "tickets",
    request_body(content = IntakeRequest, example = json!(crate::api::examples::example("IntakeRequest"))),
    responses(
        (status = 201, description = "registered (durable)", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))),
        (status = 200, description = "already registered under this external id", body = TicketDto),
        (status = 400, description = "malformed request", body = ErrorBody), (status = 401, description = "no token, or a bad one", body = ErrorBody), (status = 403, description = "the caller's role may not do this", body = ErrorBody),
        (status = 413, description = "body too large", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody), (status = 429, description = "too busy: retry later", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/tickets")]
async fn intake(
    engine: web::Data<Engine>,
    caller: Caller,
    body: crate::api::Body,
) -> Result<HttpResponse, ApiError> {
    let by = caller.require(filing::ROLES)?.clone();
    let body: IntakeRequest = crate::api::json_body(&body)?;
    let intake = filing::intake(&engine, body.into_new_ticket()?, by).await?;
    let dto = TicketDto::new(&intake.ticket, caller.role(), &engine.catalog);
    if intake.created {
        Ok(HttpResponse::Created().json(dto))
    } else {
        Ok(HttpResponse::Ok().json(dto))
    }
}

fn parse_time(field: &str, raw: &Option<String>) -> Result<Option<Timestamp>, ApiError> {
    raw.as_deref()
        .map(|t| {
            Timestamp::parse(t)
                .map_err(|e| ApiError::malformed(format!("`{field}` is not an RFC 3339 time: {e}")))
        })
        .transpose()
}

/// Lists tickets, newest first, with filters and cursor paging; `overdue=true` is the overdue
/// queue, most overdue first; `closed` picks closed or open tickets and `q` searches their
/// number, external id and text. A field token sees only the tickets assigned to it.
#[utoipa::path(
    tag = "tickets",
    operation_id = "list_tickets",
    params(ListParams),
    responses((status = 200, description = "OK", body = TicketPageDto, example = json!(crate::api::examples::example("TicketPageDto"))), (status = 400, description = "malformed request", body = ErrorBody), (status = 401, description = "no token, or a bad one", body = ErrorBody), (status = 403, description = "the caller's role may not do this", body = ErrorBody)),
    security(("bearer" = []))
)]
#[get("/tickets")]
async fn list(
    engine: web::Data<Engine>,
    caller: Caller,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Dispatcher, Role::Supervisor, Role::Field])?;
    let p = params.into_inner();
    let limit = p.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::malformed("`limit` must be between 1 and 500"));
    }
    let team: Option<TeamId> = parse_param("team", p.team.as_deref())?;
    let bad_cursor = || ApiError::malformed("`cursor` is not a cursor from this API");
    let after = p
        .cursor
        .map(|c| c.parse::<Cursor>().map_err(|_| bad_cursor()))
        .transpose()?;
    // The overdue queue pages by its own order; a cursor of the other kind would mislead.
    let queue = p.overdue == Some(true);
    if after.is_some_and(|c| matches!(c, Cursor::Overdue(..)) != queue) {
        return Err(bad_cursor());
    }
    let assignee = match caller.role() {
        Role::Field => Some(
            caller
                .principal()
                .subject
                .clone()
                .ok_or_else(|| ApiError::forbidden("this field token is bound to nothing"))?,
        ),
        _ => None,
    };
    let text = match p.q {
        None => None,
        Some(_) if caller.role() == Role::Field => {
            return Err(ApiError::forbidden(
                "text search (`q`) is for dispatchers and supervisors",
            ));
        }
        Some(q) if q.trim().is_empty() => {
            return Err(ApiError::malformed("`q` must hold a word to search for"));
        }
        Some(q) => {
            crate::domain::input::check_len("q", &q, crate::domain::input::MAX_SHORT)?;
            Some(q.trim().to_owned())
        }
    };
    let (from, to) = (parse_time("from", &p.from)?, parse_time("to", &p.to)?);
    if let (Some(f), Some(t)) = (from, to)
        && f >= t
    {
        return Err(ApiError::malformed(format!(
            "`from` ({f}) must be before `to` ({t})"
        )));
    }
    let query = TicketQuery {
        status: p.status,
        stage: p.stage,
        category: p.category,
        urgency: p.urgency,
        department: p.department,
        team,
        assignee,
        from,
        to,
        overdue: p.overdue,
        closed: p.closed,
        text,
        after,
        limit,
    };
    let page = engine.store.list_tickets(&query)?;
    Ok(HttpResponse::Ok().json(TicketPageDto {
        items: page
            .items
            .iter()
            .map(|t| TicketDto::new(t, caller.role(), &engine.catalog))
            .collect(),
        next_cursor: page.next_cursor.map(|c| c.to_string()),
    }))
}

/// One ticket. Field devices get only their own tickets and never the reporter.
#[utoipa::path(
    tag = "tickets",
    operation_id = "read_ticket",
    params(("id" = String, Path, description = "ticket id")),
    responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 401, description = "no token, or a bad one", body = ErrorBody), (status = 403, description = "the caller's role may not do this", body = ErrorBody), (status = 404, description = "no such id", body = ErrorBody)),
    security(("bearer" = []))
)]
#[get("/tickets/{id}")]
async fn read(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Dispatcher, Role::Supervisor, Role::Field])?;
    let ticket = load_visible(&engine, &caller, &parse_id(&id)?)?;
    Ok(HttpResponse::Ok().json(TicketDto::new(&ticket, caller.role(), &engine.catalog)))
}

/// The ticket's timeline: every event in order.
#[utoipa::path(
    tag = "tickets",
    params(("id" = String, Path, description = "ticket id")),
    responses((status = 200, description = "OK", body = [EventDto], example = json!(crate::api::examples::list("EventDto"))), (status = 401, description = "no token, or a bad one", body = ErrorBody), (status = 403, description = "the caller's role may not do this", body = ErrorBody), (status = 404, description = "no such id", body = ErrorBody)),
    security(("bearer" = []))
)]
#[get("/tickets/{id}/events")]
async fn timeline(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Dispatcher, Role::Supervisor])?;
    let id = parse_id(&id)?;
    engine
        .store
        .ticket(&id)?
        .ok_or_else(|| ApiError::not_found("ticket"))?;
    let events: Vec<EventDto> = engine
        .store
        .timeline(&id)?
        .iter()
        .map(EventDto::from)
        .collect();
    Ok(HttpResponse::Ok().json(events))
}
