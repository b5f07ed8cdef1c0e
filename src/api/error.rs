//! One error type for every route: an HTTP status and a `{code, message, details?}` body
//! with a stable snake_case code. Each code maps to exactly one status here.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::actors::ticket::CommandError;
use crate::domain::ticket::Rejection;
use crate::store::StoreError;

/// The error body of every route.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable.
    pub code: String,
    /// For people.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub details: Option<Value>,
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    /// Seconds for a `Retry-After` header (429 past the failed-authentication budget).
    retry_after_s: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody {
                code: code.to_owned(),
                message: message.into(),
                details: None,
            },
            retry_after_s: None,
        }
    }

    /// Sends `Retry-After: secs` with the error.
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after_s = Some(secs);
        self
    }

    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after_s
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.body.details = Some(details);
        self
    }

    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "malformed", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{} not found", what.into()),
        )
    }

    /// Valid JSON that breaks a rule.
    pub fn rule(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    pub fn conflict(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn code(&self) -> &str {
        &self.body.code
    }

    pub fn message(&self) -> &str {
        &self.body.message
    }

    pub fn details(&self) -> Option<&Value> {
        self.body.details.as_ref()
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.body.code, self.body.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        if let Some(secs) = self.retry_after_s {
            res.insert_header((actix_web::http::header::RETRY_AFTER, secs));
        }
        res.json(&self.body)
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        let message = r.to_string();
        match r {
            Rejection::Forbidden { .. } => Self::forbidden(message),
            Rejection::NotAssigned => Self::new(StatusCode::FORBIDDEN, "not_assigned", message),
            Rejection::IllegalTransition { status, .. } => {
                Self::conflict("illegal_transition", message)
                    .with_details(serde_json::json!({ "status": status.as_str() }))
            }
            Rejection::Denied { code, .. } => Self::new(StatusCode::FORBIDDEN, code, message),
            Rejection::Conflict { code, .. } => Self::conflict(code, message),
            Rejection::Rule { code, missing, .. } => {
                let e = Self::rule(code, message);
                if missing.is_empty() {
                    e
                } else {
                    e.with_details(serde_json::json!({ "missing": missing }))
                }
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Overloaded => {
                Self::new(StatusCode::TOO_MANY_REQUESTS, "overloaded", e.to_string())
            }
            StoreError::Closed => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting_down",
                e.to_string(),
            ),
            StoreError::DuplicateExternal(_) | StoreError::RecordExists(_) => {
                Self::conflict("already_exists", e.to_string())
            }
            StoreError::RecordMissing(what) => Self::not_found(what),
            StoreError::Conflict(_) => {
                Self::conflict("conflict", "the ticket changed meanwhile; reload and retry")
            }
            StoreError::Io(_) | StoreError::Corrupt(_) => {
                tracing::error!(error = %e, "storage failure");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "storage_error",
                    "the store failed; nothing was changed",
                )
            }
        }
    }
}

impl From<CommandError> for ApiError {
    fn from(e: CommandError) -> Self {
        match e {
            CommandError::Rejected(r) => r.into(),
            CommandError::Store(s) => s.into(),
            CommandError::NotFound => Self::not_found("ticket"),
            CommandError::Busy => Self::new(StatusCode::TOO_MANY_REQUESTS, "busy", e.to_string()),
            CommandError::ActorFailed => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "ticket_restarted",
                e.to_string(),
            ),
        }
    }
}

impl ApiError {
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the body is over the limit of {limit} bytes"),
        )
    }
}

/// An optional query parameter parsed, or 400 naming the parameter and why.
pub fn parse_param<T>(name: &str, raw: Option<&str>) -> Result<Option<T>, ApiError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    raw.map(|v| {
        v.parse()
            .map_err(|e| ApiError::malformed(format!("`{name}`: {e}")))
    })
    .transpose()
}

pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::malformed(format!("invalid query: {err}")).into()
}

pub fn path_error(
    err: actix_web::error::PathError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::not_found(format!("no such resource ({err})")).into()
}

impl From<crate::actors::dispatch::DispatchError> for ApiError {
    fn from(e: crate::actors::dispatch::DispatchError) -> Self {
        use crate::actors::dispatch::DispatchError as D;
        let message = e.to_string();
        match e {
            D::Command(c) => c.into(),
            D::NoCandidate(_) => Self::conflict("no_vehicle_available", message),
            D::UnknownVehicle(_) => Self::rule("unknown_vehicle", message),
            D::VehicleBusy(..) => Self::conflict("vehicle_busy", message),
            D::NoSite => Self::rule("no_site", message),
            D::OutsideArea(_) => Self::rule("outside_service_area", message),
            D::NotOffered(..) => Self::conflict("offer_not_open", message),
            D::Busy => Self::new(StatusCode::TOO_MANY_REQUESTS, "busy", message),
            D::OutOfService(_) => Self::conflict("out_of_service", message),
            D::Offline(_) => Self::conflict("vehicle_offline", message),
        }
    }
}
