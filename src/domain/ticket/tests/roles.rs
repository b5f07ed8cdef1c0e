//! Who may act, from which status, with what: roles outside the table, field devices bound
//! to other tickets, illegal transitions, incomplete reports, archiving without the return
//! visit, the engine's own alerts, on-site work on an unclassified ticket, and the role matrix
//! of every step in the table.

use super::commands::*;
use super::fixtures::*;
use super::given::{Fx, given, ticket_in};
use super::strategy::ALL_ROLES;
use crate::domain::catalog::Urgency;
use crate::domain::role::{Principal, Role, Subject};
use crate::domain::ticket::steps;
use crate::domain::ticket::steps::{STEPS, find};
use crate::domain::ticket::{
    Command, NewTicket, Rejection, Reporter, Satisfaction, SlaLevel, SlaScope, Stage, Status,
    TransferTarget,
};

#[test]
fn roles_outside_the_table_are_forbidden() {
    let mut fx = Fx::new("counterfeit");
    let forbidden = |fx: &mut Fx, command, role| fx.when(command, &as_role(role)).then_forbidden();
    forbidden(&mut fx, triage(), Role::Field);
    forbidden(&mut fx, triage(), Role::Supervisor);
    forbidden(&mut fx, dispatch(1, &[]), Role::Supervisor);
    forbidden(&mut fx, approve(), Role::Dispatcher);
    forbidden(&mut fx, supervise("催办"), Role::Dispatcher);
    forbidden(&mut fx, review_pass(), Role::Field);
    forbidden(&mut fx, arrive(), Role::Dispatcher);
    forbidden(&mut fx, submit_empty(), Role::Supervisor);
    for role in [Role::Platform, Role::Board, Role::Admin] {
        forbidden(&mut fx, triage(), role);
        forbidden(&mut fx, reply("x"), role);
        forbidden(&mut fx, arrive(), role);
    }
    // The role check comes before the status check.
    let e = fx.when(reply("x"), &vehicle_token(1)).then_forbidden();
    assert_eq!(e.to_string(), "the field role may not reply to");
    // The engine itself may take any step.
    fx.ok(triage(), &engine());
    fx.ok(supervise("超时预警"), &engine());
    assert_eq!(fx.ticket.supervision_notices, 1);
    fx.ok(supervise("督办"), &supervisor());
    fx.when(supervise(""), &supervisor())
        .then_rejected("notice_required");
    assert_eq!(fx.ticket.supervision_notices, 2);
}

#[test]
fn field_devices_act_only_on_their_own_tickets() {
    let mut fx = Fx::new("counterfeit");
    fx.ok(triage(), &dispatcher());
    fx.ok(dispatch(1, &[1]), &dispatcher());
    for by in [
        vehicle_token(2),
        staff_token(2),
        Principal::new(Role::Field, None),
        Principal::new(Role::Field, Some(Subject::Label("V-001".into()))),
    ] {
        fx.when(arrive(), &by).then_not_assigned();
        assert!(!fx.ticket.visible_to(&by));
    }
    assert_eq!(
        Rejection::NotAssigned.to_string(),
        "this ticket is not assigned to you"
    );
    // A crew member's device is bound to the ticket too.
    fx.ok(arrive(), &staff_token(1));
    // Not-assigned is checked before the status: a stranger learns nothing.
    fx.when(arrive(), &vehicle_token(2)).then_not_assigned();
    fx.when(onsite_record(" ", "", Vec::new()), &vehicle_token(1))
        .then_rejected("findings_required");
}

#[test]
fn an_illegal_transition_names_the_current_status() {
    let mut fx = Fx::new("counterfeit");
    fx.ok(triage(), &dispatcher());
    let e = fx.when(reply("x"), &dispatcher()).then_illegal("reply to");
    assert_eq!(e.to_string(), "cannot reply to a ticket that is triaged");
    fx.ok(dispatch(1, &[]), &dispatcher());
    let e = fx
        .when(onsite(), &vehicle_token(1))
        .then_illegal("record on-site work for");
    assert_eq!(
        e.to_string(),
        "cannot record on-site work for a ticket that is en_route"
    );
    fx.when(archive(), &dispatcher()).then_illegal("archive");
    fx.when(reopen_because("x", None), &supervisor())
        .then_illegal("reopen");
    assert_eq!(fx.status(), Status::EnRoute);
}

