//! The oracle, written from DOMAIN.md: who may take each step, from which status, which
//! payload rules apply, the status it leads to, the event it yields, and which transitions
//! the status table allows.

use super::fixtures::catalog;
use crate::domain::catalog::{HandlingPath, ReopenTarget, Urgency};
use crate::domain::ids::{OfferId, VehicleId};
use crate::domain::role::{Principal, Role, Subject};
use crate::domain::ticket::steps;
use crate::domain::ticket::{
    ApprovalDecision, Command, GroupCommand, OfferState, Rejection, Reporter, ReturnReason,
    ReviewDecision, Satisfaction, SlaLevel, Status, Ticket, TransferTarget,
};

/// Who may take each step: a ticket step's row of the table (its roles are declared once,
/// there; `roles.rs` checks `decide` against every row), a group step's rule from DOMAIN.md.
pub(super) fn expected_roles(command: &Command) -> &'static [Role] {
    use Role::*;
    match command {
        // Group steps: dispatchers run the group, members and supervisors talk in it.
        Command::Group(g) => match g {
            GroupCommand::Post { .. } => &[Field, Dispatcher, Supervisor],
            GroupCommand::CompleteTask { .. } => &[Field, Dispatcher],
            GroupCommand::Form { .. }
            | GroupCommand::ChangeMembers { .. }
            | GroupCommand::Dissolve { .. } => &[Dispatcher],
            // The engine withdraws a member taken out of service.
            GroupCommand::Withdraw { .. } => &[],
        },
        other => steps::step_of(other).expect("a ticket step").roles,
    }
}

/// Whether a vehicle may be sent: a path with a site visit, triaged or grade I at intake.
pub(super) fn awaits_vehicle(t: &Ticket) -> bool {
    !matches!(
        t.path,
        Some(HandlingPath::NoOnsite | HandlingPath::DirectAnswer)
    ) && (t.status == Status::Triaged
        || (t.status == Status::Received && t.urgency == Some(Urgency::I)))
}

fn is_open_offer<'a>(t: &'a Ticket, id: &OfferId) -> Option<&'a VehicleId> {
    t.offers
        .iter()
        .find(|o| o.state == OfferState::Open && o.id == *id)
        .map(|o| &o.vehicle_id)
}

/// The outcome of the offer steps once role and binding are checked.
fn offer_outcome(command: &Command, by: &Principal, t: &Ticket) -> Option<Option<Rejection>> {
    let rule = |code| Some(Rejection::rule(code, String::new()));
    let illegal = Some(Rejection::IllegalTransition {
        action: command.action(),
        status: t.status,
    });
    let has_open = t.offers.iter().any(|o| o.state == OfferState::Open);
    // An offer is answered only while the ticket is in intake; past it (or closed) no offer
    // is open, whatever the log says, and the status is checked before whose it is.
    let in_intake = matches!(t.status, Status::Received | Status::Triaged);
    Some(match command {
        Command::Offer(steps::Offer {
            vehicle, manual, ..
        }) => {
            let passed = t.offers.iter().any(|o| {
                o.vehicle_id == *vehicle
                    && matches!(
                        o.state,
                        OfferState::Declined | OfferState::Expired | OfferState::Undelivered
                    )
            });
            if !awaits_vehicle(t) {
                illegal
            } else if has_open {
                rule("offer_open")
            } else if !manual && passed {
                rule("vehicle_passed")
            } else {
                None
            }
        }
        Command::AcceptOffer(steps::AcceptOffer { .. })
        | Command::DeclineOffer(steps::DeclineOffer { .. })
        | Command::ExpireOffer(steps::ExpireOffer { .. })
        | Command::UndeliverOffer(steps::UndeliverOffer { .. })
            if !in_intake =>
        {
            rule("offer_not_open")
        }
        Command::AcceptOffer(steps::AcceptOffer { offer_id })
        | Command::DeclineOffer(steps::DeclineOffer { offer_id, .. }) => {
            match (is_open_offer(t, offer_id), &by.subject) {
                (None, _) => rule("offer_not_open"),
                (Some(v), Some(Subject::Vehicle(mine))) if by.role == Role::Field && v != mine => {
                    Some(Rejection::NotAssigned)
                }
                _ => None,
            }
        }
        Command::ExpireOffer(steps::ExpireOffer { offer_id })
        | Command::UndeliverOffer(steps::UndeliverOffer { offer_id, .. }) => {
            is_open_offer(t, offer_id)
                .is_none()
                .then(|| Rejection::rule("offer_not_open", String::new()))
        }
        Command::CancelDispatch(steps::CancelDispatch { reason }) => {
            if blank(reason) {
                rule("reason_required")
            } else if has_open || t.status == Status::EnRoute {
                None
            } else {
                illegal
            }
        }
        // Named by the vehicle: its own open offer, or the ticket it is on (on its way or on
        // site); never another vehicle's.
        Command::WithdrawVehicle(steps::WithdrawVehicle { vehicle, reason }) => {
            let offered = t
                .offers
                .iter()
                .any(|o| o.state == OfferState::Open && o.vehicle_id == *vehicle);
            let on_it = matches!(t.status, Status::EnRoute | Status::OnSite)
                && t.assignment.vehicle_id.as_ref() == Some(vehicle);
            if t.status.is_closed() {
                illegal
            } else if blank(reason) {
                rule("reason_required")
            } else if offered || on_it {
                None
            } else {
                rule("vehicle_not_on_ticket")
            }
        }
        Command::RaiseAlert(steps::RaiseAlert { .. }) | Command::FlagSla(steps::FlagSla { .. }) => {
            if t.status.is_closed() {
                illegal
            } else {
                None
            }
        }
        _ => return None,
    })
}

