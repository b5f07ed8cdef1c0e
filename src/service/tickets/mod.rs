//! Ticket actions: a caller's [`Principal`], a ticket and an [`Action`] with its body → a
//! typed [`Outcome`]. The HTTP lifecycle routes and the console's command frames both come
//! here, so both share every role check (done once, here, before the body is read), every
//! validation and every error. Nothing here names an actix-web type: cluster mode can carry
//! an action to the node that owns the ticket.
//!
//! Most actions are one step of the domain's table (`domain::ticket::steps`): its file says
//! its roles, its body and how the body becomes the command, so this module reads them from
//! there. Four actions are more than one step, and live in `actions`: offering or sending a
//! vehicle and calling it off (through the dispatcher), merging a duplicate (two tickets),
//! and forming a collaboration group.

mod actions;

use serde::de::DeserializeOwned;
use serde_json::Value;

pub use self::actions::{CancelDispatchRequest, DispatchRequest, MergeRequest};
use super::Error;
use crate::cluster::forward::{Answer, Call};
use crate::domain::catalog::Catalog;
use crate::domain::ids::TicketId;
use crate::domain::role::{Principal, Role};
use crate::domain::ticket::steps::{self, BodyRule, CallerStep, Step, StepInfo, StepVisitor};
use crate::domain::ticket::{Command, GroupCommand, Ticket};
use crate::engine::Engine;

/// A step's body as a transport holds it: the bytes of an HTTP body, or the `body` of a
/// console frame already parsed with its frame (`None` when absent). Each is parsed into
/// the step's body type once, after the caller's role is checked.
pub enum Body<'a> {
    Bytes(&'a [u8]),
    Json(Option<Value>),
}

impl Body<'_> {
    /// Whether nothing (or `null`) was sent.
    fn is_empty(&self) -> bool {
        match self {
            Body::Bytes(b) => matches!(b.trim_ascii(), b"" | b"null"),
            Body::Json(v) => matches!(v, None | Some(Value::Null)),
        }
    }

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
        if self.is_empty() {
            Ok(T::default())
        } else {
            self.parse()
        }
    }
}

/// What an action answers with.
#[derive(Debug)]
pub enum Outcome {
    /// The ticket after the durable event.
    Ticket(Box<Ticket>),
    /// The ticket after its collaboration group was formed (the `group` action).
    GroupFormed(Box<Ticket>),
    /// The fault-injection notice made the ticket's actor panic: whether it died.
    #[cfg(feature = "fault-injection")]
    ActorDied(bool),
}

/// What a caller can ask of a ticket, by name, before its body is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// One step of the domain's table, taken as its [`CallerStep`] says.
    Step(&'static StepInfo),
    /// Offer the ticket to a vehicle (the named one or the nearest), or send one at once.
    Dispatch,
    /// Call off the open offer or the vehicle on its way.
    CancelDispatch,
    /// Fold a duplicate into this ticket.
    Merge,
    /// Form the ticket's collaboration group.
    FormGroup,
}

/// The actions that are not one step, with their names.
const ACTIONS: [(Action, &str); 4] = [
    (Action::Dispatch, "dispatch"),
    (Action::CancelDispatch, "dispatch.cancel"),
    (Action::Merge, "merge"),
    (Action::FormGroup, "group"),
];

