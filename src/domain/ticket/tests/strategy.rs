//! The random side of the property tests: commands of every variant with valid and invalid
//! payloads, offers and their answers, reports complete or not, senders of every role and
//! field devices bound to the ticket or not, and intakes of every kind.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use time::Duration;

use super::commands::*;
use super::fixtures::*;
use super::model::expected_roles;
use crate::domain::catalog::{Department, Kind, Urgency};
use crate::domain::clock::Timestamp;
use crate::domain::geo::LatLng;
use crate::domain::ids::StaffId;
use crate::domain::role::{Principal, Role, Subject};
use crate::domain::ticket::steps;
use crate::domain::ticket::{
    ApprovalDecision, Command, Location, NewTicket, Reporter, ReturnReason, ReviewDecision,
    Satisfaction, Source, Status, Ticket, TransferTarget,
};

/// Vehicles, staff and squads the random commands choose from; 1 and 2 are the ones the
/// progress steps dispatch, so random field principals hit assigned and unassigned ids.
pub(super) const VEHICLES: usize = 3;
pub(super) const STAFF: usize = 4;

/// Who sends a random command.
#[derive(Clone, Debug)]
pub(super) enum Who {
    /// A role the command allows; a field device bound to the ticket when it has a handler.
    Fitting(u8),
    /// Any role; a field device bound as for `Fitting`.
    AnyRole(Role, u8),
    FieldVehicle(usize),
    FieldStaff(usize),
    FieldLabel,
    FieldUnbound,
}

/// A random report: its sections are chosen once the ticket's category is known.
#[derive(Clone, Debug)]
pub(super) enum ReportSpec {
    Complete,
    Missing(usize),
    Blank(usize),
    Empty,
}

/// Which offer an answer names.
#[derive(Clone, Copy, Debug)]
pub(super) enum OfferRef {
    /// The open one (an unknown id when none is open).
    Open,
    /// The latest offer, whatever its state.
    Latest,
    Unknown,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Answer {
    Accept,
    Decline,
    Expire,
    Undeliver,
}

#[derive(Clone, Debug)]
pub(super) enum Spec {
    Plain(Command),
    Report(ReportSpec),
    /// An offer to a pool vehicle, with a fresh id.
    Offer {
        vehicle: usize,
        crew: Vec<usize>,
        manual: bool,
    },
    Answer(Answer, OfferRef),
}

#[derive(Clone, Debug)]
pub(super) enum Step {
    /// The next step of the happy path from the current status (varied by the seed).
    Progress(u8),
    Random(Spec, Who),
}

#[derive(Clone, Debug)]
pub(super) struct Action {
    pub step: Step,
    pub advance_s: i64,
}

pub(super) const CODES: [&str; 19] = [
    "counterfeit",
    "smuggled",
    "unlicensed_retail",
    "licence_violation",
    "unlicensed_transport",
    "outflow",
    "sale_to_minors",
    "online_sale",
    "supply_release",
    "allocation_fairness",
    "customer_tier",
    "account_manager_service",
    "order_consultation",
    "late_delivery",
    "delivery_attitude",
    "damaged_or_wrong_goods",
    "suggestion",
    "other",
    "no_such_category",
];

pub(super) const ALL_ROLES: [Role; 7] = [
    Role::Platform,
    Role::Dispatcher,
    Role::Supervisor,
    Role::Field,
    Role::Board,
    Role::Admin,
    Role::System,
];

pub(super) fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just(String::new()),
        1 => Just(" \t ".to_owned()),
        4 => Just("经查属实".to_owned()),
        1 => "[a-z ]{0,6}",
    ]
}

/// Reasons as the old plain-text form sends them (each reads as `other` with a note).
pub(super) fn texts() -> impl Strategy<Value = Vec<ReturnReason>> {
    vec(text().prop_map(ReturnReason::from), 0..3)
}

