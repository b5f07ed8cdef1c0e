//! Tickets of each handling path walked from intake to the archive: the full path
//! through the site visit, no_onsite straight to the report, direct answers, the grade I
//! fast track, and triage reclassifying.

use time::Duration;

use super::commands::*;
use super::fixtures::*;
use super::given::Fx;
use crate::domain::catalog::{Department, HandlingPath, Urgency};
use crate::domain::geo::LatLng;
use crate::domain::role::Subject;
use crate::domain::ticket::{EventKind, NewTicket, Satisfaction, Stage, Status, Ticket};

#[test]
fn a_full_ticket_walks_all_five_stages_then_reply_visit_archive() {
    let mut fx = Fx::new("counterfeit");
    assert_eq!(fx.ticket.path, Some(HandlingPath::Full));
    assert_eq!(fx.ticket.urgency, Some(Urgency::II));
    assert_eq!(fx.ticket.department, Some(Department::Enforcement));
    assert!(fx.ticket.triage.urgency_from_default);

    let located = Triage {
        position: Some(LatLng::new(29.95, 115.45).expect("in Wuxue")),
        address_text: Some("梅川镇 正街 8 号".into()),
        retailer_licence: Some("421182100088".into()),
        ..Triage::default()
    };
    fx.when(located.into(), &dispatcher())
        .then_status(Status::Triaged);
    assert!(fx.ticket.triage.confirmed && !fx.ticket.triage.overridden);
    assert_eq!(
        fx.ticket.location.address_text.as_deref(),
        Some("梅川镇 正街 8 号")
    );

    let d = fx.ok(dispatch(1, &[1, 2]), &dispatcher());
    assert!(matches!(
        d.kind,
        EventKind::Dispatched {
            fast_track: false,
            ..
        }
    ));
    assert_eq!(fx.status(), Status::EnRoute);
    assert_eq!(fx.ticket.assignment.vehicle_id, Some(vehicle(1)));
    assert_eq!(fx.ticket.assignment.team_id, Some(team(1)));
    for crew in [staff(1), staff(2)] {
        assert!(fx.ticket.is_assigned_to(&Subject::Staff(crew)));
    }

    let d = fx.ok(arrive(), &vehicle_token(1));
    assert_eq!(
        d.kind,
        EventKind::Arrived {
            vehicle_id: Some(vehicle(1))
        }
    );
    assert_eq!(fx.status(), Status::OnSite);

    fx.when(onsite(), &staff_token(2))
        .then_status(Status::Reporting);
    let record = fx.ticket.onsite.clone().expect("on-site record");
    assert_eq!(record.recorded_at, fx.now);
    assert_eq!(record.evidence, vec![photo()]);

    fx.submit_complete();
    assert_eq!(fx.status(), Status::InReview);
    assert_eq!(fx.ticket.report.as_ref().map(|r| r.version), Some(1));

    fx.when(review_pass(), &dispatcher())
        .then_status(Status::InApproval);
    fx.when(approve(), &supervisor())
        .then_status(Status::Replying);
    fx.when(reply("经查属实，已依法处理。"), &dispatcher())
        .then_status(Status::AwaitingVisit);
    assert_eq!(fx.ticket.reply.as_ref().map(|r| r.replied_at), Some(fx.now));

    let d = fx
        .when(
            visit_noting(Satisfaction::Satisfied, Some("满意")),
            &dispatcher(),
        )
        .then_status(Status::AwaitingVisit);
    assert!(matches!(
        d.kind,
        EventKind::ReturnVisited {
            reopened: false,
            ..
        }
    ));
    fx.when(visit(Satisfaction::Satisfied), &dispatcher())
        .then_rejected("already_visited");

    fx.when(archive_noting(Some("办结")), &dispatcher())
        .then_status(Status::Archived);
    assert_eq!(fx.ticket.seq, 11);
    assert_eq!(
        fx.stages(),
        vec![
            Stage::Intake,
            Stage::OnSite,
            Stage::Report,
            Stage::Review,
            Stage::Approval,
            Stage::Reply,
            Stage::ReturnVisit,
            Stage::Closed
        ]
    );
    assert_spans_well_formed(&fx.ticket);
    // Steps of 17 minutes each: intake lasted two (receive to dispatch), on-site two
    // (travel, inspection).
    let durations = fx.ticket.stage_durations(fx.now);
    assert_eq!(durations[&Stage::Intake], Duration::minutes(34));
    assert_eq!(durations[&Stage::OnSite], Duration::minutes(34));
    assert_eq!(durations[&Stage::Closed], Duration::ZERO);
}

