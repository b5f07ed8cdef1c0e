//! Pass the report on for approval, or return it.

use super::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Review {
    pub decision: ReviewDecision,
    pub reasons: Vec<ReturnReason>,
}

impl Step for Review {
    const INFO: StepInfo = StepInfo {
        name: "review",
        verb: "review",
        roles: &[Role::Dispatcher, Role::Supervisor],
        summary: "Pass the report on to approval, or return it (with reasons) for rework.",
    };

    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection> {
        let Self { decision, reasons } = self;
        let t = cx.ticket;
        let status = t.status;
        use Status::*;
        if status != InReview {
            return Err(cx.illegal());
        }
        let next = match decision {
            ReviewDecision::Pass => InApproval,
            ReviewDecision::Return => {
                check_return_reasons(reasons, cx.catalog)?;
                Reporting
            }
        };
        Ok((
            EventKind::Reviewed {
                decision: *decision,
                reasons: reasons.to_vec(),
            },
            next,
        ))
    }
}

/// What a caller sends for the `review` step.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    pub decision: ReviewDecision,
    /// Why it goes back (required with `return`): guide reason codes with notes, or text.
    #[serde(default)]
    pub reasons: Vec<ReasonIn>,
}

impl CallerStep for Review {
    type Body = ReviewRequest;

    fn from_body(b: ReviewRequest, catalog: &Catalog) -> Result<Self, Rejection> {
        Ok(Review {
            decision: b.decision,
            reasons: return_reasons(b.reasons, catalog)?,
        })
    }
}