pub(super) fn command_spec() -> impl Strategy<Value = Spec> {
    let plain = |s: BoxedStrategy<Command>| s.prop_map(Spec::Plain);
    let position = prop_oneof![
        Just(None),
        (29.82f64..30.22, 115.37f64..115.83).prop_map(|(lat, lng)| LatLng::new(lat, lng).ok()),
    ];
    let target = prop_oneof![
        select(Department::ALL.to_vec())
            .prop_map(|department| TransferTarget::Department { department }),
        Just(TransferTarget::Platform),
        text().prop_map(|unit| TransferTarget::OtherUnit { unit }),
    ];
    prop_oneof![
        3 => plain(
            (option::of(select(CODES.to_vec())), option::of(select(Urgency::ALL.to_vec())), position, option::of(text()), option::of(text()), option::of(Just(other_id())))
                .prop_map(|(category, urgency, position, address_text, retailer_licence, duplicate_of)| Command::from(Triage {
                    category: category.map(str::to_owned),
                    urgency,
                    position,
                    address_text,
                    retailer_licence,
                    duplicate_of,
                }))
                .boxed()
        ),
        3 => plain(
            (1..=VEHICLES, vec(1..=STAFF, 0..3))
                .prop_map(|(v, crew)| dispatch(v, &crew))
                .boxed()
        ),
        2 => plain((1..=STAFF).prop_map(assign).boxed()),
        3 => plain(Just(arrive()).boxed()),
        3 => plain(
            (text(), text(), any::<bool>())
                .prop_map(|(findings, actions, with_photo)| {
                    onsite_record(&findings, &actions, if with_photo { vec![photo()] } else { vec![] })
                })
                .boxed()
        ),
        4 => prop_oneof![
            3 => Just(ReportSpec::Complete),
            1 => (0..6usize).prop_map(ReportSpec::Missing),
            1 => (0..6usize).prop_map(ReportSpec::Blank),
            1 => Just(ReportSpec::Empty),
        ]
        .prop_map(Spec::Report),
        3 => plain(
            (select(vec![ReviewDecision::Pass, ReviewDecision::Return]), texts())
                .prop_map(|(decision, reasons)| review(decision, reasons))
                .boxed()
        ),
        3 => plain(
            (
                select(vec![ApprovalDecision::Approve, ApprovalDecision::ReturnToReporting, ApprovalDecision::ReturnToReview]),
                texts(),
            )
                .prop_map(|(decision, reasons)| approval(decision, reasons))
                .boxed()
        ),
        3 => plain(text().prop_map(|text| reply(&text)).boxed()),
        3 => plain(
            (select(vec![Satisfaction::Satisfied, Satisfaction::BasicallySatisfied, Satisfaction::Unsatisfied]), option::of(text()))
                .prop_map(|(satisfaction, comment)| visit_noting(satisfaction, comment.as_deref()))
                .boxed()
        ),
        3 => plain(option::of(text()).prop_map(|note| archive_noting(note.as_deref())).boxed()),
        3 => plain(
            (text(), prop_oneof![
                2 => Just(None),
                2 => Just(Some(Status::Triaged)),
                2 => Just(Some(Status::Reporting)),
                1 => select(Status::ALL.to_vec()).prop_map(Some),
            ])
                .prop_map(|(reason, to)| reopen_because(&reason, to))
                .boxed()
        ),
        2 => plain(text().prop_map(|notice| supervise(&notice)).boxed()),
        1 => plain((target, text()).prop_map(|(to, reason)| transfer(to, &reason)).boxed()),
        1 => plain(
            any::<bool>()
                .prop_map(|itself| {
                    if itself {
                        merge_into(this_id())
                    } else {
                        merge_into_other()
                    }
                })
                .boxed()
        ),
        // Mostly the other ticket, so that it is sometimes absorbed twice (`already_merged`).
        2 => plain(
            prop_oneof![1 => Just(true), 3 => Just(false)]
                .prop_map(|itself| absorb(if itself { this_id() } else { other_id() }))
                .boxed()
        ),
        // The engine's undo of a merge that did not go through.
        1 => plain(Just(release_other()).boxed()),
        3 => (1..=VEHICLES, vec(1..=STAFF, 0..3), any::<bool>())
            .prop_map(|(vehicle, crew, manual)| Spec::Offer { vehicle, crew, manual }),
        4 => (
            select(vec![Answer::Accept, Answer::Decline, Answer::Expire]),
            prop_oneof![4 => Just(OfferRef::Open), 1 => Just(OfferRef::Latest), 1 => Just(OfferRef::Unknown)],
        )
            .prop_map(|(answer, which)| Spec::Answer(answer, which)),
        // Rarer: an app that never confirmed the offer (kept apart so the other answers
        // come as often as before).
        1 => prop_oneof![4 => Just(OfferRef::Open), 1 => Just(OfferRef::Latest)]
            .prop_map(|which| Spec::Answer(Answer::Undeliver, which)),
        2 => plain(text().prop_map(|reason| cancel_dispatch_because(&reason)).boxed()),
        // A vehicle taken out of service: sometimes the one holding the offer or on site.
        2 => plain(
            (1..=VEHICLES, text())
                .prop_map(|(n, reason)| withdraw(n, &reason))
                .boxed()
        ),
        1 => plain(text().prop_map(|reason| alert(&reason)).boxed()),
    ]
}

