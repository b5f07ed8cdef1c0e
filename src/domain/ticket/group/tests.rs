//! Unit and property tests of collaboration groups: forming, chat, tasks, membership,
//! dissolution, the lead-only report, reading rights, the stored shape, and the automatic
//! membership plan.
#![allow(clippy::unwrap_used, reason = "tests")]

use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::plan::{DEFAULT_ASSIST_TASK, ShopContacts, plan};
use super::*;
use crate::domain::catalog::{BUILTIN_CATALOG, Catalog, Kind};
use crate::domain::ids::{TeamId, TicketId, TicketNumber, VehicleId};
use crate::domain::registry::{Staff, StaffRole, Team};
use crate::domain::role::{Principal, Subject};
use crate::domain::ticket::{
    Command, EventKind, EventRecord, Evidence, Location, NewTicket, Rejection, Source, Status,
};

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap())
}

fn at(minutes: i64) -> Timestamp {
    Timestamp::parse("2026-11-27T08:00:00Z").unwrap() + time::Duration::minutes(minutes)
}

fn s(n: u32) -> StaffId {
    format!("S-{n}").parse().unwrap()
}

fn v(n: u32) -> VehicleId {
    format!("V-{n}").parse().unwrap()
}

fn dispatcher() -> Principal {
    Principal::new(Role::Dispatcher, None)
}

fn supervisor() -> Principal {
    Principal::new(Role::Supervisor, None)
}

fn staff_token(n: u32) -> Principal {
    Principal::new(Role::Field, Some(Subject::Staff(s(n))))
}

fn vehicle_token(n: u32) -> Principal {
    Principal::new(Role::Field, Some(Subject::Vehicle(v(n))))
}

/// Runs `command`; it must be accepted.
fn run(t: &mut Ticket, command: Command, by: &Principal) -> EventKind {
    let at = t.updated_at + time::Duration::minutes(1);
    t.execute(&command, by, catalog(), at)
        .unwrap_or_else(|e| panic!("{command:?} by {by:?} refused: {e}"))
        .kind
}

/// Runs `command`; it must be refused and change nothing.
fn refuse(t: &Ticket, command: Command, by: &Principal) -> Rejection {
    let mut copy = t.clone();
    let err = copy
        .execute(&command, by, catalog(), at(500))
        .expect_err("refused");
    assert_eq!(&copy, t, "a refused command changed the ticket");
    err
}

fn code(r: &Rejection) -> &'static str {
    match r {
        Rejection::Rule { code, .. }
        | Rejection::Denied { code, .. }
        | Rejection::Conflict { code, .. } => code,
        Rejection::Forbidden { .. } => "forbidden",
        Rejection::NotAssigned => "not_assigned",
        Rejection::IllegalTransition { .. } => "illegal_transition",
    }
}

/// A counterfeit report, triaged and sent to V-1 with S-1 and S-2 aboard, now being written.
fn reporting() -> Ticket {
    let new = NewTicket {
        source: Source::Hotline,
        external_id: None,
        kind: Kind::Report,
        category: Some("counterfeit".into()),
        urgency: None,
        description: "某店销售假烟".into(),
        reporter: None,
        location: Location::default(),
        received_at: None,
        possible_duplicate_of: None,
        retailer_candidates: Vec::new(),
        suggestion: None,
    };
    let id = TicketId::from_bytes([7; 16]);
    let (mut t, _) =
        Ticket::receive(new, id, TicketNumber::new("WX", 2026, 1), catalog(), at(0)).unwrap();
    let triage = Command::Triage {
        category: None,
        urgency: None,
        position: None,
        address_text: None,
        retailer_licence: None,
    };
    run(&mut t, triage, &dispatcher());
    let dispatch = Command::Dispatch {
        vehicle: v(1),
        team: "T-1".parse().unwrap(),
        crew: vec![s(1), s(2)],
    };
    run(&mut t, dispatch, &dispatcher());
    run(&mut t, Command::Arrive, &vehicle_token(1));
    let onsite = Command::RecordOnsite {
        findings: "查获假烟".into(),
        actions: "登记保存".into(),
        evidence: Vec::new(),
    };
    run(&mut t, onsite, &vehicle_token(1));
    assert_eq!(t.status, Status::Reporting);
    t
}

