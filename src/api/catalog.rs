//! The handling guide, read-only, for any authenticated caller.

use actix_web::{HttpResponse, get, web};

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use crate::engine::Engine;

pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list).service(read);
}

/// Every category with its routing, grade, path, report sections, and the time limits;
/// the reasons a report may be returned for; where an unsatisfied visit reopens a ticket;
/// the evidence kinds an on-site record or a report may carry.
#[utoipa::path(tag = "catalog", operation_id = "list_catalog", responses((status = 200, description = "the guide", body = Object, example = json!({"categories": [crate::api::examples::example("_catalog_category")], "sla_hours": {"intake": 2, "on_site": 24}, "return_reasons": [{"code": "missing_evidence", "label": "缺少证据"}], "return_visit": {"within_days": 3}, "evidence_kinds": ["photo", "inspection_record"]}))), security(("bearer" = [])))]
#[get("/catalog")]
async fn list(engine: web::Data<Engine>, _caller: Caller) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "categories": engine.catalog.categories(),
        "sla_hours": engine.catalog.sla(),
        "return_reasons": engine.catalog.return_reasons(),
        "return_visit": engine.catalog.return_visit(),
        "evidence_kinds": engine.catalog.evidence_kinds(),
    })))
}

/// One category.
#[utoipa::path(tag = "catalog", operation_id = "read_category", params(("category" = String, Path)),
    responses((status = 200, description = "the category", body = Object, example = json!(crate::api::examples::example("_catalog_category"))), (status = 404, description = "no such id", body = ErrorBody)), security(("bearer" = [])))]
#[get("/catalog/{category}")]
async fn read(
    engine: web::Data<Engine>,
    _caller: Caller,
    category: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let c = engine
        .catalog
        .get(&category)
        .ok_or_else(|| ApiError::not_found(format!("category `{category}`")))?;
    Ok(HttpResponse::Ok().json(c))
}