/// Whether `command` may be taken from the ticket's status at all.
fn legal_from(command: &Command, t: &Ticket) -> bool {
    use Status::*;
    let s = t.status;
    match command {
        Command::Triage(steps::Triage { .. }) => matches!(s, Received | Triaged | EnRoute | OnSite),
        Command::Dispatch(steps::Dispatch { .. }) => {
            matches!(s, Triaged | EnRoute) || (s == Received && t.urgency == Some(Urgency::I))
        }
        Command::Arrive(steps::Arrive) => s == EnRoute,
        Command::RecordOnsite(steps::RecordOnsite { .. }) => s == OnSite,
        Command::SubmitReport(steps::SubmitReport { .. }) => s == Reporting,
        Command::Review(steps::Review { .. }) => s == InReview,
        Command::Approve(steps::Approve { .. }) => s == InApproval,
        Command::Reply(steps::Reply { .. }) => s == Replying,
        Command::RecordVisit(steps::RecordVisit { .. })
        | Command::Archive(steps::Archive { .. }) => s == AwaitingVisit,
        Command::Reopen(steps::Reopen { .. }) => s == Archived,
        Command::Assign(steps::Assign { .. })
        | Command::Supervise(steps::Supervise { .. })
        | Command::Transfer(steps::Transfer { .. })
        | Command::MergeInto(steps::MergeInto { .. })
        | Command::AbsorbDuplicate(steps::AbsorbDuplicate { .. })
        | Command::RaiseAlert(steps::RaiseAlert { .. })
        | Command::FlagSla(steps::FlagSla { .. }) => !s.is_closed(),
        // Checked by `offer_outcome`.
        Command::Offer(steps::Offer { .. })
        | Command::AcceptOffer(steps::AcceptOffer { .. })
        | Command::DeclineOffer(steps::DeclineOffer { .. })
        | Command::ExpireOffer(steps::ExpireOffer { .. })
        | Command::UndeliverOffer(steps::UndeliverOffer { .. })
        | Command::CancelDispatch(steps::CancelDispatch { .. })
        | Command::WithdrawVehicle(steps::WithdrawVehicle { .. }) => true,
        // A merge is undone on the target whatever became of it meanwhile.
        Command::ReleaseDuplicate(steps::ReleaseDuplicate { .. }) => true,
        Command::AttachEvidence(steps::AttachEvidence { .. }) => !s.is_closed(),
        // A closed ticket's group can still be dissolved.
        Command::Group(GroupCommand::Dissolve { .. }) => true,
        Command::Group(_) => !s.is_closed(),
    }
}

fn blank(text: &str) -> bool {
    text.trim().is_empty()
}