impl Action {
    /// The action named `name`: a caller step of the domain's table, or one of [`ACTIONS`].
    pub fn find(name: &str) -> Option<Action> {
        ACTIONS
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(a, _)| *a)
            .or_else(|| {
                caller_steps()
                    .into_iter()
                    .find(|s| s.name == name)
                    .map(Action::Step)
            })
    }

    /// The action's name: a console frame's `action`; its HTTP route's last segment (with
    /// `/` for `.`).
    pub fn name(self) -> &'static str {
        match self {
            Action::Step(info) => info.name,
            other => ACTIONS
                .iter()
                .find(|(a, _)| *a == other)
                .map_or("", |(_, n)| n),
        }
    }

    /// Who may take it: a step's row of the domain's table; for the other actions, the
    /// step they lead to.
    pub fn roles(self) -> &'static [Role] {
        match self {
            Action::Step(info) => info.roles,
            Action::Dispatch => steps::Dispatch::INFO.roles,
            Action::CancelDispatch => steps::CancelDispatch::INFO.roles,
            Action::Merge => steps::MergeInto::INFO.roles,
            Action::FormGroup => GroupCommand::FORM_ROLES,
        }
    }

    /// Every action a console may send as a command frame (the field devices' own steps
    /// go over HTTP).
    pub fn for_consoles() -> Vec<Action> {
        let steps = caller_steps().into_iter().filter(|s| s.from_console());
        steps
            .map(Action::Step)
            .chain(ACTIONS.iter().map(|(a, _)| *a))
            .collect()
    }

    /// A console frame's `action`: one of [`Action::for_consoles`], or a malformed-request
    /// error listing them.
    pub fn for_console(name: &str) -> Result<Action, Error> {
        let all = Action::for_consoles();
        all.iter()
            .find(|a| a.name() == name)
            .copied()
            .ok_or_else(|| {
                let names: Vec<&str> = all.iter().map(|a| a.name()).collect();
                Error::malformed(format!(
                    "unknown action `{name}`; one of: {}",
                    names.join(", ")
                ))
            })
    }
}

/// The rows of the caller steps, in the table's order.
pub fn caller_steps() -> Vec<&'static StepInfo> {
    struct Rows(Vec<&'static StepInfo>);
    impl StepVisitor for Rows {
        fn caller<S: CallerStep>(&mut self) {
            self.0.push(&S::INFO);
        }
    }
    let mut rows = Rows(Vec::new());
    steps::visit(&mut rows);
    rows.0
}

/// Reads caller step `S`'s body and makes its command.
fn read<S: CallerStep>(body: Body<'_>, catalog: &Catalog) -> Result<Command, Error> {
    let empty = || S::empty_body().ok_or_else(|| Error::malformed("a body is required"));
    let body = match S::BODY {
        BodyRule::Ignored => empty()?,
        BodyRule::Optional if body.is_empty() => empty()?,
        _ => body.parse()?,
    };
    Ok(S::from_body(body, catalog)?.into())
}

/// Reads the body of the caller step named by `info` into its command.
fn read_step(info: &StepInfo, body: Body<'_>, catalog: &Catalog) -> Result<Command, Error> {
    struct Read<'a> {
        name: &'a str,
        body: Option<Body<'a>>,
        catalog: &'a Catalog,
        command: Option<Result<Command, Error>>,
    }
    impl StepVisitor for Read<'_> {
        fn caller<S: CallerStep>(&mut self) {
            if S::INFO.name == self.name
                && let Some(body) = self.body.take()
            {
                self.command = Some(read::<S>(body, self.catalog));
            }
        }
    }
    let mut read = Read {
        name: info.name,
        body: Some(body),
        catalog,
        command: None,
    };
    steps::visit(&mut read);
    read.command.unwrap_or_else(|| {
        Err(Error::malformed(format!(
            "`{}` is not a caller step",
            info.name
        )))
    })
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

/// Takes `action` on ticket `id` (as the caller wrote it) with `body` still unread: the
/// role is checked first, so a wrong role is 403 whatever the body; then the body is parsed
/// once into the action's type and the action runs.
pub async fn perform(
    engine: &Engine,
    by: &Principal,
    id: &str,
    action: Action,
    body: Body<'_>,
) -> Result<Outcome, Error> {
    authorize_roles(by, action.roles())?;
    if let Some(outcome) = forward(engine, by, id, action, &body).await? {
        return Ok(outcome);
    }
    match action {
        Action::Step(info) => {
            let command = read_step(info, body, &engine.catalog)?;
            actions::step(engine, by, id, command).await
        }
        Action::Dispatch => actions::dispatch(engine, by, id, body.parse_or_default()?).await,
        Action::CancelDispatch => actions::cancel_dispatch(engine, by, id, body.parse()?).await,
        Action::Merge => actions::merge(engine, by, id, body.parse()?).await,
        Action::FormGroup => {
            let request = body.parse()?;
            let ticket = super::groups::form(engine, by, parse_id(id)?, request).await?;
            Ok(Outcome::GroupFormed(Box::new(ticket)))
        }
    }
}

