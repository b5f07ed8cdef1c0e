//! What must hold of every reachable ticket (stage spans, status against path, assignment,
//! offers, duplicates), and what each accepted event must have done to it.

use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use super::model::awaits_vehicle;
use crate::domain::catalog::HandlingPath;
use crate::domain::ids::{OfferId, StaffId, TicketId};
use crate::domain::role::Subject;
use crate::domain::ticket::{
    ApprovalDecision, Decision, EventKind, OfferState, Reporter, ReviewDecision, Satisfaction,
    Stage, Status, Ticket, TransferTarget,
};

pub(super) fn check_spans(t: &Ticket) -> Result<(), TestCaseError> {
    let first = t
        .stages
        .first()
        .ok_or_else(|| TestCaseError::fail("no stage span"))?;
    prop_assert_eq!(first.stage, Stage::Intake);
    // Intake runs from the platform's receipt of the call, never from a later registration.
    prop_assert!(t.received_at <= t.created_at);
    prop_assert_eq!(first.entered_at, t.received_at);
    let last = t
        .stages
        .last()
        .ok_or_else(|| TestCaseError::fail("no stage span"))?;
    prop_assert_eq!(last.stage, t.stage(), "the open span is the current stage");
    prop_assert_eq!(last.exited_at, None);
    prop_assert!(last.entered_at <= t.updated_at);
    for pair in t.stages.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        prop_assert_ne!(a.stage, b.stage, "a new span only for a new stage");
        let exited = a
            .exited_at
            .ok_or_else(|| TestCaseError::fail(format!("span {a:?} before the last is open")))?;
        prop_assert!(a.entered_at <= exited, "{:?}", a);
        prop_assert_eq!(exited, b.entered_at, "spans are contiguous");
    }
    Ok(())
}

pub(super) fn check_state(t: &Ticket) -> Result<(), TestCaseError> {
    use HandlingPath::*;
    use Status::*;
    check_spans(t)?;
    let s = t.status;
    let reachable = t.reporter.as_ref().is_some_and(Reporter::reachable);
    // A path comes with a category, and triage always sets both.
    prop_assert_eq!(t.path.is_some(), t.category.is_some());
    prop_assert!(!t.triage.confirmed || t.category.is_some());
    // In intake no vehicle is on the ticket, nor its squad or crew.
    let no_vehicle = |t: &Ticket| {
        t.assignment.vehicle_id.is_none()
            && t.assignment.team_id.is_none()
            && t.assignment.crew.is_empty()
    };
    match s {
        Received => {
            prop_assert!(!t.triage.confirmed);
            prop_assert!(no_vehicle(t), "{:?}", t.assignment);
        }
        Triaged => {
            prop_assert!(t.path.is_some());
            prop_assert!(
                no_vehicle(t),
                "a triaged ticket has no vehicle, squad or crew on it: {:?}",
                t.assignment
            );
        }
        EnRoute | OnSite => {
            prop_assert!(
                t.assignment.vehicle_id.is_some() && t.assignment.team_id.is_some(),
                "a vehicle and its squad are on an on-site ticket"
            );
            // On-site stages only on the full path, or fast-tracked before any category.
            prop_assert!(
                t.path == Some(Full) || (t.path.is_none() && !t.triage.confirmed),
                "status {} on path {:?}",
                s,
                t.path
            );
        }
        Reporting | InReview | InApproval => {
            prop_assert_ne!(
                t.path,
                Some(DirectAnswer),
                "a direct answer has no report stage"
            );
            // Never a report nobody can submit: the ticket is classified before it.
            prop_assert!(t.category.is_some(), "{} without a category", s);
            if s != Reporting {
                prop_assert!(t.report.is_some());
            }
        }
        Replying => prop_assert!(t.path.is_some() && t.reply.is_none()),
        AwaitingVisit => prop_assert!(t.reply.is_some()),
        Archived => {
            prop_assert!(t.reply.is_some());
            prop_assert!(
                t.visit.is_some() || !reachable,
                "archived without the due return visit"
            );
        }
        Transferred => prop_assert!(
            matches!(
                t.transfer.as_ref().map(|r| &r.to),
                Some(TransferTarget::Platform | TransferTarget::OtherUnit { .. })
            ),
            "transferred without leaving the unit"
        ),
        Merged => prop_assert!(t.merged_into.is_some_and(|id| id != t.id)),
    }
    prop_assert_eq!(t.merged_into.is_some(), s == Merged);
    if t.reply.is_some() {
        prop_assert!(
            matches!(s, AwaitingVisit | Archived | Transferred | Merged),
            "reply kept in {}",
            s
        );
    }
    if let Some(visit) = &t.visit {
        prop_assert_ne!(
            visit.satisfaction,
            Satisfaction::Unsatisfied,
            "an unsatisfied visit reopens"
        );
        prop_assert!(
            matches!(s, AwaitingVisit | Archived | Transferred | Merged),
            "visit kept in {}",
            s
        );
    }
    if let Some(report) = &t.report {
        prop_assert!(report.version >= 1);
    }
    let unique: BTreeSet<&StaffId> = t.assignment.staff.iter().collect();
    prop_assert_eq!(unique.len(), t.assignment.staff.len(), "staff listed once");
    let open = t
        .offers
        .iter()
        .filter(|o| o.state == OfferState::Open)
        .count();
    prop_assert!(open <= 1, "one offer open at a time");
    if open > 0 {
        // An open offer holds the ticket in intake, waiting for a vehicle.
        prop_assert!(
            matches!(s, Received | Triaged) && awaits_vehicle(t),
            "an offer open on a {} ticket (path {:?})",
            s,
            t.path
        );
    }
    prop_assert!(
        t.onsite.is_none() || t.category.is_some(),
        "on-site work recorded on an uncategorised ticket"
    );
    prop_assert!(!t.duplicates.contains(&t.id));
    let unique: BTreeSet<&TicketId> = t.duplicates.iter().collect();
    prop_assert_eq!(
        unique.len(),
        t.duplicates.len(),
        "a duplicate absorbed once"
    );
    Ok(())
}

