//! Sign the case off, or return it to reporting or review.

use super::*;

/// Who may take this step.
pub const ROLES: &[Role] = &[Role::Supervisor];

/// This step's row of [`STEPS`](super::STEPS).
pub const STEP: StepInfo = StepInfo {
    name: "approval",
    verb: "approve",
    roles: ROLES,
    summary: "Sign the case off, or return it to reporting or review.",
};

/// Checks the step against the ticket: the event it yields and the status it leads to.
pub(super) fn decide(
    cx: &Cx,
    decision: &ApprovalDecision,
    reasons: &[ReturnReason],
) -> Result<(EventKind, Status), Rejection> {
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
