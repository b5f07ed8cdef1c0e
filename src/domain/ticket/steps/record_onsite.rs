//! Record what was found and done on site.

use super::*;

#[derive(Clone, Debug, PartialEq)]
pub struct RecordOnsite {
    pub findings: String,
    pub actions: String,
    pub evidence: Vec<Evidence>,
}

impl Step for RecordOnsite {
    const INFO: StepInfo = StepInfo {
        name: "onsite-record",
        verb: "record on-site work for",
        roles: &[Role::Field],
        summary: "What was found and done on site; the ticket moves to report writing.",
    };

    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection> {
        let Self {
            findings,
            actions,
            evidence,
        } = self;
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
        t.check_evidence_files(evidence)?;
        let kind = EventKind::OnsiteRecorded {
            findings: findings.to_owned(),
            actions: actions.to_owned(),
            evidence: evidence.to_vec(),
        };
        Ok((kind, Reporting))
    }
}

/// What a caller sends for the `onsite-record` step.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnsiteRecordRequest {
    /// What was found.
    pub findings: String,
    /// What was done (seizure, notice served, ...).
    #[serde(default)]
    pub actions: String,
    #[serde(default)]
    pub evidence: Vec<EvidenceDto>,
}

impl CallerStep for RecordOnsite {
    type Body = OnsiteRecordRequest;

    fn from_body(b: OnsiteRecordRequest, catalog: &Catalog) -> Result<Self, Rejection> {
        check_len("findings", &b.findings, MAX_DESCRIPTION)?;
        check_len("actions", &b.actions, MAX_DESCRIPTION)?;
        Ok(RecordOnsite {
            findings: b.findings,
            actions: b.actions,
            evidence: EvidenceDto::parse_all(b.evidence, catalog)?,
        })
    }
}
