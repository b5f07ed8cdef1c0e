//! Out of service and back: `POST /vehicles/{id}/out-of-service`, `/vehicles/{id}/in-service`,
//! `/staff/{id}/out-of-service`, `/staff/{id}/in-service` (the work is in `service/`).
//!
//! Admins, dispatchers and supervisors may do both: pulling a broken-down vehicle or a sick
//! inspector is the command centre's call at any hour, and it only takes capabilities away;
//! coming back restores none by itself (an admin issues new tokens, a dispatcher puts people
//! back in crews and groups). Both are idempotent: a repeat answers 200 with `changed:
//! false`, keeps the first time and reason, and finishes anything a crash cut short — a
//! retry after a lost answer must never be refused.

use actix_web::{HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::roster::{StaffDto, VehicleDto};
use crate::domain::error_code::ErrorCode;
use crate::domain::ids::{StaffId, VehicleId};
use crate::domain::input::{check_len, check_opt};
use crate::domain::role::Role;
use crate::domain::roster::ServiceChange;
use crate::engine::Engine;
use crate::service::out_of_service::{self as service, ServiceError};

/// Who may take out of service and put back.
const CHANGERS: &[Role] = &[Role::Admin, Role::Dispatcher, Role::Supervisor];
/// Longest reason or note, in characters.
const MAX_REASON: usize = 500;

pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(vehicle_out)
        .service(vehicle_in)
        .service(staff_out)
        .service(staff_in);
}

/// `#[serde(default)]` for the read-only `in_service` of roster bodies.
pub(super) fn yes() -> bool {
    true
}

/// The last change of service of a roster record.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceDto {
    /// When it went out of service, or came back (RFC 3339).
    pub changed_at: String,
    /// Why it went out; the note given when it came back, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The role (and token subject) that made the change.
    pub by: String,
}

impl From<&ServiceChange> for ServiceDto {
    fn from(c: &ServiceChange) -> Self {
        Self {
            changed_at: c.at.to_string(),
            reason: c.reason.clone(),
            by: match &c.by.subject {
                Some(s) => format!("{}:{s}", c.by.role),
                None => c.by.role.to_string(),
            },
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutOfServiceRequest {
    /// Why (a breakdown, sick leave, a suspension); required, kept on the record.
    pub reason: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InServiceRequest {
    /// An optional note (repaired, back from leave).
    #[serde(default)]
    pub note: Option<String>,
}

/// A ticket the vehicle was withdrawn from.
#[derive(Debug, Serialize, ToSchema)]
pub struct WithdrawnDto {
    pub ticket_id: String,
    pub number: String,
    /// The event written: `offer.cancelled` or `ticket.dispatch_cancelled`.
    pub event: String,
    /// Offered again by the engine at once; otherwise an alert asks for another vehicle.
    pub reoffered: bool,
}

/// The answer to taking a vehicle out of service.
#[derive(Debug, Serialize, ToSchema)]
pub struct VehicleOutDto {
    pub vehicle: VehicleDto,
    /// False for a repeat (it was already out of service).
    pub changed: bool,
    pub tokens_revoked: usize,
    pub tickets: Vec<WithdrawnDto>,
}

/// A collaboration group the person was withdrawn from.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupLeftDto {
    pub ticket_id: String,
    pub number: String,
    /// `left`, `lead_passed` or `lead_kept` (nobody could take over; an alert asks for one).
    pub outcome: String,
    /// The lead afterwards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead: Option<String>,
    /// Their unfinished task that nobody holds now (named in an alert).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unheld_task: Option<u32>,
}

/// The answer to taking a person out of service.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffOutDto {
    pub staff: StaffDto,
    /// False for a repeat (they were already out of service).
    pub changed: bool,
    pub tokens_revoked: usize,
    /// Vehicles whose crew they left.
    pub crews_left: Vec<String>,
    pub groups: Vec<GroupLeftDto>,
    /// Open tickets naming them as a handler; each got an alert to assign another.
    pub handled_tickets: Vec<String>,
}

/// The answer to putting something back in service: the record, and `changed`.
#[derive(Debug, Serialize)]
pub struct InServiceDto<T> {
    #[serde(flatten)]
    pub record: T,
    /// False for a repeat (it was already in service).
    pub changed: bool,
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound(what) => ApiError::not_found(what),
            ServiceError::Store(e) => e.into(),
            ServiceError::Command(e) => e.into(),
            ServiceError::Dispatch(e) => e.into(),
            ServiceError::Group(e) => e.into(),
            ServiceError::Busy(_) => ApiError::of(ErrorCode::Busy, e.to_string()),
        }
    }
}

fn reason(raw: &str) -> Result<&str, ApiError> {
    let r = raw.trim();
    if r.is_empty() {
        return Err(ApiError::of(
            ErrorCode::ReasonRequired,
            "`reason` must not be empty",
        ));
    }
    check_len("reason", r, MAX_REASON)?;
    Ok(r)
}

fn note(body: &[u8]) -> Result<Option<String>, ApiError> {
    let b: InServiceRequest = if body.iter().all(u8::is_ascii_whitespace) {
        InServiceRequest::default()
    } else {
        crate::api::json_body(body)?
    };
    let note = b
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    check_opt("note", &note, MAX_REASON)?;
    Ok(note)
}

fn vehicle_id(raw: &str) -> Result<VehicleId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found(format!("vehicle `{raw}`")))
}

fn staff_id(raw: &str) -> Result<StaffId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found(format!("staff member `{raw}`")))
}

