//! The ticket's steps, one file each: the step's payload, its row ([`StepInfo`]: the
//! action name, the verb messages use, the roles, a summary) and its `decide`, which checks
//! the step against the ticket and names the event and the next status. A step callers
//! take also says, in the same file, the body they send and how it becomes the payload
//! ([`CallerStep`]).
//!
//! The [`steps!`] table below lists every step once. From it come the [`Command`] enum,
//! [`STEPS`], each command's row and `decide`, and [`visit`], through which the HTTP
//! routes, the OpenAPI operations, the console's command frames and the role-matrix test
//! find the caller steps. To add a step: its file here, and its row in the table.
//!
//! The common checks (role, a field device bound to the ticket, an open offer pinning the
//! ticket to intake) stay in `Ticket::decide`, before and after the step's own.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use super::returns::check_return_reasons;
use super::{
    ApprovalDecision, EventKind, Evidence, GroupCommand, Rejection, ReturnReason, ReviewDecision,
    Satisfaction, Status, Ticket, TransferTarget,
};
use crate::domain::Timestamp;
use crate::domain::catalog::{Catalog, Department, HandlingPath, ReopenTarget, Urgency};
use crate::domain::error_code::ErrorCode;
use crate::domain::geo::LatLng;
use crate::domain::ids::{OfferId, StaffId, TeamId, TicketId, TicketNumber, VehicleId};
use crate::domain::input::{
    EvidenceDto, LatLngDto, MAX_DESCRIPTION, ReasonIn, check_len, check_opt, licence,
    return_reasons,
};
use crate::domain::role::{Principal, Role};

/// A step's row: what transports and tests need to know of it without its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepInfo {
    /// The action name: the last segment of its HTTP route, a console frame's `action`.
    pub name: &'static str,
    /// The verb of messages: "the field role may not {verb}", "cannot {verb} a ticket…".
    pub verb: &'static str,
    /// The roles allowed to take it (the engine may take any step); none for the steps
    /// only the engine takes. An engine row may name roles: the step is then a caller's
    /// too, through an action of the service (an offer made by a dispatcher, an answer
    /// from a field device).
    pub roles: &'static [Role],
    /// One line for the OpenAPI operation and the console's help.
    pub summary: &'static str,
}

impl StepInfo {
    /// Whether `role` may take this step.
    pub fn allows(&self, role: Role) -> bool {
        role == Role::System || self.roles.contains(&role)
    }

    /// Whether a console may send it as a command frame: any step a console role may take
    /// (the field devices' own steps go over HTTP).
    pub fn from_console(&self) -> bool {
        self.roles.iter().any(|r| *r != Role::Field)
    }
}

/// A ticket step: its payload is the type implementing this.
pub trait Step: Sized + Into<Command> + 'static {
    /// The step's row.
    const INFO: StepInfo;

    /// Checks the step against the ticket: the event it yields and the status it leads to.
    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection>;
}

/// How a caller step treats the request body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyRule {
    Required,
    /// Empty or `null` means [`CallerStep::empty_body`].
    Optional,
    /// Whatever is sent is not read.
    Ignored,
}

/// A step callers take (over HTTP, and from a console when [`StepInfo::from_console`]):
/// the body they send, which becomes the payload once checked. Its HTTP route is
/// `POST /tickets/{id}/{name}`.
pub trait CallerStep: Step {
    /// The body as sent; its schema is the route's request body.
    type Body: DeserializeOwned + utoipa::ToSchema + 'static;

    const BODY: BodyRule = BodyRule::Required;

    /// The body an optional or ignored one stands for.
    fn empty_body() -> Option<Self::Body> {
        None
    }

    /// Checks what was sent (sizes, codes the guide knows) and makes the payload. Checks
    /// against the ticket's state belong to `decide`.
    fn from_body(body: Self::Body, catalog: &Catalog) -> Result<Self, Rejection>;
}

/// The body of a step that takes none.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoBody {}

/// Walks the table's steps by type (see [`visit`]).
pub trait StepVisitor {
    /// A step callers take.
    fn caller<S: CallerStep>(&mut self);
    /// One of the engine's own steps.
    fn engine<S: Step>(&mut self) {}
}

