//! Fleet routes: GPS gateway ingest (`POST /positions`), the nearest eligible vehicles
//! (`GET /dispatch/nearest`, in `nearest`), and the live state of a vehicle or a squad.

mod nearest;

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::ws::protocol::{FixDto, parse_fixes};
use crate::actors::fleet::GatewayTaken;
use crate::actors::fleet::GetTeam;
use crate::actors::fleet::messages::GetVehicle;
use crate::domain::Timestamp;
use crate::domain::catalog::Department;
use crate::domain::error_code::ErrorCode;
use crate::domain::fleet::VehicleStatus;
use crate::domain::ids::{TeamId, VehicleId};
use crate::domain::input::LatLngDto;
use crate::domain::role::{Role, Subject};
use crate::domain::roster::Vehicle;
use crate::engine::Engine;

pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(positions)
        .service(nearest::nearest)
        .service(vehicle_live)
        .service(team_live);
}

/// One fix from a GPS gateway.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GatewayFix {
    pub vehicle_id: String,
    pub lat: f64,
    pub lng: f64,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ts: Option<Timestamp>,
    pub speed_kmh: Option<f64>,
    pub heading: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RejectedGatewayFix {
    /// Position of the fix in the request.
    pub index: usize,
    pub vehicle_id: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IngestResult {
    pub accepted: usize,
    pub rejected: Vec<RejectedGatewayFix>,
}

/// A batch of up to `fleet.max_batch_fixes` fixes; each vehicle's fixes are taken in
/// order. Refused fixes are listed with their index; the rest are taken. A vehicle whose
/// fixes from an earlier batch are still being taken gets these after them, latest wins:
/// they are answered as taken, and an older batch still waiting is thinned.
#[utoipa::path(tag = "fleet", request_body(content = [GatewayFix], example = json!(crate::api::examples::list("GatewayFix"))),
    responses((status = 200, description = "OK", body = IngestResult, example = json!(crate::api::examples::example("IngestResult"))), (status = 400, description = "malformed request", body = ErrorBody), (status = 413, description = "body too large", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/positions")]
async fn positions(
    engine: web::Data<Engine>,
    caller: Caller,
    body: crate::api::Body,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Field, Role::Platform])?;
    let fixes: Vec<GatewayFix> = crate::api::json_body(&body)?;
    let max = engine.settings.fleet.max_batch_fixes;
    if fixes.is_empty() || fixes.len() > max {
        return Err(ApiError::of(
            ErrorCode::BadBatch,
            format!("a batch holds 1 to {max} fixes"),
        ));
    }
    let own = match (caller.role(), &caller.principal().subject) {
        (Role::Field, Some(Subject::Vehicle(v))) => Some(v.clone()),
        (Role::Field, _) => {
            return Err(ApiError::forbidden(
                "a field token sends fixes for its own vehicle only",
            ));
        }
        _ => None,
    };
    let now = engine.clock.now();
    let mut rejected = Vec::new();
    let mut by_vehicle: BTreeMap<VehicleId, (Vec<usize>, Vec<crate::domain::fleet::Fix>)> =
        BTreeMap::new();
    for (index, f) in fixes.into_iter().enumerate() {
        let mut refuse = |code: ErrorCode, message: String| {
            rejected.push(RejectedGatewayFix {
                index,
                vehicle_id: f.vehicle_id.clone(),
                code: code.as_str().into(),
                message,
            });
        };
        let Ok(id) = f.vehicle_id.parse::<VehicleId>() else {
            refuse(ErrorCode::UnknownVehicle, "not a vehicle id".into());
            continue;
        };
        if own.as_ref().is_some_and(|o| *o != id) {
            refuse(
                ErrorCode::NotYourVehicle,
                "a field token sends fixes for its own vehicle only".into(),
            );
            continue;
        }
        let dto = FixDto {
            lat: f.lat,
            lng: f.lng,
            ts: f.ts,
            speed_kmh: f.speed_kmh,
            heading: f.heading,
        };
        match parse_fixes(vec![dto], now) {
            Ok(mut one) => {
                let entry = by_vehicle.entry(id).or_default();
                entry.0.push(index);
                entry.1.append(&mut one);
            }
            Err((_, message)) => {
                metrics::counter!("hotline_fixes_rejected_total", "reason" => ErrorCode::BadPosition.as_str())
                    .increment(1);
                refuse(ErrorCode::BadPosition, message);
            }
        }
    }
    let mut accepted = 0;
    let mut calls = Vec::new();
    for (id, (indexes, fixes)) in by_vehicle {
        match engine.fleet.live_vehicle(&id) {
            Some(addr) => {
                let fleet = &engine.fleet;
                calls.push(async move {
                    let taken = fleet.gateway_fixes(id.clone(), addr, fixes).await;
                    (id, indexes, taken)
                })
            }
            None => {
                for index in indexes {
                    rejected.push(RejectedGatewayFix {
                        index,
                        vehicle_id: id.to_string(),
                        code: ErrorCode::UnknownVehicle.as_str().into(),
                        message: format!("no vehicle `{id}` is registered"),
                    });
                }
            }
        }
    }
    for (id, indexes, taken) in futures_util::future::join_all(calls).await {
        let report = match taken {
            GatewayTaken::Taken(report) => report,
            // Behind an earlier batch for the same vehicle: taken when it is done (its
            // vehicle actor checks them then, latest wins).
            GatewayTaken::Waiting { .. } => {
                accepted += indexes.len();
                continue;
            }
        };
        match report {
            Ok(report) => {
                accepted += report.accepted;
                for (i, why) in report.rejected {
                    rejected.push(RejectedGatewayFix {
                        index: indexes[i],
                        vehicle_id: id.to_string(),
                        code: why.code().into(),
                        message: why.to_string(),
                    });
                }
            }
            Err(_) => {
                for index in indexes {
                    rejected.push(RejectedGatewayFix {
                        index,
                        vehicle_id: id.to_string(),
                        code: ErrorCode::Unavailable.as_str().into(),
                        message: "the vehicle is restarting; resend".into(),
                    });
                }
            }
        }
    }
    rejected.sort_by_key(|r| r.index);
    Ok(HttpResponse::Ok().json(IngestResult { accepted, rejected }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VehicleLive {
    pub vehicle_id: String,
    pub status: VehicleStatus,
    #[schema(value_type = String, format = DateTime)]
    pub since: Timestamp,
    pub position: Option<LatLngDto>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub fix_at: Option<Timestamp>,
    pub speed_kmh: Option<f64>,
    pub ticket_id: Option<String>,
    pub offer_id: Option<String>,
    /// Live distance to the site of its ticket.
    pub distance_to_site_m: Option<f64>,
    pub connected: bool,
    /// Its device can be reached: a socket connected, or a GPS gateway's fix within
    /// `fleet.gateway_online_s`. Offline vehicles are never offered work.
    pub online: bool,
    pub fixes_rejected: u64,
}

/// A vehicle's live state: status, last fix, offer, ticket and distance to its site.
#[utoipa::path(tag = "fleet", params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = VehicleLive, example = json!(crate::api::examples::example("VehicleLive"))), (status = 404, description = "no such id", body = ErrorBody)), security(("bearer" = [])))]
#[get("/vehicles/{id}/live")]
async fn vehicle_live(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Dispatcher, Role::Supervisor, Role::Admin])?;
    let vid: VehicleId = id
        .parse()
        .map_err(|_| ApiError::not_found(format!("vehicle `{id}`")))?;
    let addr = engine
        .fleet
        .vehicle(&vid, &engine.roster)?
        .ok_or_else(|| ApiError::not_found(format!("vehicle `{id}`")))?;
    let v = addr
        .send(GetVehicle)
        .await
        .map_err(|_| ApiError::of(ErrorCode::Unavailable, "the vehicle is restarting"))?;
    Ok(HttpResponse::Ok().json(VehicleLive {
        vehicle_id: v.id.to_string(),
        status: v.status,
        since: v.since,
        position: v.last_fix.map(|f| f.position.into()),
        fix_at: v.last_fix.map(|f| f.at),
        speed_kmh: v.last_fix.and_then(|f| f.speed_kmh),
        ticket_id: v.active.as_ref().map(|a| a.ticket_id.to_string()),
        offer_id: v.offer.as_ref().map(|o| o.offer_id.to_string()),
        distance_to_site_m: v.distance_to_site_m,
        connected: v.connected,
        online: v.online,
        fixes_rejected: v.fixes_rejected,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamLive {
    pub team_id: String,
    pub name: String,
    pub department: Department,
    pub members: Vec<String>,
    pub vehicles: Vec<String>,
    /// Open tickets assigned to the squad.
    pub open_tickets: usize,
    /// Of those, with a vehicle on the way or on site.
    pub in_field_tickets: usize,
}

/// A squad's members, vehicles and live ticket counts.
#[utoipa::path(tag = "fleet", params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = TeamLive, example = json!(crate::api::examples::example("TeamLive"))), (status = 404, description = "no such id", body = ErrorBody)), security(("bearer" = [])))]
#[get("/teams/{id}/live")]
async fn team_live(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Dispatcher, Role::Supervisor, Role::Admin])?;
    let tid: TeamId = id
        .parse()
        .map_err(|_| ApiError::not_found(format!("team `{id}`")))?;
    let addr = engine
        .fleet
        .team(&tid)
        .ok_or_else(|| ApiError::not_found(format!("team `{id}`")))?;
    let view = addr
        .send(GetTeam)
        .await
        .map_err(|_| ApiError::of(ErrorCode::Unavailable, "the team is restarting"))?;
    let members = engine
        .roster
        .list::<crate::domain::roster::Staff>()?
        .into_iter()
        .filter(|s| s.team_id.as_ref() == Some(&tid))
        .map(|s| s.id.to_string())
        .collect();
    let vehicles = engine
        .roster
        .list::<crate::domain::roster::Vehicle>()?
        .into_iter()
        .filter(|v| v.team_id == tid)
        .map(|v| v.id.to_string())
        .collect();
    Ok(HttpResponse::Ok().json(TeamLive {
        team_id: view.team.id.to_string(),
        name: view.team.name,
        department: view.team.department,
        members,
        vehicles,
        open_tickets: view.open_tickets,
        in_field_tickets: view.in_field_tickets,
    }))
}

/// The vehicle a field principal speaks for: its own, or the one whose crew it is in.
pub fn vehicle_of(engine: &Engine, caller: &Caller) -> Result<Vehicle, ApiError> {
    caller.require(&[Role::Field])?;
    match &caller.principal().subject {
        Some(Subject::Staff(_)) => driven_by(engine, caller.principal())?
            .ok_or_else(|| ApiError::forbidden("this staff member is in no vehicle's crew")),
        _ => driven_by(engine, caller.principal())?
            .ok_or_else(|| ApiError::forbidden("this token is bound to no vehicle")),
    }
}

/// The vehicle `principal` drives, if any: its own, or the one whose crew it rides in.
pub fn driven_by(
    engine: &Engine,
    principal: &crate::domain::role::Principal,
) -> Result<Option<Vehicle>, ApiError> {
    Ok(match &principal.subject {
        Some(Subject::Vehicle(v)) => engine.roster.vehicle(v)?,
        Some(Subject::Staff(s)) => engine
            .roster
            .list::<Vehicle>()?
            .into_iter()
            .find(|v| v.crew.contains(s)),
        _ => None,
    })
}
