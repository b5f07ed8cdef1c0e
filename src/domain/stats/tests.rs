//! The analytics against figures computed by hand for a fixed history of three tickets
//! (times in hours after 00:00; "now" is 23:00):
//!
//! - A, counterfeit (grade II, full): triaged 1, dispatched 2, arrived 3, on-site record 5,
//!   report 9, review passed 10, approved 12, replied 13, satisfied visit and archived 20.
//! - B, late_delivery (grade III, no on-site): triaged 10, report 14, returned by review
//!   16, report 17, passed 18, approved 20, replied 21, unsatisfied visit 22 (reopened to
//!   reporting, still open).
//! - C, order_consultation (grade IV, direct answer): triaged 0.5, replied 2.5, no visit.
//! - D, counterfeit (grade II): merged into A at 1.5, untriaged. Its intake ended within
//!   the 2 h limit (a response), but it is not this ticket's to answer: out of handling
//!   hours and the resolution rate.

#![allow(clippy::unwrap_used, reason = "tests")]

use std::collections::BTreeMap;

use time::Duration;

use super::*;
use crate::domain::catalog::BUILTIN_CATALOG;
use crate::domain::catalog::{Kind, Urgency};
use crate::domain::ids::{StaffId, TeamId, TicketId, TicketNumber, VehicleId};
use crate::domain::role::{Principal, Role, Subject};
use crate::domain::ticket::steps;
use crate::domain::ticket::{
    ApprovalDecision, Command, Location, NewTicket, Reporter, ReviewDecision, Source,
};

pub(super) fn at(h: f64) -> Timestamp {
    Timestamp::parse("2026-11-02T00:00:00Z").unwrap() + Duration::seconds_f64(h * 3600.0)
}

fn who(role: Role) -> Principal {
    Principal::new(role, None)
}

fn new_ticket(category: &str, kind: Kind, catalog: &Catalog) -> Ticket {
    forwarded(category, kind, catalog, 0.0, 0.0)
}

/// A ticket the platform received at `received` and the engine registered at `registered`.
fn forwarded(
    category: &str,
    kind: Kind,
    catalog: &Catalog,
    received: f64,
    registered: f64,
) -> Ticket {
    let new = NewTicket {
        source: Source::Hotline,
        external_id: None,
        kind,
        category: Some(category.into()),
        urgency: None,
        description: "测试".into(),
        reporter: Some(Reporter {
            name: None,
            phone: Some("13800000000".into()),
            address: None,
            anonymous: false,
        }),
        location: Location::default(),
        received_at: Some(at(received)),
        possible_duplicate_of: None,
        retailer_candidates: Vec::new(),
        suggestion: None,
    };
    Ticket::receive(
        new,
        TicketId::generate(),
        TicketNumber::new("WX", 2026, 1),
        catalog,
        at(registered),
    )
    .unwrap()
    .0
}

fn run(t: &mut Ticket, steps: Vec<(f64, Principal, Command)>, catalog: &Catalog) {
    for (h, by, c) in steps {
        t.execute(&c, &by, catalog, at(h))
            .unwrap_or_else(|e| panic!("{c:?}: {e}"));
    }
}

fn evidence(catalog: &Catalog) -> Vec<crate::domain::ticket::Evidence> {
    catalog
        .categories()
        .iter()
        .flat_map(|c| c.report_evidence.clone())
        .map(|k| crate::domain::ticket::Evidence {
            reference: k.clone(),
            kind: k,
            note: None,
            sha256: None,
        })
        .collect()
}

fn sections(names: &[&str]) -> BTreeMap<String, String> {
    names
        .iter()
        .map(|n| ((*n).to_owned(), "写明".to_owned()))
        .collect()
}

