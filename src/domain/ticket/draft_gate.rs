//! The report draft against the report gate, over many paths: random sequences of
//! on-site records, reports (the draft as it is, the draft's sections alone, edited
//! drafts with new evidence), review and approval returns, passes, replies, unsatisfied
//! visits and reopens, on tickets of every category with a report. After each step the
//! draft must predict the gate exactly: submitting the draft passes iff its `missing` is
//! empty, a refusal is `report_incomplete` listing exactly the draft's `missing` (less
//! what the writer added), and an accepted version keeps every piece of evidence the
//! draft showed as carried over.
#![allow(clippy::unwrap_used, reason = "tests")]

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{TestCaseError, TestRunner};
use time::Duration;

use crate::domain::catalog::{BUILTIN_CATALOG, Catalog, HandlingPath, Kind};
use crate::domain::clock::Timestamp;
use crate::domain::ids::{StaffId, TeamId, TicketId, TicketNumber, VehicleId};
use crate::domain::role::{Principal, Role, Subject};
use crate::domain::ticket::steps;
use crate::domain::ticket::{
    ApprovalDecision, Command, Evidence, Location, NewTicket, Rejection, ReturnReason,
    ReviewDecision, Satisfaction, Source, Status, Ticket,
};

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap())
}

/// Every category whose path has a report (full or no_onsite).
fn reported_categories() -> Vec<String> {
    catalog()
        .categories()
        .iter()
        .filter(|c| c.path != HandlingPath::DirectAnswer)
        .map(|c| c.code.clone())
        .collect()
}

/// The evidence picked by `(kind, reference)` indices: kinds from those the ticket's
/// category asks for (so complete reports happen), `None` for one of every such kind.
fn evidence(t: &Ticket, picks: &Picks) -> Vec<Evidence> {
    let kinds = t
        .category
        .as_deref()
        .and_then(|c| catalog().get(c))
        .map(|c| c.report_evidence.clone())
        .unwrap_or_default();
    if kinds.is_empty() {
        return Vec::new();
    }
    let all: Vec<(usize, u8)>;
    let picks = match picks {
        Some(p) => p,
        None => {
            all = (0..kinds.len()).map(|k| (k, 3)).collect();
            &all
        }
    };
    picks
        .iter()
        .map(|&(k, r)| Evidence {
            kind: kinds[k % kinds.len()].clone(),
            // Few references, so a resubmitted item sometimes replaces a carried one.
            reference: format!("att-{r}"),
            note: (r % 2 == 0).then(|| format!("第{r}份")),
            sha256: None,
        })
        .collect()
}

/// Some pieces of evidence, or (`None`) one of every kind the category asks for.
type Picks = Option<Vec<(usize, u8)>>;

fn vehicle() -> VehicleId {
    "V-001".parse().unwrap()
}

fn writer() -> StaffId {
    "S-001".parse().unwrap()
}

fn dispatcher() -> Principal {
    Principal::new(Role::Dispatcher, None)
}

fn supervisor() -> Principal {
    Principal::new(Role::Supervisor, None)
}

/// The writer's device: the vehicle sent (full path) or the assigned handler (no_onsite).
fn field(t: &Ticket) -> Principal {
    if t.path == Some(HandlingPath::Full) {
        Principal::new(Role::Field, Some(Subject::Vehicle(vehicle())))
    } else {
        Principal::new(Role::Field, Some(Subject::Staff(writer())))
    }
}

fn reasons() -> Vec<ReturnReason> {
    vec![ReturnReason::from("补充材料")]
}

#[derive(Clone, Debug)]
enum Step {
    /// On a ticket back in triage: send the vehicle, arrive, record with this evidence.
    Onsite(Picks),
    /// Write from the draft: fill its empty sections or not, blank one section or not,
    /// send the draft's carried evidence back or not, add new evidence.
    Write {
        fill: bool,
        blank: Option<usize>,
        echo: bool,
        add: Picks,
    },
    ReviewReturn,
    ReviewPass,
    ApprovalReturn(bool),
    Approve,
    Reply,
    UnsatisfiedVisit,
    Reopen,
}

