//! Answer the reporter.

use super::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    pub text: String,
}

impl Step for Reply {
    const INFO: StepInfo = StepInfo {
        name: "reply",
        verb: "reply to",
        roles: &[Role::Dispatcher],
        summary: "Record the answer to the citizen; the return visit is then due.",
    };

    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection> {
        let Self { text } = self;
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
}

/// What a caller sends for the `reply` step.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    /// The answer given to the citizen.
    pub text: String,
}

impl CallerStep for Reply {
    type Body = ReplyRequest;

    fn from_body(b: ReplyRequest, _: &Catalog) -> Result<Self, Rejection> {
        check_len("text", &b.text, MAX_DESCRIPTION)?;
        Ok(Reply { text: b.text })
    }
}
