//! Roster routes: staff, squads and vehicles. Admins write; dispatchers and supervisors read.

use actix_web::{HttpResponse, get, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::service::ServiceDto;
use crate::domain::catalog::Department;
use crate::domain::error_code::ErrorCode;
use crate::domain::ids::{StaffId, TeamId, VehicleId};
use crate::domain::input::check_len;
use crate::domain::role::Role;
use crate::domain::roster::{Staff, StaffRole, Team, Vehicle};
use crate::engine::Engine;
use crate::roster::RosterRecord;
use crate::store::PutMode;

const READERS: &[Role] = &[Role::Admin, Role::Dispatcher, Role::Supervisor];
const WRITERS: &[Role] = &[Role::Admin];

pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_staff)
        .service(list_staff)
        .service(read_staff)
        .service(update_staff)
        .service(create_team)
        .service(list_teams)
        .service(read_team)
        .service(update_team)
        .service(create_vehicle)
        .service(list_vehicles)
        .service(read_vehicle)
        .service(update_vehicle);
}

fn parse<T: std::str::FromStr>(field: &str, raw: &str) -> Result<T, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::of(
            ErrorCode::BadId,
            format!("`{field}`: an id is 1 to 64 letters, digits, '-' or '_'"),
        )
    })
}

fn require_team(engine: &Engine, raw: &str) -> Result<TeamId, ApiError> {
    let id: TeamId = parse("team_id", raw)?;
    engine.roster.team(&id)?.ok_or_else(|| {
        ApiError::of(
            ErrorCode::UnknownTeam,
            format!("no team `{raw}` is registered"),
        )
    })?;
    Ok(id)
}

fn name(field: &str, value: &str) -> Result<(), ApiError> {
    if value.trim().is_empty() {
        return Err(ApiError::of(
            ErrorCode::Required,
            format!("`{field}` must not be empty"),
        ));
    }
    Ok(check_len(field, value, 64)?)
}

/// A staff member, in and out.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffDto {
    /// Chosen by the client (e.g. `S-012`) or generated when absent.
    pub id: Option<String>,
    pub name: String,
    pub role: StaffRole,
    pub department: Department,
    pub team_id: Option<String>,
    pub badge: String,
    pub phone: Option<String>,
    /// Read-only: whether the person may be given work. Ignored on input (a PUT keeps the
    /// record's service state); changed by `POST /staff/{id}/out-of-service` and
    /// `/in-service`.
    #[serde(default = "super::service::yes")]
    pub in_service: bool,
    /// Read-only: the last service change (when, why, who); ignored on input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceDto>,
}

impl StaffDto {
    fn into_record(self, engine: &Engine, id: Option<StaffId>) -> Result<Staff, ApiError> {
        name("name", &self.name)?;
        name("badge", &self.badge)?;
        crate::domain::input::check_opt("phone", &self.phone, 32)?;
        let id = match (id, self.id) {
            (Some(id), _) => id,
            (None, Some(raw)) => parse("id", &raw)?,
            (None, None) => StaffId::generate(),
        };
        let team_id = self
            .team_id
            .as_deref()
            .map(|t| require_team(engine, t))
            .transpose()?;
        Ok(Staff {
            id,
            name: self.name,
            role: self.role,
            department: self.department,
            team_id,
            badge: self.badge,
            phone: self.phone,
            // Kept from the stored record by `save`.
            service: Default::default(),
        })
    }
}

impl From<Staff> for StaffDto {
    fn from(s: Staff) -> Self {
        Self {
            id: Some(s.id.to_string()),
            name: s.name,
            role: s.role,
            department: s.department,
            team_id: s.team_id.map(|t| t.to_string()),
            badge: s.badge,
            phone: s.phone,
            in_service: s.service.in_service,
            service: s.service.changed.as_ref().map(ServiceDto::from),
        }
    }
}

/// A squad, in and out.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamDto {
    pub id: Option<String>,
    pub name: String,
    pub department: Department,
    /// The town or district it covers.
    pub area: Option<String>,
    /// Made by a load test, not real: left off the public board and the stats with its
    /// tickets. Admins set it (on create and on a PUT, which writes it as given); absent
    /// means `false`.
    #[serde(default)]
    pub simulated: bool,
}

impl TeamDto {
    fn into_record(self, id: Option<TeamId>) -> Result<Team, ApiError> {
        name("name", &self.name)?;
        crate::domain::input::check_opt("area", &self.area, 64)?;
        let id = match (id, self.id) {
            (Some(id), _) => id,
            (None, Some(raw)) => parse("id", &raw)?,
            (None, None) => TeamId::generate(),
        };
        Ok(Team {
            id,
            name: self.name,
            department: self.department,
            area: self.area,
            simulated: self.simulated,
        })
    }
}

