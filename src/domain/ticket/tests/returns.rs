//! Returns and reopening: review and approval returns, unsatisfied return visits, reopening
//! an archived ticket, and a direct answer that has no report to go back to.

use super::commands::*;
use super::fixtures::*;
use super::given::{Fx, given, ticket_in};
use crate::domain::catalog::ReopenTarget;
use crate::domain::ticket::{ApprovalDecision, EventKind, ReturnedBy, Satisfaction, Stage, Status};

#[test]
fn a_review_return_sends_the_report_back_for_rework() {
    let mut fx = given(ticket_in(Status::Reporting));
    fx.submit_complete();
    let blank = review_return(reasons(&["", "  "]));
    fx.when(blank, &supervisor())
        .then_rejected("reasons_required");
    fx.when(review_return(vec![]), &supervisor())
        .then_rejected("reasons_required");
    fx.when(review_return(reasons(&["缺少法律依据"])), &dispatcher())
        .then_status(Status::Reporting);
    assert_eq!(fx.ticket.review_returns, 1);
    // The returned version says why, for its writer to start the next one from.
    let returned = fx.ticket.report.as_ref().and_then(|r| r.returned.clone());
    let returned = returned.expect("the report says it was returned");
    assert_eq!(returned.by, ReturnedBy::Review);
    assert_eq!(returned.reasons, reasons(&["缺少法律依据"]));
    fx.submit_complete();
    assert_eq!(fx.ticket.report.as_ref().map(|r| r.version), Some(2));
    assert!(
        fx.ticket
            .report
            .as_ref()
            .is_some_and(|r| r.returned.is_none()),
        "a new version has not been returned"
    );
    assert_eq!(
        fx.stages(),
        vec![
            Stage::Intake,
            Stage::OnSite,
            Stage::Report,
            Stage::Review,
            Stage::Report,
            Stage::Review
        ]
    );
    assert_spans_well_formed(&fx.ticket);
}

#[test]
fn an_approval_return_goes_back_to_reporting_or_to_review() {
    let mut fx = given(ticket_in(Status::InApproval));
    let empty = approval(ApprovalDecision::ReturnToReporting, vec![" ".into()]);
    fx.when(empty, &supervisor())
        .then_rejected("reasons_required");
    fx.when(
        approval(ApprovalDecision::ReturnToReview, vec![]),
        &supervisor(),
    )
    .then_rejected("reasons_required");
    fx.when(approve(), &dispatcher()).then_forbidden();

    fx.when(
        approval(ApprovalDecision::ReturnToReview, reasons(&["请复核证据"])),
        &supervisor(),
    )
    .then_status(Status::InReview);
    assert_eq!(fx.ticket.approval_returns, 1);
    assert_eq!(
        fx.ticket.report.as_ref().map(|r| r.version),
        Some(1),
        "the report itself is unchanged"
    );
    fx.ok(review_pass(), &supervisor());

    fx.when(
        approval(
            ApprovalDecision::ReturnToReporting,
            reasons(&["结论不明确"]),
        ),
        &supervisor(),
    )
    .then_status(Status::Reporting);
    assert_eq!(fx.ticket.approval_returns, 2);
    assert_eq!(fx.ticket.review_returns, 0);
    fx.submit_complete();
    assert_eq!(fx.ticket.report.as_ref().map(|r| r.version), Some(2));
    assert_spans_well_formed(&fx.ticket);
}

#[test]
fn an_unsatisfied_return_visit_reopens_the_ticket() {
    let mut fx = given(ticket_in(Status::AwaitingVisit));
    let d = fx.ok(
        visit_noting(Satisfaction::Unsatisfied, Some("未处理")),
        &dispatcher(),
    );
    assert!(matches!(
        d.kind,
        EventKind::ReturnVisited { reopened: true, .. }
    ));
    // The guide sends an unsatisfied counterfeit report back for a new on-site check.
    assert_eq!(
        catalog().reopen_to(Some("counterfeit"), fx.ticket.path),
        ReopenTarget::Triaged
    );
    assert_eq!(fx.status(), Status::Triaged);
    assert_eq!(fx.ticket.reopen_count, 1);
    assert!(fx.ticket.reply.is_none() && fx.ticket.visit.is_none());
    // Checked on site again, then answered and visited again after a new report.
    fx.ok(dispatch(1, &[1, 2]), &dispatcher());
    fx.ok(arrive(), &vehicle_token(1));
    fx.ok(onsite(), &staff_token(1));
    fx.submit_complete();
    assert_eq!(fx.ticket.report.as_ref().map(|r| r.version), Some(2));

    // A consultation goes back to intake instead.
    let mut consult = Fx::new("order_consultation");
    consult.ok(triage(), &dispatcher());
    consult.ok(reply("请咨询客户经理。"), &dispatcher());
    consult
        .when(visit(Satisfaction::Unsatisfied), &dispatcher())
        .then_status(Status::Triaged);
    assert_eq!(consult.ticket.reopen_count, 1);
    consult
        .when(triage(), &dispatcher())
        .then_status(Status::Replying);
    assert_eq!(
        consult.stages(),
        vec![
            Stage::Intake,
            Stage::Reply,
            Stage::ReturnVisit,
            Stage::Intake,
            Stage::Reply
        ]
    );
    assert_spans_well_formed(&consult.ticket);
}

