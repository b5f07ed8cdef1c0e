//! The state-machine property: random command sequences on tickets of each handling path,
//! every step checked against the oracle, every state against the invariants, the event
//! log replayed and the snapshot read back; then the walk must have gone deep enough.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use time::Duration;

use super::fixtures::{catalog, rejection_code, start, this_id, this_number};
use super::invariants::{check_effect, check_state};
use super::model::{edge_allowed, event_name, expected_next, expected_outcome};
use super::progress::progress;
use super::strategy::{Action, Spec, Step, action, intake, resolve_answer, resolve_offer};
use super::strategy::{resolve_report, resolve_who};
use crate::domain::catalog::HandlingPath;
use crate::domain::clock::Timestamp;
use crate::domain::ticket::steps;
use crate::domain::ticket::{
    Command, Decision, EventKind, FixedDeadlines, NewTicket, Rejection, Status, Ticket,
};

/// What the property tests reached, to make sure they go deep enough.
#[derive(Default)]
struct Coverage {
    cases: usize,
    accepted: usize,
    rejected: usize,
    statuses: BTreeMap<Status, usize>,
    rejections: BTreeMap<&'static str, usize>,
    events: BTreeMap<&'static str, usize>,
    /// On-site records refused on a ticket without a category.
    uncategorised_onsite: usize,
}

fn run_case(
    new: NewTicket,
    actions: Vec<Action>,
    codes: &[String],
    coverage: &RefCell<Coverage>,
) -> Result<(), TestCaseError> {
    let mut now = start();
    let (initial, _) = Ticket::receive(new, this_id(), this_number(), catalog(), now)
        .map_err(|e| TestCaseError::fail(format!("intake refused: {e}")))?;
    check_state(&initial)?;
    let mut ticket = initial.clone();
    let mut log: Vec<(EventKind, Status, Timestamp, Option<FixedDeadlines>)> = Vec::new();
    let mut reached = BTreeSet::from([ticket.status]);
    let mut cov = Coverage::default();
    // Offer ids are fresh, as the engine generates them.
    let mut fresh: u64 = 1;

    for action in actions {
        let (command, by) = match &action.step {
            Step::Progress(seed) => progress(&ticket, *seed, codes, fresh, now),
            Step::Random(spec, who) => {
                let command = match spec {
                    Spec::Plain(c) => c.clone(),
                    Spec::Report(r) => resolve_report(r, &ticket),
                    Spec::Offer {
                        vehicle,
                        crew,
                        manual,
                    } => resolve_offer(*vehicle, crew, *manual, fresh, now),
                    Spec::Answer(answer, which) => resolve_answer(*answer, *which, &ticket),
                };
                let by = resolve_who(who, &command, &ticket);
                (command, by)
            }
        };
        if matches!(command, Command::Offer(steps::Offer { .. })) {
            fresh += 1;
        }
        now = now + Duration::seconds(action.advance_s);
        let before = ticket.clone();
        let expected = expected_outcome(&command, &by, &before);
        let decided = before.decide(&command, &by, catalog());
        let result = ticket.execute(&command, &by, catalog(), now);
        // `decide` only checks; `execute` also fixes the SLA deadlines the step starts.
        let checked = result.clone().map(|d| Decision {
            deadlines: None,
            ..d
        });
        prop_assert_eq!(&decided, &checked, "decide and execute agree");
        match (result, expected) {
            (Ok(decision), None) => {
                prop_assert_eq!(
                    ticket.seq,
                    before.seq + 1,
                    "one accepted command, one event: {:?}",
                    command
                );
                prop_assert_eq!(ticket.status, decision.status);
                prop_assert_eq!(
                    decision.status,
                    expected_next(&command, &before),
                    "{:?} from {}",
                    command,
                    before.status
                );
                prop_assert_eq!(ticket.updated_at, now);
                prop_assert_eq!(decision.kind.name(), event_name(&command, &before));
                prop_assert!(
                    edge_allowed(&before, &ticket),
                    "{} -> {} by {:?} (path {:?}) is not in the status table",
                    before.status,
                    ticket.status,
                    command,
                    ticket.path
                );
                check_effect(&before, &ticket, &decision)?;
                check_state(&ticket)?;
                cov.accepted += 1;
                *cov.events.entry(decision.kind.name()).or_default() += 1;
                reached.insert(ticket.status);
                log.push((decision.kind, decision.status, now, decision.deadlines));
            }
            (Err(rejection), Some(want)) => {
                prop_assert_eq!(
                    &ticket,
                    &before,
                    "a rejected command changes nothing: {:?}",
                    command
                );
                match (&rejection, &want) {
                    (
                        Rejection::Rule { code, details, .. },
                        Rejection::Rule {
                            code: want_code, ..
                        },
                    ) => {
                        prop_assert_eq!(
                            code,
                            want_code,
                            "{:?} by {:?} on {}",
                            command,
                            by,
                            before.status
                        );
                        prop_assert_eq!(*code == "report_incomplete", details.is_some());
                    }
                    _ => prop_assert_eq!(&rejection, &want, "{:?} by {:?}", command, by),
                }
                if matches!(command, Command::RecordOnsite(steps::RecordOnsite { .. }))
                    && rejection_code(&rejection) == "category_required"
                {
                    cov.uncategorised_onsite += 1;
                }
                cov.rejected += 1;
                *cov.rejections
                    .entry(rejection_code(&rejection))
                    .or_default() += 1;
            }
            (Ok(decision), Some(want)) => {
                return Err(TestCaseError::fail(format!(
                    "{command:?} by {by:?} on a {} ticket was accepted ({:?}), expected {want:?}",
                    before.status, decision.kind
                )));
            }
            (Err(rejection), None) => {
                return Err(TestCaseError::fail(format!(
                    "{command:?} by {by:?} on a {} ticket was refused: {rejection:?}",
                    before.status
                )));
            }
        }
    }
    prop_assert_eq!(ticket.seq, 1 + log.len() as u64);

    // Snapshots and timelines never disagree: folding the events again gives the same ticket.
    let mut replayed = initial;
    for (kind, status, at, deadlines) in &log {
        replayed.apply(kind, *status, *at);
        // What the event record keeps: the deadlines its step fixed from the guide.
        if let Some(fixed) = deadlines {
            replayed.restore_deadlines(*fixed);
        }
    }
    prop_assert_eq!(&replayed, &ticket);
    let json = serde_json::to_string(&ticket).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut back: Ticket =
        serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
    // serde_json (without its `float_roundtrip` feature) may read a coordinate back one ulp
    // off; positions are compared to the micrometre, everything else exactly.
    if let (Some(a), Some(b)) = (back.location.position, ticket.location.position) {
        prop_assert!(a.distance_m(b) < 1e-6, "{:?} read back as {:?}", b, a);
        back.location.position = ticket.location.position;
    }
    prop_assert_eq!(&back, &ticket);

    let mut total = coverage.borrow_mut();
    total.cases += 1;
    total.accepted += cov.accepted;
    total.rejected += cov.rejected;
    total.uncategorised_onsite += cov.uncategorised_onsite;
    for status in reached {
        *total.statuses.entry(status).or_default() += 1;
    }
    for (kind, n) in cov.rejections {
        *total.rejections.entry(kind).or_default() += n;
    }
    for (name, n) in cov.events {
        *total.events.entry(name).or_default() += n;
    }
    Ok(())
}

