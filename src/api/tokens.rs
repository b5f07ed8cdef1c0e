//! Token routes (admin): issue a token for a role and subject, list, revoke. The secret is
//! returned once, at issue. And `GET /me`, for any token: who it speaks for — the page a
//! crew member signs in to learns from it whether there is a vehicle to drive.

use actix_web::{HttpResponse, delete, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use crate::auth::TokenRecord;
use crate::domain::error_code::ErrorCode;
use crate::domain::ids::{StaffId, VehicleId};
use crate::domain::role::{Role, Subject};
use crate::engine::Engine;

pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(issue).service(list).service(revoke).service(me);
}

/// Who a token speaks for.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeDto {
    pub role: Role,
    /// `vehicle:V-1`, `staff:S-1`, or a label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The staff member a field token is bound to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staff: Option<PersonDto>,
    /// The vehicle a field token drives: its own, or the one whose crew its staff member
    /// rides in (none for staff in no crew, such as an account manager).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vehicle: Option<MyVehicleDto>,
}

/// A person as their own crew sees them: no phone.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonDto {
    pub id: String,
    pub name: String,
    pub badge: String,
    pub department: crate::domain::catalog::Department,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyVehicleDto {
    pub id: String,
    pub plate: String,
    pub team_id: String,
    pub department: crate::domain::catalog::Department,
    pub crew: Vec<PersonDto>,
}

impl From<&crate::domain::roster::Staff> for PersonDto {
    fn from(s: &crate::domain::roster::Staff) -> Self {
        Self {
            id: s.id.to_string(),
            name: s.name.clone(),
            badge: s.badge.clone(),
            department: s.department,
            team_id: s.team_id.as_ref().map(ToString::to_string),
        }
    }
}