fn step() -> impl Strategy<Value = Step> {
    let picks = || proptest::option::weighted(0.8, vec((0usize..16, 0u8..4), 0..4));
    prop_oneof![
        2 => picks().prop_map(Step::Onsite),
        6 => (any::<bool>(), proptest::option::of(0usize..8), any::<bool>(), picks())
            .prop_map(|(fill, blank, echo, add)| Step::Write { fill, blank, echo, add }),
        3 => Just(Step::ReviewReturn),
        2 => Just(Step::ReviewPass),
        2 => any::<bool>().prop_map(Step::ApprovalReturn),
        2 => Just(Step::Approve),
        1 => Just(Step::Reply),
        1 => Just(Step::UnsatisfiedVisit),
        1 => Just(Step::Reopen),
    ]
}

struct Fx {
    t: Ticket,
    now: Timestamp,
}

impl Fx {
    fn new(code: &str) -> Self {
        let now = Timestamp::parse("2026-03-02T08:00:00+08:00").unwrap();
        let new = NewTicket {
            source: Source::Hotline,
            external_id: None,
            kind: Kind::Report,
            category: Some(code.into()),
            urgency: None,
            description: "梅川镇菜市场旁边那家烟酒店卖假烟".into(),
            reporter: None,
            location: Location::default(),
            received_at: None,
            possible_duplicate_of: None,
            retailer_candidates: Vec::new(),
            suggestion: None,
        };
        let (t, _) = Ticket::receive(
            new,
            TicketId::from_bytes([0x33; 16]),
            TicketNumber::new("WX", 2026, 3),
            catalog(),
            now,
        )
        .unwrap();
        let mut fx = Self { t, now };
        fx.run(Command::Triage(steps::Triage::default()), &dispatcher())
            .unwrap();
        fx.run(
            Command::Assign(steps::Assign { staff: writer() }),
            &dispatcher(),
        )
        .unwrap();
        fx
    }

    fn run(&mut self, command: Command, by: &Principal) -> Result<(), Rejection> {
        self.now = self.now + Duration::minutes(13);
        self.t
            .execute(&command, by, catalog(), self.now)
            .map(|_| ())
    }

    /// Tries `command`; a refusal (a step the status does not allow) changes nothing.
    fn attempt(&mut self, command: Command, by: &Principal) {
        let before = self.t.clone();
        if self.run(command, by).is_err() {
            assert_eq!(self.t.seq, before.seq);
        }
    }

    fn submit(
        &self,
        sections: BTreeMap<String, String>,
        evidence: Vec<Evidence>,
    ) -> Result<Ticket, Rejection> {
        let mut t = self.t.clone();
        t.execute(
            &Command::SubmitReport(steps::SubmitReport { sections, evidence }),
            &field(&t),
            catalog(),
            self.now + Duration::minutes(1),
        )
        .map(|_| t)
    }
}

/// What the gate said, in the draft's terms: `Ok(())`, or the missing list of a
/// `report_incomplete`; any other refusal fails the test.
fn gate(result: &Result<Ticket, Rejection>) -> Result<(), Vec<String>> {
    match result {
        Ok(_) => Ok(()),
        Err(Rejection::Rule {
            code: "report_incomplete",
            details: Some(details),
            ..
        }) => Err(serde_json::from_value(details["missing"].clone()).unwrap_or_default()),
        Err(other) => panic!("submitting the draft was refused unpredicted: {other:?}"),
    }
}