/// The payload rule a legal step by an allowed principal breaks, if any.
fn expected_rule(command: &Command, t: &Ticket) -> Option<&'static str> {
    use Status::*;
    // A return needs a reason, and an `other` one says what it is.
    let no_reasons = |reasons: &[ReturnReason]| {
        reasons.is_empty()
            || reasons
                .iter()
                .any(|r| r.code == "other" && r.note.as_deref().is_none_or(blank))
    };
    match command {
        Command::Triage(steps::Triage { category, .. }) => {
            let Some(code) = category.as_ref().or(t.category.as_ref()) else {
                return Some("category_required");
            };
            let Some(cat) = catalog().get(code) else {
                return Some("unknown_category");
            };
            (matches!(t.status, EnRoute | OnSite) && cat.path != HandlingPath::Full)
                .then_some("path_conflict")
        }
        Command::Dispatch(steps::Dispatch { .. }) => matches!(
            t.path,
            Some(HandlingPath::NoOnsite | HandlingPath::DirectAnswer)
        )
        .then_some("no_onsite_stage"),
        // Nothing is recorded on site for a ticket nobody has classified (a fast track).
        Command::RecordOnsite(steps::RecordOnsite { .. }) if t.category.is_none() => {
            Some("category_required")
        }
        Command::RecordOnsite(steps::RecordOnsite { findings, .. }) => {
            blank(findings).then_some("findings_required")
        }
        Command::SubmitReport(steps::SubmitReport { sections, evidence }) => {
            let Some(code) = &t.category else {
                return Some("category_required");
            };
            let cat = catalog().get(code)?;
            // Every required section filled, and every required evidence kind in the
            // report, the version before it (evidence carries over) or the on-site record.
            let gap_in_sections = cat
                .report_sections
                .iter()
                .any(|s| sections.get(s).is_none_or(|v| blank(v)));
            let on_site: Vec<&str> = t
                .onsite
                .iter()
                .flat_map(|o| o.evidence.iter())
                .chain(t.report.iter().flat_map(|r| r.evidence.iter()))
                .map(|e| e.kind.as_str())
                .collect();
            let gap_in_evidence = cat
                .report_evidence
                .iter()
                .any(|k| !evidence.iter().any(|e| e.kind == *k) && !on_site.contains(&k.as_str()));
            (gap_in_sections || gap_in_evidence).then_some("report_incomplete")
        }
        Command::Review(steps::Review { decision, reasons }) => {
            (*decision == ReviewDecision::Return && no_reasons(reasons))
                .then_some("reasons_required")
        }
        Command::Approve(steps::Approve { decision, reasons }) => {
            (*decision != ApprovalDecision::Approve && no_reasons(reasons))
                .then_some("reasons_required")
        }
        Command::Reply(steps::Reply { text }) => blank(text).then_some("reply_required"),
        Command::RecordVisit(steps::RecordVisit { .. }) => {
            t.visit.is_some().then_some("already_visited")
        }
        Command::Archive(steps::Archive { .. }) => {
            let reachable = t.reporter.as_ref().is_some_and(Reporter::reachable);
            (t.visit.is_none() && reachable).then_some("return_visit_missing")
        }
        Command::Reopen(steps::Reopen { reason, to }) => {
            // Back to triaged or to the report; a direct answer has no report to go back to.
            let direct = t.path == Some(HandlingPath::DirectAnswer);
            if blank(reason) {
                Some("reason_required")
            } else if to.is_some_and(|s| !matches!(s, Triaged | Reporting))
                || (direct && *to == Some(Reporting))
            {
                Some("bad_reopen_target")
            } else {
                None
            }
        }
        Command::Supervise(steps::Supervise { notice }) => {
            blank(notice).then_some("notice_required")
        }
        Command::Transfer(steps::Transfer { to, reason }) => {
            if blank(reason) {
                return Some("reason_required");
            }
            match to {
                TransferTarget::Department { department } => {
                    (t.department == Some(*department)).then_some("same_department")
                }
                TransferTarget::OtherUnit { unit } => blank(unit).then_some("unit_required"),
                TransferTarget::Platform => None,
            }
        }
        // A ticket is not merged into one of its own duplicates (a cycle).
        Command::MergeInto(steps::MergeInto { target, .. }) => {
            if t.duplicates.contains(target) {
                Some("merge_cycle")
            } else {
                (*target == t.id).then_some("merge_into_itself")
            }
        }
        // A duplicate is absorbed once; that is checked before whether it is this ticket.
        Command::AbsorbDuplicate(steps::AbsorbDuplicate { duplicate, .. }) => {
            if t.duplicates.contains(duplicate) {
                Some("already_merged")
            } else {
                (*duplicate == t.id).then_some("merge_into_itself")
            }
        }
        Command::ReleaseDuplicate(steps::ReleaseDuplicate { duplicate, .. }) => {
            (!t.duplicates.contains(duplicate)).then_some("not_merged")
        }
        Command::AttachEvidence(steps::AttachEvidence { sha256, .. }) => {
            (!crate::domain::ticket::is_sha256(sha256)).then_some("bad_evidence")
        }
        Command::Assign(steps::Assign { .. })
        | Command::Arrive(steps::Arrive)
        | Command::Offer(steps::Offer { .. })
        | Command::AcceptOffer(steps::AcceptOffer { .. })
        | Command::DeclineOffer(steps::DeclineOffer { .. })
        | Command::ExpireOffer(steps::ExpireOffer { .. })
        | Command::UndeliverOffer(steps::UndeliverOffer { .. })
        | Command::CancelDispatch(steps::CancelDispatch { .. })
        | Command::WithdrawVehicle(steps::WithdrawVehicle { .. })
        | Command::RaiseAlert(steps::RaiseAlert { .. })
        | Command::FlagSla(steps::FlagSla { .. }) => None,
        // Not generated here: group rules are tested in `group/tests.rs`.
        Command::Group(_) => None,
    }
}

