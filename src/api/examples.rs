//! Examples for the OpenAPI document. `examples.json` holds one per schema (generated from
//! the schemas, then tuned by hand) and a few for routes without a schema (keys starting
//! with `_`); the `#[utoipa::path]` attributes look them up by name, so every route shows a
//! request and an answer that read like the real thing. The Open311 submission form, which
//! the handler parses by hand, gets its schema here.

use std::sync::OnceLock;

use serde_json::Value;
use utoipa::ToSchema;

/// The example named `name` (a schema name, or a `_` key); `null` for an unknown name,
/// which the OpenAPI test reports.
pub fn example(name: &str) -> Value {
    static ALL: OnceLock<Value> = OnceLock::new();
    ALL.get_or_init(|| serde_json::from_str(include_str!("examples.json")).unwrap_or(Value::Null))
        .get(name)
        .cloned()
        .unwrap_or(Value::Null)
}

/// A list holding the example named `name`.
pub fn list(name: &str) -> Value {
    Value::Array(vec![example(name)])
}

/// The form of `POST /open311/v2/requests.json` (`application/x-www-form-urlencoded`,
/// GeoReport v2). A position is `lat` + `long`, `address_string` or `address_id`.
#[derive(ToSchema)]
#[allow(
    dead_code,
    reason = "a schema only: the handler parses the form itself"
)]
pub struct Open311SubmitForm {
    /// A platform token.
    api_key: String,
    /// A handling-guide category code (`GET /open311/v2/services.json`).
    service_code: String,
    lat: Option<f64>,
    long: Option<f64>,
    address_string: Option<String>,
    address_id: Option<String>,
    description: Option<String>,
    email: Option<String>,
    device_id: Option<String>,
    account_id: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<String>,
    media_url: Option<String>,
    /// Non-standard: makes the submission idempotent (a repeat answers 200 with the same id).
    external_id: Option<String>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn examples_parse() {
        assert!(super::example("TicketDto").is_object());
        assert!(super::example("no such example").is_null());
    }
}
