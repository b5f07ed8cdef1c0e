//! The outbound status feed, for supervisors: `GET /feed/parked` lists the messages the
//! feed gave up on (and those held behind them, so a ticket's messages never overtake each
//! other), `POST /feed/parked/{event_id}/retry` sends that ticket's parked messages again,
//! oldest first (the work is in `feed/`; the contract in `docs/feed.md`).

use actix_web::{HttpResponse, get, post, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use crate::domain::error_code::ErrorCode;
use crate::domain::role::Role;
use crate::engine::Engine;
use crate::feed::{FeedError, Parked};

/// Who sees and retries parked messages.
const READERS: &[Role] = &[Role::Supervisor, Role::Admin];

pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(parked).service(retry);
}

/// The feed's state and its parked messages.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParkedList {
    /// Whether `feed.url` is set.
    pub enabled: bool,
    /// The last event id the feed is done with.
    pub cursor: u64,
    /// Events in the log it has not looked at yet.
    pub lag_events: u64,
    /// Oldest event first.
    pub parked: Vec<Parked>,
}

/// The answer to a retry: the ticket's parked messages, now queued to be sent in order.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetryQueued {
    pub number: String,
    /// Event ids queued, oldest first.
    pub queued: Vec<u64>,
}

impl From<FeedError> for ApiError {
    fn from(e: FeedError) -> Self {
        match e {
            FeedError::Off => ApiError::of(ErrorCode::FeedOff, e.to_string()),
            FeedError::NotParked(id) => ApiError::not_found(format!("parked message {id}")),
            FeedError::Busy => ApiError::of(ErrorCode::Busy, e.to_string()),
            FeedError::Store(e) => e.into(),
        }
    }
}

/// The status feed's parked messages: those that failed `feed.max_attempts` times, and the
/// later messages of the same ticket held behind them. Supervisors and admins.
#[utoipa::path(tag = "feed", operation_id = "list_parked_feed_messages",
    responses(
        (status = 200, description = "the feed's state and parked messages, oldest first", body = ParkedList,
            example = json!({ "enabled": true, "cursor": 42, "lag_events": 0, "parked": [{
                "event_id": 17, "ticket_id": "0193a1b2-0000-7000-8000-000000000001", "number": "WX-2026-000003",
                "status": "triaged", "attempts": 8, "last_error": "http_503", "parked_at": "2026-11-27T08:05:00.000Z",
                "body": "{\"id\":\"evt-17\",\"event_id\":17,\"ticket_seq\":2,\"number\":\"WX-2026-000003\",\"external_id\":\"P-1\",\"status\":\"triaged\",\"ticket_status\":\"triaged\",\"at\":\"2026-11-27T08:01:00.000Z\"}" }] })),
        (status = 401, description = "no or bad token", body = ErrorBody),
        (status = 403, description = "the caller's role may not do this", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/feed/parked")]
async fn parked(engine: web::Data<Engine>, caller: Caller) -> Result<HttpResponse, ApiError> {
    caller.require(READERS)?;
    let feed = &engine.feed;
    Ok(HttpResponse::Ok().json(ParkedList {
        enabled: feed.enabled(),
        cursor: feed.cursor(),
        lag_events: feed.lag(),
        parked: feed.parked()?,
    }))
}

/// Sends a parked message again, with every parked message of its ticket, oldest first and
/// one attempt each, stopping at the first failure (a ticket's messages never overtake each
/// other). Queued for the feed: the answer comes before the delivery; the list shows what
/// is left. Supervisors and admins.
#[utoipa::path(tag = "feed", operation_id = "retry_parked_feed_message",
    params(("event_id" = u64, Path, description = "the parked message's event id")),
    responses(
        (status = 202, description = "queued; the ticket's parked messages will be sent in order", body = RetryQueued,
            example = json!({ "number": "WX-2026-000003", "queued": [17, 18] })),
        (status = 401, description = "no or bad token", body = ErrorBody),
        (status = 403, description = "the caller's role may not do this", body = ErrorBody),
        (status = 404, description = "no parked message has this event id", body = ErrorBody),
        (status = 409, description = "the feed is off (`feed.url` is empty)", body = ErrorBody),
        (status = 429, description = "too many retries waiting", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/feed/parked/{event_id}/retry")]
async fn retry(
    engine: web::Data<Engine>,
    caller: Caller,
    event_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(READERS)?;
    let raw = event_id.into_inner();
    let id: u64 = raw
        .parse()
        .map_err(|_| ApiError::not_found(format!("parked message `{raw}`")))?;
    let queued = engine.feed.retry(id)?;
    Ok(HttpResponse::Accepted().json(RetryQueued {
        number: queued.first().map(|p| p.number.clone()).unwrap_or_default(),
        queued: queued.iter().map(|p| p.event_id).collect(),
    }))
}