/// Cases per handling path; `PROPTEST_CASES` raises it for a longer shake-out.
const CASES: u32 = 256;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(CASES)
}

/// Runs the state-machine property over tickets of `path`, then checks the walk was deep.
fn state_machine_property(path: HandlingPath, must_reach: &[Status]) {
    let codes: Vec<String> = catalog()
        .categories()
        .iter()
        .filter(|c| c.path == path)
        .map(|c| c.code.clone())
        .collect();
    assert!(!codes.is_empty());
    let coverage = RefCell::new(Coverage::default());
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let strategy = (intake(codes.clone()), vec(action(), 1..80));
    let result = runner.run(&strategy, |(new, actions)| {
        run_case(new, actions, &codes, &coverage)
    });
    if let Err(e) = result {
        panic!("{path:?}: {e}");
    }
    let coverage = coverage.into_inner();
    eprintln!(
        "{path:?}: {} cases, {} accepted and {} rejected steps; cases reaching each status {:?}; events {:?}; rejections {:?}; uncategorised on-site records {}",
        coverage.cases,
        coverage.accepted,
        coverage.rejected,
        coverage.statuses,
        coverage.events,
        coverage.rejections,
        coverage.uncategorised_onsite
    );
    for status in must_reach {
        assert!(
            coverage.statuses.contains_key(status),
            "{path:?}: no case reached {status}"
        );
    }
    // Every kind of step was accepted somewhere (the on-site ones on the full path only).
    for name in [
        "ticket.triaged",
        "ticket.assigned",
        "ticket.report_submitted",
        "ticket.reviewed",
        "ticket.approval_decided",
        "ticket.replied",
        "ticket.return_visited",
        "ticket.archived",
        "ticket.reopened",
        "ticket.supervised",
        "ticket.transferred",
        "ticket.merged",
        "ticket.duplicate_merged",
        "ticket.duplicate_released",
        "alert",
    ] {
        assert!(coverage.events.contains_key(name), "{path:?}: no {name}");
    }
    if path == HandlingPath::Full {
        for name in [
            "ticket.dispatched",
            "ticket.arrived",
            "ticket.onsite_recorded",
            "offer.sent",
            "offer.accepted",
            "offer.declined",
            "offer.expired",
            "offer.cancelled",
            "ticket.dispatch_cancelled",
        ] {
            assert!(coverage.events.contains_key(name), "{path:?}: no {name}");
        }
    }
    // The rules that keep the ticket consistent were each put to the test.
    let rules: &[&str] = match path {
        HandlingPath::Full => &["offer_open", "offer_not_open", "already_merged"],
        HandlingPath::NoOnsite => &["offer_not_open", "already_merged"],
        HandlingPath::DirectAnswer => &["offer_not_open", "bad_reopen_target"],
    };
    for code in rules {
        assert!(
            coverage.rejections.contains_key(code),
            "{path:?}: nothing refused with `{code}`"
        );
    }
}

#[test]
fn random_commands_on_full_tickets_follow_the_status_table() {
    state_machine_property(HandlingPath::Full, &Status::ALL);
}

#[test]
fn random_commands_on_no_onsite_tickets_follow_the_status_table() {
    use Status::*;
    state_machine_property(
        HandlingPath::NoOnsite,
        &[
            Received,
            Triaged,
            Reporting,
            InReview,
            InApproval,
            Replying,
            AwaitingVisit,
            Archived,
            Transferred,
            Merged,
        ],
    );
}

#[test]
fn random_commands_on_direct_answer_tickets_follow_the_status_table() {
    use Status::*;
    state_machine_property(
        HandlingPath::DirectAnswer,
        &[
            Received,
            Triaged,
            Replying,
            AwaitingVisit,
            Archived,
            Transferred,
            Merged,
        ],
    );
}
