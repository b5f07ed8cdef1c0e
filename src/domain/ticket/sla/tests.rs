//! The two SLA clocks as pure rules: the total clock raises its own events and keeps a
//! ticket overdue across stages until the reply; deadlines stay as fixed when the guide
//! changes; snapshots and events from before deadlines and scopes were kept still read.
#![allow(clippy::unwrap_used, reason = "tests")]

use time::Duration;

use super::super::{Command, EventKind, Location, NewTicket, Source, Stage, Status, Ticket};
use super::{SlaLevel, SlaScope};
use crate::domain::catalog::{BUILTIN_CATALOG, Catalog, Kind, Urgency};
use crate::domain::clock::Timestamp;
use crate::domain::ids::{TeamId, TicketId, TicketNumber};
use crate::domain::role::Principal;
use crate::domain::ticket::steps;

fn guide(text: &str) -> Catalog {
    Catalog::from_toml(text, "config/catalog.toml").unwrap()
}

/// The shipped guide with one global limit changed: `key` of `[sla.<grade>]`.
fn guide_with(grade: &str, key: &str, hours: f64) -> Catalog {
    let head = format!("[sla.{grade}]\n");
    let start = BUILTIN_CATALOG.find(&head).unwrap();
    let line = BUILTIN_CATALOG[start..]
        .find(&format!("\n{key} = "))
        .unwrap()
        + start
        + 1;
    let end = BUILTIN_CATALOG[line..].find('\n').unwrap() + line;
    let text = format!(
        "{}{key} = {hours:.1}{}",
        &BUILTIN_CATALOG[..line],
        &BUILTIN_CATALOG[end..]
    );
    guide(&text)
}

fn at(hours: f64) -> Timestamp {
    Timestamp::parse("2026-03-02T08:00:00+08:00").unwrap() + Duration::seconds_f64(hours * 3600.0)
}

fn receive(category: &str, catalog: &Catalog) -> Ticket {
    let new = NewTicket {
        source: Source::Hotline,
        external_id: None,
        kind: Kind::Report,
        category: Some(category.into()),
        urgency: None,
        description: "梅川镇某店疑似销售假烟".into(),
        reporter: None,
        location: Location::default(),
        received_at: None,
        possible_duplicate_of: None,
        retailer_candidates: Vec::new(),
        suggestion: None,
    };
    let id = TicketId::from_bytes([0x11; 16]);
    let number = TicketNumber::new("WX", 2026, 1);
    Ticket::receive(new, id, number, catalog, at(0.0))
        .unwrap()
        .0
}

/// Runs `command` as the engine (which may take every step, the SLA flags included).
fn run(t: &mut Ticket, command: Command, catalog: &Catalog, hours: f64) -> EventKind {
    t.execute(&command, &Principal::system(), catalog, at(hours))
        .unwrap()
        .kind
}

fn flag(level: SlaLevel, scope: SlaScope, stage: Stage, hours: f64) -> Command {
    Command::FlagSla(steps::FlagSla {
        level,
        scope,
        stage,
        now: at(hours),
    })
}

fn triage() -> Command {
    Command::Triage(steps::Triage::default())
}

