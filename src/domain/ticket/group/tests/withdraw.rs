//! A member taken out of service leaves the group; a lead hands the lead on.

use super::*;

fn withdraw(n: u32, crew: &[(u32, Department)], unavailable: &[u32]) -> Command {
    Command::Group(GroupCommand::Withdraw {
        staff: s(n),
        reason: format!("S-{n} was taken out of service"),
        crew: crew.iter().map(|&(c, d)| (s(c), d)).collect(),
        unavailable: unavailable.iter().map(|&u| s(u)).collect(),
    })
}

fn changed(kind: EventKind) -> GroupMembersChanged {
    match kind {
        EventKind::GroupMembersChanged(c) => c,
        other => panic!("not group.members_changed: {other:?}"),
    }
}

const ENF: Department = Department::Enforcement;
const MKT: Department = Department::Marketing;

#[test]
fn an_assisting_member_is_removed_and_the_lead_stays() {
    let mut t = grouped();
    let c = changed(run(&mut t, withdraw(7, &[], &[7]), &Principal::system()));
    assert_eq!(c.removed, [s(7)]);
    assert!(c.added.is_empty());
    assert_eq!((c.lead.clone(), c.previous_lead), (s(1), None));
    assert_eq!(c.reason.as_deref(), Some("S-7 was taken out of service"));
    assert_eq!(t.group_member_ids(), [s(1)]);
    assert_eq!(t.status, Status::Reporting);
}

#[test]
fn a_lead_hands_over_to_the_crew_aboard_who_takes_the_unfinished_task() {
    let mut t = grouped();
    // S-2 rode V-1 with S-1 and is of the lead department; S-5 (marketing) is not picked.
    let crew = [(5, MKT), (1, ENF), (2, ENF)];
    let c = changed(run(&mut t, withdraw(1, &crew, &[1]), &Principal::system()));
    assert_eq!(c.removed, [s(1)]);
    assert_eq!(c.lead, s(2));
    assert_eq!(c.previous_lead, Some(s(1)));
    assert_eq!(c.added.len(), 1);
    assert_eq!(c.added[0].staff_id, s(2));
    assert_eq!(c.added[0].role, MemberRole::Lead);
    assert_eq!(
        c.added[0].task, "任务1",
        "the old lead's task goes with the lead"
    );
    assert_eq!(c.added[0].task_id, 3, "a new task id, never reused");
    let g = t.active_group().unwrap();
    assert_eq!(g.lead().unwrap().staff_id, s(2));
    assert_eq!(t.group_member_ids(), [s(7), s(2)]);
}

#[test]
fn a_lead_whose_task_is_done_hands_over_with_the_lead_task() {
    let mut t = grouped();
    run(&mut t, complete(1, &[]), &dispatcher());
    let c = changed(run(
        &mut t,
        withdraw(1, &[(2, ENF)], &[1]),
        &Principal::system(),
    ));
    assert_eq!(c.added[0].task, DEFAULT_LEAD_TASK);
}

#[test]
fn without_crew_the_lead_goes_to_another_member_of_the_lead_department() {
    let mut t = reporting();
    let enf_assist = member(3, MemberRole::Assist, ENF);
    run(
        &mut t,
        form(vec![lead(1), assist(7), enf_assist]),
        &dispatcher(),
    );
    // The crew aboard is out of service too: skipped.
    let c = changed(run(
        &mut t,
        withdraw(1, &[(2, ENF)], &[1, 2]),
        &Principal::system(),
    ));
    assert_eq!((c.lead.clone(), c.previous_lead), (s(3), Some(s(1))));
    assert!(
        c.added.is_empty(),
        "an existing member keeps their own task"
    );
    assert_eq!(t.group_member_ids(), [s(7), s(3)]);
}

#[test]
fn with_nobody_to_take_over_the_lead_stays_and_nothing_changes() {
    let t = grouped();
    let r = refuse(&t, withdraw(1, &[], &[1]), &Principal::system());
    assert_eq!(code(&r), "no_successor");
    // A member of another department never leads in their place.
    let r = refuse(&t, withdraw(1, &[(5, MKT)], &[1]), &Principal::system());
    assert_eq!(code(&r), "no_successor");
}

#[test]
fn only_the_engine_withdraws_and_only_a_member() {
    let t = grouped();
    for who in [dispatcher(), supervisor(), staff_token(7), vehicle_token(1)] {
        assert_eq!(code(&refuse(&t, withdraw(7, &[], &[]), &who)), "forbidden");
    }
    assert_eq!(
        code(&refuse(&t, withdraw(4, &[], &[]), &Principal::system())),
        "not_a_member"
    );
    assert_eq!(
        code(&refuse(
            &reporting(),
            withdraw(7, &[], &[]),
            &Principal::system()
        )),
        "no_active_group"
    );
}
