//! Open an archived case again.

use super::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Reopen {
    pub reason: String,
    pub to: Option<Status>,
}

impl Step for Reopen {
    const INFO: StepInfo = StepInfo {
        name: "reopen",
        verb: "reopen",
        roles: &[Role::Dispatcher, Role::Supervisor],
        summary: "Reopen an archived ticket, with a reason.",
    };

    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection> {
        let Self { reason, to } = self;
        let t = cx.ticket;
        let status = t.status;
        use Status::*;
        if status != Archived {
            return Err(cx.illegal());
        }
        require_text(reason, ErrorCode::ReasonRequired, "the reason")?;
        let next = match to {
            None => t.reopen_target(cx.catalog),
            Some(Reporting) if t.path == Some(HandlingPath::DirectAnswer) => {
                return Err(Rejection::rule(
                    ErrorCode::BadReopenTarget,
                    "a direct answer has no report: reopen it to triaged",
                ));
            }
            Some(s @ (Triaged | Reporting)) => *s,
            Some(other) => {
                return Err(Rejection::rule(
                    ErrorCode::BadReopenTarget,
                    format!("a ticket reopens to triaged or reporting, not {other}"),
                ));
            }
        };
        Ok((
            EventKind::Reopened {
                reason: reason.to_owned(),
            },
            next,
        ))
    }
}

/// What a caller sends for the `reopen` step.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenRequest {
    pub reason: String,
    /// `triaged` or `reporting`; by default reporting (triaged for direct answers).
    pub to: Option<Status>,
}

impl CallerStep for Reopen {
    type Body = ReopenRequest;

    fn from_body(b: ReopenRequest, _: &Catalog) -> Result<Self, Rejection> {
        check_len("reason", &b.reason, 1000)?;
        Ok(Reopen {
            reason: b.reason,
            to: b.to,
        })
    }
}
