//! Ticket listing: filters, newest first, cursor paging. The most selective index among the
//! given filters drives the scan; the rest are checked on the snapshots.

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
    /// Only tickets whose current stage is past its time limit.
    pub overdue: Option<bool>,
    /// Continue after this ticket (the previous page's cursor).
    pub after: Option<TicketId>,
    pub limit: usize,
}

/// One page of tickets, newest first.
#[derive(Debug)]
pub struct TicketPage {
    pub items: Vec<Ticket>,
    /// Pass as `after` to get the next page; `None` on the last page.
    pub next_cursor: Option<TicketId>,
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
    let limit = q.limit.max(1);
    let (prefix, from_index) = match q.driving_prefix() {
        Some(p) => (p, true),
        None => (vec![keys::TICKET], false),
    };
    let mut end = prefix.clone();
    match &q.after {
        Some(after) => end.extend_from_slice(after.as_bytes()),
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
        items.last().map(|t| t.id)
    } else {
        None
    };
    Ok(TicketPage { items, next_cursor })
}
