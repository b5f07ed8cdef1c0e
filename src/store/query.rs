//! Ticket listing: filters, newest first, cursor paging. The most selective index among the
//! given filters drives the scan; the rest are checked on the snapshots. The overdue queue
//! is ordered otherwise: most overdue first (earliest missed deadline), read from the open
//! tickets only, since only an open ticket can be overdue.

use std::fmt;
use std::str::FromStr;

use super::sled_store::SledStore;
use super::{StoreError, keys};
use crate::domain::Timestamp;
use crate::domain::catalog::{Department, Urgency};
use crate::domain::ids::{TeamId, TicketId};
use crate::domain::role::Subject;
use crate::domain::ticket::{Stage, Status, Ticket};

/// A ticket listing request. Every field is optional; they combine with AND.
#[derive(Clone, Debug, Default)]
pub struct TicketQuery {
    pub status: Option<Status>,
    pub stage: Option<Stage>,
    pub category: Option<String>,
    pub urgency: Option<Urgency>,
    pub department: Option<Department>,
    pub team: Option<TeamId>,
    /// Only tickets assigned to this vehicle or staff member.
    pub assignee: Option<Subject>,
    /// Received at or after.
    pub from: Option<Timestamp>,
    /// Received before.
    pub to: Option<Timestamp>,
    /// `true`: the overdue queue (stage or intake-to-reply limit passed), most overdue
    /// first; `false`: the tickets not in it, newest first.
    pub overdue: Option<bool>,
    /// `true`: only closed tickets (archived, transferred, merged); `false`: only open ones.
    pub closed: Option<bool>,
    /// Words every one of which the ticket's number, external id, description, address or
    /// retailer licence holds (case-insensitive); see [`TicketQuery::search`].
    pub text: Option<String>,
    /// Continue after this (the previous page's cursor).
    pub after: Option<Cursor>,
    pub limit: usize,
}

/// One page of tickets, newest first (the overdue queue: most overdue first).
#[derive(Debug)]
pub struct TicketPage {
    pub items: Vec<Ticket>,
    /// Pass as `after` to get the next page; `None` on the last page.
    pub next_cursor: Option<Cursor>,
}

/// Where a page ended. Opaque on the wire: a newest-first listing's is the last ticket's id
/// (as it always was); the overdue queue's also carries the deadline it sorted by, so the
/// next page starts in the right place even if that ticket has left the queue meanwhile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cursor {
    /// Newest first: continue with the tickets created before this one.
    Before(TicketId),
    /// The overdue queue: continue after this (missed deadline, ticket).
    Overdue(Timestamp, TicketId),
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Before(id) => write!(f, "{id}"),
            Self::Overdue(since, id) => write!(f, "o{}.{id}", since.unix_millis()),
        }
    }
}

impl FromStr for Cursor {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s.strip_prefix('o').and_then(|rest| rest.split_once('.')) {
            Some((ms, id)) => {
                let ms = ms.parse().map_err(|_| ())?;
                let since = Timestamp::from_unix_millis(ms).ok_or(())?;
                Ok(Self::Overdue(since, id.parse().map_err(|_| ())?))
            }
            None => s.parse().map(Self::Before).map_err(|_| ()),
        }
    }
}

impl TicketQuery {
    fn matches(&self, t: &Ticket) -> bool {
        self.status.is_none_or(|s| t.status == s)
            && self.stage.is_none_or(|s| t.stage() == s)
            && self
                .category
                .as_ref()
                .is_none_or(|c| t.category.as_ref() == Some(c))
            && self.urgency.is_none_or(|u| t.urgency == Some(u))
            && self.department.is_none_or(|d| t.department == Some(d))
            && self
                .team
                .as_ref()
                .is_none_or(|team| t.assignment.team_id.as_ref() == Some(team))
            && self.assignee.as_ref().is_none_or(|s| t.is_assigned_to(s))
            && self.from.is_none_or(|f| t.received_at >= f)
            && self.to.is_none_or(|to| t.received_at < to)
            && self.overdue.is_none_or(|o| t.is_overdue() == o)
            && self.closed.is_none_or(|c| t.status.is_closed() == c)
            && self.text.as_deref().is_none_or(|q| Self::search(q, t))
    }

