//! The engine: a merge that could not close the duplicate is undone.

use super::*;

/// The engine: a merge recorded here could not close `duplicate`, so this ticket stops
/// claiming it (the compensating step of a merge).
#[derive(Clone, Debug, PartialEq)]
pub struct ReleaseDuplicate {
    pub duplicate: TicketId,
    pub duplicate_number: TicketNumber,
    pub reason: String,
}

impl Step for ReleaseDuplicate {
    const INFO: StepInfo = StepInfo {
        name: "duplicate.release",
        verb: "release a duplicate of",
        roles: &[],
        summary: "The engine: a merge that could not close the duplicate is undone.",
    };

    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection> {
        let Self { duplicate, duplicate_number, reason } = self;
        let t = cx.ticket;
        let status = t.status;
        // Any status: the target may have closed while the merge was under way.
        if !t.duplicates.contains(duplicate) {
            return Err(Rejection::rule(
                ErrorCode::NotMerged,
                "that ticket is not merged into this one",
            ));
        }
        let kind = EventKind::DuplicateReleased {
            duplicate: *duplicate,
            duplicate_number: duplicate_number.clone(),
            reason: reason.to_owned(),
        };
        Ok((kind, status))
    }
}
