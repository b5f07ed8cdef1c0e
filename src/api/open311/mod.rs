//! Open311 GeoReport v2 under `/open311/v2`, every route in JSON and XML (`xml.rs`; the
//! `.xml` twins, `discovery` and the spec-shaped default service in `routes.rs`): a thin
//! adapter over the engine for platforms and apps that speak the spec. Services are the
//! handling guide's categories; a submission (`api_key` = a platform token, in the form or
//! the query string; a bad one counts as a failed authentication, see `api/throttle.rs`)
//! goes through the same intake as
//! `POST /api/v1/tickets` (`service::intake`) with source `open311`; a request's id is the ticket number.
//!
//! The read routes are public, as in the spec, so they show what the public board may: no
//! reporter, a description written from the guide (the citizen's words may name people or
//! places), the site as its town and a coarse H3 cell, and no open ticket of an embargoed
//! category or a hidden grade (`[board]` settings) until it is closed — such a request
//! answers 404 like an unknown one. Errors are the spec's `[{"code", "description"}]`.

mod discovery;
mod filter;
mod form;
mod routes;
pub mod wire;
pub mod xml;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use self::filter::Filter;
use self::form::Form;
use self::wire::{
    Open311Error, Open311ErrorItem, ServiceDefinitionDto, ServiceDto, ServiceRequestDto,
    SubmittedDto, TokenDto,
};
use self::xml::{Format, respond};
use crate::domain::error_code::ErrorCode;
use crate::domain::role::Role;
use crate::domain::ticket::Ticket;
use crate::engine::Engine;
use crate::store::{Cursor, TicketQuery};

pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(services)
        .service(service_definition)
        .service(submit)
        .service(requests)
        .service(request)
        .service(token)
        .configure(routes::register_xml);
}

/// Most requests one `requests.json` answers (the spec's ceiling).
const MAX_RESULTS: usize = 1000;
/// Tickets read from the store per page while filtering.
const PAGE: usize = 500;
/// Most ids one `service_request_id` list may name.
const MAX_IDS: usize = 100;

/// Every service: the guide's categories.
#[utoipa::path(tag = "open311", responses((status = 200, description = "OK", body = [ServiceDto], example = json!(crate::api::examples::list("ServiceDto")))))]
#[get("/services.json")]
async fn services(engine: web::Data<Engine>) -> HttpResponse {
    services_in(&engine, Format::Json)
}

fn services_in(engine: &Engine, format: Format) -> HttpResponse {
    let list: Vec<ServiceDto> = engine
        .catalog
        .categories()
        .iter()
        .map(ServiceDto::from)
        .collect();
    respond(StatusCode::OK, format, &list, |x| {
        x.list("services", "service", &list, |x, s| s.write_xml(x));
    })
}

/// A service's definition: no service asks for extra attributes.
#[utoipa::path(tag = "open311", params(("code" = String, Path, description = "a category code")),
    responses((status = 200, description = "OK", body = ServiceDefinitionDto, example = json!(crate::api::examples::example("ServiceDefinitionDto"))), (status = 404, description = "no such service or request", body = [Open311ErrorItem])))]
#[get("/services/{code}.json")]
async fn service_definition(
    engine: web::Data<Engine>,
    code: web::Path<String>,
) -> Result<HttpResponse, Open311Error> {
    service_definition_in(&engine, &code, Format::Json)
}

fn service_definition_in(
    engine: &Engine,
    code: &str,
    format: Format,
) -> Result<HttpResponse, Open311Error> {
    let c = engine
        .catalog
        .get(code)
        .ok_or_else(|| Open311Error::not_found(format!("no service `{code}`")).in_format(format))?;
    let definition = ServiceDefinitionDto {
        service_code: c.code.clone(),
        attributes: Vec::new(),
    };
    Ok(respond(StatusCode::OK, format, &definition, |x| {
        definition.write_xml(x)
    }))
}

/// Files a request (form-encoded). `api_key` must be a platform token. Non-standard:
/// `external_id` makes the submission idempotent (a repeat answers 200 with the same id);
/// without it every submission is a new request.
#[utoipa::path(tag = "open311",
    request_body(content = crate::api::examples::Open311SubmitForm, content_type = "application/x-www-form-urlencoded",
        description = "GeoReport v2 form: api_key, service_code, lat+long | address_string | address_id, description, first_name, last_name, phone, external_id",
        example = json!(crate::api::examples::example("_open311_submit"))),
    responses((status = 201, description = "filed (durable)", body = [SubmittedDto], example = json!(crate::api::examples::list("SubmittedDto"))), (status = 200, description = "repeat of an external_id", body = [SubmittedDto]),
        (status = 400, description = "malformed request (Open311 errors)", body = [Open311ErrorItem]), (status = 403, description = "api_key is not a platform token", body = [Open311ErrorItem]), (status = 413, description = "body too large", body = [Open311ErrorItem])))]
