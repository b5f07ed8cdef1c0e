//! The routes outside the OpenAPI document's `.json` operations: every route's `.xml`
//! twin, `service/{code}` (the `open311` client's spelling of `services/{code}`),
//! `discovery.{json,xml}`, and the scope's default service, so an unknown path under
//! `/open311/v2` is answered in the spec's error form too (404; 405 with `Allow` for a
//! known path under another method).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};

use super::wire::Open311Error;
use super::xml::Format;
use crate::engine::Engine;

pub fn register_xml(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.map(|c| {
        c.route("/services.xml", web::get().to(services_xml))
            .route("/services/{code}.xml", web::get().to(definition_xml))
            .route("/service/{code}.xml", web::get().to(definition_xml))
            .route("/service/{code}.json", web::get().to(definition_json))
            .route("/requests.xml", web::get().to(requests_xml))
            .route("/requests.xml", web::post().to(submit_xml))
            .route("/requests/{id}.xml", web::get().to(request_xml))
            .route("/tokens/{token}.xml", web::get().to(token_xml))
            .route("/discovery.json", web::get().to(discovery_json))
            .route("/discovery.xml", web::get().to(discovery_xml))
    })
    .default_service(web::to(unmatched));
}

async fn services_xml(engine: web::Data<Engine>) -> HttpResponse {
    super::services_in(&engine, Format::Xml)
}

async fn definition_xml(
    engine: web::Data<Engine>,
    code: web::Path<String>,
) -> Result<HttpResponse, Open311Error> {
    super::service_definition_in(&engine, &code, Format::Xml)
}

async fn definition_json(
    engine: web::Data<Engine>,
    code: web::Path<String>,
) -> Result<HttpResponse, Open311Error> {
    super::service_definition_in(&engine, &code, Format::Json)
}

async fn requests_xml(
    engine: web::Data<Engine>,
    req: HttpRequest,
) -> Result<HttpResponse, Open311Error> {
    super::requests_in(&engine, &req, Format::Xml)
}

async fn submit_xml(
    engine: web::Data<Engine>,
    req: HttpRequest,
    body: Result<crate::api::Body, crate::api::error::ApiError>,
) -> Result<HttpResponse, Open311Error> {
    super::submit_in(&engine, &req, body, Format::Xml)
        .await
        .map_err(|e| e.in_format(Format::Xml))
}

async fn request_xml(
    engine: web::Data<Engine>,
    id: web::Path<String>,
) -> Result<HttpResponse, Open311Error> {
    super::request_in(&engine, &id, Format::Xml)
}

async fn token_xml(
    engine: web::Data<Engine>,
    token: web::Path<String>,
) -> Result<HttpResponse, Open311Error> {
    super::token_in(&engine, &token, Format::Xml)
}

async fn discovery_json(req: HttpRequest) -> HttpResponse {
    super::discovery::answer(&req, Format::Json)
}

async fn discovery_xml(req: HttpRequest) -> HttpResponse {
    super::discovery::answer(&req, Format::Xml)
}

/// Which methods a known Open311 path takes: `requests.*` GET and POST, the rest GET.
fn allowed(pattern: &str) -> &'static str {
    if pattern.ends_with("/requests.json") || pattern.ends_with("/requests.xml") {
        "GET, POST"
    } else {
        "GET"
    }
}

/// No Open311 route took the request.
async fn unmatched(req: HttpRequest) -> HttpResponse {
    let format = Format::of_path(req.path());
    let known = req
        .resource_map()
        .match_pattern(req.path())
        .filter(|p| p.starts_with("/open311/v2/"));
    let error = match &known {
        Some(_) => Open311Error::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("`{}` does not take this method", req.path()),
        ),
        None => Open311Error::not_found(format!(
            "no Open311 route `{}`: see discovery.json",
            req.path()
        )),
    };
    let mut res = actix_web::ResponseError::error_response(&error.in_format(format));
    if let Some(p) = known {
        res.headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static(allowed(&p)));
    }
    res
}
