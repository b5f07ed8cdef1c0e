//! Logging: JSON (or human-readable) tracing output with request ids, filtered by the
//! `log.level` setting or `RUST_LOG`. Handlers log ticket ids and numbers, never a
//! reporter's name, phone or address.

use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogSettings};

pub fn init(settings: &LogSettings) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match settings.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// The root span of every request: method, route pattern, path and request id. Unlike the
/// default it never records the query string, where WebSocket clients carry their token.
pub struct RequestSpans;

impl tracing_actix_web::RootSpanBuilder for RequestSpans {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        use actix_web::HttpMessage;
        let request_id = request
            .extensions()
            .get::<tracing_actix_web::RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default();
        tracing::info_span!(
            "http",
            method = %request.method(),
            route = %request.match_pattern().unwrap_or_else(|| "unmatched".into()),
            path = %request.path(),
            request_id = %request_id,
            status = tracing::field::Empty,
        )
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        let status = match outcome {
            Ok(response) => response.status().as_u16(),
            Err(error) => error.as_response_error().status_code().as_u16(),
        };
        span.record("status", status);
        // A failed authentication is logged by the throttle, sampled (api/throttle.rs).
        use actix_web::HttpMessage;
        if let Ok(response) = outcome
            && response
                .request()
                .extensions()
                .contains::<crate::api::throttle::Sampled>()
        {
            return;
        }
        // The error's code only: its message can quote the input (a reporter's name).
        let code = match outcome {
            Ok(response) => response
                .response()
                .error()
                .and_then(|e| e.as_error::<crate::api::error::ApiError>())
                .map(|e| e.code().to_owned()),
            Err(error) => error
                .as_error::<crate::api::error::ApiError>()
                .map(|e| e.code().to_owned()),
        };
        if status >= 500 {
            tracing::error!(parent: &span, status, code, "request failed");
        } else if status >= 400 {
            tracing::info!(parent: &span, status, code, "request refused");
        }
    }
}

/// The status feed's metrics (`feed/`): messages delivered (2xx) and failed attempts,
/// parked messages, and how far the feed is behind the event log.
pub mod feed_metrics {
    pub const DELIVERED: &str = "hotline_feed_delivered_total";
    pub const FAILED: &str = "hotline_feed_failed_total";
    pub const PARKED: &str = "hotline_feed_parked";
    pub const LAG: &str = "hotline_feed_lag_events";

    /// Gives the metrics their help text (once the exporter is installed).
    pub fn describe() {
        metrics::describe_counter!(
            DELIVERED,
            "Status messages the platform's receiver accepted (2xx)"
        );
        metrics::describe_counter!(FAILED, "Status feed delivery attempts that failed");
        metrics::describe_gauge!(PARKED, "Status messages parked for a supervisor's retry");
        metrics::describe_gauge!(
            LAG,
            "Events in the log the status feed has not looked at yet"
        );
    }
}
