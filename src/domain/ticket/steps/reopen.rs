//! Open an archived case again.

use super::*;

/// Who may take this step.
pub const ROLES: &[Role] = &[Role::Dispatcher, Role::Supervisor];

/// This step's row of [`STEPS`](super::STEPS).
pub const STEP: StepInfo = StepInfo {
    name: "reopen",
    verb: "reopen",
    roles: ROLES,
    summary: "Open an archived case again.",
};

/// Checks the step against the ticket: the event it yields and the status it leads to.
pub(super) fn decide(
    cx: &Cx,
    reason: &str,
    to: &Option<Status>,
) -> Result<(EventKind, Status), Rejection> {
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