#[test]
fn a_no_onsite_ticket_goes_from_intake_straight_to_the_report() {
    let mut fx = Fx::new("late_delivery");
    assert_eq!(fx.ticket.path, Some(HandlingPath::NoOnsite));
    fx.when(triage(), &dispatcher())
        .then_status(Status::Reporting);
    assert_eq!(fx.ticket.department, Some(Department::Logistics));

    // No vehicle is ever sent (the status is checked first), and nobody arrives.
    fx.when(dispatch(1, &[1]), &dispatcher())
        .then_illegal("dispatch");
    let mut urgent = Fx::with(NewTicket {
        urgency: Some(Urgency::I),
        ..new_ticket("late_delivery")
    });
    urgent
        .when(dispatch(1, &[1]), &dispatcher())
        .then_rejected("no_onsite_stage");
    let writer = staff_token(7);
    fx.when(arrive(), &writer).then_not_assigned();

    // The writer is made a handler; only then may the device bound to them report.
    let sections = complete_sections("late_delivery");
    let submit = submit_sections(sections.clone());
    fx.when(submit.clone(), &writer).then_not_assigned();
    // Assigning does not move the ticket.
    fx.when(assign(7), &dispatcher())
        .then_status(Status::Reporting);
    assert!(fx.ticket.is_assigned_to(&Subject::Staff(staff(7))));
    assert!(fx.ticket.visible_to(&writer));
    assert!(!fx.ticket.visible_to(&staff_token(8)));
    fx.when(arrive(), &writer).then_illegal("arrive");

    fx.ok(submit, &writer);
    assert_eq!(
        fx.ticket.report.as_ref().map(|r| &r.sections),
        Some(&sections)
    );
    fx.ok(review_pass(), &supervisor());
    fx.ok(approve(), &supervisor());
    fx.ok(reply("已督促配送线路按时送达。"), &dispatcher());
    fx.ok(visit(Satisfaction::BasicallySatisfied), &dispatcher());
    fx.when(archive(), &dispatcher())
        .then_status(Status::Archived);
    assert!(fx.ticket.onsite.is_none());
    assert_eq!(fx.ticket.assignment.vehicle_id, None);
    assert_eq!(
        fx.stages(),
        vec![
            Stage::Intake,
            Stage::Report,
            Stage::Review,
            Stage::Approval,
            Stage::Reply,
            Stage::ReturnVisit,
            Stage::Closed
        ]
    );
    assert_spans_well_formed(&fx.ticket);
}

#[test]
fn a_consultation_is_answered_directly() {
    let mut fx = Fx::new("order_consultation");
    assert_eq!(fx.ticket.path, Some(HandlingPath::DirectAnswer));
    assert_eq!(fx.ticket.urgency, Some(Urgency::IV));
    fx.when(dispatch(1, &[]), &dispatcher())
        .then_illegal("dispatch");
    fx.when(triage(), &dispatcher())
        .then_status(Status::Replying);
    fx.ok(assign(4), &dispatcher());
    fx.when(submit_empty(), &staff_token(4))
        .then_illegal("submit a report for");
    fx.when(reply("  "), &dispatcher())
        .then_rejected("reply_required");
    fx.ok(reply("订货时间为每周一至周三。"), &dispatcher());
    fx.ok(visit(Satisfaction::Satisfied), &dispatcher());
    fx.when(archive(), &dispatcher())
        .then_status(Status::Archived);
    assert!(fx.ticket.report.is_none());
    assert_eq!(
        fx.stages(),
        vec![
            Stage::Intake,
            Stage::Reply,
            Stage::ReturnVisit,
            Stage::Closed
        ]
    );
    assert_spans_well_formed(&fx.ticket);
}

