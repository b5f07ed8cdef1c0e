//! Ticket steps: a caller's [`Principal`], a ticket and a typed [`Step`] → a typed
//! [`Outcome`]. The HTTP lifecycle routes and the console's command frames both come here,
//! so both share every role check (done once, here, before the body is read), every
//! validation and every error. Nothing here names an actix-web type: cluster mode can carry
//! a step to the node that owns the ticket.
//!
//! [`steps!`] lists the steps a transport can take: the action name (the last segment of
//! its HTTP route, and a console frame's `action`) and the body type. `Action`, `Step`,
//! their names and body parsing come from it; who may take a step is read from its row in
//! the domain's table (`domain::ticket::steps::STEPS`), where roles are declared once.

mod requests;
mod steps;

use serde::de::DeserializeOwned;
use serde_json::Value;

pub use self::requests::*;
use super::Error;
use crate::domain::ids::TicketId;
use crate::domain::role::{Principal, Role};
use crate::domain::ticket::Ticket;
use crate::engine::Engine;

/// A step's body as a transport holds it: the bytes of an HTTP body, or the `body` of a
/// console frame already parsed with its frame (`None` when absent). Each is parsed into
/// the step's request type once, after the caller's role is checked.
pub enum Body<'a> {
    Bytes(&'a [u8]),
    Json(Option<Value>),
}

impl Body<'_> {
    /// A required body; a missing one is malformed.
    fn parse<T: DeserializeOwned>(self) -> Result<T, Error> {
        let invalid = |e: serde_json::Error| Error::malformed(format!("invalid body: {e}"));
        match self {
            Body::Bytes(b) => serde_json::from_slice(b).map_err(invalid),
            Body::Json(None | Some(Value::Null)) => serde_json::from_slice(b"").map_err(invalid),
            Body::Json(Some(v)) => serde_json::from_value(v).map_err(invalid),
        }
    }

    /// An optional body: empty or `null` means the default.
    fn parse_or_default<T: DeserializeOwned + Default>(self) -> Result<T, Error> {
        match self {
            Body::Bytes(b) => {
                let trimmed = b.trim_ascii();
                if trimmed.is_empty() || trimmed == b"null" {
                    Ok(T::default())
                } else {
                    Body::Bytes(trimmed).parse()
                }
            }
            Body::Json(None | Some(Value::Null)) => Ok(T::default()),
            json => json.parse(),
        }
    }
}

/// What a step answers with.
#[derive(Debug)]
pub enum Outcome {
    /// The ticket after the durable event.
    Ticket(Box<Ticket>),
    /// The ticket after its collaboration group was formed (the `group` step).
    GroupFormed(Box<Ticket>),
    /// The fault-injection notice made the ticket's actor panic: whether it died.
    #[cfg(feature = "fault-injection")]
    ActorDied(bool),
}

/// Declares the table of steps: `Variant(Body) = "action", body required|optional`.
macro_rules! steps {
    ($($variant:ident($body:ty) = $name:literal, $how:ident;)*) => {
        /// A step by name, before its body is read.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Action { $($variant,)* }

        /// A step with its typed body.
        #[derive(Debug)]
        pub enum Step { $($variant($body),)* }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];

            /// The action's name: a console frame's `action`, and its route's last segment.
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name,)* }
            }


            /// Reads the step's body (after the role check).
            fn read(self, body: Body<'_>) -> Result<Step, Error> {
                match self { $(Action::$variant => Ok(Step::$variant(body.$how()?)),)* }
            }
        }

        impl Step {
            pub fn action(&self) -> Action {
                match self { $(Step::$variant(_) => Action::$variant,)* }
            }
        }
    };
}

steps! {
    Triage(TriageRequest) = "triage", parse;
    Dispatch(DispatchRequest) = "dispatch", parse_or_default;
    CancelDispatch(CancelDispatchRequest) = "dispatch.cancel", parse;
    Assign(AssignRequest) = "assign", parse;
    Arrive(NoBody) = "arrive", parse_or_default;
    OnsiteRecord(OnsiteRecordRequest) = "onsite-record", parse;
    Report(ReportRequest) = "report", parse;
    Review(ReviewRequest) = "review", parse;
    Approval(ApprovalRequest) = "approval", parse;
    Reply(ReplyRequest) = "reply", parse;
    ReturnVisit(ReturnVisitRequest) = "return-visit", parse;
    Archive(ArchiveRequest) = "archive", parse_or_default;
    Reopen(ReopenRequest) = "reopen", parse;
    Supervise(SuperviseRequest) = "supervise", parse;
    Transfer(TransferRequest) = "transfer", parse;
    Merge(MergeRequest) = "merge", parse;
    Group(crate::service::groups::FormGroupRequest) = "group", parse;
}