/// Who this token speaks for: its role and subject, and for a field token the staff member
/// and the vehicle it drives.
#[utoipa::path(tag = "tokens",
    responses((status = 200, description = "OK", body = MeDto, example = json!(crate::api::examples::example("MeDto"))), (status = 401, description = "no or bad token", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/me")]
async fn me(engine: web::Data<Engine>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let principal = caller.principal();
    let person = |id: &StaffId| -> Result<Option<PersonDto>, ApiError> {
        Ok(engine.roster.staff(id)?.as_ref().map(PersonDto::from))
    };
    let (staff, vehicle) = if principal.role == Role::Field {
        let staff = match &principal.subject {
            Some(Subject::Staff(s)) => person(s)?,
            _ => None,
        };
        // A staff member in no crew has no vehicle: that is an answer, not an error.
        let vehicle = crate::api::fleet::driven_by(&engine, principal)?
            .map(|v| -> Result<MyVehicleDto, ApiError> {
                Ok(MyVehicleDto {
                    id: v.id.to_string(),
                    plate: v.plate.clone(),
                    team_id: v.team_id.to_string(),
                    department: v.department,
                    crew: v
                        .crew
                        .iter()
                        .filter_map(|s| person(s).transpose())
                        .collect::<Result<_, _>>()?,
                })
            })
            .transpose()?;
        (staff, vehicle)
    } else {
        (None, None)
    };
    Ok(HttpResponse::Ok().json(MeDto {
        role: principal.role,
        subject: principal.subject.as_ref().map(ToString::to_string),
        staff,
        vehicle,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub role: Role,
    /// For `field`: a registered vehicle or staff id (optionally `vehicle:`/`staff:`
    /// prefixed). For other roles: a free label.
    pub subject: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenDto {
    pub id: String,
    pub role: Role,
    /// `vehicle:V-1`, `staff:S-1`, or a label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub created_at: String,
    /// The secret; present only in the answer to `POST /tokens`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl TokenDto {
    fn new(r: &TokenRecord, secret: Option<String>) -> Self {
        Self {
            id: r.id.clone(),
            role: r.role,
            subject: r.subject.as_ref().map(|s| s.to_string()),
            created_at: r.created_at.to_string(),
            token: secret,
        }
    }
}

/// Resolves a field subject against the roster; a vehicle or person out of service gets
/// no token (409 `out_of_service`) until they are back.
fn field_subject(engine: &Engine, raw: &str) -> Result<Subject, ApiError> {
    let subject = registered_subject(engine, raw)?;
    let in_service = match &subject {
        Subject::Vehicle(v) => engine.roster.vehicle(v)?.is_some_and(|v| v.in_service()),
        Subject::Staff(s) => engine.roster.staff(s)?.is_some_and(|s| s.in_service()),
        Subject::Label(_) => true,
    };
    if !in_service {
        return Err(ApiError::of(
            ErrorCode::OutOfService,
            format!("`{raw}` is out of service: put it back in service before issuing a token"),
        ));
    }
    Ok(subject)
}

/// A field subject as the roster knows it.
fn registered_subject(engine: &Engine, raw: &str) -> Result<Subject, ApiError> {
    let unknown = || {
        ApiError::of(
            ErrorCode::UnknownSubject,
            format!("`{raw}` is neither a registered vehicle nor a staff member"),
        )
    };
    let (kind, id) = match raw.split_once(':') {
        Some((k, id)) => (Some(k), id),
        None => (None, raw),
    };
    if matches!(kind, None | Some("vehicle"))
        && let Ok(v) = id.parse::<VehicleId>()
        && engine.roster.vehicle(&v)?.is_some()
    {
        return Ok(Subject::Vehicle(v));
    }
    if matches!(kind, None | Some("staff"))
        && let Ok(s) = id.parse::<StaffId>()
        && engine.roster.staff(&s)?.is_some()
    {
        return Ok(Subject::Staff(s));
    }
    Err(unknown())
}

/// Issue a token. Field tokens are bound to a vehicle or a staff member.
#[utoipa::path(tag = "tokens", request_body(content = TokenRequest, example = json!(crate::api::examples::example("TokenRequest"))),
    responses((status = 201, description = "created; durable before the answer", body = TokenDto, example = json!(crate::api::examples::example("TokenDto"))), (status = 403, description = "the caller's role may not do this", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/tokens")]
async fn issue(
    engine: web::Data<Engine>,
    caller: Caller,
    body: crate::api::Body,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Admin])?;
    let body: TokenRequest = crate::api::json_body(&body)?;
    let b = body;
    let subject = match (b.role, b.subject) {
        (Role::System, _) => {
            return Err(ApiError::of(
                ErrorCode::BadRole,
                "the system role cannot be issued",
            ));
        }
        (Role::Field, None) => {
            return Err(ApiError::of(
                ErrorCode::SubjectRequired,
                "a field token must be bound to a vehicle or a staff member",
            ));
        }
        (Role::Field, Some(raw)) => Some(field_subject(&engine, raw.trim())?),
        (_, Some(label)) => {
            crate::domain::input::check_len("subject", &label, 64)?;
            (!label.trim().is_empty()).then_some(Subject::Label(label))
        }
        (_, None) => None,
    };
    let issued = engine
        .tokens
        .issue(b.role, subject, engine.clock.now())
        .await?;
    tracing::info!(token_id = %issued.record.id, role = %issued.record.role, "token issued");
    Ok(HttpResponse::Created().json(TokenDto::new(&issued.record, Some(issued.secret))))
}

/// List tokens (never their secrets).
#[utoipa::path(tag = "tokens", operation_id = "list_tokens", responses((status = 200, description = "OK", body = [TokenDto], example = json!(crate::api::examples::list("TokenDto")))), security(("bearer" = [])))]
#[get("/tokens")]
async fn list(engine: web::Data<Engine>, caller: Caller) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Admin])?;
    let all: Vec<TokenDto> = engine
        .tokens
        .list()
        .iter()
        .map(|r| TokenDto::new(r, None))
        .collect();
    Ok(HttpResponse::Ok().json(all))
}

/// Revoke a token; it stops working at once.
#[utoipa::path(tag = "tokens", params(("id" = String, Path, description = "the token's id (not the secret)", example = "0193a1c2-7d4e-7a10-9f00-2b1c3d4e5f60")),
    responses((status = 204, description = "done; no body"), (status = 404, description = "no such id", body = ErrorBody)), security(("bearer" = [])))]
#[delete("/tokens/{id}")]
async fn revoke(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Admin])?;
    engine.tokens.revoke(&id).await?;
    tracing::info!(token_id = %id, "token revoked");
    Ok(HttpResponse::NoContent().finish())
}
