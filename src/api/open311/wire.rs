//! Open311 GeoReport v2 wire shapes: services, service definitions, the public view of a
//! request, the answer to a submission, and the spec's error array. Nothing here is a
//! domain struct: a public request is built field by field so the reporter cannot leak.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use super::xml::{Format, Xml, respond, w3c, w3c_opt, w3c_time};
use crate::api::error::ApiError;
use crate::domain::Timestamp;
use crate::domain::board::{coarse_cell, public_summary, town_of};
use crate::domain::catalog::{Catalog, Category};
use crate::domain::ticket::Ticket;

/// One service (a handling-guide category) in `services.json`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceDto {
    /// The category code, e.g. `counterfeit`.
    pub service_code: String,
    pub service_name: String,
    pub description: String,
    /// Always `false`: no service asks for extra attributes.
    pub metadata: bool,
    /// Always `realtime`: a request is registered before the answer goes out.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Comma-separated words of the guide that point to this category.
    pub keywords: String,
    /// The lead department (专卖, 营销, 物流).
    pub group: &'static str,
}

impl From<&Category> for ServiceDto {
    fn from(c: &Category) -> Self {
        Self {
            service_code: c.code.clone(),
            service_name: c.name_zh.clone(),
            description: format!("{}（{}）", c.name_zh, c.name_en),
            metadata: false,
            kind: "realtime",
            keywords: c.keywords.join(","),
            group: c.lead_department.name_zh(),
        }
    }
}

/// `services/{code}.json`: the service's extra attributes (none).
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceDefinitionDto {
    pub service_code: String,
    #[schema(value_type = Vec<Object>)]
    pub attributes: Vec<serde_json::Value>,
}

/// The answer to a submission.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmittedDto {
    /// The ticket number, e.g. `WX-2026-000123`.
    pub service_request_id: String,
    pub service_notice: String,
    /// Always null: requests are not tied to accounts.
    pub account_id: Option<String>,
}

/// `tokens/{token}.json`: a token is the request's own id (requests are registered at once).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenDto {
    pub service_request_id: String,
    pub token: String,
}

/// A request as the public may see it: no reporter, no exact place, a description written
/// from the guide (never the citizen's words), the site coarsened to the town and an H3
/// cell's centre.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceRequestDto {
    /// The ticket number.
    pub service_request_id: String,
    /// `open` or `closed`.
    pub status: &'static str,
    /// The stage of an open ticket (`intake`, `on_site`, `report`, `review`, `approval`,
    /// `reply`, `return_visit`); how a closed one ended (`archived`, `transferred`, `merged`).
    pub status_notes: &'static str,
    pub service_name: Option<String>,
    pub service_code: Option<String>,
    /// Town, category and kind, as the board writes them ("梅川镇 · 假冒卷烟（举报）").
    pub description: String,
    /// The lead department.
    pub agency_responsible: Option<&'static str>,
    #[schema(value_type = String, format = DateTime)]
    #[serde(serialize_with = "w3c_time")]
    pub requested_datetime: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    #[serde(serialize_with = "w3c_time")]
    pub updated_datetime: Timestamp,
    /// When the answer to the citizen is due, while it is.
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(serialize_with = "w3c_opt")]
    pub expected_datetime: Option<Timestamp>,
    /// The town of the site, never the street address.
    pub address: Option<String>,
    /// The centre of the site's H3 resolution-7 cell (about 5 km²), as the board shows it.
    pub lat: Option<f64>,
    pub long: Option<f64>,
}

impl ServiceRequestDto {
    /// `retailer_town`: the town of the registry shop the ticket names, if any.
    pub fn public(t: &Ticket, catalog: &Catalog, retailer_town: Option<&str>) -> Self {
        let category = t.category.as_deref().and_then(|c| catalog.get(c));
        let closed = t.status.is_closed();
        let centre = t.location.position.and_then(coarse_cell).map(|(_, c)| c);
        let town = town_of(t, retailer_town);
        Self {
            service_request_id: t.number.to_string(),
            status: if closed { "closed" } else { "open" },
            status_notes: if closed {
                t.status.as_str()
            } else {
                t.stage().as_str()
            },
            service_name: category.map(|c| c.name_zh.clone()),
            service_code: t.category.clone(),
            description: public_summary(t, catalog, town.as_deref()),
            agency_responsible: t.department.map(|d| d.name_zh()),
            requested_datetime: t.received_at,
            updated_datetime: t.updated_at,
            expected_datetime: t.deadlines(catalog).reply_due_at,
            address: town,
            lat: centre.map(|c| c.lat),
            long: centre.map(|c| c.lng),
        }
    }
}

