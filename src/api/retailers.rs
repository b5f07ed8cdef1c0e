//! Retailer registry routes: CSV import (admin; all rows or none, every bad row listed),
//! fuzzy search and lookup by licence (dispatcher, supervisor, admin). The owner's name is
//! the retailer's personal data, not the citizen's: these staff roles see it.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use crate::domain::error_code::ErrorCode;
use crate::domain::input::LatLngDto;
use crate::domain::retailer::{Retailer, Town};
use crate::domain::role::Role;
use crate::engine::Engine;
use crate::retailers::{BodyError, ImportError, StaffWarning};

const READERS: &[Role] = &[Role::Admin, Role::Dispatcher, Role::Supervisor];

/// Largest import file. Registry exports are big, so this route reads its own body with
/// this bound instead of `server.max_body_bytes` (which bounds the other routes' bodies,
/// read whole); it is parsed as it arrives, so the bound is on the file, not on memory.
pub const IMPORT_MAX_BYTES: usize = 20 * 1024 * 1024;
/// Most bad rows listed in a 422 (the total is always given): a file with more is almost
/// surely the wrong file, and the answer should stay readable.
pub const MAX_LISTED_ROWS: usize = 1000;

pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(import).service(search).service(read);
}

/// A registered retailer.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetailerDto {
    /// The retail licence number.
    pub licence: String,
    pub name: String,
    /// The licence holder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    pub address: String,
    pub town: Town,
    pub position: LatLngDto,
    /// Staff id of the market inspector (市管员) in charge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub market_inspector: Option<String>,
    /// Staff id of the account manager (客户经理).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_manager: Option<String>,
}

impl From<&Retailer> for RetailerDto {
    fn from(r: &Retailer) -> Self {
        Self {
            licence: r.licence().to_string(),
            name: r.name().to_owned(),
            owner: r.owner().map(str::to_owned),
            address: r.address().to_owned(),
            town: r.town(),
            position: r.position().into(),
            market_inspector: r.market_inspector().map(ToString::to_string),
            account_manager: r.account_manager().map(ToString::to_string),
        }
    }
}

/// One search answer: the retailer and how well it fits.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetailerHitDto {
    #[serde(flatten)]
    pub retailer: RetailerDto,
    /// 0..1, higher is better.
    pub score: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchAnswer {
    /// The query as given.
    pub q: String,
    /// Best first.
    pub hits: Vec<RetailerHitDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportAnswer {
    /// Rows written, new and replaced.
    pub imported: usize,
    /// Rows that replaced a retailer with the same licence.
    pub replaced: usize,
    /// Rows imported whose `market_inspector` or `account_manager` is not on the staff
    /// roster (line, licence, field, staff_id, message), in line order, at most
    /// [`MAX_LISTED_ROWS`]; the dispatch preference for the inspector's squad does not
    /// apply to those shops until the person is registered.
    #[schema(value_type = Vec<Object>)]
    pub warnings: Vec<StaffWarning>,
    /// How many warnings there are in all.
    pub warnings_total: usize,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Name, address, street and number, owner... 1 to 100 characters.
    pub q: Option<String>,
    /// 1 to 50, default 5.
    pub limit: Option<usize>,
}

fn is_csv(req: &HttpRequest) -> bool {
    let ct = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    matches!(mime.as_str(), "text/csv" | "application/csv" | "text/plain")
}

/// The body as it arrives, refused past [`IMPORT_MAX_BYTES`] (413, without reading on;
/// at once when `Content-Length` says so).
fn bounded(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<impl futures_util::Stream<Item = Result<web::Bytes, BodyError>> + Unpin, ApiError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > IMPORT_MAX_BYTES) {
        return Err(ApiError::too_large(IMPORT_MAX_BYTES));
    }
    let mut received = 0usize;
    Ok(payload.map(move |chunk| {
        let chunk = chunk.map_err(|e| BodyError::Broken(e.to_string()))?;
        received += chunk.len();
        if received > IMPORT_MAX_BYTES {
            return Err(BodyError::TooLarge(IMPORT_MAX_BYTES));
        }
        Ok(chunk)
    }))
}