impl From<Team> for TeamDto {
    fn from(t: Team) -> Self {
        Self {
            id: Some(t.id.to_string()),
            name: t.name,
            department: t.department,
            area: t.area,
            simulated: t.simulated,
        }
    }
}

/// A vehicle, in and out.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VehicleDto {
    pub id: Option<String>,
    pub plate: String,
    pub team_id: String,
    pub department: Department,
    /// Staff ids of the crew (none of them out of service).
    #[serde(default)]
    pub crew: Vec<String>,
    /// Read-only: whether the vehicle may be given work. Ignored on input (a PUT keeps the
    /// record's service state); changed by `POST /vehicles/{id}/out-of-service` and
    /// `/in-service`.
    #[serde(default = "super::service::yes")]
    pub in_service: bool,
    /// Read-only: the last service change (when, why, who); ignored on input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceDto>,
    /// Made by a load test, not real: left off the public board and the stats with its
    /// tickets. Admins set it (on create and on a PUT, which writes it as given); absent
    /// means `false`.
    #[serde(default)]
    pub simulated: bool,
}

impl VehicleDto {
    fn into_record(self, engine: &Engine, id: Option<VehicleId>) -> Result<Vehicle, ApiError> {
        name("plate", &self.plate)?;
        let id = match (id, self.id) {
            (Some(id), _) => id,
            (None, Some(raw)) => parse("id", &raw)?,
            (None, None) => VehicleId::generate(),
        };
        let team_id = require_team(engine, &self.team_id)?;
        if self.crew.len() > 20 {
            return Err(ApiError::of(ErrorCode::TooMany, "at most 20 crew members"));
        }
        let mut crew = Vec::with_capacity(self.crew.len());
        for raw in &self.crew {
            let sid: StaffId = parse("crew", raw)?;
            let member = engine.roster.staff(&sid)?.ok_or_else(|| {
                ApiError::of(
                    ErrorCode::UnknownStaff,
                    format!("no staff member `{raw}` is registered"),
                )
            })?;
            if !member.in_service() {
                return Err(ApiError::of(
                    ErrorCode::OutOfService,
                    format!("staff member `{raw}` is out of service and cannot ride in a crew"),
                ));
            }
            if !crew.contains(&sid) {
                crew.push(sid);
            }
        }
        Ok(Vehicle {
            id,
            plate: self.plate,
            team_id,
            department: self.department,
            crew,
            // Kept from the stored record by `save`.
            service: Default::default(),
            simulated: self.simulated,
        })
    }
}

impl From<Vehicle> for VehicleDto {
    fn from(v: Vehicle) -> Self {
        Self {
            id: Some(v.id.to_string()),
            plate: v.plate,
            team_id: v.team_id.to_string(),
            department: v.department,
            crew: v.crew.iter().map(|s| s.to_string()).collect(),
            in_service: v.service.in_service,
            service: v.service.changed.as_ref().map(ServiceDto::from),
            simulated: v.simulated,
        }
    }
}

/// Records with live actors: saving one starts or updates its actor.
trait Live: RosterRecord {
    fn went_live(&self, _engine: &Engine) -> Result<(), ApiError> {
        Ok(())
    }

    /// Takes over what a PUT never changes from the stored record (`None` on create).
    fn keep(&mut self, _stored: Option<Self>) {}
}

impl Live for Staff {
    fn keep(&mut self, stored: Option<Self>) {
        self.service = stored.map(|s| s.service).unwrap_or_default();
    }
}

impl Live for Team {
    fn went_live(&self, engine: &Engine) -> Result<(), ApiError> {
        if engine.fleet.team(&self.id).is_none() {
            engine.fleet.add_team(self.clone());
        }
        Ok(())
    }
}

impl Live for Vehicle {
    fn went_live(&self, engine: &Engine) -> Result<(), ApiError> {
        engine.fleet.add(self.clone()).map_err(ApiError::from)
    }

    fn keep(&mut self, stored: Option<Self>) {
        self.service = stored.map(|v| v.service).unwrap_or_default();
    }
}

/// Writes a record, keeping the stored service state; under the roster's write lock, so a
/// PUT racing a change of service never writes the old state back.
async fn save<R: Live>(engine: &Engine, record: &mut R, mode: PutMode) -> Result<(), ApiError> {
    let _writing = engine.roster.writing().await;
    let stored = match mode {
        PutMode::Create => None,
        _ => engine.roster.get::<R>(record.key())?,
    };
    record.keep(stored);
    engine
        .roster
        .put(record, mode)
        .await
        .map_err(ApiError::from)?;
    record.went_live(engine)
}

