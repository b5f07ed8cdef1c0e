//! Operations routes, no prefix: liveness, readiness and Prometheus metrics.
//!
//! `/healthz` and `/readyz` are public (a load balancer asks them). `/metrics` shows the
//! tickets per status, the last event id and the traffic per route, so it is served only
//! to client addresses in `ops.metrics_allow` (default: this host, where the load tester
//! and the scripts run) or to a request carrying `ops.metrics_token` as its bearer token
//! (a scraper on another host; the token opens nothing else). Anyone else gets 401 (no or
//! a wrong token; a wrong one counts as a failed authentication, see `throttle.rs`), or
//! 403 when no metrics token is configured. The client address is the peer's, or the one
//! a trusted proxy forwarded (`peer.rs`).

use std::sync::OnceLock;

use actix_web::{HttpRequest, HttpResponse, get, web};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use super::error::ApiError;
use crate::engine::Engine;

/// The process-wide Prometheus recorder (metrics macros write to a global recorder).
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let handle = match crate::telemetry::metric_help::builder().install_recorder() {
            Ok(handle) => handle,
            // Another recorder is installed (embedding): keep a detached one.
            Err(_) => PrometheusBuilder::new().build_recorder().handle(),
        };
        crate::telemetry::metric_help::describe();
        handle
    })
}

pub fn register(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz)
        .service(readyz)
        .service(metrics)
        .service(asyncapi);
}

/// The AsyncAPI document of the four sockets (`docs/asyncapi.yaml`).
const ASYNCAPI: &str = include_str!("../../docs/asyncapi.yaml");

/// The process is up.
#[utoipa::path(tag = "ops", responses((status = 200, description = "the process is up", body = Object,
    example = json!(crate::api::examples::example("_healthz")))))]
#[get("/healthz")]
pub(super) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// The engine can take work: the store answers.
#[utoipa::path(tag = "ops", responses(
    (status = 200, description = "ready: the store answers", body = Object, example = json!(crate::api::examples::example("_readyz"))),
    (status = 503, description = "the store does not answer", body = Object, example = json!({"status": "unavailable", "error": "store closed"}))))]
#[get("/readyz")]
pub(super) async fn readyz(engine: web::Data<Engine>) -> HttpResponse {
    match engine.store.count_by_status() {
        Ok(_) => HttpResponse::Ok().json(serde_json::json!({
            "status": "ready",
            "last_event_id": engine.store.last_event_id(),
        })),
        Err(e) => HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({ "status": "unavailable", "error": e.to_string() })),
    }
}

/// The bearer token of `req`'s `Authorization` header.
pub(super) fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Whether `req` may read `/metrics` (see the module doc).
fn metrics_access(engine: &Engine, req: &HttpRequest) -> Result<(), ApiError> {
    use sha2::{Digest, Sha256};
    let ops = &engine.settings.ops;
    let client = super::peer::client_addr(req, &engine.settings.server.trusted_proxies);
    if crate::net::any_contains(&ops.metrics_allow, client) {
        return Ok(());
    }
    if ops.metrics_token.is_empty() {
        return Err(ApiError::forbidden(
            "/metrics is served only to the addresses in ops.metrics_allow",
        ));
    }
    // Digests compared, so the time taken says nothing about the token.
    let matches = bearer(req).is_some_and(|t| {
        Sha256::digest(t.as_bytes()) == Sha256::digest(ops.metrics_token.as_bytes())
    });
    if matches {
        Ok(())
    } else {
        Err(super::throttle::refuse(
            engine,
            req,
            ApiError::unauthorized("send the metrics token: Authorization: Bearer <token>"),
        ))
    }
}

/// Prometheus text format; for `ops.metrics_allow` addresses or the metrics token.
#[utoipa::path(tag = "ops", responses(
    (status = 200, description = "Prometheus text exposition format", content_type = "text/plain; version=0.0.4", body = String,
        example = json!("# TYPE hotline_tickets gauge\nhotline_tickets{status=\"received\"} 3\nhotline_last_event_id 1042\n")),
    (status = 401, description = "no metrics token, or a wrong one", body = super::error::ErrorBody),
    (status = 403, description = "not an allowed address and no metrics token is configured", body = super::error::ErrorBody)),
    security((), ("bearer" = [])))]
#[get("/metrics")]
pub(super) async fn metrics(
    engine: web::Data<Engine>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    metrics_access(&engine, &req)?;
    if let Ok(counts) = engine.store.count_by_status() {
        for (status, n) in counts {
            ::metrics::gauge!("hotline_tickets", "status" => status.as_str()).set(n as f64);
        }
    }
    ::metrics::gauge!("hotline_ticket_actors_live").set(engine.tickets.live() as f64);
    ::metrics::gauge!("hotline_ticket_commands_in_flight").set(engine.tickets.in_flight() as f64);
    ::metrics::gauge!("hotline_intakes_in_flight").set(engine.tickets.intakes_in_flight() as f64);
    ::metrics::gauge!("hotline_last_event_id").set(engine.store.last_event_id() as f64);
    ::metrics::gauge!("hotline_bus_subscribers").set(engine.bus.subscriber_count() as f64);
    engine.bus.report_depths();
    let mut body = prometheus().render();
    body.push_str(&crate::telemetry::process_metrics::render());
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(body))
}

/// The AsyncAPI 3.0 document of the WebSockets (`/ws/vehicle`, `/ws/console`, `/ws/field`,
/// `/ws/board`): channels, and every frame with its payload schema.
#[utoipa::path(tag = "ops", responses((status = 200, description = "the AsyncAPI document (YAML)",
    content_type = "application/yaml", body = String, example = json!("asyncapi: 3.0.0\ninfo:\n  title: hotline-dispatch sockets\n"))))]
#[get("/asyncapi.yaml")]
pub(super) async fn asyncapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/yaml; charset=utf-8")
        .body(ASYNCAPI)
}