/// The offer command of a spec, with a fresh id.
pub(super) fn resolve_offer(
    vehicle_n: usize,
    crew: &[usize],
    manual: bool,
    fresh: u64,
    now: Timestamp,
) -> Command {
    offer_with(fresh, vehicle_n, crew, now + Duration::minutes(3), manual)
}

pub(super) fn resolve_answer(answer: Answer, which: OfferRef, t: &Ticket) -> Command {
    let unknown = offer_id(999_999);
    let id = match which {
        OfferRef::Open => t.open_offer().map_or(unknown, |o| o.id),
        OfferRef::Latest => t.offers.last().map_or(unknown, |o| o.id),
        OfferRef::Unknown => unknown,
    };
    match answer {
        Answer::Accept => accept_offer(id),
        Answer::Decline => decline_offer(id),
        Answer::Expire => expire_offer(id),
        Answer::Undeliver => undeliver_offer(id),
    }
}

pub(super) fn who() -> impl Strategy<Value = Who> {
    prop_oneof![
        6 => any::<u8>().prop_map(Who::Fitting),
        3 => (select(ALL_ROLES.to_vec()), any::<u8>()).prop_map(|(r, s)| Who::AnyRole(r, s)),
        1 => (1..=VEHICLES).prop_map(Who::FieldVehicle),
        1 => (1..=STAFF).prop_map(Who::FieldStaff),
        1 => Just(Who::FieldLabel),
        1 => Just(Who::FieldUnbound),
    ]
}

pub(super) fn action() -> impl Strategy<Value = Action> {
    let step = prop_oneof![
        3 => any::<u8>().prop_map(Step::Progress),
        2 => (command_spec(), who()).prop_map(|(spec, who)| Step::Random(spec, who)),
    ];
    (step, prop_oneof![1 => Just(0i64), 6 => 1i64..7200])
        .prop_map(|(step, advance_s)| Action { step, advance_s })
}