#[test]
fn a_grade_one_lead_is_dispatched_before_triage_is_confirmed() {
    let mut fx = Fx::new("unlicensed_transport");
    assert_eq!(fx.ticket.urgency, Some(Urgency::I));
    let d = fx.ok(dispatch(2, &[3]), &dispatcher());
    assert!(matches!(
        d.kind,
        EventKind::Dispatched {
            fast_track: true,
            ..
        }
    ));
    assert_eq!(fx.status(), Status::EnRoute);
    assert!(!fx.ticket.triage.confirmed);
    // Triage may still be confirmed while the vehicle travels; the status stays.
    fx.when(triage(), &dispatcher())
        .then_status(Status::EnRoute);
    assert!(fx.ticket.triage.confirmed);
    // A category without an on-site stage cannot be chosen any more.
    fx.when(triage_as("late_delivery"), &dispatcher())
        .then_rejected("path_conflict");
    // Re-dispatching while en route is allowed.
    fx.ok(dispatch(3, &[1]), &dispatcher());
    assert_eq!(fx.ticket.assignment.vehicle_id, Some(vehicle(3)));
    assert_eq!(fx.stages(), vec![Stage::Intake, Stage::OnSite]);

    // Below grade I there is no fast track.
    let mut slow = Fx::new("counterfeit");
    slow.when(dispatch(1, &[]), &dispatcher())
        .then_illegal("dispatch");
    // A dispatcher's grade I makes it one.
    let mut urgent = Fx::with(NewTicket {
        urgency: Some(Urgency::I),
        ..new_ticket("counterfeit")
    });
    assert!(!urgent.ticket.triage.urgency_from_default);
    urgent
        .when(dispatch(1, &[]), &dispatcher())
        .then_status(Status::EnRoute);
}

#[test]
fn triage_reclassifies_and_records_overrides() {
    let mut fx = Fx::new("counterfeit");
    // Supply release needs no on-site stage.
    fx.when(triage_graded("supply_release", Urgency::II), &dispatcher())
        .then_status(Status::Reporting);
    assert_eq!(fx.ticket.category.as_deref(), Some("supply_release"));
    assert_eq!(fx.ticket.department, Some(Department::Marketing));
    assert_eq!(fx.ticket.path, Some(HandlingPath::NoOnsite));
    assert!(fx.ticket.triage.overridden);
    assert!(!fx.ticket.triage.urgency_from_default);

    // An uncategorised intake cannot be triaged without a category, nor with an unknown one.
    let mut bare = Fx::with(NewTicket {
        category: None,
        ..new_ticket("counterfeit")
    });
    assert_eq!((bare.ticket.path, bare.ticket.urgency), (None, None));
    bare.when(triage(), &dispatcher())
        .then_rejected("category_required");
    bare.when(triage_as("no_such_thing"), &dispatcher())
        .then_rejected("unknown_category");
    bare.when(triage_as("suggestion"), &dispatcher())
        .then_status(Status::Replying);
    assert_eq!(bare.ticket.urgency, Some(Urgency::IV));
    assert!(bare.ticket.triage.urgency_from_default && !bare.ticket.triage.overridden);

    // Intake itself refuses empty descriptions and unknown categories.
    let refuse = |new: NewTicket| {
        Ticket::receive(new, this_id(), this_number(), catalog(), start()).expect_err("refused")
    };
    assert_rule(
        &refuse(NewTicket {
            description: " \n".into(),
            ..new_ticket("counterfeit")
        }),
        "description_required",
    );
    assert_rule(&refuse(new_ticket("no_such_thing")), "unknown_category");
}
