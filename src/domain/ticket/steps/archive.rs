//! Close the case.

use super::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Archive {
    pub note: Option<String>,
}

impl Step for Archive {
    const INFO: StepInfo = StepInfo {
        name: "archive",
        verb: "archive",
        roles: &[Role::Dispatcher],
        summary: "Close the ticket (after the return visit, or when the reporter cannot be reached).",
    };

    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection> {
        let Self { note } = self;
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
}

/// What a caller sends for the `archive` step (optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveRequest {
    pub note: Option<String>,
}

impl CallerStep for Archive {
    type Body = ArchiveRequest;

    const BODY: BodyRule = BodyRule::Optional;

    fn empty_body() -> Option<ArchiveRequest> {
        Some(ArchiveRequest::default())
    }

    fn from_body(b: ArchiveRequest, _: &Catalog) -> Result<Self, Rejection> {
        check_opt("note", &b.note, MAX_DESCRIPTION)?;
        Ok(Archive { note: b.note })
    }
}
