//! The HTTP API against the real application on port 0 with a temp store.

mod auth;
mod catalog;
mod closed_tickets;
mod commands;
mod error_texts;
mod errors;
mod events;
mod hardening;
mod import_stream;
mod lifecycle;
mod metrics_lint;
mod openapi_valid;
mod panic;
mod probes;
mod report_draft;
mod retailers;
mod settings;
mod stats_export;
mod throttle;
mod triage;