#[test]
fn an_incomplete_report_lists_the_missing_sections() {
    let mut fx = given(ticket_in(Status::Reporting));
    let mut sections = complete_sections("counterfeit");
    sections.remove("legal_basis");
    sections.insert("conclusion".into(), "   ".into());
    sections.insert("unrelated".into(), "extra sections are fine".into());
    match fx.err(submit_sections(sections.clone()), &vehicle_token(1)) {
        Rejection::Rule {
            code,
            message,
            details,
        } => {
            assert_eq!(code, "report_incomplete");
            assert_eq!(
                details,
                Some(serde_json::json!({ "missing": ["legal_basis", "conclusion"] })),
                "in the guide's order"
            );
            assert_eq!(message, "the report is missing: legal_basis, conclusion");
        }
        other => panic!("{other:?}"),
    }
    match fx.err(submit_empty(), &vehicle_token(1)) {
        Rejection::Rule { details, .. } => {
            let missing: Vec<String> =
                serde_json::from_value(details.expect("details")["missing"].clone())
                    .expect("a list of names");
            // Every section, then every evidence kind not in the report or the on-site
            // record (which holds a photo), in the guide's order.
            let guide = catalog().get("counterfeit").expect("category");
            let mut expected = guide.report_sections.clone();
            expected.extend(
                guide
                    .report_evidence
                    .iter()
                    .filter(|k| *k != "photo")
                    .map(|k| format!("evidence:{k}")),
            );
            assert_eq!(missing, expected);
        }
        other => panic!("{other:?}"),
    }
    sections.insert("legal_basis".into(), "《烟草专卖法》第三十二条".into());
    sections.insert("conclusion".into(), "属实".into());
    fx.ok(submit_sections(sections), &vehicle_token(1));
}

#[test]
fn archiving_needs_the_return_visit_when_the_reporter_can_be_called() {
    let mut fx = given(ticket_in(Status::AwaitingVisit));
    fx.when(archive(), &dispatcher())
        .then_rejected("return_visit_missing");

    for reporter in [
        None,
        Some(Reporter {
            anonymous: true,
            ..reachable_reporter()
        }),
        Some(Reporter {
            phone: Some("  ".into()),
            ..reachable_reporter()
        }),
        Some(Reporter {
            phone: None,
            ..reachable_reporter()
        }),
    ] {
        let mut fx = Fx::with(NewTicket {
            reporter: reporter.clone(),
            ..new_ticket("suggestion")
        });
        fx.ok(triage(), &dispatcher());
        fx.ok(reply("感谢建议。"), &dispatcher());
        fx.ok(archive_noting(Some("无法回访")), &dispatcher());
        assert_eq!(fx.status(), Status::Archived, "{reporter:?}");
        assert!(fx.ticket.visit.is_none());
    }
}

#[test]
fn only_the_engine_raises_alerts_on_open_tickets() {
    let mut fx = Fx::new("unlicensed_transport");
    let alert = alert("一级线索，无车可派");
    for role in [Role::Dispatcher, Role::Supervisor, Role::Admin] {
        fx.when(alert.clone(), &as_role(role)).then_forbidden();
    }
    fx.when(alert.clone(), &engine())
        .then_status(Status::Received);
    fx.ok(merge_into_other(), &dispatcher());
    fx.when(alert, &engine()).then_illegal("raise an alert on");
}