fn member(n: u32, role: MemberRole, department: Department) -> NewMember {
    NewMember {
        staff_id: s(n),
        role,
        department,
        task: format!("任务{n}"),
    }
}

fn lead(n: u32) -> NewMember {
    member(n, MemberRole::Lead, Department::Enforcement)
}

fn assist(n: u32) -> NewMember {
    member(n, MemberRole::Assist, Department::Logistics)
}

fn form(members: Vec<NewMember>) -> Command {
    Command::Group(GroupCommand::Form {
        members,
        auto: false,
    })
}

fn post(text: &str, acting_for: &[u32]) -> Command {
    Command::Group(GroupCommand::Post {
        text: text.into(),
        acting_for: acting_for.iter().map(|&n| s(n)).collect(),
    })
}

fn complete(task_id: u32, acting_for: &[u32]) -> Command {
    Command::Group(GroupCommand::CompleteTask {
        task_id,
        note: Some("已完成".into()),
        acting_for: acting_for.iter().map(|&n| s(n)).collect(),
    })
}

fn change(add: Vec<NewMember>, remove: &[u32], lead: Option<u32>) -> Command {
    Command::Group(GroupCommand::ChangeMembers {
        add,
        remove: remove.iter().map(|&n| s(n)).collect(),
        lead: lead.map(s),
        reason: None,
    })
}

fn dissolve() -> Command {
    Command::Group(GroupCommand::Dissolve {
        reason: "处置完毕".into(),
        on_close: false,
    })
}

/// A reporting ticket with S-1 leading and S-7 (logistics, not aboard V-1) assisting.
fn grouped() -> Ticket {
    let mut t = reporting();
    run(&mut t, form(vec![lead(1), assist(7)]), &dispatcher());
    t
}

