//! One constructor per command the tests send, so a variant's fields are spelled out here
//! and nowhere else in the tests: when the shape of [`Command`] changes, this file does.
//! Payloads are the plain valid ones unless the name says otherwise.

use std::collections::BTreeMap;

use time::Duration;

use super::fixtures::{
    all_evidence, offer_id, other_id, other_number, photo, staff, start, team, this_id,
    this_number, vehicle,
};
use crate::domain::catalog::Urgency;
use crate::domain::clock::Timestamp;
use crate::domain::geo::LatLng;
use crate::domain::ids::{OfferId, TicketId};
use crate::domain::ticket::steps;
use crate::domain::ticket::{
    ApprovalDecision, Command, Evidence, ReturnReason, ReviewDecision, Satisfaction, Status,
    TransferTarget,
};

/// Every field of a triage; `..Triage::default()` leaves the rest as the ticket has it.
#[derive(Clone, Debug, Default)]
pub(super) struct Triage {
    pub category: Option<String>,
    pub urgency: Option<Urgency>,
    pub position: Option<LatLng>,
    pub address_text: Option<String>,
    pub retailer_licence: Option<String>,
    /// Filled by the engine's duplicate index, never by a caller.
    pub duplicate_of: Option<TicketId>,
}

impl From<Triage> for Command {
    fn from(t: Triage) -> Self {
        Command::Triage(steps::Triage {
            category: t.category,
            urgency: t.urgency,
            position: t.position,
            address_text: t.address_text,
            retailer_licence: t.retailer_licence,
            duplicate_of: t.duplicate_of,
        })
    }
}

/// Confirms triage, keeping the ticket's category and grade.
pub(crate) fn triage() -> Command {
    Triage::default().into()
}

/// Triage into category `code`.
pub(super) fn triage_as(code: &str) -> Command {
    Triage {
        category: Some(code.into()),
        ..Triage::default()
    }
    .into()
}

/// Triage into category `code` with grade `urgency` (a dispatcher's override).
pub(super) fn triage_graded(code: &str, urgency: Urgency) -> Command {
    Triage {
        category: Some(code.into()),
        urgency: Some(urgency),
        ..Triage::default()
    }
    .into()
}

/// Sends vehicle `v` with its squad and the staff numbered in `crew`.
pub(super) fn dispatch(v: usize, crew: &[usize]) -> Command {
    Command::Dispatch(steps::Dispatch {
        vehicle: vehicle(v),
        team: team(v),
        crew: crew.iter().map(|&s| staff(s)).collect(),
    })
}

/// Offer `n` to vehicle `v`, its squad and the staff in `crew`, open until `expires_at`.
pub(super) fn offer_with(
    n: u64,
    v: usize,
    crew: &[usize],
    expires_at: Timestamp,
    manual: bool,
) -> Command {
    Command::Offer(steps::Offer {
        offer_id: offer_id(n),
        vehicle: vehicle(v),
        team: team(v),
        crew: crew.iter().map(|&s| staff(s)).collect(),
        expires_at,
        distance_m: Some(1200.0),
        manual,
    })
}

/// Offer `n` to vehicle `v` with one crew member (staff `v`), open for an hour; `manual`
/// when a dispatcher chose the vehicle.
pub(super) fn offer(n: u64, v: usize, manual: bool) -> Command {
    offer_with(n, v, &[v], start() + Duration::hours(1), manual)
}

/// The engine's offer `n` to vehicle `v`.
pub(super) fn offer_to(n: u64, v: usize) -> Command {
    offer(n, v, false)
}

pub(super) fn accept_offer(offer_id: OfferId) -> Command {
    Command::AcceptOffer(steps::AcceptOffer { offer_id })
}

pub(super) fn decline_offer(offer_id: OfferId) -> Command {
    Command::DeclineOffer(steps::DeclineOffer {
        offer_id,
        reason: Some("车辆故障".into()),
    })
}

pub(super) fn expire_offer(offer_id: OfferId) -> Command {
    Command::ExpireOffer(steps::ExpireOffer { offer_id })
}

pub(super) fn accept(n: u64) -> Command {
    accept_offer(offer_id(n))
}

pub(super) fn decline(n: u64) -> Command {
    decline_offer(offer_id(n))
}

pub(super) fn expire(n: u64) -> Command {
    expire_offer(offer_id(n))
}

/// Offer `n` never reached the vehicle's app.
pub(super) fn undeliver(n: u64) -> Command {
    undeliver_offer(offer_id(n))
}

pub(super) fn undeliver_offer(offer_id: OfferId) -> Command {
    Command::UndeliverOffer(steps::UndeliverOffer {
        offer_id,
        reason: "no receipt from the app in time".into(),
    })
}

