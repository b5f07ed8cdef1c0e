//! Pass the report on for approval, or return it.

use super::*;

/// Who may take this step.
pub const ROLES: &[Role] = &[Role::Dispatcher, Role::Supervisor];

/// This step's row of [`STEPS`](super::STEPS).
pub const STEP: StepInfo = StepInfo {
    name: "review",
    verb: "review",
    roles: ROLES,
    summary: "Pass the report on for approval, or return it.",
};

/// Checks the step against the ticket: the event it yields and the status it leads to.
pub(super) fn decide(
    cx: &Cx,
    decision: &ReviewDecision,
    reasons: &[ReturnReason],
) -> Result<(EventKind, Status), Rejection> {
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