#[post("/requests.json")]
async fn submit(
    engine: web::Data<Engine>,
    req: HttpRequest,
    body: Result<crate::api::Body, crate::api::error::ApiError>,
) -> Result<HttpResponse, Open311Error> {
    submit_in(&engine, &req, body, Format::Json)
        .await
        .map_err(|e| e.in_format(Format::Json))
}

/// The key of a submission: the form's `api_key` or the query string's (the `open311`
/// client sends it there). Both at once must agree. It is a credential: never logged.
fn api_key<'a>(form: &'a Form, req: &'a HttpRequest) -> Result<Option<String>, Open311Error> {
    let query = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map_err(|_| Open311Error::bad_request("the query string is not form-encoded"))?
        .into_inner();
    let in_query = query
        .into_iter()
        .find(|(k, _)| k == "api_key")
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    match (form.get("api_key"), in_query) {
        (Some(a), Some(b)) if a != b => Err(Open311Error::bad_request(
            "`api_key` is given twice, in the query string and the form, with different values",
        )),
        (Some(a), _) => Ok(Some(a.to_owned())),
        (None, b) => Ok(b),
    }
}

async fn submit_in(
    engine: &Engine,
    req: &HttpRequest,
    body: Result<crate::api::Body, crate::api::error::ApiError>,
    format: Format,
) -> Result<HttpResponse, Open311Error> {
    let body = body?;
    let form_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|t| t.starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        return Err(Open311Error::bad_request(
            "send the request as application/x-www-form-urlencoded",
        ));
    }
    let form = Form::parse(&body)?;
    let not_platform = || {
        crate::api::error::ApiError::of(
            ErrorCode::Forbidden,
            "`api_key` is not a valid platform key",
        )
    };
    // A missing or unknown key is a failed authentication, counted against the client
    // address (429 past its budget); a valid key of another role is not.
    let key = api_key(&form, req)?;
    let by = match key.as_deref().and_then(|k| engine.tokens.authenticate(k)) {
        Some(a) if a.principal.role == Role::Platform => a.principal,
        Some(_) => return Err(not_platform().into()),
        None => return Err(crate::api::throttle::refuse(engine, req, not_platform()).into()),
    };
    let new = form.into_new_ticket(&engine.catalog)?;
    let intake = crate::service::intake::intake(engine, new, by).await?;
    let t = &intake.ticket;
    let answer = [SubmittedDto {
        service_request_id: t.number.to_string(),
        service_notice: format!("已受理，工单号 {}。", t.number),
        account_id: None,
    }];
    let status = if intake.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(respond(status, format, &answer, |x| {
        x.list("service_requests", "request", &answer, |x, a| {
            a.write_xml(x)
        });
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct RequestsParams {
    /// Comma-separated request ids; when given, the other filters are ignored (the spec).
    service_request_id: Option<String>,
    /// One service code or several, comma-separated.
    service_code: Option<String>,
    /// W3C / RFC 3339; requested at or after. At most 90 days before `end_date`; alone,
    /// the window is the 90 days from it; without either, the last 90 days.
    start_date: Option<String>,
    /// W3C / RFC 3339; requested before. Alone, the window is the 90 days up to it.
    end_date: Option<String>,
    /// `open`, `closed`, or both comma-separated.
    status: Option<String>,
    /// Accepted and ignored: one jurisdiction.
    #[allow(dead_code, reason = "a spec parameter with nothing to select")]
    jurisdiction_id: Option<String>,
}

/// Whether the public may see this ticket now (the board's hiding rules, lifted at close).
fn public(engine: &Engine, t: &Ticket) -> bool {
    t.status.is_closed() || engine.settings.board.policy().shows(t)
}

fn public_view(engine: &Engine, t: &Ticket) -> ServiceRequestDto {
    let shop = t
        .location
        .retailer_licence
        .as_deref()
        .and_then(|l| engine.retailers.get(l));
    ServiceRequestDto::public(t, &engine.catalog, shop.as_ref().map(|r| r.town().name()))
}

fn find(engine: &Engine, id: &str) -> Result<Option<Ticket>, Open311Error> {
    Ok(engine
        .store
        .ticket_by_number(id.trim())?
        .filter(|t| public(engine, t)))
}

fn request_list(list: &[ServiceRequestDto], format: Format) -> HttpResponse {
    respond(StatusCode::OK, format, &list, |x| {
        x.list("service_requests", "request", list, |x, r| r.write_xml(x));
    })
}

/// Requests, newest first: by id, or by service, dates and status; at most 1000.
#[utoipa::path(tag = "open311", params(RequestsParams),
    responses((status = 200, description = "OK", body = [ServiceRequestDto], example = json!(crate::api::examples::list("ServiceRequestDto"))), (status = 400, description = "malformed request (Open311 errors)", body = [Open311ErrorItem])))]
#[get("/requests.json")]
async fn requests(
    engine: web::Data<Engine>,
    req: HttpRequest,
) -> Result<HttpResponse, Open311Error> {
    requests_in(&engine, &req, Format::Json)
}

fn requests_in(
    engine: &Engine,
    req: &HttpRequest,
    format: Format,
) -> Result<HttpResponse, Open311Error> {
    requests_found(engine, req, format).map_err(|e| e.in_format(format))
}

fn requests_found(
    engine: &Engine,
    req: &HttpRequest,
    format: Format,
) -> Result<HttpResponse, Open311Error> {
    let p = web::Query::<RequestsParams>::from_query(req.query_string())
        .map_err(|e| Open311Error::bad_request(format!("invalid query: {e}")))?
        .into_inner();
    if let Some(ids) = p.service_request_id.as_deref() {
        let ids: Vec<&str> = ids.split(',').filter(|s| !s.trim().is_empty()).collect();
        if ids.len() > MAX_IDS {
            return Err(Open311Error::bad_request(format!(
                "at most {MAX_IDS} ids at once"
            )));
        }
        let mut out = Vec::new();
        for id in ids {
            out.extend(find(engine, id)?.map(|t| public_view(engine, &t)));
        }
        return Ok(request_list(&out, format));
    }
    let f = Filter::parse(
        &engine.catalog,
        engine.clock.now(),
        p.status.as_deref(),
        p.service_code.as_deref(),
        p.start_date.as_deref(),
        p.end_date.as_deref(),
    )?;
    let closed = f.closed;
    // One code is the store's own filter; several are checked here.
    let single = f
        .codes
        .as_ref()
        .filter(|c| c.len() == 1)
        .and_then(|c| c.first().cloned());
    let mut query = TicketQuery {
        category: single,
        from: Some(f.from),
        to: f.to,
        limit: PAGE,
        ..TicketQuery::default()
    };
    let mut out = Vec::new();
    'pages: loop {
        let page = engine.store.list_tickets(&query)?;
        for t in &page.items {
            let wanted = f
                .codes
                .as_ref()
                .is_none_or(|c| t.category.as_ref().is_some_and(|code| c.contains(code)));
            if wanted && closed.is_none_or(|c| t.status.is_closed() == c) && public(engine, t) {
                out.push(public_view(engine, t));
                if out.len() == MAX_RESULTS {
                    break 'pages;
                }
            }
        }
        match page.next_cursor {
            Some(c @ Cursor::Before(_)) => query.after = Some(c),
            _ => break,
        }
    }
    Ok(request_list(&out, format))
}