    /// Whether every whitespace-separated word of `query` occurs (case-insensitive) in the
    /// ticket's number, external id, description, address or retailer licence.
    pub fn search(query: &str, t: &Ticket) -> bool {
        let hay = [
            Some(t.number.to_string()),
            t.external_id.clone(),
            Some(t.description.clone()),
            t.location.address_text.clone(),
            t.location.retailer_licence.clone(),
            t.location.reported_licence.clone(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n")
        .to_lowercase();
        query
            .split_whitespace()
            .all(|word| hay.contains(&word.to_lowercase()))
    }

    /// The index prefix to scan, or `None` for the snapshots themselves.
    fn driving_prefix(&self) -> Option<Vec<u8>> {
        use keys::Field;
        if let Some(a) = &self.assignee {
            return Some(keys::index_prefix(Field::Assignee, &a.to_string()));
        }
        if let Some(s) = self.status {
            return Some(keys::index_prefix(Field::Status, s.as_str()));
        }
        if let Some(c) = &self.category {
            return Some(keys::index_prefix(Field::Category, c));
        }
        if let Some(u) = self.urgency {
            return Some(keys::index_prefix(Field::Urgency, u.as_str()));
        }
        self.department
            .map(|d| keys::index_prefix(Field::Department, d.as_str()))
    }
}

pub(super) fn list(store: &SledStore, q: &TicketQuery) -> Result<TicketPage, StoreError> {
    if q.overdue == Some(true) {
        return overdue_queue(store, q);
    }
    let limit = q.limit.max(1);
    let (prefix, from_index) = match q.driving_prefix() {
        Some(p) => (p, true),
        None => (vec![keys::TICKET], false),
    };
    let mut end = prefix.clone();
    match &q.after {
        // An overdue-queue cursor here (the API refuses one) still names a ticket.
        Some(Cursor::Before(after) | Cursor::Overdue(_, after)) => {
            end.extend_from_slice(after.as_bytes())
        }
        None => end.push(0xff),
    }
    let mut items = Vec::with_capacity(limit + 1);
    for kv in store.main().range(prefix.clone()..end).rev() {
        let (k, v) = kv?;
        let ticket = if from_index {
            match keys::id_from_index(&k) {
                Some(id) => match store.snapshot(&id)? {
                    Some(t) => t,
                    None => continue,
                },
                None => continue,
            }
        } else {
            serde_json::from_slice(&v)?
        };
        if q.matches(&ticket) {
            items.push(ticket);
            if items.len() > limit {
                break;
            }
        }
    }
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|t| Cursor::Before(t.id))
    } else {
        None
    };
    Ok(TicketPage { items, next_cursor })
}

/// The overdue queue: every open ticket that matches and is overdue, sorted by the deadline
/// it missed first (then by id, for a stable order), paged by that key.
fn overdue_queue(store: &SledStore, q: &TicketQuery) -> Result<TicketPage, StoreError> {
    let limit = q.limit.max(1);
    let after = match q.after {
        None => None,
        Some(Cursor::Overdue(since, id)) => Some((since, id)),
        // A newest-first cursor here (the API refuses one): after that ticket, if queued.
        Some(Cursor::Before(id)) => match store.snapshot(&id)?.and_then(|t| t.overdue_since()) {
            Some(since) => Some((since, id)),
            None => {
                return Ok(TicketPage {
                    items: Vec::new(),
                    next_cursor: None,
                });
            }
        },
    };
    let mut queue = Vec::new();
    for status in Status::ALL.into_iter().filter(|s| !s.is_closed()) {
        for kv in store
            .main()
            .scan_prefix(keys::index_prefix(keys::Field::Status, status.as_str()))
        {
            let (k, _) = kv?;
            let Some(t) = keys::id_from_index(&k)
                .map(|id| store.snapshot(&id))
                .transpose()?
                .flatten()
            else {
                continue;
            };
            if let Some(since) = t.overdue_since().filter(|_| q.matches(&t))
                && after.is_none_or(|a| (since, t.id) > a)
            {
                queue.push((since, t));
            }
        }
    }
    queue.sort_by_key(|(since, t)| (*since, t.id));
    let next_cursor = (queue.len() > limit)
        .then(|| &queue[limit - 1])
        .map(|(since, t)| Cursor::Overdue(*since, t.id));
    queue.truncate(limit);
    Ok(TicketPage {
        items: queue.into_iter().map(|(_, t)| t).collect(),
        next_cursor,
    })
}
