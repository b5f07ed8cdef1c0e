//! Personal data retention: a reporter's name, phone and address are kept while the case
//! may need them (the return visit, a complaint about the handling) and erased once the
//! ticket has been closed for `privacy.retain_days`. The erasure is itself an event
//! (`ticket.personal_data_erased`); everything else about the case stays on record.

use super::{EventKind, Reporter, Ticket};
use crate::domain::clock::Timestamp;
use crate::domain::redact;

impl Ticket {
    /// The erasure due on this ticket at `now`, as the state it leaves and its event: none
    /// while it is open, closed for less than `retain_days`, or holds no personal data.
    pub fn erasure_due(&self, now: Timestamp, retain_days: u32) -> Option<(Ticket, EventKind)> {
        let kind = self.personal_data_due(now, retain_days)?;
        let mut next = self.clone();
        next.apply(&kind, self.status, now);
        Some((next, kind))
    }

    fn personal_data_due(&self, now: Timestamp, retain_days: u32) -> Option<EventKind> {
        let closed_at = self.closed_at()?;
        let due = closed_at.checked_add(time::Duration::days(retain_days.into()))?;
        (self.holds_personal_data() && due <= now).then(|| EventKind::PersonalDataErased {
            fields: self
                .reporter
                .as_ref()
                .map(Reporter::held_fields)
                .unwrap_or_default()
                .into_iter()
                .map(str::to_owned)
                .collect(),
            retain_days,
            closed_at,
            files: self.files_showing_reporter(),
        })
    }

    /// Erases the reporter's name, phone and address from the state: from the reporter
    /// and from every text that quotes them (description, findings, report, reply, group
    /// messages...). Whether the reporter was anonymous stays.
    pub(super) fn erase_personal_data(&mut self) {
        let Some(reporter) = self.reporter.take() else {
            return;
        };
        if let Ok(mut value) = serde_json::to_value(&*self) {
            redact::erase_json(&mut value, Some(&reporter));
            if let Ok(erased) = serde_json::from_value::<Ticket>(value) {
                *self = erased;
            }
        }
        self.reporter = Some(Reporter {
            anonymous: reporter.anonymous,
            ..Reporter::default()
        });
    }
}
