//! The follower: one task that reads the event log after the durable cursor, turns each
//! status change of a platform ticket into a message, delivers it (retrying with capped
//! exponential back-off), parks it after `feed.max_attempts`, and only then moves the
//! cursor. It reads the store, never the command path, so ticket handling never waits for
//! it; a receiver that is down only makes the feed lag (`hotline_feed_lag_events`).
//!
//! Delivery is globally sequential, in event-id order. Per-ticket order follows from it,
//! and one number is the whole outbox state, so a kill -9 at any point resumes from the
//! cursor (at least once: a message delivered but not yet recorded is sent again, with the
//! same id). The platform hears a few messages per ticket at human pace; parallel
//! per-ticket delivery would need a cursor per ticket for no gain a hotline can use, and a
//! receiver outage stalls every ticket alike either way. One message the receiver keeps
//! refusing holds the others back only for its bounded back-off budget, then it is parked.
//!
//! Parking keeps per-ticket order: once a ticket has a parked message, its later messages
//! are parked behind it untried (`behind_parked`) instead of overtaking it, while other
//! tickets flow on. A supervisor's retry sends that ticket's parked messages oldest first,
//! one attempt each, and stops at the first failure.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::mpsc;

use super::message::{StatusMessage, wire_time};
use super::parked::{self, Parked};
use super::{Shared, sign};
use crate::config::FeedSettings;
use crate::domain::clock::Clock;
use crate::domain::ids::TicketId;
use crate::domain::ticket::{EventKind, EventRecord, Source};
use crate::store::{Store, StoreError};
use crate::telemetry::feed_metrics as names;

/// Events read from the log at a time.
const BATCH: usize = 256;
/// Most tickets whose origin is kept in memory (cleared when full).
const ORIGINS: usize = 50_000;

pub(super) struct Follower {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub settings: FeedSettings,
    pub client: reqwest::Client,
    pub retries: mpsc::Receiver<u64>,
    pub shared: Arc<Shared>,
    /// Tickets with a parked message: their later messages park behind it.
    pub held: HashSet<String>,
    /// A ticket's platform id when it came from the platform, `None` otherwise.
    pub origins: HashMap<TicketId, Option<String>>,
    pub parked_count: usize,
}

/// Stop: the store is closing.
struct Closed;

impl Follower {
    pub async fn run(mut self) {
        let mut cursor = self.shared.cursor.load(Ordering::Acquire);
        tracing::info!(cursor, parked = self.parked_count, "status feed started");
        self.gauges(cursor);
        loop {
            match self.step(&mut cursor).await {
                Ok(true) => {}
                Ok(false) => {
                    let idle = Duration::from_millis(self.settings.poll_ms);
                    tokio::select! {
                        _ = tokio::time::sleep(idle) => {}
                        Some(event_id) = self.retries.recv() => {
                            if self.retry(event_id).await.is_err() { return; }
                        }
                    }
                }
                Err(Closed) => {
                    tracing::info!("status feed stopped: the store is closed");
                    return;
                }
            }
        }
    }

    /// Handles queued retries, then one batch of the log; false when nothing was new.
    async fn step(&mut self, cursor: &mut u64) -> Result<bool, Closed> {
        while let Ok(event_id) = self.retries.try_recv() {
            self.retry(event_id).await?;
        }
        let events = match self.store.events_since(*cursor, BATCH) {
            Ok(events) => events,
            Err(StoreError::Closed) => return Err(Closed),
            Err(e) => {
                tracing::error!(error = %e, "status feed cannot read the log");
                return Ok(false);
            }
        };
        if events.is_empty() {
            return Ok(false);
        }
        let mut saved = *cursor;
        for event in &events {
            if let Some(message) = self.message(event) {
                self.handle(event, &message).await?;
                self.save(event.event_id).await?;
                saved = event.event_id;
            }
            *cursor = event.event_id;
            self.shared.cursor.store(*cursor, Ordering::Release);
        }
        if saved != *cursor {
            self.save(*cursor).await?;
        }
        self.gauges(*cursor);
        Ok(true)
    }

    /// Delivers one message, or parks it (after its attempts, or behind its ticket's).
    async fn handle(&mut self, event: &EventRecord, message: &StatusMessage) -> Result<(), Closed> {
        let ticket = event.ticket_id.to_string();
        let body = message.body();
        let (attempts, error) = if self.held.contains(&ticket) {
            (0, "behind_parked".to_owned())
        } else {
            match self.deliver_with_retries(&message.id, &body).await {
                Ok(()) => return Ok(()),
                Err(failure) => failure,
            }
        };
        let record = Parked {
            event_id: event.event_id,
            ticket_id: ticket.clone(),
            number: message.number.clone(),
            status: message.status.clone(),
            attempts,
            last_error: error,
            parked_at: wire_time(self.clock.now()),
            body: String::from_utf8_lossy(&body).into_owned(),
        };
        self.durably(|store| {
            let record = record.clone();
            async move { parked::put(&store, &record).await }
        })
        .await?;
        tracing::warn!(
            event_id = event.event_id,
            number = %message.number,
            attempts,
            code = %record.last_error,
            "status message parked"
        );
        self.held.insert(ticket);
        self.parked_count += 1;
        metrics::gauge!(names::PARKED).set(self.parked_count as f64);
        Ok(())
    }