/// Cluster mode: sends the action to the node that owns the ticket's partition, unless it
/// is this one (`None`: run it here). A ticket this node does not know yet, or a body that
/// is not JSON, is run here too, to be refused as it would be anywhere.
async fn forward(
    engine: &Engine,
    by: &Principal,
    id: &str,
    action: Action,
    body: &Body<'_>,
) -> Result<Option<Outcome>, Error> {
    let Some(node) = super::intake::forwarding(engine) else {
        return Ok(None);
    };
    let Ok(ticket) = id.parse::<TicketId>() else {
        return Ok(None);
    };
    let Some(partition) = engine.store.ticket_partition(&ticket)? else {
        return Ok(None);
    };
    let body = match body {
        Body::Json(v) => v.clone(),
        Body::Bytes(b) if b.trim_ascii().is_empty() => None,
        Body::Bytes(b) => match serde_json::from_slice(b) {
            Ok(v) => Some(v),
            Err(_) => return Ok(None),
        },
    };
    let Some(owner) = node.owner_url(&partition).await? else {
        return Ok(None);
    };
    let call = Call::Action {
        ticket: id.to_owned(),
        action: action.name().to_owned(),
        body,
    };
    match node.forward(&owner, by, call).await? {
        Answer::Ticket { ticket } => Ok(Some(Outcome::Ticket(ticket))),
        Answer::GroupFormed { ticket } => Ok(Some(Outcome::GroupFormed(ticket))),
        _ => Err(crate::cluster::forward::unreachable(
            "an answer of another kind",
        )),
    }
}

/// Takes caller step `S` on ticket `id` with its typed body: the same role check, body
/// checks and errors as [`perform`], for a caller that already holds the body typed (a
/// peer node forwarding it, a test).
pub async fn take<S: CallerStep>(
    engine: &Engine,
    by: &Principal,
    id: TicketId,
    body: S::Body,
) -> Result<Outcome, Error> {
    authorize_roles(by, S::INFO.roles)?;
    let command = S::from_body(body, &engine.catalog)?.into();
    actions::step(engine, by, &id.to_string(), command).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every caller step has an action of its name, and its roles are its row's; the
    /// other actions' names are no step's.
    #[test]
    fn actions_are_the_caller_steps_and_four_more() {
        for info in caller_steps() {
            assert_eq!(Action::find(info.name), Some(Action::Step(info)));
            assert!(!info.roles.is_empty(), "{} is a caller's step", info.name);
            assert_eq!(Action::Step(info).roles(), info.roles);
        }
        for (action, name) in ACTIONS {
            assert_eq!(action.name(), name);
            assert!(steps::find(name).is_none_or(|s| !caller_steps().contains(&s)));
            assert_eq!(Action::find(name), Some(action));
        }
    }

    /// A console sends every action but the field devices' own steps.
    #[test]
    fn consoles_send_all_but_the_field_steps() {
        let names: Vec<&str> = Action::for_consoles().iter().map(|a| a.name()).collect();
        for field in ["arrive", "onsite-record", "report"] {
            assert!(!names.contains(&field), "{field}");
        }
        for console in [
            "triage",
            "dispatch",
            "dispatch.cancel",
            "review",
            "merge",
            "group",
        ] {
            assert!(names.contains(&console), "{console}");
        }
        let console_steps = caller_steps().iter().filter(|s| s.from_console()).count();
        assert_eq!(names.len(), console_steps + ACTIONS.len(), "{names:?}");
    }
}
