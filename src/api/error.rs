//! Every route's error as HTTP: the service layer's [`crate::service::Error`] (status class,
//! stable snake_case code, message, details) answered with its status and a
//! `{code, message, details?}` body. Its codes and statuses are set in `service/error.rs`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::error_code::ErrorCode;
use crate::service::error::Status;

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

/// Lists every error code in the OpenAPI document: as `x-error-codes` (`[{ code, status,
/// meaning }]`, `status` null for codes only named inside socket frames or batch answers)
/// and as a table in the description, so a client sees every code it may meet.
pub struct ErrorCodes;

impl utoipa::Modify for ErrorCodes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let codes: Vec<Value> = ErrorCode::ALL
            .iter()
            .map(|c| {
                serde_json::json!({
                    "code": c.as_str(),
                    "status": c.class().http_status(),
                    "meaning": c.default_message(),
                })
            })
            .collect();
        openapi
            .extensions
            .get_or_insert_with(Default::default)
            .insert("x-error-codes".into(), Value::Array(codes));
        let description = openapi.info.description.get_or_insert_with(String::new);
        description.push_str(
            "\n\n## Error codes\n\nEvery error is its status and \
             `{ \"code\", \"message\", \"details\"? }`; these are all the codes \
             (`socket frame`: only in a socket `error` frame; `batch item`: one refused fix of \
             a batch).\n\n",
        );
        description.push_str(&ErrorCode::markdown_table());
    }
}

/// Every route's error is the service layer's: one type, rendered here as HTTP.
pub type ApiError = crate::service::Error;

impl From<StatusCode> for Status {
    fn from(s: StatusCode) -> Self {
        Status::of(s.as_u16())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status().as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        if let Some(secs) = self.retry_after() {
            res.insert_header((actix_web::http::header::RETRY_AFTER, secs));
        }
        res.json(ErrorBody {
            code: self.code().to_owned(),
            message: self.message().to_owned(),
            details: self.details().cloned(),
        })
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

#[cfg(test)]
mod tests {
    use actix_web::ResponseError;
    use actix_web::http::header::RETRY_AFTER;

    use super::ApiError;
    use crate::domain::error_code::ErrorCode;

    fn retry_after(e: &ApiError) -> Option<String> {
        e.error_response()
            .headers()
            .get(RETRY_AFTER)
            .map(|v| v.to_str().expect("ascii").to_owned())
    }

    #[test]
    fn overload_and_restarts_say_when_to_retry() {
        for code in [
            ErrorCode::Overloaded,
            ErrorCode::Busy,
            ErrorCode::Unavailable,
        ] {
            let e = ApiError::of(code, "try again");
            assert_eq!(retry_after(&e).as_deref(), Some("1"), "{code:?}");
        }
        let throttled = ApiError::of(ErrorCode::TooManyFailures, "slow down").with_retry_after(42);
        assert_eq!(retry_after(&throttled).as_deref(), Some("42"));
        let bad = ApiError::malformed("no");
        assert_eq!(retry_after(&bad), None);
    }
}
