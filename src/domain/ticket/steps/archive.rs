//! Close the case.

use super::*;

/// Who may take this step.
pub const ROLES: &[Role] = &[Role::Dispatcher];

/// This step's row of [`STEPS`](super::STEPS).
pub const STEP: StepInfo = StepInfo {
    name: "archive",
    verb: "archive",
    roles: ROLES,
    summary: "Close the case.",
};

/// Checks the step against the ticket: the event it yields and the status it leads to.
pub(super) fn decide(cx: &Cx, note: &Option<String>) -> Result<(EventKind, Status), Rejection> {
    let t = cx.ticket;
    let status = t.status;
    use Status::*;
    if status != AwaitingVisit {
        return Err(cx.illegal());
    }
    let reachable = t.reporter.as_ref().is_some_and(|r| r.reachable());
    if t.visit.is_none() && reachable {
        return Err(Rejection::rule(
            ErrorCode::ReturnVisitMissing,
            "record the return visit before archiving",
        ));
    }
    Ok((EventKind::Archived { note: note.clone() }, Archived))
}
