//! Record the return call; an unsatisfied reporter reopens the case.

use super::*;

#[derive(Clone, Debug, PartialEq)]
pub struct RecordVisit {
    pub satisfaction: Satisfaction,
    pub comment: Option<String>,
}

impl Step for RecordVisit {
    const INFO: StepInfo = StepInfo {
        name: "return-visit",
        verb: "record a return visit for",
        roles: &[Role::Dispatcher],
        summary: "Record the return visit; an unsatisfied citizen reopens the ticket.",
    };

    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection> {
        let Self { satisfaction, comment } = self;
        let t = cx.ticket;
        let status = t.status;
        use Status::*;
        if status != AwaitingVisit {
            return Err(cx.illegal());
        }
        if t.visit.is_some() {
            return Err(Rejection::rule(
                ErrorCode::AlreadyVisited,
                "the return visit is already recorded; archive the ticket",
            ));
        }
        let reopened = *satisfaction == Satisfaction::Unsatisfied;
        let next = if reopened {
            t.reopen_target(cx.catalog)
        } else {
            AwaitingVisit
        };
        let kind = EventKind::ReturnVisited {
            satisfaction: *satisfaction,
            comment: comment.clone(),
            reopened,
        };
        Ok((kind, next))
    }
}

/// What a caller sends for the `return-visit` step.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnVisitRequest {
    pub satisfaction: Satisfaction,
    pub comment: Option<String>,
}

impl CallerStep for RecordVisit {
    type Body = ReturnVisitRequest;

    fn from_body(b: ReturnVisitRequest, _: &Catalog) -> Result<Self, Rejection> {
        check_opt("comment", &b.comment, MAX_DESCRIPTION)?;
        Ok(RecordVisit {
            satisfaction: b.satisfaction,
            comment: b.comment,
        })
    }
}