pub(super) fn history() -> (Vec<Ticket>, Catalog) {
    let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
    let d = || who(Role::Dispatcher);
    let s = || who(Role::Supervisor);
    let vehicle = Principal::new(
        Role::Field,
        Some(Subject::Vehicle("V-1".parse::<VehicleId>().unwrap())),
    );
    let writer: StaffId = "S-1".parse().unwrap();
    let staff = Principal::new(Role::Field, Some(Subject::Staff(writer.clone())));
    let triage = || Command::Triage(steps::Triage::default());
    let full_report = catalog
        .get("counterfeit")
        .unwrap()
        .report_sections
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>();
    let desk_report = catalog
        .get("late_delivery")
        .unwrap()
        .report_sections
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>();

    let mut a = new_ticket("counterfeit", Kind::Report, &catalog);
    let dispatch = Command::Dispatch(steps::Dispatch {
        vehicle: "V-1".parse().unwrap(),
        team: "T-1".parse::<TeamId>().unwrap(),
        crew: vec![],
    });
    run(
        &mut a,
        vec![
            (1.0, d(), triage()),
            (2.0, d(), dispatch),
            (3.0, vehicle.clone(), Command::Arrive(steps::Arrive)),
            (
                5.0,
                vehicle.clone(),
                Command::RecordOnsite(steps::RecordOnsite {
                    findings: "查获".into(),
                    actions: "登记".into(),
                    evidence: vec![],
                }),
            ),
            (
                9.0,
                vehicle.clone(),
                Command::SubmitReport(steps::SubmitReport {
                    sections: sections(&full_report),
                    evidence: evidence(&catalog),
                }),
            ),
            (
                10.0,
                d(),
                Command::Review(steps::Review {
                    decision: ReviewDecision::Pass,
                    reasons: vec![],
                }),
            ),
            (
                12.0,
                s(),
                Command::Approve(steps::Approve {
                    decision: ApprovalDecision::Approve,
                    reasons: vec![],
                }),
            ),
            (
                13.0,
                d(),
                Command::Reply(steps::Reply {
                    text: "已处理".into(),
                }),
            ),
            (
                20.0,
                d(),
                Command::RecordVisit(steps::RecordVisit {
                    satisfaction: Satisfaction::Satisfied,
                    comment: None,
                }),
            ),
            (20.0, d(), Command::Archive(steps::Archive { note: None })),
        ],
        &catalog,
    );

    let mut b = new_ticket("late_delivery", Kind::Complaint, &catalog);
    run(
        &mut b,
        vec![
            (10.0, d(), triage()),
            (10.0, d(), Command::Assign(steps::Assign { staff: writer })),
            (
                14.0,
                staff.clone(),
                Command::SubmitReport(steps::SubmitReport {
                    sections: sections(&desk_report),
                    evidence: evidence(&catalog),
                }),
            ),
            (
                16.0,
                d(),
                Command::Review(steps::Review {
                    decision: ReviewDecision::Return,
                    reasons: vec!["核实不充分".into()],
                }),
            ),
            (
                17.0,
                staff.clone(),
                Command::SubmitReport(steps::SubmitReport {
                    sections: sections(&desk_report),
                    evidence: evidence(&catalog),
                }),
            ),
            (
                18.0,
                d(),
                Command::Review(steps::Review {
                    decision: ReviewDecision::Pass,
                    reasons: vec![],
                }),
            ),
            (
                20.0,
                s(),
                Command::Approve(steps::Approve {
                    decision: ApprovalDecision::Approve,
                    reasons: vec![],
                }),
            ),
            (
                21.0,
                d(),
                Command::Reply(steps::Reply {
                    text: "已协调".into(),
                }),
            ),
            (
                22.0,
                d(),
                Command::RecordVisit(steps::RecordVisit {
                    satisfaction: Satisfaction::Unsatisfied,
                    comment: None,
                }),
            ),
        ],
        &catalog,
    );

    let mut c = new_ticket("order_consultation", Kind::Consultation, &catalog);
    run(
        &mut c,
        vec![
            (0.5, d(), triage()),
            (
                2.5,
                d(),
                Command::Reply(steps::Reply {
                    text: "每周二".into(),
                }),
            ),
        ],
        &catalog,
    );
    let mut d_ticket = new_ticket("counterfeit", Kind::Report, &catalog);
    let merge = Command::MergeInto(steps::MergeInto {
        target: a.id,
        target_number: a.number.clone(),
    });
    run(&mut d_ticket, vec![(1.5, d(), merge)], &catalog);
    (vec![a, b, c, d_ticket], catalog)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.001
}

