//! The ticket's steps, one file each: the step's roles (declared once, as its `ROLES`), its
//! row of the table ([`STEPS`]: the action name, the verb messages use, the roles, a
//! summary) and its `decide`, which checks the step against the ticket and names the event
//! and the next status. HTTP routes, console command frames, OpenAPI operations and the
//! role-matrix test read the table; [`Command::roles`] and [`Command::action`] read a
//! command's row.
//!
//! To add a step:
//! 1. a variant of [`Command`] carrying the step's payload;
//! 2. a file here with `ROLES`, `STEP` and `decide(cx, ..payload)`;
//! 3. its row: `mod` and an entry in [`STEPS`], and its arm in [`step_of`] and
//!    `Ticket::decide_step` (the compiler points at both).
//!
//! The common checks (role, a field device bound to the ticket, an open offer pinning the
//! ticket to intake) stay in `Ticket::decide`, before and after the step's own.

mod absorb_duplicate;
mod accept_offer;
mod approve;
mod archive;
mod arrive;
mod assign;
mod cancel_dispatch;
mod decline_offer;
mod dispatch;
mod expire_offer;
mod flag_sla;
mod merge_into;
mod offer;
mod raise_alert;
mod record_onsite;
mod record_visit;
mod release_duplicate;
mod reopen;
mod reply;
mod review;
mod submit_report;
mod supervise;
mod transfer;
mod triage;
mod withdraw_vehicle;

use std::collections::BTreeMap;

use super::returns::check_return_reasons;
use super::{
    ApprovalDecision, Command, EventKind, Evidence, Rejection, ReturnReason, ReviewDecision,
    Satisfaction, Status, Ticket, TransferTarget,
};
use crate::domain::Timestamp;
use crate::domain::catalog::{Catalog, HandlingPath, ReopenTarget, Urgency};
use crate::domain::error_code::ErrorCode;
use crate::domain::geo::LatLng;
use crate::domain::ids::{OfferId, StaffId, TeamId, TicketId, TicketNumber, VehicleId};
use crate::domain::role::{Principal, Role};

/// A step's row: what transports and tests need to know of it without its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepInfo {
    /// The action name: the last segment of its HTTP route, a console frame's `action`.
    pub name: &'static str,
    /// The verb of messages: "the field role may not {verb}", "cannot {verb} a ticket…".
    pub verb: &'static str,
    /// The roles allowed to take it; none for the engine's own steps (the engine may take
    /// any step).
    pub roles: &'static [Role],
    /// One line for the OpenAPI operation and the console's help.
    pub summary: &'static str,
}

impl StepInfo {
    /// Whether `role` may take this step.
    pub fn allows(&self, role: Role) -> bool {
        role == Role::System || self.roles.contains(&role)
    }
}

/// Every ticket step (group steps have their own table in `group`).
pub const STEPS: &[StepInfo] = &[
    triage::STEP,
    dispatch::STEP,
    offer::STEP,
    accept_offer::STEP,
    decline_offer::STEP,
    expire_offer::STEP,
    cancel_dispatch::STEP,
    withdraw_vehicle::STEP,
    raise_alert::STEP,
    flag_sla::STEP,
    assign::STEP,
    arrive::STEP,
    record_onsite::STEP,
    submit_report::STEP,
    review::STEP,
    approve::STEP,
    reply::STEP,
    record_visit::STEP,
    archive::STEP,
    reopen::STEP,
    supervise::STEP,
    transfer::STEP,
    merge_into::STEP,
    absorb_duplicate::STEP,
    release_duplicate::STEP,
];

/// The step named `name` (an HTTP route's last segment, a console frame's `action`).
pub fn find(name: &str) -> Option<&'static StepInfo> {
    STEPS.iter().find(|s| s.name == name)
}

/// `command`'s row; `None` for a group step.
pub(in crate::domain::ticket) fn step_of(command: &Command) -> Option<&'static StepInfo> {
    Some(match command {
        Command::Triage { .. } => &triage::STEP,
        Command::Dispatch { .. } => &dispatch::STEP,
        Command::Offer { .. } => &offer::STEP,
        Command::AcceptOffer { .. } => &accept_offer::STEP,
        Command::DeclineOffer { .. } => &decline_offer::STEP,
        Command::ExpireOffer { .. } => &expire_offer::STEP,
        Command::CancelDispatch { .. } => &cancel_dispatch::STEP,
        Command::WithdrawVehicle { .. } => &withdraw_vehicle::STEP,
        Command::RaiseAlert { .. } => &raise_alert::STEP,
        Command::FlagSla { .. } => &flag_sla::STEP,
        Command::Assign { .. } => &assign::STEP,
        Command::Arrive => &arrive::STEP,
        Command::RecordOnsite { .. } => &record_onsite::STEP,
        Command::SubmitReport { .. } => &submit_report::STEP,
        Command::Review { .. } => &review::STEP,
        Command::Approve { .. } => &approve::STEP,
        Command::Reply { .. } => &reply::STEP,
        Command::RecordVisit { .. } => &record_visit::STEP,
        Command::Archive { .. } => &archive::STEP,
        Command::Reopen { .. } => &reopen::STEP,
        Command::Supervise { .. } => &supervise::STEP,
        Command::Transfer { .. } => &transfer::STEP,
        Command::MergeInto { .. } => &merge_into::STEP,
        Command::AbsorbDuplicate { .. } => &absorb_duplicate::STEP,
        Command::ReleaseDuplicate { .. } => &release_duplicate::STEP,
        Command::Group(_) => return None,
    })
}