/// The XML forms of the wire shapes, in the spec's element order.
impl ServiceDto {
    pub fn write_xml(&self, x: &mut Xml) {
        x.text("service_code", &self.service_code)
            .text("service_name", &self.service_name)
            .text("description", &self.description)
            .text("metadata", if self.metadata { "true" } else { "false" })
            .text("type", self.kind)
            .text("keywords", &self.keywords)
            .text("group", self.group);
    }
}

impl ServiceDefinitionDto {
    pub fn write_xml(&self, x: &mut Xml) {
        x.open("service_definition")
            .text("service_code", &self.service_code)
            .field("attributes", None)
            .close("service_definition");
    }
}

impl SubmittedDto {
    pub fn write_xml(&self, x: &mut Xml) {
        x.text("service_request_id", &self.service_request_id)
            .text("service_notice", &self.service_notice)
            .field("account_id", self.account_id.as_deref());
    }
}

impl TokenDto {
    pub fn write_xml(&self, x: &mut Xml) {
        x.text("service_request_id", &self.service_request_id)
            .text("token", &self.token);
    }
}

impl ServiceRequestDto {
    pub fn write_xml(&self, x: &mut Xml) {
        let expected = self.expected_datetime.map(w3c);
        let lat = self.lat.map(|v| v.to_string());
        let long = self.long.map(|v| v.to_string());
        x.text("service_request_id", &self.service_request_id)
            .text("status", self.status)
            .text("status_notes", self.status_notes)
            .field("service_name", self.service_name.as_deref())
            .field("service_code", self.service_code.as_deref())
            .text("description", &self.description)
            .field("agency_responsible", self.agency_responsible)
            .text("requested_datetime", &w3c(self.requested_datetime))
            .text("updated_datetime", &w3c(self.updated_datetime))
            .field("expected_datetime", expected.as_deref())
            .field("address", self.address.as_deref())
            .field("lat", lat.as_deref())
            .field("long", long.as_deref());
    }
}

/// One entry of the spec's error array.
#[derive(Debug, Serialize, ToSchema)]
pub struct Open311ErrorItem {
    /// The HTTP status.
    pub code: u16,
    pub description: String,
}

/// An error in the spec's form: the HTTP status and `[{"code", "description"}]`.
#[derive(Debug)]
pub struct Open311Error {
    status: StatusCode,
    description: String,
    /// Seconds for a `Retry-After` header.
    retry_after_s: Option<u64>,
    /// The format of the route that failed.
    format: Format,
}

impl Open311Error {
    pub fn new(status: StatusCode, description: impl Into<String>) -> Self {
        Self {
            status,
            description: description.into(),
            retry_after_s: None,
            format: Format::Json,
        }
    }

    /// The same error, answered in `format`.
    pub fn in_format(self, format: Format) -> Self {
        Self { format, ..self }
    }

    pub fn bad_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, description)
    }

    pub fn not_found(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, description)
    }
}

impl std::fmt::Display for Open311Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status.as_u16(), self.description)
    }
}

impl ResponseError for Open311Error {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let items = [Open311ErrorItem {
            code: self.status.as_u16(),
            description: self.description.clone(),
        }];
        let mut res = respond(self.status, self.format, &items, |x| {
            x.list("errors", "error", &items, |x, e| {
                x.text("code", &e.code.to_string())
                    .text("description", &e.description);
            });
        });
        if let Some(secs) = self.retry_after_s {
            res.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from(secs),
            );
        }
        res
    }
}

/// The engine's errors in the spec's form; a rule broken (422 elsewhere) is a 400 here, as
/// the spec has it.
impl From<ApiError> for Open311Error {
    fn from(e: ApiError) -> Self {
        let status = match e.status_code() {
            StatusCode::UNPROCESSABLE_ENTITY => StatusCode::BAD_REQUEST,
            s => s,
        };
        Self {
            retry_after_s: e.retry_after(),
            ..Self::new(status, e.message())
        }
    }
}

impl From<crate::domain::ticket::Rejection> for Open311Error {
    fn from(r: crate::domain::ticket::Rejection) -> Self {
        ApiError::from(r).into()
    }
}

impl From<crate::store::StoreError> for Open311Error {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::from(e).into()
    }
}
