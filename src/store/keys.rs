//! Every key layout of the sled store, in one place. One tree holds the event log, the
//! ticket snapshots and their indexes so that a commit is one atomic `apply_batch`.
//!
//! | prefix | key | value |
//! |---|---|---|
//! | `e` | event_id (u64 BE) | event record (JSON) |
//! | `t` | ticket id (16 bytes) | ticket snapshot (JSON) |
//! | `l` | ticket id, seq (u64 BE) | event_id (u64 BE): the ticket's timeline |
//! | `x` | source, 0, external id | ticket id: idempotent intake |
//! | `i` | field, 0, value, 0, ticket id | empty: secondary indexes (status, category, urgency, department, assignee, number) |
//! | `h` | ticket id | the ticket's chain head: seq (u64 BE), hash of its last event (32 bytes) |
//! | `r` | closed at (unix ms, u64 BE), ticket id | empty: closed tickets still holding a reporter's personal data, oldest first |
//! | `m` | name | meta values (counters; in cluster mode, `m/position/<partition>`: the last seq of that partition's log this store holds) |
//! | `p` | ticket id | cluster mode: the partition whose log the ticket's events are in |
//! | `q` | ticket id | cluster mode: handed over from `unplaced`, not yet recorded in its town's log |
//!
//! Registry records (staff, teams, vehicles, tokens) live in a second tree, `records`,
//! under `<kind>/<id>`. The outbound status feed (`feed/`) keeps its records there too:
//! `feed_cursor/cursor` (the last event id delivered or parked, u64 as JSON) and
//! `feed_parked/<event id, 20 digits>` (a parked message, JSON), so parked messages scan in
//! event order. Neither is part of a ticket's commit: the feed only follows the log.

use crate::domain::ids::TicketId;
use crate::domain::ticket::{Source, Ticket};

pub const EVENT: u8 = b'e';
pub const TICKET: u8 = b't';
pub const TIMELINE: u8 = b'l';
pub const EXTERNAL: u8 = b'x';
pub const INDEX: u8 = b'i';
pub const HEAD: u8 = b'h';
pub const RETENTION: u8 = b'r';
pub const PARTITION: u8 = b'p';
pub const HANDOFF: u8 = b'q';

pub const LAST_EVENT_ID: &[u8] = b"m/last_event_id";
/// Set once every snapshot has its number index entry (stores from before it was kept
/// are filled in at open).
pub const NUMBER_INDEX_DONE: &[u8] = b"m/number_index";
/// Set once every event is linked into its ticket's hash chain (`chain.rs`); stores from
/// before the chain are linked at open.
pub const CHAIN_DONE: &[u8] = b"m/chain";

/// Cluster mode: the partition whose log holds ticket `id`'s events.
pub fn partition(id: &TicketId) -> [u8; 17] {
    let mut k = [0u8; 17];
    k[0] = PARTITION;
    k[1..].copy_from_slice(id.as_bytes());
    k
}

/// Cluster mode: ticket `id` was handed over to its town and its town's log does not
/// record it yet (the town's owner does, ahead of the ticket's next event there).
pub fn handoff(id: &TicketId) -> [u8; 17] {
    let mut k = [0u8; 17];
    k[0] = HANDOFF;
    k[1..].copy_from_slice(id.as_bytes());
    k
}

/// Cluster mode: the last seq of `partition`'s log this store holds (u64 BE).
pub fn position(partition: &str) -> Vec<u8> {
    format!("m/position/{partition}").into_bytes()
}

/// Cluster mode: the id of the last registry log entry this store holds.
pub const REGISTRY_POSITION: &[u8] = b"m/registry_position";

/// The prefix of every [`position`] key.
pub const POSITIONS: &[u8] = b"m/position/";

pub fn event(event_id: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = EVENT;
    k[1..].copy_from_slice(&event_id.to_be_bytes());
    k
}

pub fn ticket(id: &TicketId) -> [u8; 17] {
    let mut k = [0u8; 17];
    k[0] = TICKET;
    k[1..].copy_from_slice(id.as_bytes());
    k
}

pub fn head(id: &TicketId) -> [u8; 17] {
    let mut k = [0u8; 17];
    k[0] = HEAD;
    k[1..].copy_from_slice(id.as_bytes());
    k
}