/// One request, in an array as the spec has it; 404 when unknown or not public yet.
#[utoipa::path(tag = "open311", params(("id" = String, Path, description = "the ticket number")),
    responses((status = 200, description = "OK", body = [ServiceRequestDto], example = json!(crate::api::examples::list("ServiceRequestDto"))), (status = 404, description = "no such service or request", body = [Open311ErrorItem])))]
#[get("/requests/{id}.json")]
async fn request(
    engine: web::Data<Engine>,
    id: web::Path<String>,
) -> Result<HttpResponse, Open311Error> {
    request_in(&engine, &id, Format::Json)
}

fn request_in(engine: &Engine, id: &str, format: Format) -> Result<HttpResponse, Open311Error> {
    let t = find(engine, id)
        .and_then(|t| t.ok_or_else(|| Open311Error::not_found(format!("no request `{id}`"))))
        .map_err(|e| e.in_format(format))?;
    Ok(request_list(&[public_view(engine, &t)], format))
}

/// The request id of a token. Requests are registered before the answer goes out, so the
/// token is the request id itself: known ids answer, others are 404.
#[utoipa::path(tag = "open311", params(("token" = String, Path, description = "a request id")),
    responses((status = 200, description = "OK", body = [TokenDto], example = json!(crate::api::examples::list("TokenDto"))), (status = 404, description = "no such service or request", body = [Open311ErrorItem])))]
#[get("/tokens/{token}.json")]
async fn token(
    engine: web::Data<Engine>,
    token: web::Path<String>,
) -> Result<HttpResponse, Open311Error> {
    token_in(&engine, &token, Format::Json)
}

fn token_in(engine: &Engine, given: &str, format: Format) -> Result<HttpResponse, Open311Error> {
    let t = find(engine, given)
        .and_then(|t| {
            t.ok_or_else(|| Open311Error::not_found(format!("no request for token `{given}`")))
        })
        .map_err(|e| e.in_format(format))?;
    let answer = [TokenDto {
        service_request_id: t.number.to_string(),
        token: t.number.to_string(),
    }];
    Ok(respond(StatusCode::OK, format, &answer, |x| {
        x.list("service_requests", "request", &answer, |x, a| {
            a.write_xml(x)
        });
    }))
}
