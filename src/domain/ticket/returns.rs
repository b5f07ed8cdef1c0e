//! Why a report was returned: one of the guide's reason codes and an optional note. Events
//! stored before reasons had codes hold plain strings; they read as `other` with the
//! string as its note, so old timelines and snapshots still load and count.

use serde::{Deserialize, Deserializer, Serialize};

use super::Rejection;
use crate::domain::catalog::{Catalog, OTHER_REASON};
use crate::domain::error_code::ErrorCode;

/// One reason a review or approval gave for returning a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReturnReason {
    /// A `[[return_reason]]` code of the guide (`missing_evidence`, ..., `other`).
    pub code: String,
    /// The reviewer's own words; required with `other`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl ReturnReason {
    pub fn new(code: impl Into<String>, note: Option<String>) -> Self {
        Self {
            code: code.into(),
            note,
        }
    }

    /// Free text with no code: filed under `other`.
    pub fn other(note: impl Into<String>) -> Self {
        Self::new(OTHER_REASON, Some(note.into()))
    }

    fn has_note(&self) -> bool {
        self.note.as_deref().is_some_and(|n| !n.trim().is_empty())
    }
}

impl From<&str> for ReturnReason {
    fn from(note: &str) -> Self {
        Self::other(note)
    }
}

impl From<String> for ReturnReason {
    fn from(note: String) -> Self {
        Self::other(note)
    }
}

impl<'de> Deserialize<'de> for ReturnReason {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Stored {
            Coded {
                code: String,
                #[serde(default)]
                note: Option<String>,
            },
            Text(String),
        }
        Ok(match Stored::deserialize(d)? {
            Stored::Coded { code, note } => Self { code, note },
            Stored::Text(note) => Self::other(note),
        })
    }
}

/// A return names at least one reason; every code is one of the guide's; `other` says
/// what it is.
pub(super) fn check_return_reasons(
    reasons: &[ReturnReason],
    catalog: &Catalog,
) -> Result<(), Rejection> {
    if reasons.is_empty() {
        return Err(Rejection::rule(
            ErrorCode::ReasonsRequired,
            "a return needs at least one reason",
        ));
    }
    if let Some(bad) = reasons
        .iter()
        .find(|r| catalog.return_reason(&r.code).is_none())
    {
        return Err(Rejection::rule(
            ErrorCode::UnknownReasonCode,
            format!(
                "`{}` is not a return reason; use one of {}",
                bad.code,
                catalog.return_reason_codes().join(", ")
            ),
        ));
    }
    if reasons
        .iter()
        .any(|r| r.code == OTHER_REASON && !r.has_note())
    {
        return Err(Rejection::rule(
            ErrorCode::ReasonsRequired,
            format!("a reason `{OTHER_REASON}` needs a note saying what it is"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn plain_strings_from_old_events_read_as_other() {
        let old: Vec<ReturnReason> = serde_json::from_str(r#"["缺少证据照片"]"#).unwrap();
        assert_eq!(old, vec![ReturnReason::other("缺少证据照片")]);
        let coded: Vec<ReturnReason> =
            serde_json::from_str(r#"[{"code":"facts_unclear"},{"code":"other","note":"x"}]"#)
                .unwrap();
        assert_eq!(coded[0], ReturnReason::new("facts_unclear", None));
        assert_eq!(coded[1], ReturnReason::other("x"));
        assert_eq!(
            serde_json::to_string(&coded).unwrap(),
            r#"[{"code":"facts_unclear"},{"code":"other","note":"x"}]"#
        );
    }

    #[test]
    fn an_old_stored_return_event_still_loads() {
        use crate::domain::ticket::{EventKind, ReviewDecision};
        let stored = r#"{"type":"ticket.reviewed","decision":"return","reasons":["补充证据"]}"#;
        let kind: EventKind = serde_json::from_str(stored).unwrap();
        assert_eq!(
            kind,
            EventKind::Reviewed {
                decision: ReviewDecision::Return,
                reasons: vec![ReturnReason::other("补充证据")],
            }
        );
        // As stored: the event flattened into its record.
        let record = crate::domain::ticket::EventRecord {
            event_id: 7,
            ticket_id: crate::domain::ids::TicketId::generate(),
            number: crate::domain::ids::TicketNumber::new("WX", 2026, 1),
            seq: 3,
            at: crate::domain::Timestamp::parse("2026-11-27T08:00:00Z").unwrap(),
            by: crate::domain::role::Principal::system(),
            from_status: Some(crate::domain::ticket::Status::InReview),
            status: crate::domain::ticket::Status::Reporting,
            deadlines: None,
            kind,
        };
        let new = serde_json::to_string(&record).unwrap();
        let old = new.replace(r#"[{"code":"other","note":"补充证据"}]"#, r#"["补充证据"]"#);
        assert_ne!(old, new);
        let back: crate::domain::ticket::EventRecord = serde_json::from_str(&old).unwrap();
        assert_eq!(back, record);
    }
}