#[test]
fn on_site_work_is_recorded_only_on_a_classified_ticket() {
    // A grade I lead fast-tracked before anybody classified it.
    let mut fx = Fx::with(NewTicket {
        category: None,
        urgency: Some(Urgency::I),
        ..new_ticket("counterfeit")
    });
    assert_eq!((fx.ticket.category.clone(), fx.ticket.path), (None, None));
    fx.ok(dispatch(1, &[1]), &dispatcher());
    // The status is checked first...
    fx.when(onsite(), &vehicle_token(1))
        .then_illegal("record on-site work for");
    fx.ok(arrive(), &vehicle_token(1));
    // ...then the category, before the findings are looked at.
    let e = fx
        .when(onsite(), &vehicle_token(1))
        .then_rejected("category_required");
    assert_eq!(
        e.to_string(),
        "classify the ticket (triage) before recording the on-site work"
    );
    let blank_findings = onsite_record(" ", "", Vec::new());
    fx.when(blank_findings.clone(), &staff_token(1))
        .then_rejected("category_required");
    fx.when(onsite(), &vehicle_token(2)).then_not_assigned();
    // On site, only a category with a site visit can be given; then the record is taken.
    fx.when(triage_as("late_delivery"), &dispatcher())
        .then_rejected("path_conflict");
    fx.when(triage_as("unlicensed_transport"), &dispatcher())
        .then_status(Status::OnSite);
    fx.when(blank_findings, &vehicle_token(1))
        .then_rejected("findings_required");
    fx.when(onsite(), &vehicle_token(1))
        .then_status(Status::Reporting);
    fx.submit_complete();
    assert_eq!(fx.status(), Status::InReview);
}

/// A command of each step in the table, by the step's name.
fn sample(name: &str) -> Command {
    match name {
        "triage" => triage(),
        "dispatch" => dispatch(1, &[1]),
        "offer" => offer_to(1, 1),
        "offer.accept" => accept(1),
        "offer.decline" => decline(1),
        "offer.expire" => expire(1),
        "offer.undeliver" => undeliver(1),
        "dispatch.cancel" => cancel_dispatch(),
        "vehicle.withdraw" => withdraw(1, "检修"),
        "alert" => alert("无车可派"),
        "sla.flag" => Command::FlagSla(steps::FlagSla {
            level: SlaLevel::Warning,
            scope: SlaScope::Stage,
            stage: Stage::Intake,
            now: start(),
        }),
        "assign" => assign(1),
        "arrive" => arrive(),
        "onsite-record" => onsite(),
        "report" => submit_empty(),
        "review" => review_pass(),
        "approval" => approve(),
        "reply" => reply("x"),
        "return-visit" => visit(Satisfaction::Satisfied),
        "archive" => archive(),
        "reopen" => reopen(None),
        "supervise" => supervise("督办"),
        "transfer" => transfer(TransferTarget::Platform, "不属本单位"),
        "merge" => merge_into_other(),
        "duplicate.absorb" => absorb(other_id()),
        "duplicate.release" => release_other(),
        "evidence" => Command::AttachEvidence(steps::AttachEvidence {
            sha256: "ab".repeat(32),
            size: 3,
            content_type: "image/jpeg".into(),
            kind: "photo".into(),
            shows_reporter: false,
            hint: None,
        }),
        other => panic!("no sample command for step `{other}`: add one here"),
    }
}

#[test]
fn every_step_admits_exactly_the_roles_of_its_row() {
    let mut names: Vec<&str> = STEPS.iter().map(|s| s.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), STEPS.len(), "step names are unique");
    for step in STEPS {
        assert_eq!(find(step.name), Some(step));
        let command = sample(step.name);
        assert_eq!(command.action(), step.verb, "{}", step.name);
        assert_eq!(command.roles(), step.roles, "{}", step.name);
        for role in ALL_ROLES {
            // A field device bound to the ticket, so only the role decides.
            let by = match role {
                Role::Field => vehicle_token(1),
                other => as_role(other),
            };
            let mut fx = given(ticket_in(Status::EnRoute));
            let forbidden = matches!(
                fx.ticket.decide(&command, &by, catalog()),
                Err(Rejection::Forbidden { role: r, action }) if r == role && action == step.verb
            );
            let allowed = role == Role::System || step.roles.contains(&role);
            assert_eq!(step.allows(role), allowed, "{} by {role}", step.name);
            assert_eq!(!forbidden, allowed, "{} by {role}", step.name);
            // The same from a closed ticket: the role is checked before the status.
            fx = given(ticket_in(Status::Archived));
            let forbidden = matches!(
                fx.ticket.decide(&command, &by, catalog()),
                Err(Rejection::Forbidden { .. })
            );
            assert_eq!(!forbidden, allowed, "{} by {role} when archived", step.name);
        }
    }
}
