//! Each group step, its rules, and what it leaves behind.

use super::*;
use crate::domain::ticket::steps as ticket_steps;

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
    let report = Command::SubmitReport(ticket_steps::SubmitReport {
        sections: catalog()
            .get("counterfeit")
            .unwrap()
            .report_sections
            .iter()
            .map(|s| (s.clone(), "写明".to_owned()))
            .collect(),
        evidence: all_evidence(),
    });
    let author = t.group_lead().map_or_else(
        || vehicle_token(1),
        |l| Principal::new(Role::Field, Some(Subject::Staff(l.clone()))),
    );
    run(t, report, &author);
    let review = Command::Review(ticket_steps::Review {
        decision: crate::domain::ticket::ReviewDecision::Pass,
        reasons: vec![],
    });
    run(t, review, &dispatcher());
    let approve = Command::Approve(ticket_steps::Approve {
        decision: crate::domain::ticket::ApprovalDecision::Approve,
        reasons: vec![],
    });
    run(t, approve, &supervisor());
    run(
        t,
        Command::Reply(ticket_steps::Reply {
            text: "已处理".into(),
        }),
        &dispatcher(),
    );
    run(
        t,
        Command::Archive(ticket_steps::Archive { note: None }),
        &dispatcher(),
    );
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
            sha256: None,
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
    let report = Command::SubmitReport(ticket_steps::SubmitReport {
        sections: BTreeMap::from([("facts".to_owned(), "写明".to_owned())]),
        evidence: all_evidence(),
    });
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
            deadlines: None,
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
