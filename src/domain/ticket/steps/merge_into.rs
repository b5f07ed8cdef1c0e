//! Fold this duplicate into another ticket.

use super::*;

/// This ticket is a duplicate of `target` and is folded into it.
#[derive(Clone, Debug, PartialEq)]
pub struct MergeInto {
    pub target: TicketId,
    pub target_number: TicketNumber,
}

impl Step for MergeInto {
    const INFO: StepInfo = StepInfo {
        name: "merge",
        verb: "merge",
        roles: &[Role::Dispatcher],
        summary: "Fold this duplicate into another ticket.",
    };

    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection> {
        let Self { target, target_number } = self;
        let t = cx.ticket;
        let status = t.status;
        use Status::*;
        if status.is_closed() {
            return Err(cx.illegal());
        }
        if t.duplicates.contains(target) {
            return Err(Rejection::rule(
                ErrorCode::MergeCycle,
                "that ticket was merged into this one; merge the other way round",
            ));
        }
        if *target == t.id {
            return Err(Rejection::rule(
                ErrorCode::MergeIntoItself,
                "a ticket cannot be merged into itself",
            ));
        }
        Ok((
            EventKind::Merged {
                into: *target,
                into_number: target_number.clone(),
            },
            Merged,
        ))
    }
}