pub(super) fn intake(codes: Vec<String>) -> impl Strategy<Value = NewTicket> {
    let reporter = prop_oneof![
        3 => Just(Some(reachable_reporter())),
        1 => Just(None),
        1 => Just(Some(Reporter { anonymous: true, ..reachable_reporter() })),
        1 => Just(Some(Reporter { phone: Some(" ".into()), ..reachable_reporter() })),
    ];
    let category = prop_oneof![6 => select(codes).prop_map(Some), 1 => Just(None)];
    let kind = select(vec![
        Kind::Report,
        Kind::Complaint,
        Kind::Consultation,
        Kind::Suggestion,
    ]);
    let urgency = prop_oneof![3 => Just(None), 2 => option::of(select(Urgency::ALL.to_vec())), 1 => Just(Some(Urgency::I))];
    // Now and then a grade I lead nobody has classified yet: it is fast-tracked, and its
    // on-site record waits for a category.
    let bare_lead = prop_oneof![9 => Just(false), 1 => Just(true)];
    (
        category,
        urgency,
        kind,
        reporter,
        option::of(0i64..72),
        bare_lead,
    )
        .prop_map(
            |(category, urgency, kind, reporter, hours_ago, bare_lead)| NewTicket {
                source: Source::Hotline,
                external_id: None,
                kind,
                category: if bare_lead { None } else { category },
                urgency: if bare_lead { Some(Urgency::I) } else { urgency },
                description: "市民来电反映".into(),
                reporter,
                location: Location::default(),
                received_at: hours_ago.map(|h| start() + Duration::hours(-h)),
                possible_duplicate_of: None,
                retailer_candidates: Vec::new(),
                suggestion: None,
            },
        )
}

/// A field device bound to the ticket's vehicle or one of its staff, else to a stranger.
pub(super) fn bound_field(t: &Ticket, seed: u8) -> Principal {
    let staff_list: Vec<&StaffId> = t
        .assignment
        .staff
        .iter()
        .chain(&t.assignment.crew)
        .collect();
    match &t.assignment.vehicle_id {
        Some(v) if seed.is_multiple_of(2) || staff_list.is_empty() => field_vehicle(v),
        _ if !staff_list.is_empty() => {
            field_staff(staff_list[usize::from(seed) % staff_list.len()])
        }
        _ => vehicle_token(9),
    }
}

pub(super) fn resolve_who(who: &Who, command: &Command, t: &Ticket) -> Principal {
    let with_role = |role: Role, seed: u8| {
        if role == Role::Field {
            bound_field(t, seed)
        } else {
            Principal::new(role, None)
        }
    };
    match who {
        Who::Fitting(seed) => {
            let roles = expected_roles(command);
            let answers = matches!(
                command,
                Command::AcceptOffer(steps::AcceptOffer { .. })
                    | Command::DeclineOffer(steps::DeclineOffer { .. })
            );
            if roles.is_empty() {
                engine()
            } else if answers {
                // The device of the vehicle the offer went to (a stranger when none is open).
                field_vehicle(
                    &t.open_offer()
                        .map_or_else(|| vehicle(9), |o| o.vehicle_id.clone()),
                )
            } else {
                with_role(roles[usize::from(*seed) % roles.len()], *seed / 2)
            }
        }
        Who::AnyRole(role, seed) => with_role(*role, *seed),
        Who::FieldVehicle(v) => field_vehicle(&vehicle(*v)),
        Who::FieldStaff(s) => field_staff(&staff(*s)),
        Who::FieldLabel => Principal::new(Role::Field, Some(Subject::Label("V-001".into()))),
        Who::FieldUnbound => Principal::new(Role::Field, None),
    }
}

pub(super) fn resolve_report(spec: &ReportSpec, t: &Ticket) -> Command {
    let code = t.category.clone().unwrap_or_default();
    let mut sections = complete_sections(&code);
    let names: Vec<String> = sections.keys().cloned().collect();
    match spec {
        ReportSpec::Complete => {}
        ReportSpec::Missing(i) if !names.is_empty() => {
            sections.remove(&names[i % names.len()]);
        }
        ReportSpec::Blank(i) if !names.is_empty() => {
            sections.insert(names[i % names.len()].clone(), "  ".into());
        }
        ReportSpec::Missing(_) | ReportSpec::Blank(_) => {}
        ReportSpec::Empty => sections.clear(),
    }
    submit_sections(sections)
}