/// What a step's `decide` sees besides its payload.
pub(super) struct Cx<'a> {
    pub ticket: &'a Ticket,
    pub by: &'a Principal,
    pub catalog: &'a Catalog,
    /// The vehicle answering an offer, when a field device answers.
    pub answering: Option<&'a VehicleId>,
    /// The step's verb, for an illegal transition.
    pub action: &'static str,
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
    /// Runs `command`'s own `decide` (a group step excepted): the event and the next status.
    pub(super) fn decide_step(
        &self,
        command: &Command,
        cx: &Cx,
    ) -> Result<(EventKind, Status), Rejection> {
        match command {
            Command::Triage {
                category,
                urgency,
                position,
                address_text,
                retailer_licence,
                duplicate_of,
            } => triage::decide(
                cx,
                category,
                urgency,
                position,
                address_text,
                retailer_licence,
                duplicate_of,
            ),
            Command::Dispatch {
                vehicle,
                team,
                crew,
            } => dispatch::decide(cx, vehicle, team, crew),
            Command::Offer {
                offer_id,
                vehicle,
                team,
                crew,
                expires_at,
                distance_m,
                manual,
            } => offer::decide(
                cx, offer_id, vehicle, team, crew, expires_at, distance_m, manual,
            ),
            Command::AcceptOffer { offer_id } => accept_offer::decide(cx, offer_id),
            Command::DeclineOffer { offer_id, reason } => {
                decline_offer::decide(cx, offer_id, reason)
            }
            Command::ExpireOffer { offer_id } => expire_offer::decide(cx, offer_id),
            Command::CancelDispatch { reason } => cancel_dispatch::decide(cx, reason),
            Command::WithdrawVehicle { vehicle, reason } => {
                withdraw_vehicle::decide(cx, vehicle, reason)
            }
            Command::RaiseAlert { reason } => raise_alert::decide(cx, reason),
            Command::FlagSla {
                level,
                scope,
                stage,
                now,
            } => flag_sla::decide(cx, level, scope, stage, now),
            Command::Assign { staff } => assign::decide(cx, staff),
            Command::Arrive => arrive::decide(cx),
            Command::RecordOnsite {
                findings,
                actions,
                evidence,
            } => record_onsite::decide(cx, findings, actions, evidence),
            Command::SubmitReport { sections, evidence } => {
                submit_report::decide(cx, sections, evidence)
            }
            Command::Review { decision, reasons } => review::decide(cx, decision, reasons),
            Command::Approve { decision, reasons } => approve::decide(cx, decision, reasons),
            Command::Reply { text } => reply::decide(cx, text),
            Command::RecordVisit {
                satisfaction,
                comment,
            } => record_visit::decide(cx, satisfaction, comment),
            Command::Archive { note } => archive::decide(cx, note),
            Command::Reopen { reason, to } => reopen::decide(cx, reason, to),
            Command::Supervise { notice } => supervise::decide(cx, notice),
            Command::Transfer { to, reason } => transfer::decide(cx, to, reason),
            Command::MergeInto {
                target,
                target_number,
            } => merge_into::decide(cx, target, target_number),
            Command::AbsorbDuplicate {
                duplicate,
                duplicate_number,
            } => absorb_duplicate::decide(cx, duplicate, duplicate_number),
            Command::ReleaseDuplicate {
                duplicate,
                duplicate_number,
                reason,
            } => release_duplicate::decide(cx, duplicate, duplicate_number, reason),
            Command::Group(g) => Ok((self.decide_group(g, cx.by)?, self.status)),
        }
    }

    /// Where a reopened ticket starts again, by the guide: a new on-site check (`triaged`)
    /// or a rewritten report (`reporting`); consultations always go back to intake.
    fn reopen_target(&self, catalog: &Catalog) -> Status {
        match catalog.reopen_to(self.category.as_deref(), self.path) {
            ReopenTarget::Triaged => Status::Triaged,
            ReopenTarget::Reporting => Status::Reporting,
        }
    }
}
