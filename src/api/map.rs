//! Map layers for the console and board pages, which draw no tile layer (nothing outside
//! this machine is reachable): the service area's outlines (the engine's area file, the one
//! intake and dispatch check against), its H3 grid and town labels as GeoJSON
//! (any authenticated caller, the board too: nothing personal in it), and the registry's
//! retailers inside a bounding box (staff roles), so the console shows the shops when a
//! dispatcher zooms in.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use crate::domain::area::{GRID_RESOLUTIONS, ServiceArea, cell_ring};
use crate::domain::input::LatLngDto;
use crate::domain::retailer::Town;
use crate::domain::role::Role;
use crate::engine::Engine;

/// Most retailers one bounding-box answer lists (the registry holds thousands; a map
/// zoomed in to a town shows a few hundred at most).
pub const MAX_RETAILERS: usize = 2000;

const READERS: &[Role] = &[Role::Admin, Role::Dispatcher, Role::Supervisor];

pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(grid).service(retailers);
}

/// The GeoJSON of one resolution: every area's outline, the cells covering them (computed
/// once per resolution by the area) and the towns.
fn grid_json(area: &ServiceArea, res: u8) -> Result<String, ApiError> {
    let cells = area.cells(res).ok_or_else(|| {
        ApiError::malformed(format!(
            "`res` must be between {} and {}",
            GRID_RESOLUTIONS.start(),
            GRID_RESOLUTIONS.end()
        ))
    })?;
    let mut features: Vec<Value> = Vec::with_capacity(cells.len() + 16);
    features.extend(area.areas().iter().map(|a| {
        json!({
            "type": "Feature",
            "geometry": { "type": "Polygon", "coordinates": [a.outline()] },
            "properties": { "kind": "county", "code": a.code(), "name": a.name(),
                            "name_en": a.name_en(), "approximate": true },
        })
    }));
    features.extend(cells.iter().map(|c| {
        json!({
            "type": "Feature",
            "geometry": { "type": "Polygon", "coordinates": [cell_ring(*c)] },
            "properties": { "kind": "cell", "cell": c.to_string() },
        })
    }));
    features.extend(area.areas().iter().flat_map(|a| {
        a.towns().iter().map(|t| {
            json!({
                "type": "Feature",
                "geometry": { "type": "Point", "coordinates": [t.centre.lng(), t.centre.lat()] },
                "properties": { "kind": "town", "code": t.code, "area": a.code(), "name": t.name,
                                "short": t.short, "name_en": t.name_en },
            })
        })
    }));
    let body = json!({
        "type": "FeatureCollection",
        "resolution": res,
        "cells": cells.len(),
        "approximate": true,
        "margin_km": area.margin_m() / 1000.0,
        "features": features,
    });
    Ok(body.to_string())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GridParams {
    /// H3 resolution, 5 to 8; default 7 (about 5 km² a cell).
    pub res: Option<u8>,
}

/// The service area as GeoJSON, from the engine's area file: each area's outline (`kind:
/// county`, with its `code`; approximate), the H3 cells of `res` that cover them (`kind:
/// cell`) and the towns' centres (`kind: town`, with their `code` and `area`).
#[utoipa::path(tag = "map", params(GridParams),
    responses((status = 200, description = "a GeoJSON FeatureCollection", body = Object, example = json!(crate::api::examples::example("_grid"))), (status = 400, description = "malformed request", body = ErrorBody),
        (status = 401, description = "no token, or a bad one", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/map/grid")]
async fn grid(
    engine: web::Data<Engine>,
    _caller: Caller,
    params: web::Query<GridParams>,
) -> Result<HttpResponse, ApiError> {
    let body = grid_json(&engine.area, params.res.unwrap_or(7))?;
    Ok(HttpResponse::Ok()
        .content_type("application/geo+json")
        .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
        .body(body))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RetailerBoxParams {
    /// `west,south,east,north` in degrees (`115.55,29.83,115.58,29.86`).
    pub bbox: Option<String>,
    /// 1 to 2000, default 500.
    pub limit: Option<usize>,
}

/// A retailer as the map shows it (no owner).
#[derive(Debug, Serialize, ToSchema)]
pub struct MapRetailer {
    pub licence: String,
    pub name: String,
    pub address: String,
    pub town: Town,
    pub position: LatLngDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MapRetailers {
    /// Sorted by licence.
    pub items: Vec<MapRetailer>,
    /// How many lie in the box (more than `items` when `truncated`).
    pub total: usize,
    pub truncated: bool,
}

fn parse_bbox(raw: Option<&str>) -> Result<[f64; 4], ApiError> {
    let raw =
        raw.ok_or_else(|| ApiError::malformed("`bbox` is required: west,south,east,north"))?;
    let parts: Vec<f64> = raw
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| ApiError::malformed("`bbox` holds four numbers: west,south,east,north"))?;
    let [w, s, e, n] = <[f64; 4]>::try_from(parts)
        .map_err(|_| ApiError::malformed("`bbox` holds four numbers: west,south,east,north"))?;
    let lng_ok = |x: f64| x.is_finite() && (-180.0..=180.0).contains(&x);
    let lat_ok = |y: f64| y.is_finite() && (-90.0..=90.0).contains(&y);
    if !(lng_ok(w) && lng_ok(e) && lat_ok(s) && lat_ok(n)) || w > e || s > n {
        return Err(ApiError::malformed(
            "`bbox` must be west,south,east,north with west ≤ east and south ≤ north, in degrees",
        ));
    }
    Ok([w, s, e, n])
}

/// Registry retailers inside a bounding box, at most `limit` (by licence), with the total.
#[utoipa::path(tag = "map", params(RetailerBoxParams),
    responses((status = 200, description = "OK", body = MapRetailers, example = json!(crate::api::examples::example("MapRetailers"))), (status = 400, description = "malformed request", body = ErrorBody), (status = 403, description = "the caller's role may not do this", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/map/retailers")]
async fn retailers(
    engine: web::Data<Engine>,
    caller: Caller,
    params: web::Query<RetailerBoxParams>,
) -> Result<HttpResponse, ApiError> {
    caller.require(READERS)?;
    let [w, s, e, n] = parse_bbox(params.bbox.as_deref())?;
    let limit = params.limit.unwrap_or(500);
    if !(1..=MAX_RETAILERS).contains(&limit) {
        return Err(ApiError::malformed(format!(
            "`limit` must be between 1 and {MAX_RETAILERS}"
        )));
    }
    let index = engine.retailers.snapshot();
    let mut inside: Vec<_> = index
        .retailers()
        .iter()
        .filter(|r| {
            let p = r.position();
            (w..=e).contains(&p.lng()) && (s..=n).contains(&p.lat())
        })
        .collect();
    inside.sort_by(|a, b| a.licence().as_str().cmp(b.licence().as_str()));
    let total = inside.len();
    let items = inside
        .into_iter()
        .take(limit)
        .map(|r| MapRetailer {
            licence: r.licence().to_string(),
            name: r.name().to_owned(),
            address: r.address().to_owned(),
            town: r.town(),
            position: r.position().into(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(MapRetailers {
        items,
        total,
        truncated: total > limit,
    }))
}
