//! Record a supervision notice (督办) on an open ticket.

use super::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Supervise {
    pub notice: String,
}

impl Step for Supervise {
    const INFO: StepInfo = StepInfo {
        name: "supervise",
        verb: "supervise",
        roles: &[Role::Supervisor],
        summary: "Issue a supervision notice on an open ticket.",
    };

    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection> {
        let Self { notice } = self;
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
}

/// What a caller sends for the `supervise` step.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuperviseRequest {
    /// The supervision notice (督办).
    pub notice: String,
}

impl CallerStep for Supervise {
    type Body = SuperviseRequest;

    fn from_body(b: SuperviseRequest, _: &Catalog) -> Result<Self, Rejection> {
        check_len("notice", &b.notice, 1000)?;
        Ok(Supervise { notice: b.notice })
    }
}