/// A closed ticket's place in the retention queue, while it holds personal data.
fn retention(t: &Ticket) -> Option<Vec<u8>> {
    let closed_at = t.closed_at()?;
    if !t.holds_personal_data() {
        return None;
    }
    let mut k = Vec::with_capacity(25);
    k.push(RETENTION);
    k.extend_from_slice(&(closed_at.unix_millis().max(0) as u64).to_be_bytes());
    k.extend_from_slice(t.id.as_bytes());
    Some(k)
}

/// The retention queue's keys of tickets closed before `before` sort below this one.
pub fn retention_until(before: crate::domain::Timestamp) -> Vec<u8> {
    let mut k = vec![RETENTION];
    k.extend_from_slice(&(before.unix_millis().max(0) as u64).to_be_bytes());
    k
}

pub fn timeline_prefix(id: &TicketId) -> Vec<u8> {
    let mut k = Vec::with_capacity(25);
    k.push(TIMELINE);
    k.extend_from_slice(id.as_bytes());
    k
}

pub fn timeline(id: &TicketId, seq: u64) -> Vec<u8> {
    let mut k = timeline_prefix(id);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

pub fn external(source: Source, external_id: &str) -> Vec<u8> {
    let mut k = vec![EXTERNAL];
    k.extend_from_slice(source.as_str().as_bytes());
    k.push(0);
    k.extend_from_slice(external_id.as_bytes());
    k
}

pub fn ticket_number_counter(year: i32) -> Vec<u8> {
    format!("m/ticket_number/{year}").into_bytes()
}

/// The indexed fields of a ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Status,
    Category,
    Urgency,
    Department,
    /// A vehicle or staff member the ticket is assigned to (`vehicle:V-1`, `staff:S-1`).
    Assignee,
    /// The human number (`WX-2026-000123`): one entry per ticket, never changed.
    Number,
}

impl Field {
    fn tag(self) -> u8 {
        match self {
            Self::Status => b's',
            Self::Category => b'c',
            Self::Urgency => b'u',
            Self::Department => b'd',
            Self::Assignee => b'a',
            Self::Number => b'n',
        }
    }
}

pub fn index_prefix(field: Field, value: &str) -> Vec<u8> {
    let mut k = vec![INDEX, field.tag(), 0];
    k.extend_from_slice(value.as_bytes());
    k.push(0);
    k
}

pub fn index(field: Field, value: &str, id: &TicketId) -> Vec<u8> {
    let mut k = index_prefix(field, value);
    k.extend_from_slice(id.as_bytes());
    k
}

/// The ticket id at the end of an index key.
pub fn id_from_index(key: &[u8]) -> Option<TicketId> {
    let tail: [u8; 16] = key.get(key.len().checked_sub(16)?..)?.try_into().ok()?;
    Some(TicketId::from_bytes(tail))
}

/// Every index entry a ticket snapshot has (with its place in the retention queue).
pub fn index_entries(t: &Ticket) -> Vec<Vec<u8>> {
    let mut out = vec![
        index(Field::Status, t.status.as_str(), &t.id),
        index(Field::Number, t.number.as_str(), &t.id),
    ];
    if let Some(c) = &t.category {
        out.push(index(Field::Category, c, &t.id));
    }
    if let Some(u) = t.urgency {
        out.push(index(Field::Urgency, u.as_str(), &t.id));
    }
    if let Some(d) = t.department {
        out.push(index(Field::Department, d.as_str(), &t.id));
    }
    if let Some(v) = &t.assignment.vehicle_id {
        out.push(index(Field::Assignee, &format!("vehicle:{v}"), &t.id));
    }
    for s in t.assignment.staff.iter().chain(&t.assignment.crew) {
        out.push(index(Field::Assignee, &format!("staff:{s}"), &t.id));
    }
    out.extend(retention(t));
    out
}

pub fn record(kind: &str, id: &str) -> Vec<u8> {
    format!("{kind}/{id}").into_bytes()
}

pub fn record_prefix(kind: &str) -> Vec<u8> {
    format!("{kind}/").into_bytes()
}