#[test]
fn a_dispatcher_forms_a_group_without_moving_the_ticket() {
    let mut t = reporting();
    let kind = run(&mut t, form(vec![assist(7), lead(1)]), &dispatcher());
    let EventKind::GroupFormed(e) = kind else {
        panic!("not group.formed")
    };
    assert_eq!((e.generation, e.auto, &e.lead), (1, false, &s(1)));
    assert_eq!(t.status, Status::Reporting);
    let g = t.active_group().unwrap();
    assert_eq!(g.members.len(), 2);
    assert_eq!(
        g.members.iter().map(|m| m.task.id).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(g.next_task_id, 3);
    assert_eq!(t.group_member_ids(), [s(7), s(1)]);
    assert_eq!(t.group_lead(), Some(&s(1)));
}

#[test]
fn forming_checks_every_rule_and_changes_nothing_when_refused() {
    let t = reporting();
    let d = dispatcher();
    let cases: Vec<(Vec<NewMember>, &str)> = vec![
        (vec![], "members_required"),
        (vec![assist(7)], "lead_required"),
        (vec![lead(1), lead(2)], "one_lead"),
        (vec![lead(1), assist(1)], "duplicate_member"),
        ((1..=13).map(assist).collect(), "too_many_members"),
    ];
    for (members, expected) in cases {
        assert_eq!(code(&refuse(&t, form(members), &d)), expected);
    }
    let mut blank = assist(7);
    blank.task = "  ".into();
    assert_eq!(
        code(&refuse(&t, form(vec![lead(1), blank]), &d)),
        "task_required"
    );
    let mut long = assist(7);
    long.task = "字".repeat(MAX_TASK_CHARS + 1);
    assert_eq!(code(&refuse(&t, form(vec![lead(1), long]), &d)), "too_long");
    for who in [staff_token(1), supervisor(), vehicle_token(1)] {
        assert_eq!(
            code(&refuse(&t, form(vec![lead(1), assist(7)]), &who)),
            "forbidden"
        );
    }
    let g = grouped();
    assert_eq!(
        code(&refuse(&g, form(vec![lead(2), assist(7)]), &d)),
        "group_active"
    );
}

#[test]
fn members_post_through_their_own_token_or_a_vehicle_carrying_them() {
    let mut t = grouped();
    // S-7's own token; V-1 (the ticket's vehicle, S-1 aboard) writes as the lead; V-9 carries
    // S-7 by the roster; a dispatcher and a supervisor write as the command centre.
    let writers = [
        (staff_token(7), vec![], Some(s(7))),
        (vehicle_token(1), vec![], Some(s(1))),
        (vehicle_token(9), vec![7], Some(s(7))),
        (dispatcher(), vec![], None),
        (supervisor(), vec![], None),
    ];
    for (i, (who, acting, author)) in writers.into_iter().enumerate() {
        let EventKind::GroupMessage(m) = run(&mut t, post("到场了", &acting), &who) else {
            panic!("not group.message")
        };
        assert_eq!(m.author, author, "writer {i}");
        assert_eq!(m.message_no, i as u32 + 1);
    }
    let g = t.active_group().unwrap();
    assert_eq!(g.messages, 5);
    assert_eq!(g.last_message_at, Some(t.updated_at));
    assert_eq!(t.status, Status::Reporting);
}

#[test]
fn outsiders_and_bad_messages_are_refused() {
    let t = grouped();
    // S-2 rides V-1 but is not a member: its own token may not post.
    assert_eq!(
        code(&refuse(&t, post("hi", &[]), &staff_token(2))),
        "not_group_member"
    );
    // A staff token cannot claim to speak for someone else.
    assert_eq!(
        code(&refuse(&t, post("hi", &[7]), &staff_token(3))),
        "not_group_member"
    );
    assert_eq!(
        code(&refuse(&t, post("hi", &[3]), &vehicle_token(9))),
        "not_group_member"
    );
    assert_eq!(
        code(&refuse(&t, post(" ", &[]), &staff_token(7))),
        "text_required"
    );
    let long = "字".repeat(MAX_MESSAGE_CHARS + 1);
    assert_eq!(
        code(&refuse(&t, post(&long, &[]), &staff_token(7))),
        "too_long"
    );
    let no_group = reporting();
    assert_eq!(
        code(&refuse(&no_group, post("hi", &[]), &dispatcher())),
        "no_active_group"
    );
}

#[test]
fn only_the_task_holder_or_a_dispatcher_finishes_a_task() {
    let mut t = grouped();
    // Task 2 is S-7's.
    assert_eq!(
        code(&refuse(&t, complete(2, &[]), &staff_token(1))),
        "not_task_holder"
    );
    assert_eq!(
        code(&refuse(&t, complete(2, &[]), &supervisor())),
        "forbidden"
    );
    assert_eq!(
        code(&refuse(&t, complete(9, &[]), &staff_token(7))),
        "unknown_task"
    );
    let EventKind::GroupTaskDone(e) = run(&mut t, complete(2, &[7]), &vehicle_token(9)) else {
        panic!("not group.task_done")
    };
    assert_eq!(
        (e.task_id, &e.staff_id, &e.done_by),
        (2, &s(7), &Some(s(7)))
    );
    let task = &t.active_group().unwrap().member(&s(7)).unwrap().task;
    assert!(task.done);
    assert_eq!(task.done_at, Some(t.updated_at));
    assert_eq!(task.note.as_deref(), Some("已完成"));
    assert_eq!(
        code(&refuse(&t, complete(2, &[]), &dispatcher())),
        "task_done"
    );
    let EventKind::GroupTaskDone(e) = run(&mut t, complete(1, &[]), &dispatcher()) else {
        panic!("not group.task_done")
    };
    assert_eq!(e.done_by, None);
    assert_eq!(t.active_group().unwrap().progress(), (2, 2));
}

#[test]
fn membership_changes_keep_exactly_one_lead_and_never_reuse_task_ids() {
    let mut t = grouped();
    let d = dispatcher();
    let mkt = member(5, MemberRole::Assist, Department::Marketing);
    run(&mut t, change(vec![mkt], &[7], None), &d);
    let g = t.active_group().unwrap();
    assert_eq!(g.member_ids(), [s(1), s(5)]);
    assert_eq!(g.member(&s(5)).unwrap().task.id, 3, "task 2 left with S-7");
    // Hand the lead to S-5 and drop S-1 in one step.
    let EventKind::GroupMembersChanged(e) = run(&mut t, change(vec![], &[1], Some(5)), &d) else {
        panic!("not group.members_changed")
    };
    assert_eq!((&e.lead, &e.previous_lead), (&s(5), &Some(s(1))));
    let g = t.active_group().unwrap();
    assert_eq!(g.member_ids(), [s(5)]);
    assert_eq!(g.lead().unwrap().staff_id, s(5));
    // A newcomer added as lead takes over; the old lead assists.
    run(&mut t, change(vec![lead(8)], &[], None), &d);
    let g = t.active_group().unwrap();
    assert_eq!(g.lead().unwrap().staff_id, s(8));
    assert_eq!(g.member(&s(5)).unwrap().role, MemberRole::Assist);
    assert_eq!(g.member(&s(8)).unwrap().task.id, 4);
    assert_eq!(
        g.members
            .iter()
            .filter(|m| m.role == MemberRole::Lead)
            .count(),
        1
    );
}

#[test]
fn membership_change_rules() {
    let t = grouped();
    let d = dispatcher();
    let cases = [
        (change(vec![], &[], None), "nothing_to_change"),
        (change(vec![], &[1], None), "lead_required"),
        (change(vec![], &[], Some(9)), "lead_required"),
        (change(vec![], &[3], None), "not_a_member"),
        (change(vec![assist(7)], &[], None), "already_member"),
        (change(vec![assist(4)], &[4], None), "not_a_member"),
        (change(vec![assist(7)], &[7], None), "duplicate_member"),
        (change(vec![lead(3), lead(4)], &[], None), "one_lead"),
        (change(vec![lead(3)], &[], Some(7)), "one_lead"),
        (
            change((20..31).map(assist).collect(), &[], None),
            "too_many_members",
        ),
    ];
    for (command, expected) in cases {
        assert_eq!(code(&refuse(&t, command, &d)), expected);
    }
    assert_eq!(
        code(&refuse(
            &t,
            change(vec![assist(3)], &[], None),
            &staff_token(1)
        )),
        "forbidden"
    );
}

#[test]
fn a_dissolved_group_frees_its_members_and_a_new_one_may_form() {
    let mut t = grouped();
    run(&mut t, dissolve(), &dispatcher());
    assert!(t.active_group().is_none());
    assert!(t.group_member_ids().is_empty());
    let g = t.group.as_ref().unwrap();
    assert_eq!(
        g.member_ids(),
        [s(1), s(7)],
        "former members stay on record"
    );
    assert_eq!(g.dissolved_reason.as_deref(), Some("处置完毕"));
    for command in [post("hi", &[]), complete(1, &[]), dissolve()] {
        assert_eq!(code(&refuse(&t, command, &dispatcher())), "no_active_group");
    }
    let EventKind::GroupFormed(e) = run(&mut t, form(vec![lead(2), assist(7)]), &dispatcher())
    else {
        panic!("not group.formed")
    };
    assert_eq!(e.generation, 2);
    assert_eq!(t.group.as_ref().unwrap().messages, 0);
}

/// Takes a reporting ticket to `archived` (a reporter-less ticket needs no return visit).
fn archive(t: &mut Ticket) {
    let report = Command::SubmitReport {
        sections: catalog()
            .get("counterfeit")
            .unwrap()
            .report_sections
            .iter()
            .map(|s| (s.clone(), "写明".to_owned()))
            .collect(),
        evidence: all_evidence(),
    };
    let author = t.group_lead().map_or_else(
        || vehicle_token(1),
        |l| Principal::new(Role::Field, Some(Subject::Staff(l.clone()))),
    );
    run(t, report, &author);
    let review = Command::Review {
        decision: crate::domain::ticket::ReviewDecision::Pass,
        reasons: vec![],
    };
    run(t, review, &dispatcher());
    let approve = Command::Approve {
        decision: crate::domain::ticket::ApprovalDecision::Approve,
        reasons: vec![],
    };
    run(t, approve, &supervisor());
    run(
        t,
        Command::Reply {
            text: "已处理".into(),
        },
        &dispatcher(),
    );
    run(t, Command::Archive { note: None }, &dispatcher());
    assert_eq!(t.status, Status::Archived);
}

fn all_evidence() -> Vec<Evidence> {
    catalog()
        .get("counterfeit")
        .unwrap()
        .report_evidence
        .iter()
        .map(|k| Evidence {
            kind: k.clone(),
            reference: format!("att-{k}"),
            note: None,
        })
        .collect()
}

#[test]
fn a_closed_ticket_only_lets_its_group_be_dissolved() {
    let mut t = grouped();
    archive(&mut t);
    assert!(
        t.active_group().is_some(),
        "closing alone does not dissolve"
    );
    for command in [post("hi", &[]), complete(1, &[]), form(vec![lead(2)])] {
        assert_eq!(
            code(&refuse(&t, command, &dispatcher())),
            "illegal_transition"
        );
    }
    let on_close = Command::Group(GroupCommand::Dissolve {
        reason: "工单已归档".into(),
        on_close: true,
    });
    run(&mut t, on_close, &Principal::system());
    assert_eq!(t.status, Status::Archived);
    assert!(t.group.as_ref().unwrap().dissolved_on_close);
}

fn report_by(t: &Ticket, by: &Principal) -> Result<(), Rejection> {
    let report = Command::SubmitReport {
        sections: BTreeMap::from([("facts".to_owned(), "写明".to_owned())]),
        evidence: all_evidence(),
    };
    match t.decide(&report, by, catalog()) {
        // The lead got past the author checks to the template check.
        Err(Rejection::Rule {
            code: "report_incomplete",
            ..
        })
        | Ok(_) => Ok(()),
        Err(e) => Err(e),
    }
}

#[test]
fn while_a_group_is_active_only_its_lead_submits_the_report() {
    let t = grouped();
    // S-1 leads and rides V-1: its token and V-1's may submit.
    assert_eq!(report_by(&t, &staff_token(1)), Ok(()));
    assert_eq!(report_by(&t, &vehicle_token(1)), Ok(()));
    // S-2 is on V-1's crew but not the lead; S-7 assists; V-9 is not the ticket's vehicle.
    let err = report_by(&t, &staff_token(2)).unwrap_err();
    assert_eq!(code(&err), "not_group_lead");
    assert!(err.to_string().contains("S-1"), "{err}");
    assert_eq!(
        code(&report_by(&t, &staff_token(7)).unwrap_err()),
        "not_group_lead"
    );
    assert_eq!(
        code(&report_by(&t, &vehicle_token(9)).unwrap_err()),
        "not_assigned"
    );
    // The lead handed to S-7, who is not on any vehicle of the ticket: S-7's token may
    // submit, V-1 (S-1 and S-2 aboard) no longer.
    let mut t2 = t.clone();
    run(&mut t2, change(vec![], &[], Some(7)), &dispatcher());
    assert_eq!(report_by(&t2, &staff_token(7)), Ok(()));
    assert_eq!(
        code(&report_by(&t2, &vehicle_token(1)).unwrap_err()),
        "not_group_lead"
    );
    // Without a group, the crew submits as before.
    let mut t3 = t.clone();
    run(&mut t3, dissolve(), &dispatcher());
    assert_eq!(report_by(&t3, &staff_token(2)), Ok(()));
}

#[test]
fn members_of_the_active_group_may_read_the_ticket() {
    let mut t = grouped();
    assert!(t.visible_to(&staff_token(7)));
    assert!(!t.visible_to(&staff_token(8)));
    run(&mut t, dissolve(), &dispatcher());
    assert!(!t.visible_to(&staff_token(7)));
    assert!(t.visible_to(&staff_token(1)), "still on the vehicle's crew");
}

#[test]
fn group_events_keep_their_names_and_round_trip_through_the_store_shape() {
    let mut t = reporting();
    let mut kinds = vec![run(&mut t, form(vec![lead(1), assist(7)]), &dispatcher())];
    kinds.push(run(&mut t, post("你好", &[]), &staff_token(7)));
    kinds.push(run(&mut t, complete(2, &[]), &staff_token(7)));
    kinds.push(run(
        &mut t,
        change(vec![assist(3)], &[], None),
        &dispatcher(),
    ));
    kinds.push(run(&mut t, dissolve(), &dispatcher()));
    let names: Vec<&str> = kinds.iter().map(EventKind::name).collect();
    assert_eq!(
        names,
        [
            "group.formed",
            "group.message",
            "group.task_done",
            "group.members_changed",
            "group.dissolved"
        ]
    );
    for (i, kind) in kinds.into_iter().enumerate() {
        let record = EventRecord {
            event_id: i as u64 + 1,
            ticket_id: t.id,
            number: t.number.clone(),
            seq: 1,
            at: at(1),
            by: dispatcher(),
            status: Status::Reporting,
            from_status: Some(Status::Reporting),
            kind,
        };
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["type"], names[i]);
        let back: EventRecord = serde_json::from_value(json).unwrap();
        assert_eq!(back, record);
    }
    // Snapshots written before groups existed still load.
    let mut old = serde_json::to_value(reporting()).unwrap();
    old.as_object_mut().unwrap().remove("group");
    let loaded: Ticket = serde_json::from_value(old).unwrap();
    assert_eq!(loaded.group, None);
    let back: Ticket = serde_json::from_value(serde_json::to_value(&t).unwrap()).unwrap();
    assert_eq!(back, t);
}

