//! The world the ticket tests run in: the shipped guide, fixed ids, principals, an intake,
//! complete reports and evidence. Shared by every theme file and by the group tests.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::domain::catalog::{BUILTIN_CATALOG, Catalog, Kind};
use crate::domain::clock::Timestamp;
use crate::domain::ids::{OfferId, StaffId, TeamId, TicketId, TicketNumber, VehicleId};
use crate::domain::role::{Principal, Role, Subject};
use crate::domain::ticket::{
    Evidence, Location, NewTicket, Rejection, Reporter, ReturnReason, Source, Ticket,
};

/// The shipped handling guide, parsed once.
pub(crate) fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        Catalog::from_toml(BUILTIN_CATALOG, "config/catalog.toml")
            .expect("the shipped guide is valid")
    })
}

/// The code a rejection is counted and compared by: a rule's own code, else its kind.
pub(crate) fn rejection_code(r: &Rejection) -> &'static str {
    match r {
        Rejection::Forbidden { .. } => "forbidden",
        Rejection::NotAssigned => "not_assigned",
        Rejection::IllegalTransition { .. } => "illegal_transition",
        Rejection::Rule { code, .. }
        | Rejection::Denied { code, .. }
        | Rejection::Conflict { code, .. } => code,
    }
}

/// The ticket under test.
pub(super) fn this_id() -> TicketId {
    TicketId::from_bytes([0x11; 16])
}

pub(super) fn this_number() -> TicketNumber {
    TicketNumber::new("WX", 2026, 1)
}

/// Another ticket: the original of a duplicate, or a duplicate absorbed.
pub(super) fn other_id() -> TicketId {
    TicketId::from_bytes([0x22; 16])
}

pub(super) fn other_number() -> TicketNumber {
    TicketNumber::new("WX", 2026, 2)
}

/// A third ticket, for a second duplicate or one named at intake.
pub(super) fn third_id() -> TicketId {
    TicketId::from_bytes([0x33; 16])
}

pub(super) fn vehicle(n: usize) -> VehicleId {
    format!("V-{n:03}").parse().expect("valid vehicle id")
}

/// The squad of vehicle `n`.
pub(super) fn team(n: usize) -> TeamId {
    format!("T-{n:02}").parse().expect("valid team id")
}

pub(super) fn offer_id(n: u64) -> OfferId {
    format!("00000000-0000-7000-8000-{n:012}")
        .parse()
        .expect("valid offer id")
}

pub(super) fn staff(n: usize) -> StaffId {
    format!("S-{n:03}").parse().expect("valid staff id")
}

/// When every ticket under test is received.
pub(super) fn start() -> Timestamp {
    Timestamp::parse("2026-03-02T08:00:00+08:00").expect("valid time")
}

pub(super) fn dispatcher() -> Principal {
    Principal::new(Role::Dispatcher, None)
}

pub(super) fn supervisor() -> Principal {
    Principal::new(Role::Supervisor, None)
}

/// The engine itself, which may take every step.
pub(super) fn engine() -> Principal {
    Principal::system()
}

pub(super) fn field_vehicle(v: &VehicleId) -> Principal {
    Principal::new(Role::Field, Some(Subject::Vehicle(v.clone())))
}

pub(super) fn field_staff(s: &StaffId) -> Principal {
    Principal::new(Role::Field, Some(Subject::Staff(s.clone())))
}

/// The device of vehicle `n`.
pub(super) fn vehicle_token(n: usize) -> Principal {
    field_vehicle(&vehicle(n))
}

/// The device bound to staff member `n`.
pub(super) fn staff_token(n: usize) -> Principal {
    field_staff(&staff(n))
}

/// A principal of `role` bound to nobody.
pub(super) fn as_role(role: Role) -> Principal {
    Principal::new(role, None)
}

/// A reporter the centre can call back, so a return visit is due.
pub(super) fn reachable_reporter() -> Reporter {
    Reporter {
        name: Some("王先生".into()),
        phone: Some("13800000000".into()),
        address: None,
        anonymous: false,
    }
}

pub(super) fn new_ticket(category: &str) -> NewTicket {
    NewTicket {
        source: Source::Hotline,
        external_id: Some("12313-0001".into()),
        kind: Kind::Report,
        category: Some(category.into()),
        urgency: None,
        description: "梅川镇某店疑似销售假烟".into(),
        reporter: Some(reachable_reporter()),
        location: Location::default(),
        received_at: None,
        possible_duplicate_of: None,
        retailer_candidates: Vec::new(),
        suggestion: None,
    }
}

/// The sections a complete report of `code` fills.
pub(super) fn complete_sections(code: &str) -> BTreeMap<String, String> {
    catalog()
        .get(code)
        .map(|c| {
            c.report_sections
                .iter()
                .map(|s| (s.clone(), format!("{s}：已写明")))
                .collect()
        })
        .unwrap_or_default()
}

/// One piece of every evidence kind any category requires.
pub(super) fn all_evidence() -> Vec<Evidence> {
    let mut kinds: Vec<String> = catalog()
        .categories()
        .iter()
        .flat_map(|c| c.report_evidence.clone())
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
        .into_iter()
        .map(|kind| Evidence {
            reference: format!("att-{kind}"),
            kind,
            note: None,
            sha256: None,
        })
        .collect()
}

pub(super) fn photo() -> Evidence {
    Evidence {
        kind: "photo".into(),
        reference: "att-001".into(),
        note: None,
        sha256: None,
    }
}

/// Return reasons as the old plain-text form sends them.
pub(super) fn reasons(items: &[&str]) -> Vec<ReturnReason> {
    items.iter().map(|s| ReturnReason::from(*s)).collect()
}

/// `rejection` is the rule `expected`.
pub(super) fn assert_rule(rejection: &Rejection, expected: &str) {
    match rejection {
        Rejection::Rule { code, .. } => assert_eq!(*code, expected, "{rejection}"),
        other => panic!("expected the rule `{expected}`, got {other:?}"),
    }
}

/// Stage spans are contiguous, one per stage change, and the last is the open current one.
pub(super) fn assert_spans_well_formed(t: &Ticket) {
    let (last, earlier) = t.stages.split_last().expect("at least the intake span");
    assert_eq!(last.stage, t.stage());
    assert_eq!(last.exited_at, None);
    for pair in t.stages.windows(2) {
        assert_eq!(pair[0].exited_at, Some(pair[1].entered_at));
        assert_ne!(pair[0].stage, pair[1].stage);
    }
    for span in earlier {
        assert!(span.exited_at.is_some_and(|x| x >= span.entered_at));
    }
}
