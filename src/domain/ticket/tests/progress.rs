//! The happy path the property tests keep returning to, so random walks go deep: the next
//! step from each status, varied by a seed (fast tracks, offers and their answers, returns,
//! duplicates, unsatisfied visits, reopens).

use super::commands::*;
use super::fixtures::*;
use super::strategy::{Answer, OfferRef, ReportSpec, STAFF, VEHICLES, bound_field};
use super::strategy::{resolve_answer, resolve_offer, resolve_report};
use crate::domain::catalog::{HandlingPath, Urgency};
use crate::domain::clock::Timestamp;
use crate::domain::geo::LatLng;
use crate::domain::role::Principal;
use crate::domain::ticket::{ApprovalDecision, Command, Reporter, Satisfaction, Status, Ticket};

/// The next step of the happy path, varied by `seed` (fast track, returns, reopens...).
pub(super) fn progress(
    t: &Ticket,
    seed: u8,
    codes: &[String],
    fresh: u64,
    now: Timestamp,
) -> (Command, Principal) {
    use Status::*;
    let s = usize::from(seed);
    let by_reviewer = || {
        if seed.is_multiple_of(2) {
            supervisor()
        } else {
            dispatcher()
        }
    };
    let path = t.path;
    // Send a vehicle: directly, or through an offer the vehicle answers.
    let dispatch_now = || match t.open_offer() {
        Some(open) => match s % 8 {
            0 => (
                resolve_answer(Answer::Decline, OfferRef::Open, t),
                field_vehicle(&open.vehicle_id),
            ),
            1 => (resolve_answer(Answer::Expire, OfferRef::Open, t), engine()),
            2 => (cancel_dispatch_because("改为直接派车"), dispatcher()),
            // A direct dispatch over the open offer: refused (`offer_open`).
            3 => (dispatch(1 + s % 2, &[1 + s % 3]), dispatcher()),
            _ => (
                resolve_answer(Answer::Accept, OfferRef::Open, t),
                field_vehicle(&open.vehicle_id),
            ),
        },
        None if seed.is_multiple_of(3) => (
            resolve_offer(1 + s % VEHICLES, &[1 + s % STAFF], s % 4 == 1, fresh, now),
            dispatcher(),
        ),
        None => (dispatch(1 + s % 2, &[1 + s % 3, 1 + s % 4]), dispatcher()),
    };
    match t.status {
        Received => {
            let fast = t.urgency == Some(Urgency::I)
                && !matches!(
                    path,
                    Some(HandlingPath::NoOnsite | HandlingPath::DirectAnswer)
                )
                && seed.is_multiple_of(2);
            if fast {
                return dispatch_now();
            }
            let category = t.category.is_none().then(|| codes[s % codes.len()].clone());
            let command = Triage {
                category,
                urgency: seed.is_multiple_of(3).then_some(Urgency::ALL[s % 4]),
                position: LatLng::new(29.844, 115.561).ok(),
                address_text: Some("武穴街道 文化路 12 号".into()),
                ..Triage::default()
            };
            (
                command.into(),
                if seed.is_multiple_of(7) {
                    engine()
                } else {
                    dispatcher()
                },
            )
        }
        Triaged if path == Some(HandlingPath::Full) => dispatch_now(),
        Triaged => (triage(), dispatcher()),
        EnRoute => {
            // A fast-tracked ticket is sometimes triaged on the way, or a vehicle called off.
            if seed.is_multiple_of(5) && !t.triage.confirmed {
                (classify_on_site(t, s), dispatcher())
            } else if seed % 16 == 1 {
                (cancel_dispatch(), dispatcher())
            } else {
                (arrive(), bound_field(t, seed))
            }
        }
        // The on-site record needs a category: an uncategorised fast track is classified first.
        // (Sometimes the record is tried first, and refused: `category_required`.)
        OnSite if t.category.is_none() && !seed.is_multiple_of(2) => {
            (classify_on_site(t, s), dispatcher())
        }
        OnSite => (onsite(), bound_field(t, seed)),
        Reporting if t.assignment.vehicle_id.is_none() && t.assignment.staff.is_empty() => {
            (assign(1 + s % STAFF), dispatcher())
        }
        // Now and then a duplicate comes in meanwhile (the same one again: `already_merged`).
        Reporting if seed % 16 == 5 => (absorb(other_id()), dispatcher()),
        Reporting => (
            resolve_report(&ReportSpec::Complete, t),
            bound_field(t, seed),
        ),
        InReview if seed.is_multiple_of(4) => {
            (review_return(reasons(&["证据不足"])), by_reviewer())
        }
        InReview => (review_pass(), by_reviewer()),
        InApproval => {
            let decision = match seed % 6 {
                0 => ApprovalDecision::ReturnToReporting,
                1 => ApprovalDecision::ReturnToReview,
                _ => ApprovalDecision::Approve,
            };
            (approval(decision, reasons(&["请补充"])), supervisor())
        }
        Replying => (reply("您反映的问题已处理。"), dispatcher()),
        AwaitingVisit => {
            let reachable = t.reporter.as_ref().is_some_and(Reporter::reachable);
            if t.visit.is_none() && (reachable || seed.is_multiple_of(2)) {
                let satisfaction = [
                    Satisfaction::Satisfied,
                    Satisfaction::BasicallySatisfied,
                    Satisfaction::Unsatisfied,
                ][s % 3];
                (visit(satisfaction), dispatcher())
            } else {
                (archive(), dispatcher())
            }
        }
        Archived => {
            // A direct answer has no report to reopen: one try in five is refused
            // (`bad_reopen_target`).
            let to = if path == Some(HandlingPath::DirectAnswer) {
                [None, Some(Triaged), None, Some(Triaged), Some(Reporting)][s % 5]
            } else {
                [None, Some(Triaged), Some(Reporting)][s % 3]
            };
            (reopen(to), by_reviewer())
        }
        Transferred | Merged => (supervise("督办"), supervisor()),
    }
}

/// Triage of a ticket a vehicle is already on: keeps its category, or gives it one with an
/// on-site stage when it has none (a fast-tracked intake without a category).
pub(super) fn classify_on_site(t: &Ticket, s: usize) -> Command {
    if t.category.is_some() {
        return triage();
    }
    let full: Vec<&str> = catalog()
        .categories()
        .iter()
        .filter(|c| c.path == HandlingPath::Full)
        .map(|c| c.code.as_str())
        .collect();
    triage_as(full[s % full.len()])
}
