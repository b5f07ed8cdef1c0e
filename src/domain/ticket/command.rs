//! Commands on a ticket and the checks every step shares: the role, a field device bound to
//! the ticket, an open offer pinning it to intake. Each step's own rules (the transition
//! table of DOMAIN.md and the checks on what it carries) live in its file under `steps`.

use serde::{Deserialize, Serialize};

use super::{Command, EventKind, Status, Ticket, steps};
use crate::domain::catalog::{Catalog, Department};
use crate::domain::error_code::{ErrorCode, IntoCode};
use crate::domain::role::{Principal, Role, Subject};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    Pass,
    Return,
}

/// An approval either signs off or returns the ticket to an earlier step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalDecision {
    Approve,
    /// Back to the report writer.
    ReturnToReporting,
    /// Back to the reviewer.
    ReturnToReview,
}

/// Where a transfer (转办) sends a ticket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TransferTarget {
    /// Another department of this unit leads it from now on; the ticket stays open.
    Department { department: Department },
    /// Back to the 12313 platform as outside this unit's remit; closes the ticket.
    Platform,
    /// To another unit; closes the ticket.
    OtherUnit { unit: String },
}

/// Why a command was refused. Nothing changed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Rejection {
    #[error("the {role} role may not {action}")]
    Forbidden { role: Role, action: &'static str },
    #[error("this ticket is not assigned to you")]
    NotAssigned,
    #[error("cannot {action} a ticket that is {status}")]
    IllegalTransition {
        action: &'static str,
        status: Status,
    },
    /// `code` is an [`ErrorCode`]'s wire spelling, here and in the two variants below; the
    /// table gives its status.
    #[error("{message}")]
    Rule {
        code: &'static str,
        message: String,
        /// What the caller can act on (e.g. `missing`, `allowed`): the error's `details`.
        details: Option<serde_json::Value>,
    },
    /// The role may take the step, but not this person (e.g. a report by a group member
    /// who is not its lead).
    #[error("{message}")]
    Denied { code: &'static str, message: String },
    /// The step clashes with the current state (e.g. a second active group).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
}

impl Rejection {
    /// What the step carries breaks a rule.
    pub fn rule(code: impl IntoCode, message: impl Into<String>) -> Self {
        Self::Rule {
            code: code.wire(),
            message: message.into(),
            details: None,
        }
    }

    /// The step clashes with the current state.
    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Conflict {
            code: code.as_str(),
            message: message.into(),
        }
    }

    /// The role may take the step, but not this person.
    pub fn denied(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Denied {
            code: code.as_str(),
            message: message.into(),
        }
    }

    /// A rule broken for want of what `missing` lists (`details.missing`).
    pub fn with_missing(self, names: Vec<String>) -> Self {
        self.with_details(serde_json::json!({ "missing": names }))
    }

    /// A broken rule with what the caller can act on (`details`).
    pub fn with_details(mut self, value: serde_json::Value) -> Self {
        if let Self::Rule { details, .. } = &mut self {
            *details = Some(value);
        }
        self
    }
}

impl Command {
    /// The verb used in messages, from the step's row of [`STEPS`](super::steps::STEPS).
    pub fn action(&self) -> &'static str {
        match self {
            Self::Group(g) => g.action(),
            other => steps::step_of(other).map_or("", |s| s.verb),
        }
    }

    /// The roles allowed to take this step (the engine itself may take any), from its row.
    pub fn roles(&self) -> &'static [Role] {
        match self {
            Self::Group(g) => g.roles(),
            other => steps::step_of(other).map_or(&[], |s| s.roles),
        }
    }
}

/// The event a command produces and the status it leads to.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub kind: EventKind,
    pub status: Status,
    /// The SLA deadlines the step fixed (set by `execute`, which applies it), for the
    /// event record.
    pub deadlines: Option<super::FixedDeadlines>,
}

impl Ticket {
    /// Checks `command` by `by` against the current state. Accepting yields exactly one
    /// event; rejecting changes nothing.
    pub fn decide(
        &self,
        command: &Command,
        by: &Principal,
        catalog: &Catalog,
    ) -> Result<Decision, Rejection> {
        let action = command.action();
        if by.role != Role::System && !command.roles().contains(&by.role) {
            return Err(Rejection::Forbidden {
                role: by.role,
                action,
            });
        }
        let answers_offer = matches!(command, Command::AcceptOffer(_) | Command::DeclineOffer(_));
        // Group members act on the group (checked there); the lead submits the report (the
        // other members are told so below).
        let group_step = matches!(command, Command::Group(_))
            || (matches!(
                command,
                Command::SubmitReport(_) | Command::AttachEvidence(_)
            ) && self.speaks_for_member(by));
        if by.role == Role::Field
            && !answers_offer
            && !group_step
            && !by.subject.as_ref().is_some_and(|s| self.is_assigned_to(s))
        {
            return Err(Rejection::NotAssigned);
        }
        // The vehicle answering an offer, when a field device answers.
        let answering = match (&by.role, &by.subject) {
            (Role::Field, Some(Subject::Vehicle(v))) => Some(v),
            _ => None,
        };
        if answers_offer && by.role == Role::Field && answering.is_none() {
            return Err(Rejection::NotAssigned);
        }
        let status = self.status;
        let cx = steps::Cx {
            ticket: self,
            by,
            catalog,
            answering,
            action,
        };
        let (kind, next) = self.decide_step(command, &cx)?;
        use Status::*;
        // An open offer pins the ticket to intake: whatever would move it on (a direct
        // dispatch, a reclassification, a transfer or merge) waits until the offer is
        // answered, expires or is cancelled.
        let leaves_intake =
            matches!(status, Received | Triaged) && !matches!(next, Received | Triaged);
        let settles_offer = matches!(command, Command::AcceptOffer(_));
        if leaves_intake && !settles_offer && self.open_offer().is_some() {
            return Err(Rejection::rule(
                ErrorCode::OfferOpen,
                "an offer to a vehicle is waiting for an answer; cancel it first",
            ));
        }
        Ok(Decision {
            kind,
            status: next,
            deadlines: None,
        })
    }

    /// Checks and applies in one step; returns the event's kind and the new status.
    pub fn execute(
        &mut self,
        command: &Command,
        by: &Principal,
        catalog: &Catalog,
        at: crate::domain::Timestamp,
    ) -> Result<Decision, Rejection> {
        let decision = self.decide(command, by, catalog)?;
        let basis = (self.category.clone(), self.urgency);
        self.apply(&decision.kind, decision.status, at);
        // A deadline is fixed from the guide when its clock starts, and again only when the
        // ticket's category or grade (what the limit depends on) changes.
        let rebased = basis != (self.category.clone(), self.urgency);
        let deadlines = self.fix_deadlines(catalog, rebased);
        Ok(Decision {
            deadlines,
            ..decision
        })
    }
}