fn found<R: RosterRecord>(engine: &Engine, what: &str, id: &str) -> Result<R, ApiError> {
    engine
        .roster
        .get::<R>(id)?
        .ok_or_else(|| ApiError::not_found(format!("{what} `{id}`")))
}

macro_rules! roster_routes {
    ($tag:literal, $path:literal, $item:literal, $dto:ty, $rec:ty, $id:ty,
     $create:ident, $list:ident, $read:ident, $update:ident, |$engine:ident, $body:ident, $given:ident| $convert:expr) => {
        /// Register one.
        #[utoipa::path(tag = $tag, request_body(content = $dto, example = json!(crate::api::examples::example(stringify!($dto)))),
            responses((status = 201, description = "created; durable before the answer", body = $dto, example = json!(crate::api::examples::example(stringify!($dto)))), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
            security(("bearer" = [])))]
        #[post($path)]
        async fn $create(engine: web::Data<Engine>, caller: Caller, body: crate::api::Body) -> Result<HttpResponse, ApiError> {
            caller.require(WRITERS)?;
            let body: $dto = crate::api::json_body(&body)?;
            let ($engine, $body, $given): (&Engine, $dto, Option<$id>) = (&engine, body, None);
            let mut record: $rec = $convert?;
            save($engine, &mut record, PutMode::Create).await?;
            Ok(HttpResponse::Created().json(<$dto>::from(record)))
        }

        /// List all.
        #[utoipa::path(tag = $tag, responses((status = 200, description = "OK", body = [$dto], example = json!(crate::api::examples::list(stringify!($dto))))), security(("bearer" = [])))]
        #[get($path)]
        async fn $list(engine: web::Data<Engine>, caller: Caller) -> Result<HttpResponse, ApiError> {
            caller.require(READERS)?;
            let all: Vec<$dto> = engine.roster.list::<$rec>()?.into_iter().map(Into::into).collect();
            Ok(HttpResponse::Ok().json(all))
        }

        /// Read one.
        #[utoipa::path(tag = $tag, params(("id" = String, Path)),
            responses((status = 200, description = "OK", body = $dto, example = json!(crate::api::examples::example(stringify!($dto)))), (status = 404, description = "no such id", body = ErrorBody)), security(("bearer" = [])))]
        #[get($item)]
        async fn $read(engine: web::Data<Engine>, caller: Caller, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
            caller.require(READERS)?;
            let record: $rec = found(&engine, $tag, &id)?;
            Ok(HttpResponse::Ok().json(<$dto>::from(record)))
        }

        /// Replace one (the id in the path wins).
        #[utoipa::path(tag = $tag, params(("id" = String, Path)), request_body(content = $dto, example = json!(crate::api::examples::example(stringify!($dto)))),
            responses((status = 200, description = "OK", body = $dto, example = json!(crate::api::examples::example(stringify!($dto)))), (status = 404, description = "no such id", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
            security(("bearer" = [])))]
        #[put($item)]
        async fn $update(engine: web::Data<Engine>, caller: Caller, id: web::Path<String>, body: crate::api::Body) -> Result<HttpResponse, ApiError> {
            caller.require(WRITERS)?;
            let body: $dto = crate::api::json_body(&body)?;
            let _: $rec = found(&engine, $tag, &id)?;
            let given: $id = parse("id", &id)?;
            let ($engine, $body, $given): (&Engine, $dto, Option<$id>) = (&engine, body, Some(given));
            let mut record: $rec = $convert?;
            save($engine, &mut record, PutMode::Update).await?;
            Ok(HttpResponse::Ok().json(<$dto>::from(record)))
        }
    };
}

roster_routes!(
    "staff",
    "/staff",
    "/staff/{id}",
    StaffDto,
    Staff,
    StaffId,
    create_staff,
    list_staff,
    read_staff,
    update_staff,
    |e, b, id| b.into_record(e, id)
);
roster_routes!(
    "teams",
    "/teams",
    "/teams/{id}",
    TeamDto,
    Team,
    TeamId,
    create_team,
    list_teams,
    read_team,
    update_team,
    |_e, b, id| b.into_record(id)
);
roster_routes!(
    "vehicles",
    "/vehicles",
    "/vehicles/{id}",
    VehicleDto,
    Vehicle,
    VehicleId,
    create_vehicle,
    list_vehicles,
    read_vehicle,
    update_vehicle,
    |e, b, id| b.into_record(e, id)
);
