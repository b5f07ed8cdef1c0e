//! Record the return call; an unsatisfied reporter reopens the case.

use super::*;

/// Who may take this step.
pub const ROLES: &[Role] = &[Role::Dispatcher];

/// This step's row of [`STEPS`](super::STEPS).
pub const STEP: StepInfo = StepInfo {
    name: "return-visit",
    verb: "record a return visit for",
    roles: ROLES,
    summary: "Record the return call; an unsatisfied reporter reopens the case.",
};

/// Checks the step against the ticket: the event it yields and the status it leads to.
pub(super) fn decide(
    cx: &Cx,
    satisfaction: &Satisfaction,
    comment: &Option<String>,
) -> Result<(EventKind, Status), Rejection> {
    let t = cx.ticket;
    let status = t.status;
    use Status::*;
    if status != AwaitingVisit {
        return Err(cx.illegal());
    }
    if t.visit.is_some() {
        return Err(Rejection::rule(
            ErrorCode::AlreadyVisited,
            "the return visit is already recorded; archive the ticket",
        ));
    }
    let reopened = *satisfaction == Satisfaction::Unsatisfied;
    let next = if reopened {
        t.reopen_target(cx.catalog)
    } else {
        AwaitingVisit
    };
    let kind = EventKind::ReturnVisited {
        satisfaction: *satisfaction,
        comment: comment.clone(),
        reopened,
    };
    Ok((kind, next))
}