#[test]
fn stage_hours_and_the_pareto_view_match_the_hand_figures() {
    let (tickets, _) = history();
    let refs: Vec<&Ticket> = tickets.iter().collect();
    let rows = stages(&refs, at(23.0));
    let order: Vec<Stage> = rows.iter().map(|r| r.stage).collect();
    assert_eq!(
        order,
        [
            Stage::ReturnVisit,
            Stage::Intake,
            Stage::Report,
            Stage::Review,
            Stage::Approval,
            Stage::Reply,
            Stage::OnSite
        ]
    );
    let row = |s: Stage| rows.iter().find(|r| r.stage == s).unwrap();
    // Return visit: A 7, B 1, C 20.5 (open) = 28.5 of 67.5 hours.
    assert!(close(row(Stage::ReturnVisit).total_hours, 28.5));
    assert!(close(row(Stage::ReturnVisit).mean_hours, 9.5));
    assert!(close(row(Stage::ReturnVisit).median_hours, 7.0));
    assert!(close(row(Stage::ReturnVisit).share, 0.422));
    // Intake: A 2, B 10, C 0.5, D 1.5 (until merged) = 14; (28.5 + 14) / 67.5.
    assert_eq!(row(Stage::Intake).tickets, 4);
    assert!(close(row(Stage::Intake).mean_hours, 3.5));
    assert!(close(row(Stage::Intake).median_hours, 1.75));
    assert!(close(row(Stage::Intake).cumulative_share, 0.63));
    // Report: A 4, B 4 + 1 + 1 (open again after the reopen) = 6.
    assert_eq!(row(Stage::Report).tickets, 2);
    assert!(close(row(Stage::Report).mean_hours, 5.0));
    assert!(close(row(Stage::Review).total_hours, 4.0));
    assert!(close(row(Stage::OnSite).total_hours, 3.0));
    assert!(close(rows.last().unwrap().cumulative_share, 1.0));
}

