//! Hand the ticket to another department, the platform or another unit.

use super::*;

/// Who may take this step.
pub const ROLES: &[Role] = &[Role::Dispatcher];

/// This step's row of [`STEPS`](super::STEPS).
pub const STEP: StepInfo = StepInfo {
    name: "transfer",
    verb: "transfer",
    roles: ROLES,
    summary: "Hand the ticket to another department, the platform or another unit.",
};

/// Checks the step against the ticket: the event it yields and the status it leads to.
pub(super) fn decide(
    cx: &Cx,
    to: &TransferTarget,
    reason: &str,
) -> Result<(EventKind, Status), Rejection> {
    let t = cx.ticket;
    let status = t.status;
    use Status::*;
    if status.is_closed() {
        return Err(cx.illegal());
    }
    require_text(reason, ErrorCode::ReasonRequired, "the reason")?;
    let next = match to {
        TransferTarget::Department { department } => {
            if t.department == Some(*department) {
                return Err(Rejection::rule(
                    ErrorCode::SameDepartment,
                    format!("the ticket is already with {department}"),
                ));
            }
            status
        }
        TransferTarget::OtherUnit { unit } => {
            require_text(unit, ErrorCode::UnitRequired, "the receiving unit")?;
            Transferred
        }
        TransferTarget::Platform => Transferred,
    };
    Ok((
        EventKind::Transferred {
            to: to.clone(),
            reason: reason.to_owned(),
        },
        next,
    ))
}