#[test]
fn the_total_clock_raises_its_own_events_and_stays_overdue_until_the_reply() {
    // Order consultations at grade IV: intake 4 h, reply 8 h, 24 h from intake to reply.
    let g = guide(BUILTIN_CATALOG);
    let mut t = receive("order_consultation", &g);
    assert_eq!(t.deadlines(&g).reply_due_at, Some(at(24.0)));
    let scopes: Vec<_> = t
        .sla_checkpoints(&g)
        .iter()
        .map(|c| (c.scope, c.level, c.at))
        .collect();
    assert_eq!(
        scopes,
        [
            (SlaScope::Stage, SlaLevel::Warning, at(3.2)),
            (SlaScope::Stage, SlaLevel::Overdue, at(4.0)),
            (SlaScope::Total, SlaLevel::Warning, at(19.2)),
            (SlaScope::Total, SlaLevel::Overdue, at(24.0)),
        ]
    );
    // Triage answers it directly: the reply stage has 8 h from 1 h.
    run(&mut t, triage(), &g, 1.0);
    assert_eq!(t.status, Status::Replying);
    assert_eq!(t.deadlines(&g).stage_due_at, Some(at(9.0)));
    run(
        &mut t,
        flag(SlaLevel::Overdue, SlaScope::Stage, Stage::Reply, 9.0),
        &g,
        9.0,
    );
    let event = run(
        &mut t,
        // The stage named does not matter to the total clock.
        flag(SlaLevel::Warning, SlaScope::Total, Stage::Intake, 19.5),
        &g,
        19.5,
    );
    assert_eq!(
        event,
        EventKind::SlaWarning {
            stage: Stage::Reply,
            due_at: at(24.0),
            scope: SlaScope::Total
        }
    );
    let by = Principal::system();
    let early = flag(SlaLevel::Overdue, SlaScope::Total, Stage::Reply, 23.0);
    assert!(t.execute(&early, &by, &g, at(23.0)).is_err(), "not due yet");
    run(
        &mut t,
        flag(SlaLevel::Overdue, SlaScope::Total, Stage::Reply, 24.0),
        &g,
        24.0,
    );
    assert!(t.is_overdue() && t.is_overdue_overall());
    assert_eq!(t.overdue_since(), Some(at(9.0)), "the earlier miss counts");
    assert!(t.sla_checkpoints(&g).is_empty(), "everything raised once");
    let again = flag(SlaLevel::Overdue, SlaScope::Total, Stage::Reply, 25.0);
    assert!(t.execute(&again, &by, &g, at(25.0)).is_err(), "raised once");

    run(
        &mut t,
        Command::Reply(steps::Reply {
            text: "已答复".into(),
        }),
        &g,
        25.0,
    );
    assert!(!t.is_overdue(), "the reply ends the total clock");
    assert_eq!(t.overdue_since(), None);
    assert!(t.sla.total.overdue, "the record that it was late stays");
}

#[test]
fn a_ticket_late_overall_stays_overdue_when_its_stage_changes() {
    // Grade II counterfeit: intake 2 h, on site 24 h, 72 h from intake to reply.
    let g = guide(BUILTIN_CATALOG);
    let mut t = receive("counterfeit", &g);
    run(
        &mut t,
        flag(SlaLevel::Overdue, SlaScope::Stage, Stage::Intake, 2.0),
        &g,
        2.0,
    );
    run(
        &mut t,
        flag(SlaLevel::Overdue, SlaScope::Total, Stage::Intake, 72.0),
        &g,
        72.0,
    );
    assert_eq!(t.overdue_since(), Some(at(2.0)));
    run(&mut t, triage(), &g, 73.0);
    run(
        &mut t,
        Command::Dispatch(steps::Dispatch {
            vehicle: "V-001".parse().unwrap(),
            team: "T-01".parse::<TeamId>().unwrap(),
            crew: Vec::new(),
        }),
        &g,
        73.0,
    );
    assert_eq!(t.stage(), Stage::OnSite);
    assert!(!t.sla.overdue && !t.sla.warned, "a new stage clock");
    assert_eq!(t.sla.stage_due_at, Some(at(97.0)));
    assert!(t.is_overdue(), "still late overall");
    assert_eq!(t.overdue_since(), Some(at(72.0)));
    let left: Vec<_> = t.sla_checkpoints(&g).iter().map(|c| c.scope).collect();
    assert_eq!(left, [SlaScope::Stage, SlaScope::Stage]);
}

