//! What the platform hears: the status message one event of a platform ticket becomes.
//! Pure: no I/O. Only our number, the platform's id, the status, the time and a few safe
//! fields go out — never the reporter's name, phone or address, the description, the
//! position, or the on-site findings. The reply text does go out: it is the answer to the
//! citizen, which the platform delivers (and it already holds the citizen's details).

use serde::{Deserialize, Serialize};
use time::macros::format_description;

use crate::domain::clock::Timestamp;
use crate::domain::ticket::{EventKind, EventRecord, TransferTarget};

/// One status message, the exact JSON body of one POST (see `docs/feed.md`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StatusMessage {
    /// The receiver deduplicates on this: `evt-<event_id>`, the same on every attempt.
    pub id: String,
    /// The engine's global event id (messages of one ticket arrive in its order).
    pub event_id: u64,
    /// The event's place in the ticket's own timeline, from 1.
    pub ticket_seq: u64,
    /// Our ticket number (`WX-2026-000123`).
    pub number: String,
    /// The platform's id of the ticket, as it sent it.
    pub external_id: String,
    /// `received`, `triaged`, `dispatched`, `on_site`, `replied`, `return_visited`,
    /// `archived`, `reopened`, `transferred`, `merged`.
    pub status: String,
    /// The engine's own status after the event (`en_route`, `awaiting_visit`, ...).
    pub ticket_status: String,
    /// When it happened, RFC 3339 UTC with milliseconds.
    pub at: String,
    /// The handling department (triaged; a transfer to another department).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// The guide's category and urgency grade (triaged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgency: Option<String>,
    /// The answer to the citizen (replied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
    /// `satisfied`, `basically_satisfied` or `unsatisfied` (return_visited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub satisfaction: Option<String>,
    /// `platform` (back to the platform, outside this unit's remit), `other_unit` or
    /// `department` (transferred).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_to: Option<String>,
    /// Why a ticket goes back to the platform (transferred to `platform` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The ticket number it was folded into (merged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<String>,
}

/// RFC 3339 UTC with exactly three fractional digits (parsers that take `%f` take it).
pub fn wire_time(at: Timestamp) -> String {
    let fmt =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    at.inner().format(&fmt).unwrap_or_else(|_| at.to_string())
}

impl StatusMessage {
    /// The message `event` makes for a platform ticket with `external_id`, or `None` when
    /// the event changes nothing the platform is told (offers, groups, SLA marks, ...).
    pub fn from_event(event: &EventRecord, external_id: &str) -> Option<Self> {
        let mut m = StatusMessage {
            id: format!("evt-{}", event.event_id),
            event_id: event.event_id,
            ticket_seq: event.seq,
            number: event.number.as_str().to_owned(),
            external_id: external_id.to_owned(),
            status: String::new(),
            ticket_status: event.status.as_str().to_owned(),
            at: wire_time(event.at),
            department: None,
            category: None,
            urgency: None,
            reply: None,
            satisfaction: None,
            transfer_to: None,
            reason: None,
            merged_into: None,
        };
        m.status = match &event.kind {
            EventKind::Received { .. } => "received",
            EventKind::Triaged {
                category,
                urgency,
                department,
                ..
            } => {
                m.category = Some(category.clone());
                m.urgency = Some(urgency.as_str().to_owned());
                m.department = Some(department.as_str().to_owned());
                "triaged"
            }
            EventKind::Dispatched { .. } => "dispatched",
            EventKind::Arrived { .. } => "on_site",
            EventKind::Replied { text } => {
                m.reply = Some(text.clone());
                "replied"
            }
            EventKind::ReturnVisited { satisfaction, .. } => {
                m.satisfaction = serde_json::to_value(satisfaction)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned));
                "return_visited"
            }
            EventKind::Archived { .. } => "archived",
            EventKind::Reopened { .. } => "reopened",
            EventKind::Transferred { to, reason } => {
                match to {
                    TransferTarget::Platform => {
                        m.transfer_to = Some("platform".into());
                        m.reason = Some(reason.clone());
                    }
                    TransferTarget::OtherUnit { .. } => m.transfer_to = Some("other_unit".into()),
                    TransferTarget::Department { department } => {
                        m.transfer_to = Some("department".into());
                        m.department = Some(department.as_str().to_owned());
                    }
                }
                "transferred"
            }
            EventKind::Merged { into_number, .. } => {
                m.merged_into = Some(into_number.as_str().to_owned());
                "merged"
            }
            _ => return None,
        }
        .to_owned();
        Some(m)
    }

    /// The exact bytes that are signed and sent.
    pub fn body(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}
