//! `GET /dispatch/nearest`: vehicles ranked by distance from a point. By default only those
//! the engine could offer work to (available, online, holding no offer), as the dispatcher's
//! own search sees them. A dispatcher about to override needs the others too: `include_busy` also
//! lists the vehicles on duty that hold an offer, are on their way, on site or returning
//! (and on-duty vehicles whose device is offline, which nobody can send), each marked;
//! `ticket` marks the vehicles that declined that ticket, let its offer expire or never got it, which the
//! engine never offers it to again but a dispatcher may still send.

use std::collections::HashSet;

use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use time::Duration;
use utoipa::{IntoParams, ToSchema};

use crate::actors::fleet::messages::GetVehicle;
use crate::actors::grid::FindNearest;
use crate::api::auth::Caller;
use crate::api::error::{ApiError, ErrorBody, parse_param};
use crate::domain::Timestamp;
use crate::domain::catalog::Department;
use crate::domain::error_code::ErrorCode;
use crate::domain::fleet::VehicleStatus;
use crate::domain::geo::LatLng;
use crate::domain::grid::{Candidate, NearestQuery};
use crate::domain::ids::{TeamId, TicketId, VehicleId};
use crate::domain::input::LatLngDto;
use crate::domain::role::Role;
use crate::engine::Engine;

/// The most grid answers one `include_busy` search looks through (off-duty vehicles are
/// skipped, and a gateway's idle fleet can be large).
const MAX_SCAN: usize = 1 << 16;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NearestParams {
    pub lat: f64,
    pub lng: f64,
    pub department: Option<Department>,
    pub team: Option<String>,
    /// 1 to 100; default 5.
    pub limit: Option<usize>,
    /// Search radius in km; default `dispatch.max_offer_km`, or (when that is 0) as far as
    /// the service area reaches: its bounding diagonal plus `area.margin_km`.
    pub max_km: Option<f64>,
    /// Also list vehicles whose last fix is too old (flagged `stale`).
    pub include_stale: Option<bool>,
    /// Also list on-duty vehicles that cannot take an offer now: holding one, en route, on
    /// site, returning (flagged `busy` but for returning), or offline (`online: false`).
    /// Off-duty and out-of-service vehicles are never listed.
    pub include_busy: Option<bool>,
    /// A ticket id: the vehicles that declined it, let its offer expire or never got it are flagged
    /// `declined`.
    pub ticket: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NearestVehicle {
    pub vehicle_id: String,
    pub team_id: String,
    pub department: Department,
    pub status: VehicleStatus,
    pub position: LatLngDto,
    pub distance_m: f64,
    /// At the configured travel speed.
    pub eta_s: f64,
    #[schema(value_type = String, format = DateTime)]
    pub fix_at: Timestamp,
    pub stale: bool,
    /// Holding an offer, en route or on site: only an override sends it.
    pub busy: bool,
    /// Its device can be reached; an offline vehicle cannot be sent, even with override.
    pub online: bool,
    /// It declined the `ticket` asked about, let its offer expire, or never got it (an app that confirms offers did not).
    pub declined: bool,
    /// The ticket it holds an offer for or is on (listed with `include_busy`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_id: Option<String>,
    /// Why it is listed, in words.
    pub reason: String,
}

/// Vehicles ranked by distance: the eligible (available, online, holding no offer) ones, or with
/// `include_busy` every vehicle on duty, marked.
#[utoipa::path(tag = "fleet", params(NearestParams),
    responses((status = 200, description = "OK", body = [NearestVehicle], example = json!(crate::api::examples::list("NearestVehicle"))), (status = 400, description = "malformed request", body = ErrorBody), (status = 404, description = "no such id", body = ErrorBody)), security(("bearer" = [])))]