/// Declares the table: `kind module::Payload,` with `kind` `caller` or `engine`.
macro_rules! steps {
    ($($kind:ident $module:ident::$step:ident,)*) => {
        $(pub mod $module;)*
        $(pub use $module::$step;)*

        /// Everything that can be asked of a ticket after intake: a step's payload, or a
        /// step of the ticket's collaboration group (which never moves the status).
        #[derive(Clone, Debug, PartialEq)]
        pub enum Command {
            $($step($step),)*
            Group(GroupCommand),
        }

        $(impl From<$step> for Command {
            fn from(step: $step) -> Self {
                Command::$step(step)
            }
        })*

        /// Every ticket step (group steps have their own table in `group`).
        pub const STEPS: &[StepInfo] = &[$(<$step as Step>::INFO,)*];

        /// `command`'s row; `None` for a group step.
        pub(in crate::domain::ticket) fn step_of(command: &Command) -> Option<&'static StepInfo> {
            match command {
                $(Command::$step(_) => Some(&<$step as Step>::INFO),)*
                Command::Group(_) => None,
            }
        }

        /// Shows every step of the table to `visitor`, by type, in the table's order.
        pub fn visit(visitor: &mut impl StepVisitor) {
            $(visitor.$kind::<$step>();)*
        }

        impl Ticket {
            /// Runs `command`'s own `decide` (a group step's too): the event and the next
            /// status.
            pub(super) fn decide_step(
                &self,
                command: &Command,
                cx: &Cx,
            ) -> Result<(EventKind, Status), Rejection> {
                match command {
                    $(Command::$step(step) => step.decide(cx),)*
                    Command::Group(g) => Ok((self.decide_group(g, cx.by)?, self.status)),
                }
            }
        }
    };
}

steps! {
    caller triage::Triage,
    engine dispatch::Dispatch,
    engine offer::Offer,
    engine accept_offer::AcceptOffer,
    engine decline_offer::DeclineOffer,
    engine expire_offer::ExpireOffer,
    engine undeliver_offer::UndeliverOffer,
    engine cancel_dispatch::CancelDispatch,
    engine withdraw_vehicle::WithdrawVehicle,
    engine raise_alert::RaiseAlert,
    engine flag_sla::FlagSla,
    caller assign::Assign,
    caller arrive::Arrive,
    caller record_onsite::RecordOnsite,
    caller submit_report::SubmitReport,
    caller review::Review,
    caller approve::Approve,
    caller reply::Reply,
    caller record_visit::RecordVisit,
    caller archive::Archive,
    caller reopen::Reopen,
    caller supervise::Supervise,
    caller transfer::Transfer,
    engine merge_into::MergeInto,
    engine absorb_duplicate::AbsorbDuplicate,
    engine release_duplicate::ReleaseDuplicate,
    engine attach_evidence::AttachEvidence,
}

pub use assign::unknown_staff;

/// The step named `name` (an HTTP route's last segment, a console frame's `action`).
pub fn find(name: &str) -> Option<&'static StepInfo> {
    STEPS.iter().find(|s| s.name == name)
}

/// What a step's `decide` sees besides its payload.
pub struct Cx<'a> {
    pub(in crate::domain::ticket) ticket: &'a Ticket,
    pub(in crate::domain::ticket) by: &'a Principal,
    pub(in crate::domain::ticket) catalog: &'a Catalog,
    /// The vehicle answering an offer, when a field device answers.
    pub(in crate::domain::ticket) answering: Option<&'a VehicleId>,
    /// The step's verb, for an illegal transition.
    pub(in crate::domain::ticket) action: &'static str,
}

impl Cx<'_> {
    /// The step is not taken from the ticket's status.
    fn illegal(&self) -> Rejection {
        Rejection::IllegalTransition {
            action: self.action,
            status: self.ticket.status,
        }
    }
}

fn require_text(value: &str, code: ErrorCode, what: &str) -> Result<(), Rejection> {
    if value.trim().is_empty() {
        Err(Rejection::rule(code, format!("{what} must not be empty")))
    } else {
        Ok(())
    }
}

impl Ticket {
    /// Where a reopened ticket starts again, by the guide: a new on-site check (`triaged`)
    /// or a rewritten report (`reporting`); consultations always go back to intake.
    fn reopen_target(&self, catalog: &Catalog) -> Status {
        match catalog.reopen_to(self.category.as_deref(), self.path) {
            ReopenTarget::Triaged => Status::Triaged,
            ReopenTarget::Reporting => Status::Reporting,
        }
    }
}