// ---- property: random group steps by random principals --------------------------------

fn any_principal() -> impl Strategy<Value = Principal> {
    prop_oneof![
        Just(dispatcher()),
        Just(supervisor()),
        Just(Principal::system()),
        (1u32..=9).prop_map(staff_token),
        (1u32..=9).prop_map(vehicle_token),
    ]
}

fn any_member() -> impl Strategy<Value = NewMember> {
    (
        1u32..=9,
        any::<bool>(),
        0usize..3,
        prop_oneof![Just("任务"), Just(""), Just("  ")],
    )
        .prop_map(|(n, lead, d, task)| NewMember {
            staff_id: s(n),
            role: if lead {
                MemberRole::Lead
            } else {
                MemberRole::Assist
            },
            department: Department::ALL[d],
            task: if task == "任务" {
                format!("任务{n}")
            } else {
                task.into()
            },
        })
}

fn any_command() -> impl Strategy<Value = GroupCommand> {
    let ids = || proptest::collection::vec((1u32..=9).prop_map(s), 0..3);
    prop_oneof![
        (proptest::collection::vec(any_member(), 0..5), any::<bool>())
            .prop_map(|(members, auto)| GroupCommand::Form { members, auto }),
        (prop_oneof![Just("消息"), Just(" ")], ids()).prop_map(|(t, acting_for)| {
            GroupCommand::Post {
                text: t.into(),
                acting_for,
            }
        }),
        (0u32..8, ids()).prop_map(|(task_id, acting_for)| GroupCommand::CompleteTask {
            task_id,
            note: None,
            acting_for,
        }),
        (
            proptest::collection::vec(any_member(), 0..3),
            ids(),
            proptest::option::of((1u32..=9).prop_map(s))
        )
            .prop_map(|(add, remove, lead)| GroupCommand::ChangeMembers {
                add,
                remove,
                lead,
                reason: None,
            }),
        any::<bool>().prop_map(|on_close| GroupCommand::Dissolve {
            reason: "结束".into(),
            on_close,
        }),
    ]
}