/// Take a vehicle out of service: its tokens are revoked, its open offer is cancelled and
/// goes to the next vehicle, the tickets it accepted are called off and back to dispatch
/// (offered again at once when their grade is offered automatically), and it is never
/// offered work until it is back. Its crew stays in service. A repeat changes nothing more.
#[utoipa::path(tag = "vehicles", request_body(content = OutOfServiceRequest, example = json!(crate::api::examples::example("OutOfServiceRequest"))), params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = VehicleOutDto, example = json!(crate::api::examples::example("VehicleOutDto"))), (status = 403, description = "the caller's role may not do this", body = ErrorBody), (status = 404, description = "no such id", body = ErrorBody),
        (status = 422, description = "well-formed but breaks a rule", body = ErrorBody), (status = 429, description = "too busy: retry later", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/vehicles/{id}/out-of-service")]
async fn vehicle_out(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
    body: crate::api::Body,
) -> Result<HttpResponse, ApiError> {
    let by = caller.require(CHANGERS)?;
    let b: OutOfServiceRequest = crate::api::json_body(&body)?;
    let id = vehicle_id(&id)?;
    let why = reason(&b.reason)?;
    let out = service::take_vehicle_out(&engine, &id, why, by).await?;
    let tickets = out
        .tickets
        .into_iter()
        .map(|w| WithdrawnDto {
            ticket_id: w.ticket_id.to_string(),
            number: w.number.to_string(),
            event: w.event.to_owned(),
            reoffered: w.reoffered,
        })
        .collect();
    Ok(HttpResponse::Ok().json(VehicleOutDto {
        vehicle: out.vehicle.into(),
        changed: out.changed,
        tokens_revoked: out.tokens_revoked,
        tickets,
    }))
}

/// Put a vehicle back in service: `off_duty` until its crew (with a new token) says it is
/// available. A repeat changes nothing.
#[utoipa::path(tag = "vehicles", request_body(content = Option<InServiceRequest>, example = json!(crate::api::examples::example("InServiceRequest"))), params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = VehicleDto, example = json!(crate::api::examples::example("VehicleDto"))), (status = 403, description = "the caller's role may not do this", body = ErrorBody), (status = 404, description = "no such id", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/vehicles/{id}/in-service")]
async fn vehicle_in(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
    body: crate::api::Body,
) -> Result<HttpResponse, ApiError> {
    let by = caller.require(CHANGERS)?;
    let note = note(&body)?;
    let id = vehicle_id(&id)?;
    let (vehicle, changed) = service::put_vehicle_back(&engine, &id, note, by).await?;
    Ok(HttpResponse::Ok().json(InServiceDto {
        record: VehicleDto::from(vehicle),
        changed,
    }))
}

/// Take a person out of service (left, sick, suspended): their tokens are revoked, they
/// leave every vehicle crew and every active collaboration group (a lead hands the lead on),
/// tickets naming them as a handler are flagged, and they cannot be put in a crew or group
/// or be issued a token until they are back. A repeat changes nothing more.
#[utoipa::path(tag = "staff", request_body(content = OutOfServiceRequest, example = json!(crate::api::examples::example("OutOfServiceRequest"))), params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = StaffOutDto, example = json!(crate::api::examples::example("StaffOutDto"))), (status = 403, description = "the caller's role may not do this", body = ErrorBody), (status = 404, description = "no such id", body = ErrorBody),
        (status = 422, description = "well-formed but breaks a rule", body = ErrorBody), (status = 429, description = "too busy: retry later", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/staff/{id}/out-of-service")]
async fn staff_out(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
    body: crate::api::Body,
) -> Result<HttpResponse, ApiError> {
    let by = caller.require(CHANGERS)?;
    let b: OutOfServiceRequest = crate::api::json_body(&body)?;
    let id = staff_id(&id)?;
    let why = reason(&b.reason)?;
    let out = service::take_staff_out(&engine, &id, why, by).await?;
    let groups = out
        .groups
        .into_iter()
        .map(|g| GroupLeftDto {
            ticket_id: g.ticket_id.to_string(),
            number: g.number.to_string(),
            outcome: g.outcome.to_owned(),
            lead: g.lead.map(|l| l.to_string()),
            unheld_task: g.unheld_task,
        })
        .collect();
    Ok(HttpResponse::Ok().json(StaffOutDto {
        staff: out.staff.into(),
        changed: out.changed,
        tokens_revoked: out.tokens_revoked,
        crews_left: out.crews_left.iter().map(|v| v.to_string()).collect(),
        groups,
        handled_tickets: out.handled.iter().map(|t| t.to_string()).collect(),
    }))
}

/// Put a person back in service. Crews, groups and tokens are not restored by themselves.
/// A repeat changes nothing.
#[utoipa::path(tag = "staff", request_body(content = Option<InServiceRequest>, example = json!(crate::api::examples::example("InServiceRequest"))), params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = StaffDto, example = json!(crate::api::examples::example("StaffDto"))), (status = 403, description = "the caller's role may not do this", body = ErrorBody), (status = 404, description = "no such id", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/staff/{id}/in-service")]
async fn staff_in(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
    body: crate::api::Body,
) -> Result<HttpResponse, ApiError> {
    let by = caller.require(CHANGERS)?;
    let note = note(&body)?;
    let id = staff_id(&id)?;
    let (staff, changed) = service::put_staff_back(&engine, &id, note, by).await?;
    Ok(HttpResponse::Ok().json(InServiceDto {
        record: StaffDto::from(staff),
        changed,
    }))
}
