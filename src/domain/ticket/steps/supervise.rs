//! Record a supervision notice (督办) on an open ticket.

use super::*;

/// Who may take this step.
pub const ROLES: &[Role] = &[Role::Supervisor];

/// This step's row of [`STEPS`](super::STEPS).
pub const STEP: StepInfo = StepInfo {
    name: "supervise",
    verb: "supervise",
    roles: ROLES,
    summary: "Record a supervision notice (督办) on an open ticket.",
};

/// Checks the step against the ticket: the event it yields and the status it leads to.
pub(super) fn decide(cx: &Cx, notice: &str) -> Result<(EventKind, Status), Rejection> {
    let t = cx.ticket;
    let status = t.status;
    if status.is_closed() {
        return Err(cx.illegal());
    }
    require_text(notice, ErrorCode::NoticeRequired, "the notice")?;
    Ok((
        EventKind::Supervised {
            notice: notice.to_owned(),
        },
        status,
    ))
}
