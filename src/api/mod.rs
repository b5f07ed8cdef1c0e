//! The HTTP API: thin handlers (extract → the typed service layer → DTO), one error type
//! with stable codes, bearer-token auth, and the generated OpenAPI document with Swagger UI
//! served offline. WebSocket sessions live in `ws/`, the only place that may use
//! actix-web-actors.

pub mod auth;
mod backup;
mod board;
mod catalog;
mod cluster;
pub mod error;
mod examples;
mod fallback;
mod feed;
pub(crate) mod fleet;
pub mod groups;
mod headers;
mod map;
pub mod open311;
mod ops;
mod pages;
pub mod peer;
mod retailers;
mod roster;
mod service;
mod stats;
pub mod throttle;
pub mod tickets;
mod tokens;
pub mod ws;

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, Error, web};
use futures_util::FutureExt;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

pub use ops::prometheus;

use crate::engine::Engine;
use error::ErrorCodes;

/// With the `fault-injection` feature, a supervision notice with this text makes the
/// ticket's actor panic (for the panic-containment test).
#[cfg(feature = "fault-injection")]
pub const FAULT_INJECTION_NOTICE: &str = "__inject_panic__";

/// With the `fault-injection` feature, an intake with this description stays in flight for
/// [`FAULT_SLOW_INTAKE_MS`] before it is filed (for the shedding-order test).
#[cfg(feature = "fault-injection")]
pub const FAULT_SLOW_INTAKE: &str = "__inject_slow_intake__";
#[cfg(feature = "fault-injection")]
pub const FAULT_SLOW_INTAKE_MS: u64 = 2000;

#[derive(OpenApi)]
#[openapi(
    info(title = "hotline-dispatch", description = "Real-time dispatch engine of a 12313 tobacco-market supervision hotline."),
    paths(ops::healthz, ops::readyz, ops::metrics, ops::asyncapi),
    modifiers(&BearerAuth, &ErrorCodes)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// A request body read up to `server.max_body_bytes`; over it is 413 with the usual error
/// body. Handlers parse it with [`json_body`] after checking the caller's role.
pub struct Body(web::Bytes);

impl From<web::Bytes> for Body {
    /// A body that did not come over HTTP (a console command frame's).
    fn from(bytes: web::Bytes) -> Self {
        Self(bytes)
    }
}

impl std::ops::Deref for Body {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl actix_web::FromRequest for Body {
    type Error = error::ApiError;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, error::ApiError>>;

    fn from_request(
        req: &actix_web::HttpRequest,
        payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        let limit = req
            .app_data::<web::Data<Engine>>()
            .map_or(256 * 1024, |e| e.settings.server.max_body_bytes);
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            bytes.await.map(Body).map_err(|e| {
                if e.as_response_error().status_code()
                    == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE
                {
                    error::ApiError::too_large(limit)
                } else {
                    error::ApiError::malformed(format!("cannot read the body: {e}"))
                }
            })
        })
    }
}

/// Parses a JSON body after the caller's role was checked (so a wrong role is 403 whatever
/// the body). Bodies are limited by `server.max_body_bytes` (413 past it).
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> Result<T, error::ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| error::ApiError::malformed(format!("invalid body: {e}")))
}

/// The whole application: API, ops routes, OpenAPI and Swagger UI.
pub fn app(
    engine: web::Data<Engine>,
    hub: ws::streams::Hub,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let limit = engine.settings.server.max_body_bytes;
    let (app, api) = App::new()
        .app_data(engine)
        .app_data(hub)
        .app_data(web::PayloadConfig::default().limit(limit))
        .app_data(web::QueryConfig::default().error_handler(error::query_error))
        .app_data(web::PathConfig::default().error_handler(error::path_error))
        .wrap(actix_web::middleware::from_fn(headers::security_headers))
        .wrap_fn(|req, srv| {
            use actix_web::dev::Service;
            let started = Instant::now();
            let method = req.method().to_string();
            srv.call(req).map(move |res| {
                if let Ok(res) = &res {
                    let route = res
                        .request()
                        .match_pattern()
                        .unwrap_or_else(|| "unmatched".into());
                    metrics::histogram!(
                        "hotline_http_request_seconds",
                        "method" => method,
                        "route" => route,
                        "status" => res.status().as_u16().to_string()
                    )
                    .record(started.elapsed().as_secs_f64());
                }
                res
            })
        })
        .wrap(tracing_actix_web::TracingLogger::<
            crate::telemetry::RequestSpans,
        >::new())
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(
            scope("/api/v1")
                .configure(tickets::register)
                .configure(roster::register)
                .configure(service::register)
                .configure(tokens::register)
                .configure(catalog::register)
                .configure(fleet::register)
                .configure(retailers::register)
                .configure(stats::register)
                .configure(board::register)
                .configure(groups::register)
                .configure(map::register)
                .configure(feed::register)
                .configure(cluster::register_api)
                .configure(backup::register),
        )
        .service(scope("/open311/v2").configure(open311::register))
        .split_for_parts();
    // The methods of each documented route, for the 405s of the default service.
    let methods = web::Data::new(fallback::RouteMethods::from_openapi(&api));
    app.service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", api))
        .app_data(methods)
        .configure(ops::register)
        .configure(cluster::register)
        .configure(pages::register)
        .service(ws::vehicle::vehicle_socket)
        .service(ws::streams::console_socket)
        .service(ws::streams::field_socket)
        .service(ws::streams::board_socket)
        .default_service(web::to(fallback::unmatched))
}
