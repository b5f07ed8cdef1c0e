//! Durable storage behind a [`Store`] trait. The default implementation is sled
//! ([`SledStore`]): one append-only event log ordered by a dense global sequence number,
//! a snapshot per ticket, secondary indexes, and registry records. Writes go through a
//! single writer that acknowledges nothing before it is flushed (group commit).

pub mod backup;
pub mod chain;
pub mod keys;
mod query;
mod sled_store;
mod writer;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::oneshot;

pub use query::{Cursor, TicketPage, TicketQuery};
pub use sled_store::{SledStore, StoreOptions};

use crate::domain::ids::TicketId;
use crate::domain::role::Principal;
use crate::domain::ticket::{EventKind, EventRecord, FixedDeadlines, Source, Status, Ticket};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage failure: {0}")]
    Io(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// An intake with this (source, external id) already exists.
    #[error("ticket {0} already has this external id")]
    DuplicateExternal(TicketId),
    /// A record with this id already exists.
    #[error("{0} already exists")]
    RecordExists(String),
    /// The record to update does not exist.
    #[error("{0} does not exist")]
    RecordMissing(String),
    /// A ticket write did not build on the committed state (a stale copy).
    #[error("{0}")]
    Conflict(String),
    /// The writer's queue is full: the caller should back off.
    #[error("the store is overloaded; try again shortly")]
    Overloaded,
    #[error("the store is shutting down")]
    Closed,
    /// Cluster mode: this node does not hold the lease of the ticket's partition (any
    /// more); the write was not logged and nothing changed.
    #[error("this node does not own partition `{0}`; retry")]
    NotOwner(String),
    /// Cluster mode: the command id was applied already (a retry of a command whose answer
    /// was lost): the ticket is as that command left it or later.
    #[error("command `{command}` was applied already")]
    Repeated { command: String, ticket: TicketId },
    /// Cluster mode: the partition's log did not take the write, or its answer was lost.
    /// Nothing was acknowledged; whatever the log holds reaches this node's copy, and a
    /// retry with the same command or external id is applied once.
    #[error("the partition's log did not confirm the write ({0}); retry")]
    Unlogged(String),
    /// Cluster mode: followed entries that build on a ticket state this store has not
    /// followed yet (a ticket handed over between partitions); nothing was stored.
    #[error("followed entries ahead of this copy: {0}")]
    Behind(String),
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        Self::Io(e.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        Self::Corrupt(e.to_string())
    }
}

/// Whether opening a store failed because another process (a serving engine) holds it:
/// sled reports its file lock only in words.
pub fn in_use(e: &sled::Error) -> bool {
    matches!(e, sled::Error::Io(io) if io.to_string().contains("could not acquire lock"))
}

/// Kinds of registry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    Staff,
    Team,
    Vehicle,
    /// A vehicle's live state (status, latest fix, offer, active ticket).
    VehicleState,
    /// A licensed retailer of the registry, by licence number (the layout before chunked
    /// imports; read while no [`RecordKind::RetailerRegistry`] pointer exists).
    Retailer,
    /// Up to a thousand retailers of one registry generation, by `{generation}-{index}`.
    RetailerChunk,
    /// `current`: which generation of chunks is the registry (see `retailers.rs`).
    RetailerRegistry,
    Token,
    /// The outbound status feed's delivery cursor (`cursor`: the last event id done).
    FeedCursor,
    /// A status message the feed gave up on, by its event id (20 digits, so in order).
    FeedParked,
}

impl RecordKind {
    pub const ALL: [RecordKind; 10] = [
        Self::Staff,
        Self::Team,
        Self::Vehicle,
        Self::VehicleState,
        Self::Retailer,
        Self::RetailerChunk,
        Self::RetailerRegistry,
        Self::Token,
        Self::FeedCursor,
        Self::FeedParked,
    ];

    /// The kind spelled `name` ([`Self::as_str`]).
    pub fn parse(name: &str) -> Option<RecordKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Cluster mode: whether every node keeps the same records of this kind (the registry
    /// and the tokens). A vehicle's live state and the status feed's progress are the
    /// node's own.
    pub fn shared(self) -> bool {
        !matches!(
            self,
            Self::VehicleState | Self::FeedCursor | Self::FeedParked
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Staff => "staff",
            Self::Team => "team",
            Self::Vehicle => "vehicle",
            Self::VehicleState => "vehicle_state",
            Self::Retailer => "retailer",
            Self::RetailerChunk => "retailer_chunk",
            Self::RetailerRegistry => "retailer_registry",
            Self::Token => "token",
            Self::FeedCursor => "feed_cursor",
            Self::FeedParked => "feed_parked",
        }
    }
}

/// How a record write treats an existing record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PutMode {
    Create,
    Update,
    Upsert,
}