#[test]
fn rates_and_groups_match_the_hand_figures() {
    let (tickets, catalog) = history();
    let refs: Vec<&Ticket> = tickets.iter().collect();
    let r = rates(&refs, &catalog, at(23.0));
    assert_eq!(r.tickets, 4);
    // Intake within limit: A 2 h ≤ 2 h, C 0.5 h ≤ 8 h, D 1.5 h ≤ 2 h; B 10 h > 8 h.
    assert_eq!(r.response_rate, Some(0.75));
    // Answered: A and C of A, B, C (D was merged); B was reopened and has no reply now.
    assert_eq!(r.resolution_rate, Some(0.667));
    // Visits: A satisfied, B unsatisfied.
    assert_eq!(r.satisfaction_rate, Some(0.5));
    // Reports that reached review: A (no return), B (one return).
    assert_eq!(r.rework_rate, Some(0.5));

    let cats = by_category(&refs, at(23.0));
    let cat = |k: &str| cats.iter().find(|g| g.key == k).unwrap();
    // A 13 h; D was merged, never replied, and is left out (else (13 + 23) / 2).
    assert_eq!(
        (cat("counterfeit").tickets, cat("counterfeit").handled),
        (2, 1)
    );
    assert!(close(cat("counterfeit").mean_handling_hours, 13.0));
    assert!(close(cat("counterfeit").median_handling_hours, 13.0));
    assert_eq!(cat("counterfeit").satisfaction_rate, Some(1.0));
    assert!(
        close(cat("late_delivery").mean_handling_hours, 23.0),
        "reopened: counted to now"
    );
    assert_eq!(cat("late_delivery").returns, 1);
    assert_eq!(cat("late_delivery").satisfaction_rate, Some(0.0));
    assert!(close(cat("order_consultation").mean_handling_hours, 2.5));
    assert_eq!(cat("order_consultation").satisfaction_rate, None);
    let teams = by_team(&refs, at(23.0));
    // Only A had a squad: T-1, answered after 13 h, satisfied, never returned.
    assert_eq!(teams.len(), 1);
    let team = &teams[0];
    assert_eq!(team.key, "T-1");
    assert_eq!((team.tickets, team.handled, team.returns), (1, 1, 0));
    assert!(close(team.mean_handling_hours, 13.0));
    assert!(close(team.median_handling_hours, 13.0));
    assert_eq!(team.satisfaction_rate, Some(1.0));
    let depts = by_department(&refs, at(23.0));
    let dept = |k: &str| depts.iter().find(|g| g.key == k).unwrap();
    assert_eq!(dept("marketing").tickets, 1);
    assert_eq!(dept("logistics").tickets, 1);
    assert_eq!(dept("enforcement").tickets, 2);
    assert_eq!(dept("enforcement").handled, 1);
    assert!(close(dept("enforcement").mean_handling_hours, 13.0));
}

#[test]
fn what_is_still_open_counts_up_to_the_end_of_the_period() {
    let (tickets, _) = history();
    let refs: Vec<&Ticket> = tickets.iter().collect();
    // A period ending at 22.5: C's open return visit counts 2.5 → 22.5 = 20 h, B's open
    // report (since 22) 0.5 h.
    let rows = stages(&refs, at(22.5));
    let row = |s: Stage| rows.iter().find(|r| r.stage == s).unwrap();
    assert!(close(row(Stage::ReturnVisit).total_hours, 28.0));
    assert!(close(row(Stage::Report).total_hours, 9.5));
    // B, reopened and unanswered, counts intake to 22.5.
    let cats = by_category(&refs, at(22.5));
    let b = cats.iter().find(|g| g.key == "late_delivery").unwrap();
    assert!(close(b.mean_handling_hours, 22.5));
    // As of 21.5 B's reopened report had not begun: A 4 + B 4 + 1.
    let rows = stages(&refs, at(21.5));
    let report = rows.iter().find(|r| r.stage == Stage::Report).unwrap();
    assert!(close(report.total_hours, 9.0));
}

#[test]
fn a_ticket_still_in_intake_counts_as_a_miss_once_past_its_limit() {
    let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
    // G, a consultation (grade IV, 8 h): triaged to a direct answer at 1, a response.
    let mut g = new_ticket("order_consultation", Kind::Consultation, &catalog);
    let triage = Command::Triage(steps::Triage::default());
    run(&mut g, vec![(1.0, who(Role::Dispatcher), triage)], &catalog);
    // E, counterfeit (grade II, 2 h), untouched since intake at 0.
    let e = new_ticket("counterfeit", Kind::Report, &catalog);
    let refs = [&g, &e];
    // Within its limit E is not counted yet: 1 of 1.
    assert_eq!(rates(&refs, &catalog, at(1.5)).response_rate, Some(1.0));
    assert_eq!(rates(&refs, &catalog, at(2.0)).response_rate, Some(1.0));
    // Past it, a miss: 1 of 2.
    assert_eq!(rates(&refs, &catalog, at(2.5)).response_rate, Some(0.5));
    assert_eq!(rates(&[&e], &catalog, at(1.0)).response_rate, None);
}