/// What an accepted step must have done to the ticket beyond its status.
pub(super) fn check_effect(
    before: &Ticket,
    after: &Ticket,
    decision: &Decision,
) -> Result<(), TestCaseError> {
    let reopened = |b: &Ticket, a: &Ticket| {
        a.reopen_count == b.reopen_count + 1 && a.reply.is_none() && a.visit.is_none()
    };
    if !matches!(
        decision.kind,
        EventKind::Reopened { .. } | EventKind::ReturnVisited { reopened: true, .. }
    ) {
        prop_assert_eq!(after.reopen_count, before.reopen_count);
    }
    match &decision.kind {
        EventKind::Received { .. } => {
            return Err(TestCaseError::fail("only intake yields ticket.received"));
        }
        EventKind::Triaged {
            category,
            urgency,
            path,
            possible_duplicate_of,
            ..
        } => {
            prop_assert!(after.triage.confirmed);
            // A duplicate found at triage never replaces one already named.
            prop_assert!(possible_duplicate_of.is_none() || before.possible_duplicate_of.is_none());
            prop_assert_eq!(
                after.possible_duplicate_of,
                before.possible_duplicate_of.or(*possible_duplicate_of)
            );
            prop_assert_eq!(after.category.as_ref(), Some(category));
            prop_assert_eq!((after.urgency, after.path), (Some(*urgency), Some(*path)));
        }
        EventKind::Dispatched {
            vehicle_id,
            team_id,
            crew,
            fast_track,
        } => {
            prop_assert_eq!(after.assignment.vehicle_id.as_ref(), Some(vehicle_id));
            prop_assert_eq!(after.assignment.team_id.as_ref(), Some(team_id));
            prop_assert!(
                crew.iter()
                    .all(|s| after.is_assigned_to(&Subject::Staff(s.clone())))
            );
            prop_assert_eq!(*fast_track, before.status == Status::Received);
        }
        EventKind::Assigned { staff_id } => prop_assert!(after.assignment.staff.contains(staff_id)),
        EventKind::Arrived { vehicle_id } => {
            prop_assert_eq!(vehicle_id, &before.assignment.vehicle_id)
        }
        EventKind::OnsiteRecorded { findings, .. } => {
            prop_assert_eq!(
                after.onsite.as_ref().map(|o| (&o.findings, o.recorded_at)),
                Some((findings, after.updated_at))
            );
        }
        EventKind::ReportSubmitted { version, .. } => {
            prop_assert_eq!(
                *version,
                before.report.as_ref().map_or(1, |r| r.version + 1)
            );
            prop_assert_eq!(after.report.as_ref().map(|r| r.version), Some(*version));
        }
        EventKind::Reviewed { decision: d, .. } => {
            let returned = u32::from(*d == ReviewDecision::Return);
            prop_assert_eq!(after.review_returns, before.review_returns + returned);
        }
        EventKind::ApprovalDecided { decision: d, .. } => {
            let returned = u32::from(*d != ApprovalDecision::Approve);
            prop_assert_eq!(after.approval_returns, before.approval_returns + returned);
        }
        EventKind::Replied { text } => {
            prop_assert_eq!(after.reply.as_ref().map(|r| &r.text), Some(text))
        }
        EventKind::ReturnVisited {
            satisfaction,
            reopened: r,
            ..
        } => {
            prop_assert_eq!(*r, *satisfaction == Satisfaction::Unsatisfied);
            if *r {
                prop_assert!(reopened(before, after));
            } else {
                prop_assert_eq!(
                    after.visit.as_ref().map(|v| v.satisfaction),
                    Some(*satisfaction)
                );
            }
        }
        EventKind::Archived { .. } => prop_assert_eq!(after.status, Status::Archived),
        EventKind::Reopened { .. } => prop_assert!(reopened(before, after)),
        EventKind::Supervised { .. } => {
            prop_assert_eq!(after.supervision_notices, before.supervision_notices + 1)
        }
        EventKind::Transferred { to, .. } => {
            prop_assert_eq!(after.transfer.as_ref().map(|r| &r.to), Some(to));
            if let TransferTarget::Department { department } = to {
                prop_assert_eq!(after.department, Some(*department));
                prop_assert_eq!(
                    after.status,
                    before.status,
                    "a transfer between departments keeps the ticket open"
                );
            } else {
                prop_assert_eq!(after.status, Status::Transferred);
            }
        }
        EventKind::Merged { into, .. } => prop_assert_eq!(after.merged_into, Some(*into)),
        EventKind::DuplicateMerged { duplicate, .. } => {
            prop_assert!(!before.duplicates.contains(duplicate));
            prop_assert_eq!(after.duplicates.len(), before.duplicates.len() + 1);
            prop_assert_eq!(after.duplicates.last(), Some(duplicate))
        }
        EventKind::DuplicateReleased { duplicate, .. } => {
            prop_assert!(before.duplicates.contains(duplicate));
            prop_assert!(!after.duplicates.contains(duplicate));
            prop_assert_eq!(after.duplicates.len() + 1, before.duplicates.len());
            prop_assert_eq!(after.status, before.status)
        }
        EventKind::OfferSent {
            offer_id,
            vehicle_id,
            ..
        } => {
            prop_assert_eq!(after.offers.len(), before.offers.len() + 1);
            let sent = after.open_offer().map(|o| (o.id, &o.vehicle_id, o.sent_at));
            prop_assert_eq!(sent, Some((*offer_id, vehicle_id, after.updated_at)));
            prop_assert_eq!(after.status, before.status);
        }
        EventKind::OfferAccepted {
            offer_id,
            vehicle_id,
            team_id,
            crew,
            fast_track,
        } => {
            let offered = before
                .open_offer()
                .map(|o| (o.id, &o.vehicle_id, &o.team_id, &o.crew));
            prop_assert_eq!(offered, Some((*offer_id, vehicle_id, team_id, crew)));
            prop_assert_eq!(offer_state(after, offer_id), Some(OfferState::Accepted));
            prop_assert_eq!(after.assignment.vehicle_id.as_ref(), Some(vehicle_id));
            prop_assert_eq!(after.assignment.team_id.as_ref(), Some(team_id));
            prop_assert_eq!(&after.assignment.crew, crew);
            prop_assert!(
                crew.iter()
                    .all(|s| after.is_assigned_to(&Subject::Staff(s.clone())))
            );
            prop_assert_eq!(*fast_track, before.status == Status::Received);
            prop_assert_eq!(after.status, Status::EnRoute);
        }
        EventKind::OfferDeclined { offer_id, .. } => {
            prop_assert_eq!(offer_state(after, offer_id), Some(OfferState::Declined));
            prop_assert_eq!(after.status, before.status);
        }
        EventKind::OfferExpired { offer_id, .. } => {
            prop_assert_eq!(offer_state(after, offer_id), Some(OfferState::Expired));
            prop_assert_eq!(after.status, before.status);
        }
        EventKind::OfferUndelivered {
            offer_id,
            vehicle_id,
            ..
        } => {
            prop_assert_eq!(offer_state(after, offer_id), Some(OfferState::Undelivered));
            prop_assert_eq!(after.status, before.status);
            prop_assert!(after.passed_over().contains(vehicle_id));
        }
        EventKind::OfferCancelled { offer_id, .. } => {
            prop_assert_eq!(offer_state(after, offer_id), Some(OfferState::Cancelled));
            prop_assert_eq!(after.status, before.status);
        }
        EventKind::DispatchCancelled { vehicle_id, .. } => {
            prop_assert_eq!(before.assignment.vehicle_id.as_ref(), Some(vehicle_id));
            prop_assert_eq!(&after.assignment.vehicle_id, &None);
            prop_assert_eq!(&after.assignment.team_id, &None);
            prop_assert!(
                after.assignment.crew.is_empty(),
                "the crew leaves with the vehicle"
            );
            prop_assert!(matches!(after.status, Status::Triaged | Status::Received));
        }
        EventKind::Alerted { .. }
        | EventKind::SlaWarning { .. }
        | EventKind::SlaOverdue { .. }
        | EventKind::PersonalDataErased { .. }
        | EventKind::EvidenceAttached(_) => {
            prop_assert_eq!(after.status, before.status)
        }
        EventKind::GroupFormed(_)
        | EventKind::GroupMessage(_)
        | EventKind::GroupTaskDone(_)
        | EventKind::GroupMembersChanged(_)
        | EventKind::GroupDissolved(_) => prop_assert_eq!(after.status, before.status),
    }
    Ok(())
}

pub(super) fn offer_state(t: &Ticket, id: &OfferId) -> Option<OfferState> {
    t.offers.iter().find(|o| o.id == *id).map(|o| o.state)
}