/// Import retailers from a CSV file (`Content-Type: text/csv`, UTF-8, header row
/// `licence,name,owner,address,town,lat,lng,market_inspector,account_manager`, optionally
/// a `synthetic` column that is not read, up to 20 MB). All rows or none: a file with any bad row imports nothing and the 422 lists
/// every bad row (`details.rows`: line, field, message). Rows replace retailers with the
/// same licence. Rows naming a market inspector or account manager who is not on the staff
/// roster are imported and listed in `warnings` with their line.
#[utoipa::path(tag = "retailers", request_body(content = String, content_type = "text/csv",
        example = json!("licence,name,owner,address,town,lat,lng,market_inspector,account_manager\n421182100123,好邻居便利店,张三,武穴市刊江大道88号,刊江街道,29.85,115.56,S-1,S-2\n")),
    responses((status = 200, description = "OK", body = ImportAnswer, example = json!(crate::api::examples::example("ImportAnswer"))), (status = 403, description = "the caller's role may not do this", body = ErrorBody),
        (status = 413, description = "body too large", body = ErrorBody), (status = 415, description = "unsupported content type", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/retailers/import")]
async fn import(
    engine: web::Data<Engine>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Admin])?;
    if !is_csv(&req) {
        return Err(ApiError::of(
            ErrorCode::UnsupportedMediaType,
            "send the registry as Content-Type: text/csv",
        ));
    }
    let body = bounded(&req, payload)?;
    match engine.retailers.import_stream(body, &engine.roster).await {
        Ok(report) => {
            let warnings_total = report.warnings.len();
            let mut warnings = report.warnings;
            warnings.truncate(MAX_LISTED_ROWS);
            Ok(HttpResponse::Ok().json(ImportAnswer {
                imported: report.imported,
                replaced: report.replaced,
                warnings,
                warnings_total,
            }))
        }
        Err(ImportError::BadRows(rows)) => {
            let total = rows.len();
            let listed: Vec<_> = rows.into_iter().take(MAX_LISTED_ROWS).collect();
            Err(ApiError::of(
                ErrorCode::BadRows,
                format!("{total} problem(s) in the file; nothing was imported"),
            )
            .with_details(serde_json::json!({ "rows": listed, "total": total })))
        }
        Err(ImportError::Store(e)) => Err(e.into()),
        Err(ImportError::Body(BodyError::TooLarge(limit))) => Err(ApiError::too_large(limit)),
        Err(ImportError::Body(e)) => Err(ApiError::malformed(e.to_string())),
    }
}

/// Fuzzy search by name, address, street and number, owner or town; spelling variants
/// (traditional characters, full-width forms, spaces and punctuation, a wrong character)
/// are tolerated. Ranked hits, best first.
#[utoipa::path(tag = "retailers", params(SearchParams),
    responses((status = 200, description = "OK", body = SearchAnswer, example = json!(crate::api::examples::example("SearchAnswer"))), (status = 400, description = "malformed request", body = ErrorBody), (status = 403, description = "the caller's role may not do this", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/retailers/search")]
async fn search(
    engine: web::Data<Engine>,
    caller: Caller,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, ApiError> {
    caller.require(READERS)?;
    let p = params.into_inner();
    let q = p.q.unwrap_or_default();
    let n = q.trim().chars().count();
    if !(1..=100).contains(&n) {
        return Err(ApiError::malformed("`q` must have 1 to 100 characters"));
    }
    let limit = p.limit.unwrap_or(5);
    if !(1..=50).contains(&limit) {
        return Err(ApiError::malformed("`limit` must be between 1 and 50"));
    }
    let hits = engine
        .retailers
        .search(&q, limit)
        .iter()
        .map(|(r, score)| RetailerHitDto {
            retailer: r.into(),
            score: *score,
        })
        .collect();
    Ok(HttpResponse::Ok().json(SearchAnswer { q, hits }))
}

/// A retailer by licence number.
#[utoipa::path(tag = "retailers", operation_id = "read_retailer", params(("licence" = String, Path)),
    responses((status = 200, description = "OK", body = RetailerDto, example = json!(crate::api::examples::example("RetailerDto"))), (status = 404, description = "no such id", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/retailers/{licence}")]
async fn read(
    engine: web::Data<Engine>,
    caller: Caller,
    licence: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(READERS)?;
    let r = engine
        .retailers
        .get(&licence)
        .ok_or_else(|| ApiError::not_found(format!("retailer `{licence}`")))?;
    Ok(HttpResponse::Ok().json(RetailerDto::from(&r)))
}