#[test]
fn random_group_steps_keep_the_group_consistent() {
    let mut runner = TestRunner::new(Config {
        cases: 128,
        ..Config::default()
    });
    let steps = proptest::collection::vec((any_command(), any_principal()), 1..40);
    let base = reporting();
    runner
        .run(&steps, |steps| {
            let mut t = base.clone();
            let mut posts_this_generation = 0u32;
            for (i, (command, by)) in steps.into_iter().enumerate() {
                let before = t.clone();
                let command = Command::Group(command);
                match t.execute(&command, &by, catalog(), at(10 + i as i64)) {
                    Err(_) => prop_assert_eq!(&t, &before, "a refusal changed the ticket"),
                    Ok(d) => {
                        prop_assert_eq!(t.status, before.status, "group steps keep the status");
                        prop_assert_eq!(t.seq, before.seq + 1);
                        match d.kind {
                            EventKind::GroupFormed(_) => posts_this_generation = 0,
                            EventKind::GroupMessage(_) => posts_this_generation += 1,
                            _ => {}
                        }
                        if by.role == Role::Field {
                            prop_assert!(matches!(
                                d.kind,
                                EventKind::GroupMessage(_) | EventKind::GroupTaskDone(_)
                            ));
                        }
                    }
                }
                if let Some(g) = &t.group {
                    prop_assert_eq!(g.messages, posts_this_generation);
                    let leads = g
                        .members
                        .iter()
                        .filter(|m| m.role == MemberRole::Lead)
                        .count();
                    prop_assert_eq!(leads, 1, "exactly one lead");
                    prop_assert!((1..=MAX_MEMBERS).contains(&g.members.len()));
                    let ids: HashSet<&StaffId> = g.members.iter().map(|m| &m.staff_id).collect();
                    prop_assert_eq!(ids.len(), g.members.len(), "no member twice");
                    let tasks: HashSet<u32> = g.members.iter().map(|m| m.task.id).collect();
                    prop_assert_eq!(tasks.len(), g.members.len(), "task ids unique");
                    prop_assert!(tasks.iter().all(|&id| id < g.next_task_id));
                    prop_assert!(g.members.iter().all(|m| !m.task.text.trim().is_empty()));
                    prop_assert_eq!(t.group_member_ids().is_empty(), !g.is_active());
                }
            }
            Ok(())
        })
        .unwrap();
}

