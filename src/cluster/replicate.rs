//! The store writer's side of cluster mode: where a ticket's events belong (its partition)
//! and the log they must reach before they are acknowledged. The writer runs on a thread
//! of its own, so this talks to Redis on a blocking connection of its own; what the node
//! owns it reads from the ownership loop (`ownership.rs`) without waiting.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::log::{self, Appended, NewEntry};
use super::ownership::Ownership;
use super::partition;
use crate::domain::area::ServiceArea;
use crate::domain::ids::TicketId;
use crate::domain::ticket::{EventRecord, Ticket};

/// One logged ticket write, as every node stores it: the event and the ticket it leads to.
/// The event id is the writing node's; each node stores it under its own next id.
#[derive(Debug, Serialize, Deserialize)]
pub struct Shipped {
    pub event: EventRecord,
    pub ticket: Ticket,
    /// A handover record: the ticket arrives in this partition as `event` (in the
    /// partition it came from) left it; nothing changes, the log records the move.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub handoff: bool,
}

/// A ticket write's bytes in its partition's log (a [`Shipped`]).
pub fn ship(
    event: &EventRecord,
    ticket: &Ticket,
    handoff: bool,
) -> Result<Vec<u8>, serde_json::Error> {
    #[derive(Serialize)]
    struct Ship<'a> {
        event: &'a EventRecord,
        ticket: &'a Ticket,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        handoff: bool,
    }
    serde_json::to_vec(&Ship {
        event,
        ticket,
        handoff,
    })
}

/// What the writer asks of cluster mode.
pub trait Replication: Send {
    /// The partition a new ticket belongs to (its town, or `unplaced`).
    fn partition_of(&self, ticket: &Ticket) -> String;
    /// The fencing token to write `partition` under, if this node holds its lease and its
    /// own count of it has not run out.
    fn token(&self, partition: &str) -> Option<u64>;
    /// The next ticket number of `year`, unique across the nodes.
    fn next_number(&mut self, year: i32) -> Result<u64, String>;
    /// The ticket `command` was applied to, if the partition's log holds it already.
    fn applied(&mut self, partition: &str, command: &str) -> Result<Option<TicketId>, String>;
    /// The seq of the entry that applied `command`, if the partition's log holds it.
    fn command_seq(&mut self, partition: &str, command: &str) -> Result<Option<u64>, String>;
    /// Appends changes to shared records to the registry log.
    fn append_registry(&mut self, changes: &[super::registry::Change]) -> Result<(), String>;
    /// Appends `entries` as seqs `first..` under `token`. An error is an unknown outcome.
    fn append(
        &mut self,
        partition: &str,
        token: u64,
        first: u64,
        entries: &[NewEntry],
    ) -> Result<Appended, String>;
}

/// [`Replication`] on Redis.
pub struct RedisReplication {
    client: redis::Client,
    /// Dropped after an error and opened again at the next use.
    conn: Option<redis::Connection>,
    node: String,
    ownership: Ownership,
    area: Arc<ServiceArea>,
    timeout: Duration,
}

impl RedisReplication {
    pub fn new(
        client: redis::Client,
        node: String,
        ownership: Ownership,
        area: Arc<ServiceArea>,
        timeout: Duration,
    ) -> Self {
        RedisReplication {
            client,
            conn: None,
            node,
            ownership,
            area,
            timeout,
        }
    }

    /// Runs `f` on the connection, opening it first if needed; an error drops it.
    fn with<T>(
        &mut self,
        f: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T, String> {
        if self.conn.is_none() {
            let conn = self
                .client
                .get_connection_with_timeout(self.timeout)
                .map_err(|e| format!("connecting to Redis: {e}"))?;
            conn.set_read_timeout(Some(self.timeout))
                .and_then(|()| conn.set_write_timeout(Some(self.timeout)))
                .map_err(|e| format!("connecting to Redis: {e}"))?;
            self.conn = Some(conn);
        }
        let conn = self.conn.as_mut().ok_or("no Redis connection")?;
        f(conn).map_err(|e| {
            self.conn = None;
            e.to_string()
        })
    }
}

impl Replication for RedisReplication {
    fn partition_of(&self, ticket: &Ticket) -> String {
        partition::of(&self.area, &ticket.location)
    }

    fn token(&self, partition: &str) -> Option<u64> {
        self.ownership.lease(partition).map(|l| l.token)
    }

    fn next_number(&mut self, year: i32) -> Result<u64, String> {
        self.with(|c| {
            redis::cmd("INCR")
                .arg(super::keys::ticket_numbers(year))
                .query(c)
        })
    }

    fn applied(&mut self, partition: &str, command: &str) -> Result<Option<TicketId>, String> {
        let entry = self.with(|c| {
            let Some(seq) = log::find_command_blocking(c, partition, command)? else {
                return Ok(None);
            };
            log::read_blocking(c, partition, seq - 1, 1)
                .map(|entries| entries.into_iter().find(|e| e.seq == seq))
        })?;
        entry
            .map(|e| {
                serde_json::from_slice::<Shipped>(&e.data)
                    .map(|s| s.ticket.id)
                    .map_err(|e| format!("a log entry that is not a ticket write: {e}"))
            })
            .transpose()
    }

    fn command_seq(&mut self, partition: &str, command: &str) -> Result<Option<u64>, String> {
        self.with(|c| log::find_command_blocking(c, partition, command))
    }

    fn append_registry(&mut self, changes: &[super::registry::Change]) -> Result<(), String> {
        let data = serde_json::to_vec(changes).map_err(|e| e.to_string())?;
        let node = self.node.clone();
        self.with(|c| super::registry::append_blocking(c, &node, &data))
    }

    fn append(
        &mut self,
        partition: &str,
        token: u64,
        first: u64,
        entries: &[NewEntry],
    ) -> Result<Appended, String> {
        let node = self.node.clone();
        self.with(|c| log::append_blocking(c, partition, &node, token, first, entries))
    }
}
