//! The engine raises an alert on an open ticket.

use super::*;

/// The engine raises an alert on the ticket.
#[derive(Clone, Debug, PartialEq)]
pub struct RaiseAlert {
    pub reason: String,
}

impl Step for RaiseAlert {
    const INFO: StepInfo = StepInfo {
        name: "alert",
        verb: "raise an alert on",
        roles: &[],
        summary: "The engine raises an alert on an open ticket.",
    };

    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection> {
        let Self { reason } = self;
        let t = cx.ticket;
        let status = t.status;
        if status.is_closed() {
            return Err(cx.illegal());
        }
        Ok((
            EventKind::Alerted {
                reason: reason.to_owned(),
            },
            status,
        ))
    }
}