/// What the command must yield: the rejection, or `None` when it must be accepted.
pub(super) fn expected_outcome(command: &Command, by: &Principal, t: &Ticket) -> Option<Rejection> {
    let action = command.action();
    if by.role != Role::System && !expected_roles(command).contains(&by.role) {
        return Some(Rejection::Forbidden {
            role: by.role,
            action,
        });
    }
    // A vehicle's device answers an offer before the vehicle is assigned.
    let answers = matches!(
        command,
        Command::AcceptOffer(steps::AcceptOffer { .. })
            | Command::DeclineOffer(steps::DeclineOffer { .. })
    );
    let bound = if answers {
        matches!(by.subject, Some(Subject::Vehicle(_)))
    } else {
        by.subject.as_ref().is_some_and(|s| t.is_assigned_to(s))
    };
    if by.role == Role::Field && !bound {
        return Some(Rejection::NotAssigned);
    }
    if let Some(outcome) = offer_outcome(command, by, t) {
        return outcome;
    }
    if !legal_from(command, t) {
        return Some(Rejection::IllegalTransition {
            action,
            status: t.status,
        });
    }
    if let Some(code) = expected_rule(command, t) {
        return Some(Rejection::rule(code, String::new()));
    }
    offer_pins_intake(command, t).then(|| Rejection::rule("offer_open", String::new()))
}

/// An open offer holds the ticket in intake: a step that is otherwise accepted but would
/// take it out (a direct dispatch, a triage to a path without a site visit, a transfer out,
/// a merge...) is refused, except the acceptance that settles the offer.
fn offer_pins_intake(command: &Command, t: &Ticket) -> bool {
    let has_open = t.offers.iter().any(|o| o.state == OfferState::Open);
    let leaves_intake = !matches!(
        expected_next(command, t),
        Status::Received | Status::Triaged
    );
    has_open && leaves_intake && !matches!(command, Command::AcceptOffer(steps::AcceptOffer { .. }))
}

/// Where a reopen without a target sends a ticket: where the guide says for its category
/// (consultations always to intake).
fn reopen_target(t: &Ticket) -> Status {
    let configured = match t.category.as_deref().and_then(|c| catalog().get(c)) {
        Some(c) => c.reopen_to,
        None => None,
    };
    let direct = t.path == Some(HandlingPath::DirectAnswer);
    if direct || configured == Some(ReopenTarget::Triaged) {
        Status::Triaged
    } else {
        Status::Reporting
    }
}