#[test]
fn an_archived_ticket_is_reopened_with_a_reason() {
    let mut fx = given(ticket_in(Status::Archived));
    fx.when(reopen_because(" ", None), &dispatcher())
        .then_rejected("reason_required");
    fx.when(reopen(Some(Status::InReview)), &dispatcher())
        .then_rejected("bad_reopen_target");
    fx.when(reopen_because("x", None), &vehicle_token(1))
        .then_forbidden();
    // Archived is closed: nothing but a reopen is accepted.
    fx.when(supervise("督办"), &supervisor())
        .then_illegal("supervise");
    fx.when(assign(9), &dispatcher()).then_illegal("assign");

    // Without a target, where the guide says for the category (counterfeit: a new
    // on-site check).
    let mut by_guide = given(ticket_in(Status::Archived));
    by_guide
        .when(reopen(None), &supervisor())
        .then_status(Status::Triaged);

    let mut to_report = given(ticket_in(Status::Archived));
    to_report
        .when(reopen(Some(Status::Reporting)), &supervisor())
        .then_status(Status::Reporting);
    assert_eq!(to_report.ticket.reopen_count, 1);
    assert!(to_report.ticket.reply.is_none() && to_report.ticket.visit.is_none());
    assert!(
        to_report.ticket.report.is_some(),
        "the old report stays for the rework"
    );

    fx.when(
        reopen_because("地点有误，需重新出警", Some(Status::Triaged)),
        &dispatcher(),
    )
    .then_status(Status::Triaged);
    assert_eq!(
        fx.ticket.assignment.vehicle_id, None,
        "the earlier vehicle is off the ticket"
    );
    fx.when(dispatch(2, &[]), &dispatcher())
        .then_status(Status::EnRoute);
    assert_eq!(fx.stages().last(), Some(&Stage::OnSite));
    assert_spans_well_formed(&fx.ticket);
}

#[test]
fn a_direct_answer_is_reopened_to_triage_not_to_a_report() {
    let mut fx = Fx::new("order_consultation");
    fx.ok(triage(), &dispatcher());
    fx.ok(reply("订货时间为每周一至周三。"), &dispatcher());
    // Not archived yet: the status is checked first.
    fx.when(reopen(Some(Status::Reporting)), &supervisor())
        .then_illegal("reopen");
    fx.ok(visit(Satisfaction::Satisfied), &dispatcher());
    fx.ok(archive(), &dispatcher());
    let archived = fx.ticket.clone();

    let e = fx
        .when(reopen(Some(Status::Reporting)), &supervisor())
        .then_rejected("bad_reopen_target");
    assert_eq!(
        e.to_string(),
        "a direct answer has no report: reopen it to triaged"
    );
    fx.when(reopen_because(" ", Some(Status::Reporting)), &dispatcher())
        .then_rejected("reason_required");
    fx.when(reopen(Some(Status::Replying)), &dispatcher())
        .then_rejected("bad_reopen_target");
    fx.when(reopen(Some(Status::Triaged)), &dispatcher())
        .then_status(Status::Triaged);
    fx.when(triage(), &dispatcher())
        .then_status(Status::Replying);
    assert!(fx.ticket.report.is_none());
    assert_spans_well_formed(&fx.ticket);

    // Without a target it goes to triage too.
    let mut again = Fx {
        ticket: archived,
        now: fx.now,
    };
    again
        .when(reopen(None), &supervisor())
        .then_status(Status::Triaged);
    // Tickets with a report still go back to it.
    let mut full = given(ticket_in(Status::Archived));
    full.when(reopen(Some(Status::Reporting)), &supervisor())
        .then_status(Status::Reporting);
}
