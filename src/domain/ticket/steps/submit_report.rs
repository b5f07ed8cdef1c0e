//! Submit the report the category's guide asks for.

use super::*;

/// Who may take this step.
pub const ROLES: &[Role] = &[Role::Field];

/// This step's row of [`STEPS`](super::STEPS).
pub const STEP: StepInfo = StepInfo {
    name: "report",
    verb: "submit a report for",
    roles: ROLES,
    summary: "Submit the report the category's guide asks for.",
};

/// Checks the step against the ticket: the event it yields and the status it leads to.
pub(super) fn decide(
    cx: &Cx,
    sections: &BTreeMap<String, String>,
    evidence: &[Evidence],
) -> Result<(EventKind, Status), Rejection> {
    let t = cx.ticket;
    let status = t.status;
    use Status::*;
    if status != Reporting {
        return Err(cx.illegal());
    }
    t.check_report_author(cx.by)?;
    let code = t.category.as_deref().ok_or_else(|| {
        Rejection::rule(
            ErrorCode::CategoryRequired,
            "classify the ticket before reporting",
        )
    })?;
    let missing = t.report_gaps(cx.catalog.get(code), sections, evidence);
    if !missing.is_empty() {
        return Err(Rejection::rule(
            ErrorCode::ReportIncomplete,
            format!("the report is missing: {}", missing.join(", ")),
        )
        .with_missing(missing));
    }
    let version = t.report.as_ref().map_or(1, |r| r.version + 1);
    let kind = EventKind::ReportSubmitted {
        sections: sections.clone(),
        evidence: t.report_evidence(evidence),
        version,
    };
    Ok((kind, InReview))
}