// ---- the automatic plan ----------------------------------------------------------------

fn person(n: u32, role: StaffRole, department: Department, team: &str) -> Staff {
    Staff {
        id: s(n),
        name: format!("员工{n}"),
        role,
        department,
        team_id: Some(team.parse::<TeamId>().unwrap()),
        badge: format!("B-{n}"),
        phone: None,
    }
}

fn squad(id: &str, department: Department, area: &str) -> Team {
    Team {
        id: id.parse().unwrap(),
        name: id.into(),
        department,
        area: Some(area.into()),
    }
}

fn roster() -> (Vec<Staff>, Vec<Team>) {
    use Department::*;
    use StaffRole::*;
    let staff = vec![
        person(1, Inspector, Enforcement, "T-1"),
        person(2, Inspector, Enforcement, "T-1"),
        person(3, Inspector, Enforcement, "T-2"),
        person(4, Dispatcher, Marketing, "T-3"),
        person(5, AccountManager, Marketing, "T-3"),
        person(6, AccountManager, Marketing, "T-3"),
        person(7, Driver, Logistics, "T-4"),
    ];
    let teams = vec![
        squad("T-1", Enforcement, "武穴街道"),
        squad("T-2", Enforcement, "梅川镇"),
        squad("T-3", Marketing, "武穴街道"),
        squad("T-4", Logistics, "刊江街道"),
    ];
    (staff, teams)
}

