//! The outbound status feed to the 12313 platform (`docs/feed.md`): every status change of
//! a ticket the platform sent us is POSTed to `feed.url`, signed with HMAC-SHA256, at least
//! once, in order per ticket. The outbox is the event log itself plus one durable cursor
//! (`follower.rs`); messages that keep failing are parked for supervisors
//! (`GET /api/v1/feed/parked`, `api/feed.rs`). Off when `feed.url` is empty.

mod follower;
pub mod message;
pub mod parked;
pub mod sign;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;

pub use message::StatusMessage;
pub use parked::Parked;

use crate::config::FeedSettings;
use crate::domain::clock::Clock;
use crate::store::{Store, StoreError};

/// Retries that may wait for the follower.
const RETRY_QUEUE: usize = 64;

/// What the follower shares with the routes.
pub(crate) struct Shared {
    /// The last event id the feed has reached (stored at the latest by the end of its batch).
    cursor: AtomicU64,
}

/// The feed as the routes see it: parked messages, the cursor, and retries.
pub struct Feed {
    store: Arc<dyn Store>,
    shared: Arc<Shared>,
    /// To the follower; `None` when the feed is off.
    retries: Option<mpsc::Sender<u64>>,
}

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("the status feed is off (feed.url is empty)")]
    Off,
    #[error("no parked message for event {0}")]
    NotParked(u64),
    #[error("too many retries are waiting; try again shortly")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Feed {
    /// Starts the follower on its own arbiter when `feed.url` is set; returns the handle
    /// and that arbiter (stopped with the engine). Must run inside an actix system.
    pub fn start(
        settings: &FeedSettings,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
    ) -> Result<(Arc<Feed>, Option<actix::Arbiter>), StoreError> {
        let cursor = parked::cursor(store.as_ref())?;
        let shared = Arc::new(Shared {
            cursor: AtomicU64::new(cursor),
        });
        if !settings.enabled() {
            let feed = Feed {
                store,
                shared,
                retries: None,
            };
            return Ok((Arc::new(feed), None));
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.timeout_s))
            .connect_timeout(Duration::from_secs(settings.timeout_s))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| StoreError::Io("cannot build the status feed's HTTP client".into()))?;
        let parked = parked::all(store.as_ref())?;
        let (tx, rx) = mpsc::channel(RETRY_QUEUE);
        let follower = follower::Follower {
            store: store.clone(),
            clock,
            settings: settings.clone(),
            client,
            retries: rx,
            shared: shared.clone(),
            held: parked.iter().map(|p| p.ticket_id.clone()).collect(),
            origins: Default::default(),
            parked_count: parked.len(),
        };
        let arbiter = actix::Arbiter::new();
        arbiter.spawn_fn(move || {
            actix::spawn(follower.run());
        });
        let feed = Feed {
            store,
            shared,
            retries: Some(tx),
        };
        Ok((Arc::new(feed), Some(arbiter)))
    }

    pub fn enabled(&self) -> bool {
        self.retries.is_some()
    }

    /// The last event id the feed is done with.
    pub fn cursor(&self) -> u64 {
        self.shared.cursor.load(Ordering::Acquire)
    }

    /// Events in the log the feed has not looked at yet.
    pub fn lag(&self) -> u64 {
        self.store.last_event_id().saturating_sub(self.cursor())
    }

    pub fn parked(&self) -> Result<Vec<Parked>, StoreError> {
        parked::all(self.store.as_ref())
    }

    /// Queues a retry of the parked message of `event_id` (with its ticket's parked
    /// messages, oldest first); returns the parked messages of that ticket.
    pub fn retry(&self, event_id: u64) -> Result<Vec<Parked>, FeedError> {
        let tx = self.retries.as_ref().ok_or(FeedError::Off)?;
        let all = self.parked()?;
        let ticket = all
            .iter()
            .find(|p| p.event_id == event_id)
            .map(|p| p.ticket_id.clone())
            .ok_or(FeedError::NotParked(event_id))?;
        tx.try_send(event_id).map_err(|_| FeedError::Busy)?;
        Ok(all.into_iter().filter(|p| p.ticket_id == ticket).collect())
    }
}