/// One unit of work for the writer; all of it is durable, or none of it is acknowledged.
#[derive(Debug)]
pub enum Write {
    /// A new ticket. The writer gives it its number and refuses a repeated external id.
    /// `then` is a second event on it committed in the same batch (a fast-track ticket's
    /// first offer): both are durable, or neither is.
    CreateTicket {
        ticket: Box<Ticket>,
        event: EventKind,
        by: Principal,
        then: Option<Box<Change>>,
        /// The command id (cluster mode: a forwarded write), recorded in the partition's
        /// log so that a retry is applied once.
        command: Option<String>,
    },
    /// A ticket changed by one event; `before` tells which index entries to drop.
    UpdateTicket {
        before: Box<Ticket>,
        after: Box<Ticket>,
        event: EventKind,
        /// The SLA deadlines the step fixed, recorded on the event.
        deadlines: Option<FixedDeadlines>,
        by: Principal,
        /// As for [`Write::CreateTicket`].
        command: Option<String>,
    },
    /// Cluster mode: entries of a partition's log, as followed, stored in this node's copy
    /// with the partition's new position (entries it holds already are skipped).
    Follow {
        partition: String,
        entries: Vec<crate::cluster::log::Entry>,
    },
    /// Cluster mode: other nodes' registry changes, as followed, stored with the registry
    /// log's new position.
    FollowRegistry {
        position: String,
        changes: Vec<crate::cluster::registry::Change>,
    },
    PutRecord {
        kind: RecordKind,
        id: String,
        value: Vec<u8>,
        mode: PutMode,
    },
    /// Many records at once (an import), replacing any with the same ids.
    PutRecords {
        kind: RecordKind,
        items: Vec<(String, Vec<u8>)>,
    },
    DeleteRecord {
        kind: RecordKind,
        id: String,
    },
    /// Many records at once; ids that are not there are skipped.
    DeleteRecords {
        kind: RecordKind,
        ids: Vec<String>,
    },
}

/// A ticket's next state and the event that leads to it, written after its creation.
#[derive(Debug)]
pub struct Change {
    pub after: Box<Ticket>,
    pub event: EventKind,
    /// The SLA deadlines the step fixed, recorded on the event.
    pub deadlines: Option<FixedDeadlines>,
    pub by: Principal,
}

/// What a durable write produced.
#[derive(Debug)]
pub enum Written {
    Ticket {
        ticket: Box<Ticket>,
        event: std::sync::Arc<EventRecord>,
    },
    Record,
    /// Followed entries stored (cluster mode): the tickets they changed.
    Followed {
        tickets: Vec<TicketId>,
    },
}

/// An acknowledgement that resolves once the write is on disk.
pub struct Pending(oneshot::Receiver<Result<Written, StoreError>>);

impl Future for Pending {
    type Output = Result<Written, StoreError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|r| r.unwrap_or(Err(StoreError::Closed)))
    }
}

/// The storage the engine runs on.
pub trait Store: Send + Sync + 'static {
    /// Queues a write; the returned future resolves when it is durable.
    fn submit(&self, write: Write) -> Pending;
    fn ticket(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError>;
    fn ticket_by_external(
        &self,
        source: Source,
        external_id: &str,
    ) -> Result<Option<Ticket>, StoreError>;
    /// The ticket with this human number (`WX-2026-000123`).
    fn ticket_by_number(&self, number: &str) -> Result<Option<Ticket>, StoreError>;
    /// A ticket's events in order.
    fn timeline(&self, id: &TicketId) -> Result<Vec<EventRecord>, StoreError>;
    /// Up to `limit` events with `event_id > after`, in order.
    fn events_since(&self, after: u64, limit: usize) -> Result<Vec<EventRecord>, StoreError>;
    fn last_event_id(&self) -> u64;
    fn list_tickets(&self, query: &TicketQuery) -> Result<TicketPage, StoreError>;
    /// Ids of every ticket not in a closed status.
    fn open_ticket_ids(&self) -> Result<Vec<TicketId>, StoreError>;
    fn count_by_status(&self) -> Result<Vec<(Status, u64)>, StoreError>;
    /// Cluster mode: the partition whose log holds ticket `id`'s events.
    fn ticket_partition(&self, id: &TicketId) -> Result<Option<String>, StoreError>;
    /// Cluster mode: partition → the last seq of its log this store holds.
    fn positions(&self) -> Result<std::collections::BTreeMap<String, u64>, StoreError>;
    /// Cluster mode: the id of the last registry log entry this store holds.
    fn registry_position(&self) -> Result<Option<String>, StoreError>;
    /// Writes a backup of the store as of the call (see `backup.rs`) while writes go on.
    fn backup(&self, out: &mut dyn std::io::Write) -> Result<backup::Summary, StoreError>;
    /// Up to `limit` closed tickets, closed before `before`, that still hold a reporter's
    /// personal data, the longest closed first.
    fn closed_with_personal_data(
        &self,
        before: crate::domain::Timestamp,
        limit: usize,
    ) -> Result<Vec<TicketId>, StoreError>;
    fn record(&self, kind: RecordKind, id: &str) -> Result<Option<Vec<u8>>, StoreError>;
    fn records(&self, kind: RecordKind) -> Result<Vec<Vec<u8>>, StoreError>;
    /// Flushes everything and stops the writer (graceful shutdown).
    fn close(&self) -> Result<(), StoreError>;
}
