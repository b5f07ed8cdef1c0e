//! Sign the case off, or return it to reporting or review.

use super::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Approve {
    pub decision: ApprovalDecision,
    pub reasons: Vec<ReturnReason>,
}

impl Step for Approve {
    const INFO: StepInfo = StepInfo {
        name: "approval",
        verb: "approve",
        roles: &[Role::Supervisor],
        summary: "Sign off (the reply is then due), or return to the writer or the reviewer.",
    };

    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection> {
        let Self { decision, reasons } = self;
        let t = cx.ticket;
        let status = t.status;
        use Status::*;
        if status != InApproval {
            return Err(cx.illegal());
        }
        let next = match decision {
            ApprovalDecision::Approve => Replying,
            ApprovalDecision::ReturnToReporting => Reporting,
            ApprovalDecision::ReturnToReview => InReview,
        };
        if next != Replying {
            check_return_reasons(reasons, cx.catalog)?;
        }
        Ok((
            EventKind::ApprovalDecided {
                decision: *decision,
                reasons: reasons.to_vec(),
            },
            next,
        ))
    }
}

/// An approval as sent: sign off, or return.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalVerdict {
    Approve,
    Return,
}

/// Where a returned approval goes.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReturnTo {
    Reporting,
    InReview,
}

/// What a caller sends for the `approval` step.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRequest {
    pub decision: ApprovalVerdict,
    /// Where a return goes: `reporting` (default) or `in_review`.
    pub return_to: Option<ReturnTo>,
    /// Why it goes back (required with `return`): guide reason codes with notes, or text.
    #[serde(default)]
    pub reasons: Vec<ReasonIn>,
}

impl CallerStep for Approve {
    type Body = ApprovalRequest;

    fn from_body(b: ApprovalRequest, catalog: &Catalog) -> Result<Self, Rejection> {
        let decision = match (b.decision, b.return_to) {
            (ApprovalVerdict::Approve, None) => ApprovalDecision::Approve,
            (ApprovalVerdict::Approve, Some(_)) => {
                return Err(Rejection::rule(
                    ErrorCode::BadReturnTo,
                    "`return_to` goes with a return only",
                ));
            }
            (ApprovalVerdict::Return, None | Some(ReturnTo::Reporting)) => {
                ApprovalDecision::ReturnToReporting
            }
            (ApprovalVerdict::Return, Some(ReturnTo::InReview)) => {
                ApprovalDecision::ReturnToReview
            }
        };
        Ok(Approve {
            decision,
            reasons: return_reasons(b.reasons, catalog)?,
        })
    }
}