/// Triages the ticket as it is and sends a vehicle at `h`: the ticket leaves intake.
fn dispatch_at(t: &mut Ticket, h: f64, catalog: &Catalog) {
    let triage = Command::Triage(steps::Triage::default());
    let dispatch = Command::Dispatch(steps::Dispatch {
        vehicle: "V-1".parse().unwrap(),
        team: "T-1".parse::<TeamId>().unwrap(),
        crew: vec![],
    });
    let d = || who(Role::Dispatcher);
    run(t, vec![(h, d(), triage), (h, d(), dispatch)], catalog);
}

#[test]
fn the_response_rate_judges_intake_by_the_deadline_the_ticket_kept() {
    let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
    // Counterfeit, grade II: intake has 2 h. F leaves intake at 1.5; E is still in it.
    let mut f = new_ticket("counterfeit", Kind::Report, &catalog);
    dispatch_at(&mut f, 1.5, &catalog);
    let e = new_ticket("counterfeit", Kind::Report, &catalog);
    assert_eq!(f.stages[0].due_at, Some(at(2.0)), "kept after intake ended");
    assert_eq!(e.stages[0].due_at, Some(at(2.0)));
    // The guide is edited afterwards to give grade II one hour: the tickets keep theirs.
    let edited = Catalog::from_toml(
        &BUILTIN_CATALOG.replacen("intake = 2.0", "intake = 1.0", 1),
        "catalog.toml",
    )
    .unwrap();
    assert_eq!(
        edited.stage_limit(Urgency::II, Stage::Intake),
        Some(Duration::hours(1))
    );
    let refs = [&f, &e];
    // F answered within its 2 h; E, at 1.5, is not past its deadline yet.
    assert_eq!(rates(&refs, &edited, at(1.5)).response_rate, Some(1.0));
    assert_eq!(rates(&refs, &edited, at(2.5)).response_rate, Some(0.5));
    // A snapshot from before deadlines were kept is judged by the guide as it is.
    let mut old = f.clone();
    old.stages[0].due_at = None;
    assert_eq!(rates(&[&old], &edited, at(3.0)).response_rate, Some(0.0));
    assert_eq!(rates(&[&old], &catalog, at(3.0)).response_rate, Some(1.0));
}

#[test]
fn intake_runs_from_the_platforms_receipt_not_from_a_late_registration() {
    let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
    // Received at 0, forwarded to the engine at 1.5, sent out at 2.5: 2.5 h in intake
    // against 2 h, a miss (counted from registration it would look like 1 h).
    let mut late = forwarded("counterfeit", Kind::Report, &catalog, 0.0, 1.5);
    assert_eq!(late.stages[0].entered_at, at(0.0));
    assert_eq!(late.sla.stage_due_at, Some(at(2.0)));
    dispatch_at(&mut late, 2.5, &catalog);
    assert_eq!(rates(&[&late], &catalog, at(3.0)).response_rate, Some(0.0));
    let rows = stages(&[&late], at(3.0));
    let intake = rows.iter().find(|r| r.stage == Stage::Intake).unwrap();
    assert!(close(intake.total_hours, 2.5));
    // A platform clock a little ahead: received, and so both clocks start, at registration.
    let ahead = forwarded("counterfeit", Kind::Report, &catalog, 1.05, 1.0);
    assert_eq!(ahead.stages[0].entered_at, at(1.0));
    assert_eq!(ahead.received_at, at(1.0));
}