fn ids(p: &plan::Plan) -> Vec<(StaffId, MemberRole)> {
    p.members
        .iter()
        .map(|m| (m.staff_id.clone(), m.role))
        .collect()
}

#[test]
fn the_plan_prefers_the_crew_sent_then_the_shop_then_the_squad_covering_the_place() {
    let (staff, teams) = roster();
    let outflow = catalog().get("outflow").unwrap();
    // Sent: V-1 with S-2 aboard → S-2 leads; the shop's account manager S-6 assists.
    let t = reporting();
    let mut sent = t.clone();
    sent.assignment.crew = vec![s(4), s(2)];
    let shop = ShopContacts {
        market_inspector: Some(s(3)),
        account_manager: Some(s(6)),
        town: Some("梅川镇".into()),
    };
    let p = plan(&sent, outflow, &staff, &teams, &shop).unwrap();
    assert_eq!(
        ids(&p),
        [
            (s(2), MemberRole::Lead),
            (s(6), MemberRole::Assist),
            (s(7), MemberRole::Assist)
        ]
    );
    assert_eq!(
        p.members[0].task,
        outflow.group_tasks[&Department::Enforcement]
    );
    assert_eq!(
        p.members[2].task,
        outflow.group_tasks[&Department::Logistics]
    );
    assert!(p.unfilled.is_empty());
    // Nobody sent: the shop's inspector leads.
    let mut idle = t.clone();
    idle.assignment.crew.clear();
    idle.assignment.team_id = None;
    let p = plan(&idle, outflow, &staff, &teams, &shop).unwrap();
    assert_eq!(p.members[0].staff_id, s(3));
    // No registry record: the inspector of the squad covering the town (梅川镇 → T-2).
    let town_only = ShopContacts {
        town: Some("梅川镇".into()),
        ..ShopContacts::default()
    };
    let p = plan(&idle, outflow, &staff, &teams, &town_only).unwrap();
    assert_eq!(ids(&p)[0], (s(3), MemberRole::Lead));
    assert_eq!(
        ids(&p)[1],
        (s(5), MemberRole::Assist),
        "first account manager"
    );
    // Nothing known: the first squad's first inspector.
    let p = plan(&idle, outflow, &staff, &teams, &ShopContacts::default()).unwrap();
    assert_eq!(p.members[0].staff_id, s(1));
}