#[test]
fn deadlines_stay_as_fixed_when_the_guide_changes_and_move_with_the_grade() {
    let before = guide(BUILTIN_CATALOG);
    let mut t = receive("counterfeit", &before);
    assert_eq!(t.sla.stage_due_at, Some(at(2.0)));
    assert_eq!(t.sla.total.due_at, Some(at(72.0)));
    // The guide is edited (intake 4 h, or 96 h in all): this ticket keeps its deadlines,
    // on the next event too.
    let longer_total = guide_with("II", "total", 96.0);
    let longer_intake = guide_with("II", "intake", 4.0);
    assert_eq!(
        longer_total.total_limit(Urgency::II),
        Some(Duration::hours(96))
    );
    assert_eq!(
        longer_intake.stage_limit(Urgency::II, Stage::Intake),
        Some(Duration::hours(4))
    );
    for g in [&longer_total, &longer_intake] {
        let d = t.deadlines(g);
        assert_eq!(
            (d.stage_due_at, d.reply_due_at),
            (Some(at(2.0)), Some(at(72.0)))
        );
        let due: Vec<_> = t.sla_checkpoints(g).iter().map(|c| c.at).collect();
        assert_eq!(due, [at(1.6), at(2.0), at(57.6), at(72.0)]);
    }
    run(&mut t, triage(), &longer_intake, 0.5);
    assert_eq!(t.deadlines(&longer_intake).stage_due_at, Some(at(2.0)));
    // A new grade is a new basis: the limits of grade I apply (intake 0.5 h, 24 h in all).
    run(
        &mut t,
        Command::Triage(steps::Triage {
            urgency: Some(Urgency::I),
            ..Default::default()
        }),
        &longer_intake,
        1.0,
    );
    let d = t.deadlines(&longer_intake);
    assert_eq!(
        (d.stage_due_at, d.reply_due_at),
        (Some(at(0.5)), Some(at(24.0)))
    );
}

#[test]
fn snapshots_and_events_from_before_deadlines_were_kept_still_read() {
    let g = guide(BUILTIN_CATALOG);
    let t = receive("counterfeit", &g);
    let mut json = serde_json::to_value(&t).unwrap();
    json["sla"] = serde_json::json!({ "warned": true, "overdue": false });
    let old: Ticket = serde_json::from_value(json).unwrap();
    assert_eq!(old.sla.stage_due_at, None);
    assert_eq!(old.sla.total.due_at, None);
    assert!(old.sla.warned);
    // Computed from the guide as it is, until the next event fixes them.
    let d = old.deadlines(&g);
    assert_eq!(
        (d.stage_due_at, d.reply_due_at),
        (Some(at(2.0)), Some(at(72.0)))
    );
    let mut next = old.clone();
    run(&mut next, triage(), &g, 0.5);
    assert_eq!(next.sla.stage_due_at, Some(at(2.0)));
    assert_eq!(next.sla.total.due_at, Some(at(72.0)));
    assert!(next.sla.warned, "the marks are kept");

    let event: EventKind = serde_json::from_value(serde_json::json!({
        "type": "sla.overdue", "stage": "intake", "due_at": "2026-03-02T02:00:00Z"
    }))
    .unwrap();
    assert_eq!(
        event,
        EventKind::SlaOverdue {
            stage: Stage::Intake,
            due_at: at(2.0),
            scope: SlaScope::Stage
        }
    );
    let wire = serde_json::to_value(&event).unwrap();
    assert_eq!(wire["scope"], "stage");
}

#[test]
fn a_regraded_ticket_is_judged_against_its_new_deadline() {
    let g = guide(BUILTIN_CATALOG);
    let mut t = receive("counterfeit", &g);
    let grade = |u: Urgency| {
        Command::Triage(steps::Triage {
            urgency: Some(u),
            ..Default::default()
        })
    };
    // Grade I: intake due at 0.5 h, missed.
    run(&mut t, grade(Urgency::I), &g, 0.1);
    assert_eq!(t.sla.stage_due_at, Some(at(0.5)));
    run(
        &mut t,
        flag(SlaLevel::Overdue, SlaScope::Stage, Stage::Intake, 0.6),
        &g,
        0.6,
    );
    assert!(t.is_overdue());
    // Lowered to II: intake due at 2 h, not missed; the clock is judged afresh.
    run(&mut t, grade(Urgency::II), &g, 0.7);
    assert_eq!(t.sla.stage_due_at, Some(at(2.0)));
    assert!(
        !t.sla.warned && !t.sla.overdue && !t.is_overdue(),
        "{:?}",
        t.sla
    );
    let due: Vec<_> = t.sla_checkpoints(&g).iter().map(|c| c.at).collect();
    assert!(due.contains(&at(1.6)) && due.contains(&at(2.0)), "{due:?}");
}