fn check_draft_against_gate(fx: &Fx, step: &Step) -> Result<(), TestCaseError> {
    let category = fx.t.category.as_deref().and_then(|c| catalog().get(c));
    let draft = fx.t.report_draft(category);
    let expected = if draft.missing.is_empty() {
        Ok(())
    } else {
        Err(draft.missing.clone())
    };
    // The draft exactly as served, and the draft's sections with no evidence sent back
    // (the carried evidence stays on the report either way).
    let exact = fx.submit(draft.sections.clone(), draft.evidence.clone());
    prop_assert_eq!(gate(&exact), expected.clone(), "draft {:?}", draft);
    let sections_only = fx.submit(draft.sections.clone(), Vec::new());
    prop_assert_eq!(gate(&sections_only), expected, "draft {:?}", draft);
    if let Ok(t) = &exact {
        let kept = &t.report.as_ref().unwrap().evidence;
        prop_assert_eq!(kept, &draft.evidence);
    }

    // An edited draft: the gate's gaps are the draft's, less what the writer added, plus
    // a section the writer emptied.
    let Step::Write {
        fill,
        blank,
        echo,
        add,
    } = step
    else {
        return Ok(());
    };
    let mut sections = draft.sections.clone();
    if *fill {
        for v in sections.values_mut().filter(|v| v.trim().is_empty()) {
            *v = "已写明".into();
        }
    }
    let blanked = blank.and_then(|i| draft.required.get(i % draft.required.len().max(1)));
    if let Some(s) = blanked {
        sections.insert(s.clone(), " ".into());
    }
    let added = evidence(&fx.t, add);
    let mut sent = if *echo {
        draft.evidence.clone()
    } else {
        Vec::new()
    };
    sent.extend(added.iter().cloned());
    let result = fx.submit(sections.clone(), sent);
    let want: BTreeSet<String> = draft
        .missing
        .iter()
        .filter(|m| match m.strip_prefix("evidence:") {
            Some(kind) => !added.iter().any(|e| e.kind == kind),
            None => sections.get(*m).is_none_or(|v| v.trim().is_empty()),
        })
        .cloned()
        .chain(blanked.cloned())
        .collect();
    match gate(&result) {
        Ok(()) => prop_assert!(
            want.is_empty(),
            "accepted, but the draft predicted {want:?}"
        ),
        Err(missing) => {
            prop_assert_eq!(missing.iter().cloned().collect::<BTreeSet<_>>(), want)
        }
    }
    if let Ok(t) = &result {
        // Nothing the draft carried is lost: each item is kept or replaced by the same
        // kind and reference.
        let kept = &t.report.as_ref().unwrap().evidence;
        for e in &draft.evidence {
            prop_assert!(
                kept.iter()
                    .any(|k| k.kind == e.kind && k.reference == e.reference),
                "{e:?} dropped from {kept:?}"
            );
        }
    }
    Ok(())
}

fn apply(fx: &mut Fx, step: &Step) {
    let (dispatcher, supervisor) = (dispatcher(), supervisor());
    match step {
        Step::Onsite(picks) => {
            if fx.t.status == Status::Triaged {
                fx.attempt(
                    Command::Dispatch(steps::Dispatch {
                        vehicle: vehicle(),
                        team: "T-01".parse::<TeamId>().unwrap(),
                        crew: vec![writer()],
                    }),
                    &dispatcher,
                );
                let by = field(&fx.t);
                fx.attempt(Command::Arrive(steps::Arrive), &by);
            }
            let by = field(&fx.t);
            fx.attempt(
                Command::RecordOnsite(steps::RecordOnsite {
                    findings: "现场检查".into(),
                    actions: "登记".into(),
                    evidence: evidence(&fx.t, picks),
                }),
                &by,
            );
        }
        Step::Write {
            fill,
            blank,
            echo,
            add,
        } => {
            if fx.t.status != Status::Reporting {
                return;
            }
            let category = fx.t.category.as_deref().and_then(|c| catalog().get(c));
            let draft = fx.t.report_draft(category);
            let mut sections = draft.sections;
            if *fill {
                for v in sections.values_mut().filter(|v| v.trim().is_empty()) {
                    *v = "已写明".into();
                }
            }
            if let Some(s) = blank.and_then(|i| draft.required.get(i % draft.required.len().max(1)))
            {
                sections.insert(s.clone(), String::new());
            }
            let mut sent = if *echo { draft.evidence } else { Vec::new() };
            sent.extend(evidence(&fx.t, add));
            let by = field(&fx.t);
            fx.attempt(
                Command::SubmitReport(steps::SubmitReport {
                    sections,
                    evidence: sent,
                }),
                &by,
            );
        }
        Step::ReviewReturn | Step::ReviewPass => {
            let decision = if matches!(step, Step::ReviewPass) {
                ReviewDecision::Pass
            } else {
                ReviewDecision::Return
            };
            fx.attempt(
                Command::Review(steps::Review {
                    decision,
                    reasons: reasons(),
                }),
                &supervisor,
            );
        }
        Step::ApprovalReturn(to_reporting) => fx.attempt(
            Command::Approve(steps::Approve {
                decision: if *to_reporting {
                    ApprovalDecision::ReturnToReporting
                } else {
                    ApprovalDecision::ReturnToReview
                },
                reasons: reasons(),
            }),
            &supervisor,
        ),
        Step::Approve => fx.attempt(
            Command::Approve(steps::Approve {
                decision: ApprovalDecision::Approve,
                reasons: Vec::new(),
            }),
            &supervisor,
        ),
        Step::Reply => fx.attempt(
            Command::Reply(steps::Reply {
                text: "已处理".into(),
            }),
            &dispatcher,
        ),
        Step::UnsatisfiedVisit => fx.attempt(
            Command::RecordVisit(steps::RecordVisit {
                satisfaction: Satisfaction::Unsatisfied,
                comment: None,
            }),
            &dispatcher,
        ),
        Step::Reopen => {
            fx.attempt(Command::Archive(steps::Archive { note: None }), &dispatcher);
            fx.attempt(
                Command::Reopen(steps::Reopen {
                    reason: "市民再次来电".into(),
                    to: None,
                }),
                &supervisor,
            );
        }
    }
}

