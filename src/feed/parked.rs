//! The feed's durable records in the store's record tree: the delivery cursor and the
//! parked messages (see `store/keys.rs`). Each write goes through the store's writer, so
//! it is on disk before the feed acts on it.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::store::{PutMode, RecordKind, Store, StoreError, Write};

const CURSOR: &str = "cursor";

/// A message the feed gave up on after `feed.max_attempts`, or one held behind an earlier
/// parked message of the same ticket, until a supervisor retries it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Parked {
    /// The event the message was made from; the message's id is `evt-<event_id>`.
    pub event_id: u64,
    pub ticket_id: String,
    pub number: String,
    /// The message's status (`received`, `archived`, ...).
    pub status: String,
    /// Attempts made (0: never tried, held behind an earlier parked message).
    pub attempts: u32,
    /// The last failure: `http_<status>`, `timeout`, `connect`, `request`, or
    /// `behind_parked` for a message held behind an earlier one.
    pub last_error: String,
    /// When it was parked (RFC 3339).
    pub parked_at: String,
    /// The exact JSON body that is sent (and signed) again on retry.
    pub body: String,
}

fn id(event_id: u64) -> String {
    format!("{event_id:020}")
}

/// The last event id the feed is done with (delivered, parked, or not for the platform).
pub fn cursor(store: &dyn Store) -> Result<u64, StoreError> {
    match store.record(RecordKind::FeedCursor, CURSOR)? {
        Some(v) => Ok(serde_json::from_slice(&v)?),
        None => Ok(0),
    }
}

pub async fn save_cursor(store: &Arc<dyn Store>, event_id: u64) -> Result<(), StoreError> {
    store
        .submit(Write::PutRecord {
            kind: RecordKind::FeedCursor,
            id: CURSOR.into(),
            value: serde_json::to_vec(&event_id)?,
            mode: PutMode::Upsert,
        })
        .await
        .map(drop)
}

/// Every parked message, oldest event first.
pub fn all(store: &dyn Store) -> Result<Vec<Parked>, StoreError> {
    let mut out: Vec<Parked> = store
        .records(RecordKind::FeedParked)?
        .iter()
        .map(|v| serde_json::from_slice(v))
        .collect::<Result<_, _>>()?;
    out.sort_by_key(|p| p.event_id);
    Ok(out)
}

pub async fn put(store: &Arc<dyn Store>, parked: &Parked) -> Result<(), StoreError> {
    store
        .submit(Write::PutRecord {
            kind: RecordKind::FeedParked,
            id: id(parked.event_id),
            value: serde_json::to_vec(parked)?,
            mode: PutMode::Upsert,
        })
        .await
        .map(drop)
}

pub async fn remove(store: &Arc<dyn Store>, event_id: u64) -> Result<(), StoreError> {
    store
        .submit(Write::DeleteRecords {
            kind: RecordKind::FeedParked,
            ids: vec![id(event_id)],
        })
        .await
        .map(drop)
}