pub(super) fn cancel_dispatch_because(reason: &str) -> Command {
    Command::CancelDispatch(steps::CancelDispatch {
        reason: reason.into(),
    })
}

pub(super) fn cancel_dispatch() -> Command {
    cancel_dispatch_because("改派")
}

/// The engine: vehicle `v` is out of service.
pub(super) fn withdraw(v: usize, reason: &str) -> Command {
    Command::WithdrawVehicle(steps::WithdrawVehicle {
        vehicle: vehicle(v),
        reason: reason.into(),
    })
}

pub(super) fn alert(reason: &str) -> Command {
    Command::RaiseAlert(steps::RaiseAlert {
        reason: reason.into(),
    })
}

/// Makes staff member `n` a handler.
pub(super) fn assign(n: usize) -> Command {
    Command::Assign(steps::Assign { staff: staff(n) })
}

pub(super) fn arrive() -> Command {
    Command::Arrive(steps::Arrive)
}

pub(super) fn onsite_record(findings: &str, actions: &str, evidence: Vec<Evidence>) -> Command {
    Command::RecordOnsite(steps::RecordOnsite {
        findings: findings.into(),
        actions: actions.into(),
        evidence,
    })
}

/// A valid on-site record with a photo.
pub(super) fn onsite() -> Command {
    onsite_record("查获假冒卷烟 3 条", "先行登记保存", vec![photo()])
}

pub(super) fn submit(sections: BTreeMap<String, String>, evidence: Vec<Evidence>) -> Command {
    Command::SubmitReport(steps::SubmitReport { sections, evidence })
}

/// A report with no sections and no evidence.
pub(super) fn submit_empty() -> Command {
    submit(BTreeMap::new(), Vec::new())
}

/// `sections` with one piece of every evidence kind.
pub(super) fn submit_sections(sections: BTreeMap<String, String>) -> Command {
    submit(sections, all_evidence())
}

pub(super) fn review(decision: ReviewDecision, reasons: Vec<ReturnReason>) -> Command {
    Command::Review(steps::Review { decision, reasons })
}

pub(super) fn review_pass() -> Command {
    review(ReviewDecision::Pass, Vec::new())
}

pub(super) fn review_return(reasons: Vec<ReturnReason>) -> Command {
    review(ReviewDecision::Return, reasons)
}

pub(super) fn approval(decision: ApprovalDecision, reasons: Vec<ReturnReason>) -> Command {
    Command::Approve(steps::Approve { decision, reasons })
}

pub(super) fn approve() -> Command {
    approval(ApprovalDecision::Approve, Vec::new())
}

pub(super) fn reply(text: &str) -> Command {
    Command::Reply(steps::Reply { text: text.into() })
}

pub(super) fn visit_noting(satisfaction: Satisfaction, comment: Option<&str>) -> Command {
    Command::RecordVisit(steps::RecordVisit {
        satisfaction,
        comment: comment.map(str::to_owned),
    })
}

pub(super) fn visit(satisfaction: Satisfaction) -> Command {
    visit_noting(satisfaction, None)
}

pub(super) fn archive_noting(note: Option<&str>) -> Command {
    Command::Archive(steps::Archive {
        note: note.map(str::to_owned),
    })
}

pub(super) fn archive() -> Command {
    archive_noting(None)
}

pub(super) fn reopen_because(reason: &str, to: Option<Status>) -> Command {
    Command::Reopen(steps::Reopen {
        reason: reason.into(),
        to,
    })
}

/// The reporter called again.
pub(super) fn reopen(to: Option<Status>) -> Command {
    reopen_because("市民再次来电", to)
}

pub(super) fn supervise(notice: &str) -> Command {
    Command::Supervise(steps::Supervise {
        notice: notice.into(),
    })
}

pub(super) fn transfer(to: TransferTarget, reason: &str) -> Command {
    Command::Transfer(steps::Transfer {
        to,
        reason: reason.into(),
    })
}

/// This ticket folded into `target` (this ticket or the other one, numbered accordingly).
pub(super) fn merge_into(target: TicketId) -> Command {
    let target_number = if target == this_id() {
        this_number()
    } else {
        other_number()
    };
    Command::MergeInto(steps::MergeInto {
        target,
        target_number,
    })
}

pub(super) fn merge_into_other() -> Command {
    merge_into(other_id())
}

/// `duplicate` folded into this ticket.
pub(super) fn absorb(duplicate: TicketId) -> Command {
    Command::AbsorbDuplicate(steps::AbsorbDuplicate {
        duplicate,
        duplicate_number: other_number(),
    })
}

/// The engine undoes the merge of the other ticket that did not go through.
pub(super) fn release_other() -> Command {
    Command::ReleaseDuplicate(steps::ReleaseDuplicate {
        duplicate: other_id(),
        duplicate_number: other_number(),
        reason: "合并未完成".into(),
    })
}
