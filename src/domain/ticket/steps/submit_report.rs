//! Submit the report the category's guide asks for.

use super::*;

#[derive(Clone, Debug, PartialEq)]
pub struct SubmitReport {
    pub sections: BTreeMap<String, String>,
    pub evidence: Vec<Evidence>,
}

impl Step for SubmitReport {
    const INFO: StepInfo = StepInfo {
        name: "report",
        verb: "submit a report for",
        roles: &[Role::Field],
        summary: "Submit the report for review; 422 lists the missing sections.",
    };

    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection> {
        let Self { sections, evidence } = self;
        let t = cx.ticket;
        let status = t.status;
        use Status::*;
        if status != Reporting {
            return Err(cx.illegal());
        }
        t.check_report_author(cx.by)?;
        t.check_evidence_files(evidence)?;
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
}

/// What a caller sends for the `report` step.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// Section name → text; the category's required sections must all be filled.
    pub sections: BTreeMap<String, String>,
    #[serde(default)]
    pub evidence: Vec<EvidenceDto>,
}

impl CallerStep for SubmitReport {
    type Body = ReportRequest;

    fn from_body(b: ReportRequest, catalog: &Catalog) -> Result<Self, Rejection> {
        if b.sections.len() > 50 {
            return Err(Rejection::rule(ErrorCode::TooMany, "at most 50 sections"));
        }
        for (name, value) in &b.sections {
            check_len("sections (name)", name, 64)?;
            check_len(&format!("sections.{name}"), value, 20_000)?;
        }
        Ok(SubmitReport {
            sections: b.sections,
            evidence: EvidenceDto::parse_all(b.evidence, catalog)?,
        })
    }
}