#[test]
fn the_report_draft_predicts_the_report_gate() {
    // PROPTEST_CASES (default 256) sets the number of paths.
    let mut runner = TestRunner::new(ProptestConfig::default());
    // Drafts checked on a ticket whose report came back (returned or reopened).
    let returned = Cell::new(0usize);
    let strategy = (select(reported_categories()), vec(step(), 1..30));
    runner
        .run(&strategy, |(code, steps)| {
            let mut fx = Fx::new(&code);
            let check = |fx: &Fx, step: &Step| {
                if fx.t.status == Status::Reporting {
                    if fx.t.report.is_some() {
                        returned.set(returned.get() + 1);
                    }
                    check_draft_against_gate(fx, step)?;
                }
                Ok::<_, TestCaseError>(())
            };
            for step in &steps {
                check(&fx, step)?;
                apply(&mut fx, step);
            }
            check(&fx, &Step::ReviewReturn)
        })
        .unwrap();
    assert!(returned.get() > 0, "no path came back to the writer");
}

/// The case, step by step: a complete report returned by review, then its draft's
/// sections sent back with one new photo, is accepted and keeps the first version's
/// statement and notice receipt.
#[test]
fn a_returned_report_keeps_its_evidence_and_the_draft_says_so() {
    let mut fx = Fx::new("counterfeit");
    apply(&mut fx, &Step::Onsite(Some(Vec::new())));
    assert_eq!(fx.t.status, Status::Reporting);
    let c = catalog().get("counterfeit").unwrap();
    let first: Vec<Evidence> = c
        .report_evidence
        .iter()
        .map(|k| Evidence {
            kind: k.clone(),
            reference: format!("att-{k}"),
            note: None,
            sha256: None,
        })
        .collect();
    let sections = c
        .report_sections
        .iter()
        .map(|s| (s.clone(), "已写明".to_owned()))
        .collect();
    let by = field(&fx.t);
    fx.run(
        Command::SubmitReport(steps::SubmitReport {
            sections,
            evidence: first.clone(),
        }),
        &by,
    )
    .unwrap();
    apply(&mut fx, &Step::ReviewReturn);
    assert_eq!(fx.t.status, Status::Reporting);

    let draft = fx.t.report_draft(Some(c));
    assert_eq!(draft.missing, Vec::<String>::new());
    assert_eq!(draft.evidence, first);
    let photo = Evidence {
        kind: "photo".into(),
        reference: "att-new".into(),
        note: None,
        sha256: None,
    };
    let t = fx.submit(draft.sections, vec![photo.clone()]).unwrap();
    let report = t.report.unwrap();
    assert_eq!(report.version, 2);
    let mut want = first;
    want.push(photo);
    assert_eq!(report.evidence, want);
}
