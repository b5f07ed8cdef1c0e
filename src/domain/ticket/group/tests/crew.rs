//! The crew sent takes the lead of a group formed before it was sent.

use super::super::crew::CREW_LEAD_TASK;
use super::*;
use crate::domain::ticket::steps as ticket_steps;

const ENF: Department = Department::Enforcement;

fn person(n: u32, role: StaffRole, department: Department) -> Staff {
    Staff {
        id: s(n),
        name: format!("员工{n}"),
        role,
        department,
        team_id: None,
        badge: format!("B-{n}"),
        phone: None,
        service: Default::default(),
    }
}

/// Triaged counterfeit with a group led by S-3 (the shop's inspector, not aboard) and S-7
/// assisting, then V-1 sent with `crew`.
fn sent(crew: &[u32]) -> Ticket {
    let mut t = reporting();
    run(&mut t, form(vec![lead(3), assist(7)]), &dispatcher());
    t.assignment.crew = crew.iter().map(|&n| s(n)).collect();
    t
}

fn changed(kind: EventKind) -> GroupMembersChanged {
    match kind {
        EventKind::GroupMembersChanged(c) => c,
        other => panic!("not group.members_changed: {other:?}"),
    }
}

#[test]
fn the_crews_inspector_takes_the_lead_and_the_former_lead_assists_with_their_task() {
    let mut t = sent(&[2, 1]);
    // S-2 is an enforcement driver, S-1 an inspector: the field role goes first.
    let crew = [
        person(2, StaffRole::Driver, ENF),
        person(1, StaffRole::Inspector, ENF),
    ];
    let command = t.crew_takes_lead(&v(1), &crew).expect("a change");
    let c = changed(run(&mut t, Command::Group(command), &Principal::system()));
    assert_eq!(c.lead, s(1));
    assert_eq!(c.previous_lead, Some(s(3)));
    assert!(c.removed.is_empty());
    assert_eq!(c.added.len(), 1);
    assert_eq!(c.added[0].task, CREW_LEAD_TASK);
    assert!(c.reason.as_deref().is_some_and(|r| r.contains("V-1")));
    let g = t.active_group().unwrap();
    assert_eq!(g.lead().unwrap().staff_id, s(1));
    let former = g.member(&s(3)).unwrap();
    assert_eq!(former.role, MemberRole::Assist);
    assert_eq!(
        former.task.text, "任务3",
        "the former lead keeps their task"
    );
    // The vehicle's token speaks for the lead now; the former lead's own does not.
    let report = Command::SubmitReport(ticket_steps::SubmitReport {
        sections: BTreeMap::new(),
        evidence: Vec::new(),
    });
    assert_eq!(
        code(&refuse(&t, report.clone(), &vehicle_token(1))),
        "report_incomplete"
    );
    assert_eq!(code(&refuse(&t, report, &staff_token(3))), "not_group_lead");
    // Nothing more to change.
    assert_eq!(t.crew_takes_lead(&v(1), &crew), None);
}

#[test]
fn a_crew_member_already_in_the_group_leads_with_their_own_task() {
    let mut t = sent(&[7, 1]);
    let mut t2 = t.clone();
    // S-7 (logistics) is aboard but not of the lead department: S-1 leads.
    let crew = [
        person(7, StaffRole::Driver, Department::Logistics),
        person(1, StaffRole::Inspector, ENF),
    ];
    let command = t.crew_takes_lead(&v(1), &crew).expect("a change");
    let c = changed(run(&mut t, Command::Group(command), &Principal::system()));
    assert_eq!(c.lead, s(1));
    // An enforcement member already in the group and aboard keeps their task.
    run(
        &mut t2,
        change(vec![member(1, MemberRole::Assist, ENF)], &[], None),
        &dispatcher(),
    );
    let command = t2.crew_takes_lead(&v(1), &crew).expect("a change");
    let c = changed(run(&mut t2, Command::Group(command), &Principal::system()));
    assert!(c.added.is_empty());
    assert_eq!(c.lead, s(1));
    let lead = t2.active_group().unwrap().lead().unwrap();
    assert_eq!(lead.task.text, "任务1");
}

#[test]
fn nothing_changes_without_a_group_a_lead_department_crew_or_the_vehicle() {
    let crew = [person(1, StaffRole::Inspector, ENF)];
    // Another vehicle than the one sent.
    assert_eq!(sent(&[1]).crew_takes_lead(&v(2), &crew), None);
    // The lead is aboard already.
    let t = sent(&[3, 1]);
    assert_eq!(t.crew_takes_lead(&v(1), &crew), None);
    // Nobody aboard of the lead department, or only someone out of service.
    let t = sent(&[5]);
    let marketing = [person(5, StaffRole::AccountManager, Department::Marketing)];
    assert_eq!(t.crew_takes_lead(&v(1), &marketing), None);
    let mut out = person(1, StaffRole::Inspector, ENF);
    out.service.in_service = false;
    assert_eq!(sent(&[1]).crew_takes_lead(&v(1), &[out]), None);
    // No active group.
    assert_eq!(reporting().crew_takes_lead(&v(1), &crew), None);
}
