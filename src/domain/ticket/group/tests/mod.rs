//! Unit and property tests of collaboration groups: forming, chat, tasks, membership,
//! dissolution, the lead-only report, reading rights, the stored shape (`steps`), random
//! step sequences (`property`), and the automatic membership plan (`plan`).
#![allow(clippy::unwrap_used, reason = "tests")]

mod crew;
mod plan;
mod property;
mod steps;
mod withdraw;

use std::collections::{BTreeMap, HashSet};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::plan::{DEFAULT_ASSIST_TASK, DEFAULT_LEAD_TASK, Plan, ShopContacts, plan};
use super::*;
use crate::domain::catalog::{BUILTIN_CATALOG, Catalog, Kind};
use crate::domain::ids::{TeamId, TicketId, TicketNumber, VehicleId};
use crate::domain::role::{Principal, Subject};
use crate::domain::roster::{Staff, StaffRole, Team};
use crate::domain::ticket::steps as ticket_steps;
use crate::domain::ticket::tests::commands::triage;
use crate::domain::ticket::tests::fixtures::{catalog, rejection_code as code};
use crate::domain::ticket::{
    Command, EventKind, EventRecord, Evidence, Location, NewTicket, Rejection, Source, Status,
};

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
    run(&mut t, triage(), &dispatcher());
    let dispatch = Command::Dispatch(ticket_steps::Dispatch {
        vehicle: v(1),
        team: "T-1".parse().unwrap(),
        crew: vec![s(1), s(2)],
    });
    run(&mut t, dispatch, &dispatcher());
    run(
        &mut t,
        Command::Arrive(ticket_steps::Arrive),
        &vehicle_token(1),
    );
    let onsite = Command::RecordOnsite(ticket_steps::RecordOnsite {
        findings: "查获假烟".into(),
        actions: "登记保存".into(),
        evidence: Vec::new(),
    });
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