#[test]
fn the_plan_forms_nothing_without_assisting_departments_or_people() {
    let (staff, teams) = roster();
    let t = reporting();
    let none = ShopContacts::default();
    // Smuggling has no assisting department.
    assert_eq!(
        plan(
            &t,
            catalog().get("smuggled").unwrap(),
            &staff,
            &teams,
            &none
        ),
        None
    );
    // Counterfeit needs a driver: without one there is nobody to assist.
    let no_driver: Vec<Staff> = staff
        .iter()
        .filter(|p| p.role != StaffRole::Driver)
        .cloned()
        .collect();
    let counterfeit = catalog().get("counterfeit").unwrap();
    assert_eq!(plan(&t, counterfeit, &no_driver, &teams, &none), None);
    // Outflow without a driver still forms with marketing, and says logistics is unfilled.
    let p = plan(
        &t,
        catalog().get("outflow").unwrap(),
        &no_driver,
        &teams,
        &none,
    )
    .unwrap();
    assert_eq!(p.unfilled, [Department::Logistics]);
    // No inspector at all: no lead, no group.
    let no_lead: Vec<Staff> = staff
        .iter()
        .filter(|p| p.department != Department::Enforcement)
        .cloned()
        .collect();
    assert_eq!(plan(&t, counterfeit, &no_lead, &teams, &none), None);
}

#[test]
fn a_transferred_ticket_falls_back_to_default_task_wording() {
    let (staff, teams) = roster();
    let mut t = reporting();
    // Transferred to marketing: counterfeit's guide has no marketing task.
    t.department = Some(Department::Marketing);
    let counterfeit = catalog().get("counterfeit").unwrap();
    let p = plan(&t, counterfeit, &staff, &teams, &ShopContacts::default()).unwrap();
    assert_eq!(p.members[0].department, Department::Marketing);
    assert_eq!(p.members[0].task, plan::DEFAULT_LEAD_TASK);
    assert_eq!(
        p.members[1].task,
        counterfeit.group_tasks[&Department::Logistics]
    );
    assert_ne!(p.members[1].task, DEFAULT_ASSIST_TASK);
}

#[test]
fn the_guide_words_every_involved_departments_task() {
    for c in catalog().categories() {
        if c.assist_departments.is_empty() {
            continue;
        }
        assert!(c.group_tasks.contains_key(&c.lead_department), "{}", c.code);
        for d in &c.assist_departments {
            assert!(c.group_tasks.contains_key(d), "{} {d}", c.code);
        }
    }
    let broken = BUILTIN_CATALOG.replacen(
        "group_tasks = { enforcement = \"牵头现场检查",
        "group_tasks = { marketing = \"x\", enforcement = \"牵头现场检查",
        1,
    );
    let err = Catalog::from_toml(&broken, "catalog.toml").unwrap_err();
    assert!(err.to_string().contains("group_tasks"), "{err}");
    // Counterfeit's logistics task left out.
    let missing: Vec<String> = BUILTIN_CATALOG
        .lines()
        .map(|l| match l.split_once(", logistics = ") {
            Some((head, _)) if l.contains("牵头现场检查") => format!("{head} }}"),
            _ => l.to_owned(),
        })
        .collect();
    let err = Catalog::from_toml(&missing.join("\n"), "catalog.toml").unwrap_err();
    assert!(err.to_string().contains("`logistics`"), "{err}");
}
