//! Answer the reporter.

use super::*;

/// Who may take this step.
pub const ROLES: &[Role] = &[Role::Dispatcher];

/// This step's row of [`STEPS`](super::STEPS).
pub const STEP: StepInfo = StepInfo {
    name: "reply",
    verb: "reply to",
    roles: ROLES,
    summary: "Answer the reporter.",
};

/// Checks the step against the ticket: the event it yields and the status it leads to.
pub(super) fn decide(cx: &Cx, text: &str) -> Result<(EventKind, Status), Rejection> {
    let t = cx.ticket;
    let status = t.status;
    use Status::*;
    if status != Replying {
        return Err(cx.illegal());
    }
    require_text(text, ErrorCode::ReplyRequired, "the reply")?;
    Ok((
        EventKind::Replied {
            text: text.to_owned(),
        },
        AwaitingVisit,
    ))
}
