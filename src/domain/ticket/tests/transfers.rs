//! Transfers (to another department, the platform or another unit) and merges of
//! duplicates, with the engine's release of a merge that did not go through.

use time::Duration;

use super::commands::*;
use super::fixtures::*;
use super::given::{Fx, given, ticket_in};
use crate::domain::catalog::Department;
use crate::domain::ids::TicketId;
use crate::domain::ticket::{
    Command, EventKind, NewTicket, Rejection, Stage, Status, TransferTarget,
};

#[test]
fn a_transfer_to_a_department_keeps_the_ticket_open() {
    let mut fx = given(ticket_in(Status::Reporting));
    let to = |department| TransferTarget::Department { department };
    fx.when(transfer(to(Department::Enforcement), "协办"), &dispatcher())
        .then_rejected("same_department");
    fx.when(transfer(to(Department::Marketing), ""), &dispatcher())
        .then_rejected("reason_required");
    fx.when(
        transfer(to(Department::Marketing), "涉及许可证"),
        &dispatcher(),
    )
    .then_status(Status::Reporting);
    assert_eq!(fx.ticket.department, Some(Department::Marketing));
    assert_eq!(
        fx.ticket.transfer.as_ref().map(|t| t.to.clone()),
        Some(to(Department::Marketing))
    );
    fx.submit_complete();
    assert_eq!(fx.status(), Status::InReview);
}

#[test]
fn a_transfer_to_the_platform_or_another_unit_closes_the_ticket() {
    let mut fx = Fx::new("counterfeit");
    fx.ok(triage(), &dispatcher());
    fx.when(
        transfer(TransferTarget::OtherUnit { unit: " ".into() }, "外地"),
        &dispatcher(),
    )
    .then_rejected("unit_required");
    fx.when(
        transfer(TransferTarget::Platform, "不属本单位职责"),
        &dispatcher(),
    )
    .then_status(Status::Transferred);
    assert_eq!(fx.stages(), vec![Stage::Intake, Stage::Closed]);
    // Transferred is terminal: everything is refused, naming the status.
    for command in [triage(), reopen_because("x", None), supervise("x")] {
        assert!(matches!(
            fx.err(command, &engine()),
            Rejection::IllegalTransition {
                status: Status::Transferred,
                ..
            }
        ));
    }

    let mut other = Fx::new("outflow");
    other
        .when(
            transfer(
                TransferTarget::OtherUnit {
                    unit: "黄梅县局".into(),
                },
                "发生地在黄梅",
            ),
            &dispatcher(),
        )
        .then_status(Status::Transferred);
    assert_spans_well_formed(&other.ticket);
}

#[test]
fn a_duplicate_is_merged_into_its_original() {
    let mut dup = Fx::new("counterfeit");
    dup.when(merge_into(this_id()), &dispatcher())
        .then_rejected("merge_into_itself");
    dup.when(merge_into_other(), &dispatcher())
        .then_status(Status::Merged);
    assert_eq!(dup.ticket.merged_into, Some(other_id()));
    dup.when(merge_into_other(), &dispatcher())
        .then_illegal("merge");

    let mut original = given(ticket_in(Status::Reporting));
    original
        .when(absorb(this_id()), &dispatcher())
        .then_rejected("merge_into_itself");
    let d = original.ok(absorb(other_id()), &dispatcher());
    assert_eq!(
        d.status,
        Status::Reporting,
        "absorbing a duplicate keeps the status"
    );
    assert_eq!(original.ticket.duplicates, vec![other_id()]);
}

#[test]
fn a_merge_that_did_not_go_through_is_released_by_the_engine() {
    let mut original = given(ticket_in(Status::Reporting));
    original
        .when(release_other(), &engine())
        .then_rejected("not_merged");
    original.ok(absorb(other_id()), &dispatcher());
    original
        .when(release_other(), &dispatcher())
        .then_forbidden();
    let d = original
        .when(release_other(), &engine())
        .then_event("ticket.duplicate_released");
    assert_eq!(d.status, Status::Reporting, "the status stays");
    assert!(original.ticket.duplicates.is_empty());
}

#[test]
fn triage_records_the_duplicate_its_new_location_repeats() {
    let triage_hinted = |licence: Option<&str>, hint: TicketId| {
        Command::from(Triage {
            retailer_licence: licence.map(str::to_owned),
            duplicate_of: Some(hint),
            ..Triage::default()
        })
    };
    // Nothing the rule looks at changed: no record, whatever the hint.
    let mut same = Fx::new("counterfeit");
    let d = same.ok(triage_hinted(None, other_id()), &dispatcher());
    assert!(matches!(
        d.kind,
        EventKind::Triaged {
            possible_duplicate_of: None,
            ..
        }
    ));
    assert_eq!(same.ticket.possible_duplicate_of, None);

    // The retailer named at triage: recorded in the event and the state.
    let mut vague = Fx::new("counterfeit");
    let d = vague.ok(
        triage_hinted(Some("421182100088"), other_id()),
        &dispatcher(),
    );
    assert!(matches!(
        d.kind,
        EventKind::Triaged {
            possible_duplicate_of: Some(id),
            ..
        } if id == other_id()
    ));
    assert_eq!(vague.ticket.possible_duplicate_of, Some(other_id()));

    // One already named stays; the ticket itself is never its own duplicate.
    let earlier = third_id();
    let mut named = Fx::with(NewTicket {
        possible_duplicate_of: Some(earlier),
        ..new_ticket("counterfeit")
    });
    named.ok(
        triage_hinted(Some("421182100088"), other_id()),
        &dispatcher(),
    );
    assert_eq!(named.ticket.possible_duplicate_of, Some(earlier));
    let mut own = Fx::new("counterfeit");
    own.ok(
        triage_hinted(Some("421182100088"), this_id()),
        &dispatcher(),
    );
    assert_eq!(own.ticket.possible_duplicate_of, None);
}

#[test]
fn a_duplicate_is_absorbed_only_once() {
    let mut fx = given(ticket_in(Status::Reporting));
    fx.ok(absorb(other_id()), &dispatcher());
    let e = fx
        .when(absorb(other_id()), &dispatcher())
        .then_rejected("already_merged");
    assert_eq!(e.to_string(), "that ticket is already merged into this one");
    fx.when(absorb(other_id()), &supervisor()).then_forbidden();
    let third = third_id();
    fx.ok(absorb(third), &dispatcher());
    assert_eq!(fx.ticket.duplicates, vec![other_id(), third]);
    // A closed ticket refuses by its status first.
    fx.ok(
        transfer(TransferTarget::Platform, "不属本单位职责"),
        &dispatcher(),
    );
    fx.when(absorb(other_id()), &dispatcher())
        .then_illegal("merge into");
    // `already_merged` comes before `merge_into_itself`; only a state no command can reach
    // (the ticket among its own duplicates) tells the two apart.
    let mut odd = Fx::new("counterfeit");
    let itself = EventKind::DuplicateMerged {
        duplicate: this_id(),
        duplicate_number: this_number(),
    };
    odd.ticket
        .apply(&itself, Status::Received, odd.now + Duration::minutes(1));
    odd.when(absorb(this_id()), &dispatcher())
        .then_rejected("already_merged");
}
