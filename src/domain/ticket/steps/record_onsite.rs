//! Record what was found and done on site.

use super::*;

/// Who may take this step.
pub const ROLES: &[Role] = &[Role::Field];

/// This step's row of [`STEPS`](super::STEPS).
pub const STEP: StepInfo = StepInfo {
    name: "onsite-record",
    verb: "record on-site work for",
    roles: ROLES,
    summary: "Record what was found and done on site.",
};

/// Checks the step against the ticket: the event it yields and the status it leads to.
pub(super) fn decide(
    cx: &Cx,
    findings: &str,
    actions: &str,
    evidence: &[Evidence],
) -> Result<(EventKind, Status), Rejection> {
    let t = cx.ticket;
    let status = t.status;
    use Status::*;
    if status != OnSite {
        return Err(cx.illegal());
    }
    if t.category.is_none() {
        return Err(Rejection::rule(
            ErrorCode::CategoryRequired,
            "classify the ticket (triage) before recording the on-site work",
        ));
    }
    require_text(findings, ErrorCode::FindingsRequired, "the findings")?;
    let kind = EventKind::OnsiteRecorded {
        findings: findings.to_owned(),
        actions: actions.to_owned(),
        evidence: evidence.to_vec(),
    };
    Ok((kind, Reporting))
}