impl Action {
    /// Who may take this step: its row of the domain's table; forming a group, the group
    /// table's.
    pub fn roles(self) -> &'static [Role] {
        match crate::domain::ticket::steps::find(self.name()) {
            Some(step) => step.roles,
            None => crate::domain::ticket::GroupCommand::FORM_ROLES,
        }
    }
}

/// The steps a console may send as command frames, by name (field steps are the field
/// devices' own, over HTTP).
pub const CONSOLE_ACTIONS: [Action; 14] = [
    Action::Triage,
    Action::Dispatch,
    Action::CancelDispatch,
    Action::Assign,
    Action::Review,
    Action::Approval,
    Action::Reply,
    Action::ReturnVisit,
    Action::Archive,
    Action::Reopen,
    Action::Supervise,
    Action::Transfer,
    Action::Merge,
    Action::Group,
];

impl Action {
    /// A console frame's `action`: one of [`CONSOLE_ACTIONS`], or a malformed-request error
    /// listing them.
    pub fn for_console(name: &str) -> Result<Action, Error> {
        CONSOLE_ACTIONS
            .into_iter()
            .find(|a| a.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = CONSOLE_ACTIONS.iter().map(|a| a.name()).collect();
                Error::malformed(format!(
                    "unknown action `{name}`; one of: {}",
                    names.join(", ")
                ))
            })
    }
}

/// A step that takes no body (an empty or `null` one is fine).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoBody {}

/// Fails with 403 unless `by` may take `action`.
fn authorize(by: &Principal, action: Action) -> Result<(), Error> {
    authorize_roles(by, action.roles())
}

/// Fails with 403 unless `by` has one of `roles` (the message every route gives).
pub fn authorize_roles(by: &Principal, roles: &[Role]) -> Result<(), Error> {
    if roles.contains(&by.role) {
        return Ok(());
    }
    let allowed: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    Err(Error::forbidden(format!(
        "the {} role may not use this route (allowed: {})",
        by.role,
        allowed.join(", ")
    )))
}

/// A ticket id as a caller wrote it; an unparsable one is an unknown ticket.
pub fn parse_id(raw: &str) -> Result<TicketId, Error> {
    raw.parse()
        .map_err(|_| Error::not_found(format!("ticket `{raw}`")))
}

/// Takes step `action` on ticket `id` (as the caller wrote it) with `body` still unread:
/// the role is checked first, so a wrong role is 403 whatever the body; then the body is
/// parsed once into the step's type and the step runs.
pub async fn perform(
    engine: &Engine,
    by: &Principal,
    id: &str,
    action: Action,
    body: Body<'_>,
) -> Result<Outcome, Error> {
    authorize(by, action)?;
    let step = action.read(body)?;
    steps::run(engine, by, id, step).await
}

/// Takes a typed step on ticket `id`.
pub async fn execute(
    engine: &Engine,
    by: &Principal,
    id: TicketId,
    step: Step,
) -> Result<Outcome, Error> {
    authorize(by, step.action())?;
    steps::run(engine, by, &id.to_string(), step).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A transport's step is a row of the domain's table (forming a group excepted), so
    /// its roles are the row's.
    #[test]
    fn every_action_but_forming_a_group_is_a_row_of_the_domain_table() {
        for action in Action::ALL {
            let row = crate::domain::ticket::steps::find(action.name());
            match action {
                Action::Group => assert!(row.is_none()),
                _ => {
                    let row = row.unwrap_or_else(|| panic!("{} has no row", action.name()));
                    assert!(
                        !row.roles.is_empty(),
                        "{} is a caller's step",
                        action.name()
                    );
                    assert_eq!(action.roles(), row.roles);
                }
            }
        }
    }
}