#[get("/dispatch/nearest")]
pub(super) async fn nearest(
    engine: web::Data<Engine>,
    caller: Caller,
    params: web::Query<NearestParams>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Dispatcher, Role::Supervisor])?;
    let p = params.into_inner();
    let origin = LatLng::new(p.lat, p.lng).map_err(ApiError::malformed)?;
    let limit = p.limit.unwrap_or(5);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::malformed("`limit` must be between 1 and 100"));
    }
    if p.max_km.is_some_and(|k| !k.is_finite() || k <= 0.0) {
        return Err(ApiError::malformed("`max_km` must be a positive number"));
    }
    let team: Option<TeamId> = parse_param("team", p.team.as_deref())?;
    let declined: HashSet<VehicleId> = match &p.ticket {
        None => HashSet::new(),
        Some(raw) => {
            let missing = || ApiError::not_found(format!("ticket `{raw}`"));
            let id: TicketId = raw.parse().map_err(|_| missing())?;
            let ticket = engine.store.ticket(&id)?.ok_or_else(missing)?;
            ticket.passed_over().into_iter().collect()
        }
    };
    let include_busy = p.include_busy.unwrap_or(false);
    let d = &engine.settings.dispatch;
    let now = engine.clock.now();
    let query = NearestQuery {
        origin,
        limit,
        // Without `max_km`, the radius of automatic offers: `dispatch.max_offer_km`, or as
        // far as the service area reaches.
        max_radius_m: Some(
            p.max_km
                .map(|k| k * 1000.0)
                .unwrap_or_else(|| engine.area.search_radius_m(d.max_offer_km, origin)),
        ),
        department: p.department,
        team,
        only_available: !include_busy,
        max_fix_age: Some(Duration::seconds(d.max_fix_age_s as i64)),
        include_stale: p.include_stale.unwrap_or(false),
        now,
        exclude: Vec::new(),
    };
    let found = if include_busy {
        on_duty(&engine, query).await?
    } else {
        find(&engine, query).await?
    };
    let speed = d.travel_speed_kmh / 3.6;
    let mut out = Vec::with_capacity(found.len());
    for c in found {
        // The grid's answer is enough for the eligible list; the others are asked for their
        // device and their ticket.
        let (online, ticket_id) = if include_busy {
            match engine.fleet.live_vehicle(&c.id) {
                Some(addr) => match addr.send(GetVehicle).await {
                    Ok(v) => (
                        v.online,
                        v.active
                            .as_ref()
                            .map(|a| a.ticket_id)
                            .or(v.offer.as_ref().map(|o| o.ticket_id)),
                    ),
                    Err(_) => (false, None),
                },
                None => (false, None),
            }
        } else {
            (true, None)
        };
        let age = now.seconds_since(c.fix_at).max(0);
        let busy = matches!(
            c.status,
            VehicleStatus::Offered | VehicleStatus::EnRoute | VehicleStatus::OnSite
        );
        let was_declined = declined.contains(&c.id);
        out.push(NearestVehicle {
            reason: reason(&c, age, busy, online, was_declined),
            vehicle_id: c.id.to_string(),
            team_id: c.team.to_string(),
            department: c.department,
            status: c.status,
            position: c.position.into(),
            distance_m: (c.distance_m * 10.0).round() / 10.0,
            eta_s: (c.distance_m / speed).round(),
            fix_at: c.fix_at,
            stale: c.stale,
            busy,
            online,
            declined: was_declined,
            ticket_id: ticket_id.map(|t| t.to_string()),
        });
    }
    Ok(HttpResponse::Ok().json(out))
}

fn reason(c: &Candidate, age: i64, busy: bool, online: bool, declined: bool) -> String {
    let mut words = if c.stale {
        format!("{} but stale: last fix {age} s ago", c.status.as_str())
    } else {
        format!(
            "{}, {:.2} km away, fix {age} s old",
            c.status.as_str(),
            c.distance_m / 1000.0
        )
    };
    if busy {
        words.push_str("; busy: only an override sends it");
    }
    if !online {
        words.push_str("; offline: it cannot be sent");
    }
    if declined {
        words.push_str("; declined this ticket or let its offer expire");
    }
    words
}

async fn find(engine: &Engine, query: NearestQuery) -> Result<Vec<Candidate>, ApiError> {
    engine
        .grid
        .send(FindNearest(query))
        .await
        .map_err(|_| ApiError::of(ErrorCode::Unavailable, "the grid is restarting"))
}

/// The `limit` nearest vehicles on duty (neither off duty nor out of service), in any
/// other status. The grid filters by availability only, so it is asked for more answers
/// each round until enough are on duty or it has no more: the result is the exact nearest.
async fn on_duty(engine: &Engine, query: NearestQuery) -> Result<Vec<Candidate>, ApiError> {
    let want = query.limit;
    let mut ask = want.saturating_mul(4).max(16);
    loop {
        let found = find(
            engine,
            NearestQuery {
                limit: ask,
                ..query.clone()
            },
        )
        .await?;
        let exhausted = found.len() < ask || ask >= MAX_SCAN;
        let kept: Vec<Candidate> = found
            .into_iter()
            .filter(|c| {
                !matches!(
                    c.status,
                    VehicleStatus::OffDuty | VehicleStatus::OutOfService
                )
            })
            .take(want)
            .collect();
        if kept.len() == want || exhausted {
            return Ok(kept);
        }
        ask = ask.saturating_mul(4).min(MAX_SCAN);
    }
}