/// The status an accepted `command` leads to, from the status table.
pub(super) fn expected_next(command: &Command, t: &Ticket) -> Status {
    use Status::*;
    let s = t.status;
    match command {
        Command::Triage(steps::Triage { category, .. }) => {
            let path = category
                .as_ref()
                .or(t.category.as_ref())
                .and_then(|code| catalog().get(code))
                .map(|c| c.path);
            match (s, path) {
                // A vehicle is already on it: the status stays.
                (EnRoute | OnSite, _) => s,
                (_, Some(HandlingPath::Full)) => Triaged,
                (_, Some(HandlingPath::NoOnsite)) => Reporting,
                (_, Some(HandlingPath::DirectAnswer)) => Replying,
                // Refused anyway (no category).
                (_, None) => s,
            }
        }
        Command::Dispatch(steps::Dispatch { .. })
        | Command::AcceptOffer(steps::AcceptOffer { .. }) => EnRoute,
        Command::CancelDispatch(steps::CancelDispatch { .. })
            if s == EnRoute && t.open_offer().is_none() =>
        {
            if t.triage.confirmed {
                Triaged
            } else {
                Received
            }
        }
        // Called off its ticket, on its way or on site: back to waiting for a vehicle.
        Command::WithdrawVehicle(steps::WithdrawVehicle { vehicle, .. })
            if matches!(s, EnRoute | OnSite)
                && t.assignment.vehicle_id.as_ref() == Some(vehicle) =>
        {
            if t.triage.confirmed {
                Triaged
            } else {
                Received
            }
        }
        Command::Arrive(steps::Arrive) => OnSite,
        Command::RecordOnsite(steps::RecordOnsite { .. }) => Reporting,
        Command::SubmitReport(steps::SubmitReport { .. }) => InReview,
        Command::Review(steps::Review { decision, .. }) => match decision {
            ReviewDecision::Pass => InApproval,
            ReviewDecision::Return => Reporting,
        },
        Command::Approve(steps::Approve { decision, .. }) => match decision {
            ApprovalDecision::Approve => Replying,
            ApprovalDecision::ReturnToReporting => Reporting,
            ApprovalDecision::ReturnToReview => InReview,
        },
        Command::Reply(steps::Reply { .. }) => AwaitingVisit,
        Command::RecordVisit(steps::RecordVisit { satisfaction, .. }) => {
            if *satisfaction == Satisfaction::Unsatisfied {
                reopen_target(t)
            } else {
                AwaitingVisit
            }
        }
        Command::Archive(steps::Archive { .. }) => Archived,
        Command::Reopen(steps::Reopen { to, .. }) => to.unwrap_or_else(|| reopen_target(t)),
        Command::Transfer(steps::Transfer { to, .. }) => match to {
            TransferTarget::Department { .. } => s,
            TransferTarget::Platform | TransferTarget::OtherUnit { .. } => Transferred,
        },
        Command::MergeInto(steps::MergeInto { .. }) => Merged,
        Command::Offer(steps::Offer { .. })
        | Command::DeclineOffer(steps::DeclineOffer { .. })
        | Command::ExpireOffer(steps::ExpireOffer { .. })
        | Command::UndeliverOffer(steps::UndeliverOffer { .. })
        | Command::CancelDispatch(steps::CancelDispatch { .. })
        | Command::WithdrawVehicle(steps::WithdrawVehicle { .. })
        | Command::RaiseAlert(steps::RaiseAlert { .. })
        | Command::FlagSla(steps::FlagSla { .. })
        | Command::Assign(steps::Assign { .. })
        | Command::Supervise(steps::Supervise { .. })
        | Command::AbsorbDuplicate(steps::AbsorbDuplicate { .. })
        | Command::ReleaseDuplicate(steps::ReleaseDuplicate { .. })
        | Command::AttachEvidence(steps::AttachEvidence { .. })
        | Command::Group(_) => s,
    }
}

