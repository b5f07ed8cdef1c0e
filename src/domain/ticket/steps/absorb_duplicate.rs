//! Record a duplicate folded into this ticket.

use super::*;

/// `duplicate` was folded into this ticket.
#[derive(Clone, Debug, PartialEq)]
pub struct AbsorbDuplicate {
    pub duplicate: TicketId,
    pub duplicate_number: TicketNumber,
}

impl Step for AbsorbDuplicate {
    const INFO: StepInfo = StepInfo {
        name: "duplicate.absorb",
        verb: "merge into",
        roles: &[Role::Dispatcher],
        summary: "Record a duplicate folded into this ticket.",
    };

    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection> {
        let Self { duplicate, duplicate_number } = self;
        let t = cx.ticket;
        let status = t.status;
        if status.is_closed() {
            return Err(cx.illegal());
        }
        if t.duplicates.contains(duplicate) {
            return Err(Rejection::rule(
                ErrorCode::AlreadyMerged,
                "that ticket is already merged into this one",
            ));
        }
        if *duplicate == t.id {
            return Err(Rejection::rule(
                ErrorCode::MergeIntoItself,
                "a ticket cannot be merged into itself",
            ));
        }
        let kind = EventKind::DuplicateMerged {
            duplicate: *duplicate,
            duplicate_number: duplicate_number.clone(),
        };
        Ok((kind, status))
    }
}