    /// A supervisor's retry: the parked messages of that message's ticket, oldest first,
    /// one attempt each, until one fails.
    async fn retry(&mut self, event_id: u64) -> Result<(), Closed> {
        let all = match parked::all(self.store.as_ref()) {
            Ok(all) => all,
            Err(StoreError::Closed) => return Err(Closed),
            Err(e) => {
                tracing::error!(error = %e, "status feed cannot read parked messages");
                return Ok(());
            }
        };
        let Some(ticket) = all
            .iter()
            .find(|p| p.event_id == event_id)
            .map(|p| p.ticket_id.clone())
        else {
            return Ok(());
        };
        let mut left = 0;
        for mut p in all.into_iter().filter(|p| p.ticket_id == ticket) {
            if left > 0 {
                left += 1;
                continue;
            }
            let id = format!("evt-{}", p.event_id);
            match self.deliver(&id, p.body.as_bytes()).await {
                Ok(()) => {
                    let done = p.event_id;
                    self.durably(move |store| async move { parked::remove(&store, done).await })
                        .await?;
                    self.parked_count = self.parked_count.saturating_sub(1);
                }
                Err(code) => {
                    p.attempts += 1;
                    p.last_error = code;
                    self.durably(|store| {
                        let p = p.clone();
                        async move { parked::put(&store, &p).await }
                    })
                    .await?;
                    left = 1;
                }
            }
        }
        if left == 0 {
            self.held.remove(&ticket);
        }
        metrics::gauge!(names::PARKED).set(self.parked_count as f64);
        Ok(())
    }

    async fn deliver_with_retries(&self, id: &str, body: &[u8]) -> Result<(), (u32, String)> {
        let mut attempt = 1;
        loop {
            match self.deliver(id, body).await {
                Ok(()) => return Ok(()),
                Err(code) if attempt >= self.settings.max_attempts => return Err((attempt, code)),
                Err(code) => {
                    tracing::debug!(%id, attempt, %code, "status message not delivered yet");
                    tokio::time::sleep(self.backoff(attempt)).await;
                    attempt += 1;
                }
            }
        }
    }

    /// The wait after failed attempt `attempt` (from 1): base doubled, capped.
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u64 << attempt.saturating_sub(1).min(30);
        Duration::from_millis(
            self.settings
                .backoff_base_ms
                .saturating_mul(factor)
                .min(self.settings.backoff_cap_ms),
        )
    }

    /// One POST; a 2xx is delivery, anything else a failure named by a code (never the
    /// URL or the error's text, which may carry the URL).
    async fn deliver(&self, id: &str, body: &[u8]) -> Result<(), String> {
        let timestamp = self.clock.now().unix_millis().div_euclid(1000);
        let result = self
            .client
            .post(self.settings.url.trim())
            .header("content-type", "application/json")
            .header("x-hotline-message-id", id)
            .header("x-hotline-timestamp", timestamp.to_string())
            .header(
                "x-hotline-signature",
                sign::signature(self.settings.secret.expose(), body),
            )
            .body(body.to_vec())
            .send()
            .await;
        let outcome = match result {
            Ok(res) if res.status().is_success() => Ok(()),
            Ok(res) => Err(format!("http_{}", res.status().as_u16())),
            Err(e) if e.is_timeout() => Err("timeout".to_owned()),
            Err(e) if e.is_connect() => Err("connect".to_owned()),
            Err(_) => Err("request".to_owned()),
        };
        match &outcome {
            Ok(()) => metrics::counter!(names::DELIVERED).increment(1),
            Err(_) => metrics::counter!(names::FAILED).increment(1),
        }
        outcome
    }

    /// The message `event` makes, when its ticket came from the platform.
    fn message(&mut self, event: &EventRecord) -> Option<StatusMessage> {
        let external = match &event.kind {
            EventKind::Received {
                source,
                external_id,
                ..
            } => platform_id(*source, external_id.as_deref()),
            _ => match self.origins.get(&event.ticket_id) {
                Some(known) => known.clone(),
                None => match self.store.ticket(&event.ticket_id) {
                    Ok(Some(t)) => platform_id(t.source, t.external_id.as_deref()),
                    Ok(None) => None,
                    Err(e) => {
                        tracing::error!(error = %e, ticket_id = %event.ticket_id, "status feed cannot read a ticket");
                        None
                    }
                },
            },
        };
        if self.origins.len() >= ORIGINS {
            self.origins.clear();
        }
        self.origins.insert(event.ticket_id, external.clone());
        StatusMessage::from_event(event, external.as_deref()?)
    }

    async fn save(&self, cursor: u64) -> Result<(), Closed> {
        self.durably(move |store| async move { parked::save_cursor(&store, cursor).await })
            .await
    }

    /// Runs a store write until it is durable: an overloaded writer is waited out, a
    /// closed store stops the feed.
    async fn durably<F, Fut>(&self, write: F) -> Result<(), Closed>
    where
        F: Fn(Arc<dyn Store>) -> Fut,
        Fut: std::future::Future<Output = Result<(), StoreError>>,
    {
        loop {
            match write(self.store.clone()).await {
                Ok(()) => return Ok(()),
                Err(StoreError::Closed) => return Err(Closed),
                Err(e) => {
                    tracing::warn!(error = %e, "status feed write failed; retrying");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    }

    fn gauges(&self, cursor: u64) {
        let lag = self.store.last_event_id().saturating_sub(cursor);
        metrics::gauge!(names::LAG).set(lag as f64);
        metrics::gauge!(names::PARKED).set(self.parked_count as f64);
    }
}

fn platform_id(source: Source, external_id: Option<&str>) -> Option<String> {
    match (source, external_id) {
        (Source::Hotline, Some(id)) => Some(id.to_owned()),
        _ => None,
    }
}