pub(super) fn event_name(command: &Command, before: &Ticket) -> &'static str {
    match command {
        Command::Offer(steps::Offer { .. }) => "offer.sent",
        Command::AcceptOffer(steps::AcceptOffer { .. }) => "offer.accepted",
        Command::DeclineOffer(steps::DeclineOffer { .. }) => "offer.declined",
        Command::ExpireOffer(steps::ExpireOffer { .. }) => "offer.expired",
        Command::UndeliverOffer(steps::UndeliverOffer { .. }) => "offer.undelivered",
        Command::CancelDispatch(steps::CancelDispatch { .. }) if before.open_offer().is_some() => {
            "offer.cancelled"
        }
        Command::CancelDispatch(steps::CancelDispatch { .. }) => "ticket.dispatch_cancelled",
        Command::WithdrawVehicle(steps::WithdrawVehicle { vehicle, .. })
            if before
                .open_offer()
                .is_some_and(|o| o.vehicle_id == *vehicle) =>
        {
            "offer.cancelled"
        }
        Command::WithdrawVehicle(steps::WithdrawVehicle { .. }) => "ticket.dispatch_cancelled",
        Command::RaiseAlert(steps::RaiseAlert { .. }) => "alert",
        Command::FlagSla(steps::FlagSla {
            level: SlaLevel::Warning,
            ..
        }) => "sla.warning",
        Command::FlagSla(steps::FlagSla {
            level: SlaLevel::Overdue,
            ..
        }) => "sla.overdue",
        Command::Triage(steps::Triage { .. }) => "ticket.triaged",
        Command::Dispatch(steps::Dispatch { .. }) => "ticket.dispatched",
        Command::Assign(steps::Assign { .. }) => "ticket.assigned",
        Command::Arrive(steps::Arrive) => "ticket.arrived",
        Command::RecordOnsite(steps::RecordOnsite { .. }) => "ticket.onsite_recorded",
        Command::SubmitReport(steps::SubmitReport { .. }) => "ticket.report_submitted",
        Command::Review(steps::Review { .. }) => "ticket.reviewed",
        Command::Approve(steps::Approve { .. }) => "ticket.approval_decided",
        Command::Reply(steps::Reply { .. }) => "ticket.replied",
        Command::RecordVisit(steps::RecordVisit { .. }) => "ticket.return_visited",
        Command::Archive(steps::Archive { .. }) => "ticket.archived",
        Command::Reopen(steps::Reopen { .. }) => "ticket.reopened",
        Command::Supervise(steps::Supervise { .. }) => "ticket.supervised",
        Command::Transfer(steps::Transfer { .. }) => "ticket.transferred",
        Command::MergeInto(steps::MergeInto { .. }) => "ticket.merged",
        Command::AbsorbDuplicate(steps::AbsorbDuplicate { .. }) => "ticket.duplicate_merged",
        Command::ReleaseDuplicate(steps::ReleaseDuplicate { .. }) => "ticket.duplicate_released",
        Command::AttachEvidence(steps::AttachEvidence { .. }) => "evidence.attached",
        Command::Group(g) => match g {
            GroupCommand::Form { .. } => "group.formed",
            GroupCommand::Post { .. } => "group.message",
            GroupCommand::CompleteTask { .. } => "group.task_done",
            GroupCommand::ChangeMembers { .. } | GroupCommand::Withdraw { .. } => {
                "group.members_changed"
            }
            GroupCommand::Dissolve { .. } => "group.dissolved",
        },
    }
}

/// The transitions of the status table, with the path each needs.
pub(super) fn edge_allowed(before: &Ticket, after: &Ticket) -> bool {
    use HandlingPath::*;
    use Status::*;
    let (from, to, path) = (before.status, after.status, after.path);
    if from.is_closed() {
        // The engine may still release a duplicate a half-done merge recorded; the ticket
        // stays where it is.
        if from == to && after.duplicates.len() + 1 == before.duplicates.len() {
            return true;
        }
        // Only a reopen leaves `archived`; `transferred` and `merged` are terminal.
        return from == Archived
            && matches!(to, Triaged | Reporting)
            && !(to == Reporting && path == Some(DirectAnswer));
    }
    if from == to || matches!(to, Transferred | Merged) {
        return true;
    }
    match (from, to) {
        (Received | Triaged, Triaged) => path == Some(Full),
        (Received | Triaged, Reporting) => path == Some(NoOnsite),
        (Received | Triaged, Replying) => path == Some(DirectAnswer),
        // The fast track: grade I, before triage, never on a path without an on-site stage.
        (Received, EnRoute) => {
            before.urgency == Some(Urgency::I) && matches!(path, Some(Full) | None)
        }
        (Triaged, EnRoute) => path == Some(Full),
        (EnRoute, OnSite)
        | (OnSite, Reporting)
        | (Reporting, InReview)
        | (InReview, InApproval | Reporting)
        | (InApproval, Replying | Reporting | InReview)
        | (Replying, AwaitingVisit)
        | (AwaitingVisit, Archived) => true,
        // A vehicle called off (on site too, when taken out of service): the ticket waits
        // for another, confirmed or not.
        (EnRoute | OnSite, Triaged) => after.triage.confirmed,
        (EnRoute | OnSite, Received) => !after.triage.confirmed,
        // An unsatisfied visit reopens where the guide says: consultations to intake.
        (AwaitingVisit, Triaged | Reporting) => to == reopen_target(after),
        _ => false,
    }
}
