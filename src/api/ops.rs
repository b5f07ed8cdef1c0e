//! Operations routes, no prefix: liveness, readiness and Prometheus metrics.

use std::sync::OnceLock;

use actix_web::{HttpResponse, get, web};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::engine::Engine;

/// The process-wide Prometheus recorder (metrics macros write to a global recorder).
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets(&[
                0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0,
            ])
            .unwrap_or_else(|_| PrometheusBuilder::new());
        match builder.install_recorder() {
            Ok(handle) => handle,
            // Another recorder is installed (embedding): keep a detached one.
            Err(_) => PrometheusBuilder::new().build_recorder().handle(),
        }
    })
}

pub fn register(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}

/// The process is up.
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// The engine can take work: the store answers.
#[get("/readyz")]
async fn readyz(engine: web::Data<Engine>) -> HttpResponse {
    match engine.store.count_by_status() {
        Ok(_) => HttpResponse::Ok().json(serde_json::json!({
            "status": "ready",
            "last_event_id": engine.store.last_event_id(),
        })),
        Err(e) => HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({ "status": "unavailable", "error": e.to_string() })),
    }
}

/// Prometheus text format.
#[get("/metrics")]
async fn metrics(engine: web::Data<Engine>) -> HttpResponse {
    if let Ok(counts) = engine.store.count_by_status() {
        for (status, n) in counts {
            ::metrics::gauge!("hotline_tickets", "status" => status.as_str()).set(n as f64);
        }
    }
    ::metrics::gauge!("hotline_ticket_actors_live").set(engine.tickets.live() as f64);
    ::metrics::gauge!("hotline_last_event_id").set(engine.store.last_event_id() as f64);
    ::metrics::gauge!("hotline_bus_subscribers").set(engine.bus.subscriber_count() as f64);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(prometheus().render())
}