#[test]
fn returns_are_charged_to_the_writer_the_crew_the_category_and_the_reasons() {
    use crate::domain::ticket::{EventKind, EventRecord, ReturnReason};
    let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
    let t1 = TicketId::generate();
    let t2 = TicketId::generate();
    let writer = |s: &str| Principal::new(Role::Field, Some(Subject::Staff(s.parse().unwrap())));
    let ev = |id: u64, ticket: TicketId, by: Principal, kind: EventKind| EventRecord {
        event_id: id,
        ticket_id: ticket,
        number: TicketNumber::new("WX", 2026, 1),
        seq: id,
        at: at(id as f64),
        by,
        status: Status::InReview,
        from_status: None,
        deadlines: None,
        kind,
    };
    let submitted = || EventKind::ReportSubmitted {
        sections: BTreeMap::new(),
        evidence: vec![],
        version: 1,
    };
    let events = vec![
        ev(1, t1, writer("S-1"), submitted()),
        // Two codes in one return, and the old plain-text form (read as `other`).
        ev(
            2,
            t1,
            who(Role::Dispatcher),
            EventKind::Reviewed {
                decision: ReviewDecision::Return,
                reasons: vec![
                    ReturnReason::new("missing_evidence", Some("缺少证据照片".into())),
                    ReturnReason::new("facts_unclear", None),
                ],
            },
        ),
        ev(3, t1, writer("S-1"), submitted()),
        ev(
            4,
            t1,
            who(Role::Supervisor),
            EventKind::ApprovalDecided {
                decision: ApprovalDecision::ReturnToReporting,
                reasons: vec!["缺少证据照片".into()],
            },
        ),
        ev(5, t2, writer("S-2"), submitted()),
        ev(
            6,
            t2,
            who(Role::Dispatcher),
            EventKind::Reviewed {
                decision: ReviewDecision::Pass,
                reasons: vec![],
            },
        ),
    ];
    let facts = |id: &TicketId| {
        Some(if *id == t1 {
            TicketFacts {
                category: Some("counterfeit".into()),
                staff: vec!["S-1".parse().unwrap(), "S-3".parse().unwrap()],
            }
        } else {
            TicketFacts {
                category: Some("late_delivery".into()),
                staff: vec![],
            }
        })
    };
    let r = returns(&events, facts, &catalog, None);
    assert_eq!((r.reports, r.returns), (3, 2));
    let h = |k: &str| r.by_handler.iter().find(|x| x.key == k).unwrap().clone();
    assert_eq!((h("staff:S-1").reports, h("staff:S-1").returns), (2, 2));
    assert_eq!(h("staff:S-1").return_rate, Some(1.0));
    assert_eq!(h("staff:S-1").reasons.get("missing_evidence"), Some(&1));
    assert_eq!(h("staff:S-1").reasons.get("other"), Some(&1));
    assert_eq!((h("staff:S-2").reports, h("staff:S-2").returns), (1, 0));
    // The crew of the ticket: S-3 wrote nothing but shares the returns.
    let s = |k: &str| r.by_staff.iter().find(|x| x.key == k).unwrap().clone();
    assert_eq!((s("S-3").reports, s("S-3").returns), (2, 2));
    assert!(!r.by_staff.iter().any(|x| x.key == "S-2"));
    let c = |k: &str| r.by_category.iter().find(|x| x.key == k).unwrap().clone();
    assert_eq!(c("counterfeit").returns, 2);
    assert_eq!(c("counterfeit").reasons.get("facts_unclear"), Some(&1));
    assert_eq!(c("late_delivery").return_rate, Some(0.0));
    // Every code of the guide is listed, in its order, with its count.
    let codes: Vec<&str> = r.by_reason.iter().map(|x| x.code.as_str()).collect();
    assert_eq!(codes, catalog.return_reason_codes());
    let n = |k: &str| r.by_reason.iter().find(|x| x.code == k).unwrap().returns;
    assert_eq!(
        (
            n("missing_evidence"),
            n("facts_unclear"),
            n("other"),
            n("format")
        ),
        (1, 1, 1, 0)
    );
    assert_eq!(r.notes, vec![("缺少证据照片".to_owned(), 2)]);

    // Only the returns that gave one reason.
    let only = returns(&events, facts, &catalog, Some("facts_unclear"));
    assert_eq!((only.reports, only.returns), (3, 1));
    assert_eq!(
        only.by_handler
            .iter()
            .find(|x| x.key == "staff:S-1")
            .unwrap()
            .returns,
        1
    );
}
