//! The public board (公开大屏): what the hall screen may show of an open ticket, and the
//! squads' friendly competition. Pure rules: a row holds the number, category, town, a
//! summary written from the guide (never the citizen's words), the stage and its clock, the
//! squad and the officer's badge, the live distance to the site and a coarse cell of it —
//! never the reporter or the exact place. Embargoed categories and hidden grades stay off
//! the board until closed, so the screen cannot warn a suspect; nor does the vehicle sent to
//! one, whose position would show where a raid is heading. An archived ticket, hidden or
//! not, stays on the board as done for `BoardPolicy::done_for_s`.

use std::collections::HashMap;

use h3o::Resolution;
use serde::Serialize;

use super::catalog::{Catalog, Kind, Urgency};
use super::clock::Timestamp;
use super::fleet::VehicleStatus;
use super::geo::LatLng;
use super::ids::{TeamId, TicketId, VehicleId};
use super::ticket::{Satisfaction, Stage, Status, Ticket};

/// The H3 resolution of board positions: about 5 km² per cell.
pub const BOARD_RESOLUTION: Resolution = Resolution::Seven;

/// Which open tickets the board leaves off until they close.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BoardPolicy {
    pub embargoed_categories: Vec<String>,
    pub hidden_grades: Vec<Urgency>,
    /// How long an archived ticket stays on the board as done, seconds (0: it leaves at
    /// once). Hidden tickets too: once closed there is nothing left to warn anyone of.
    pub done_for_s: u64,
}

/// How the board shows a ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Showing {
    /// Open and not hidden: its row, stage clock, crew and vehicle.
    Open,
    /// Archived within `done_for_s`: a done row, until the time given.
    Done { until: Timestamp },
}

impl BoardPolicy {
    /// Whether the board shows this open ticket now (a closed one: never).
    pub fn shows(&self, t: &Ticket) -> bool {
        !t.status.is_closed() && !self.hides(t)
    }

    /// Whether the ticket is of an embargoed category or a hidden grade.
    pub fn hides(&self, t: &Ticket) -> bool {
        let embargoed = t
            .category
            .as_ref()
            .is_some_and(|c| self.embargoed_categories.contains(c));
        embargoed || t.urgency.is_some_and(|g| self.hidden_grades.contains(&g))
    }

    /// How the board shows the ticket at `now`, if at all: open tickets not hidden, and
    /// every archived ticket for `done_for_s` after it closed (transferred and merged
    /// ones leave at once: this unit did not finish them).
    pub fn showing(&self, t: &Ticket, now: Timestamp) -> Option<Showing> {
        if t.status == Status::Archived {
            let until = closed_at(t) + time::Duration::seconds(self.done_for_s as i64);
            return (now < until).then_some(Showing::Done { until });
        }
        self.shows(t).then_some(Showing::Open)
    }
}

/// When the ticket entered its current stage (for a closed one: when it closed).
fn closed_at(t: &Ticket) -> Timestamp {
    t.stages.last().map_or(t.received_at, |s| s.entered_at)
}

/// Where a ticket stands, as the hall reads it: waiting for a crew, the crew en route or
/// on site, the paperwork after the visit, or done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    Waiting,
    EnRoute,
    OnSite,
    Handling,
    Done,
}

impl Progress {
    pub fn of(status: Status) -> Self {
        match status {
            Status::Received | Status::Triaged => Self::Waiting,
            Status::EnRoute => Self::EnRoute,
            Status::OnSite => Self::OnSite,
            Status::Reporting
            | Status::InReview
            | Status::InApproval
            | Status::Replying
            | Status::AwaitingVisit => Self::Handling,
            Status::Archived | Status::Transferred | Status::Merged => Self::Done,
        }
    }
}

/// A vehicle as the hub last saw it: its fix, status and the ticket it is on.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveVehicle {
    pub id: VehicleId,
    pub position: Option<LatLng>,
    pub status: VehicleStatus,
    pub ticket: Option<TicketId>,
}

/// The vehicle on a board row (出勤点位): its status and the coarse cell it is in, never
/// its fix.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BoardVehicle {
    pub status: VehicleStatus,
    pub cell: String,
    pub cell_center: CellCentre,
}

/// The crew of a ticket the board shows: the vehicle sent to it, drawn in its coarse cell
/// only while on duty for this very ticket (en route or on site), and its distance to the
/// site while it is on no other ticket (still here, or back with none). A vehicle since
/// sent elsewhere — perhaps to a hidden ticket — shows nothing at all, so a row never tells
/// where it went next.
pub fn crew_on(
    ticket: TicketId,
    assigned: Option<&VehicleId>,
    site: Option<LatLng>,
    live: Option<&LiveVehicle>,
) -> (Option<BoardVehicle>, Option<f64>) {
    let Some(v) =
        live.filter(|v| assigned == Some(&v.id) && v.ticket.is_none_or(|other| other == ticket))
    else {
        return (None, None);
    };
    let Some(at) = v.position else {
        return (None, None);
    };
    let on_duty_here = v.ticket == Some(ticket)
        && matches!(v.status, VehicleStatus::EnRoute | VehicleStatus::OnSite);
    let vehicle = coarse_cell(at)
        .filter(|_| on_duty_here)
        .map(|(cell, cell_center)| BoardVehicle {
            status: v.status,
            cell,
            cell_center,
        });
    (vehicle, site.map(|s| at.distance_m(s).round()))
}

/// Who handles a ticket, as the public may see it: the squad and a badge, no names.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PublicHandler {
    pub team_id: Option<TeamId>,
    pub team_name: Option<String>,
    pub officer_badge: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CellCentre {
    pub lat: f64,
    pub lng: f64,
}

/// One line of the board.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BoardRow {
    pub id: String,
    pub number: String,
    pub category: Option<String>,
    pub category_name: Option<String>,
    pub town: Option<String>,
    /// Town, category and kind, from the guide: never the citizen's words.
    pub summary: String,
    pub status: Status,
    /// Waiting, the crew en route or on site, the paperwork after, or done.
    pub progress: Progress,
    pub stage: Stage,
    pub stage_name: &'static str,
    #[schema(value_type = String, format = DateTime)]
    pub received_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub stage_entered_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub stage_due_at: Option<Timestamp>,
    pub elapsed_s: f64,
    pub limit_s: Option<f64>,
    pub overdue: bool,
    pub team_id: Option<String>,
    pub team_name: Option<String>,
    pub officer_badge: Option<String>,
    pub distance_to_site_m: Option<f64>,
    /// The vehicle on duty for this ticket, in its coarse cell.
    pub vehicle: Option<BoardVehicle>,
    /// The H3 resolution-7 cell of the site.
    pub cell: Option<String>,
    pub cell_center: Option<CellCentre>,
}

/// The Chinese name of a stage, as the hall screen shows it.
pub fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Intake => "受单",
        Stage::OnSite => "现场处置",
        Stage::Report => "报告撰写",
        Stage::Review => "审查",
        Stage::Approval => "审批",
        Stage::Reply => "答复反馈",
        Stage::ReturnVisit => "回访",
        Stage::Closed => "归档",
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Report => "举报",
        Kind::Complaint => "投诉",
        Kind::Consultation => "咨询",
        Kind::Suggestion => "建议",
    }
}

/// The coarse cell of a site and its centre.
pub fn coarse_cell(p: LatLng) -> Option<(String, CellCentre)> {
    let cell = h3o::LatLng::new(p.lat(), p.lng())
        .ok()?
        .to_cell(BOARD_RESOLUTION);
    let centre = h3o::LatLng::from(cell);
    Some((
        cell.to_string(),
        CellCentre {
            lat: (centre.lat() * 1e5).round() / 1e5,
            lng: (centre.lng() * 1e5).round() / 1e5,
        },
    ))
}

/// The town of a ticket's site: the registry retailer's town if known, else the town named
/// in the address, else the town nearest to the position.
pub fn town_of(t: &Ticket, retailer_town: Option<&str>) -> Option<String> {
    if let Some(town) = retailer_town {
        return Some(town.to_owned());
    }
    if let Some(town) = t
        .location
        .address_text
        .as_deref()
        .and_then(super::towns::named_in)
    {
        return Some(town.to_owned());
    }
    t.location
        .position
        .and_then(super::towns::nearest)
        .map(str::to_owned)
}

/// What the public reads about a ticket: its town, category and kind, written from the
/// guide — never the citizen's words, which may name people or places.
pub fn public_summary(t: &Ticket, catalog: &Catalog, town: Option<&str>) -> String {
    let what = t
        .category
        .as_deref()
        .and_then(|c| catalog.get(c))
        .map_or("待分类", |c| c.name_zh.as_str());
    format!(
        "{} · {}（{}）",
        town.unwrap_or("位置待核实"),
        what,
        kind_name(t.kind)
    )
}

/// The board's line for a ticket it shows, with its vehicle as last seen (shown only
/// while on duty for this ticket, see [`crew_on`]; never on a done row).
pub fn row(
    t: &Ticket,
    catalog: &Catalog,
    now: Timestamp,
    town: Option<String>,
    handler: &PublicHandler,
    live: Option<&LiveVehicle>,
) -> BoardRow {
    let progress = Progress::of(t.status);
    let live = live.filter(|_| progress != Progress::Done);
    let (vehicle, distance_to_site_m) = crew_on(
        t.id,
        t.assignment.vehicle_id.as_ref(),
        t.location.position,
        live,
    );
    let category_name = t
        .category
        .as_deref()
        .and_then(|c| catalog.get(c))
        .map(|c| c.name_zh.clone());
    let summary = public_summary(t, catalog, town.as_deref());
    let entered = t.stages.last().map_or(t.received_at, |s| s.entered_at);
    let deadlines = t.deadlines(catalog);
    let limit_s = deadlines
        .stage_due_at
        .map(|due| (due.inner() - entered.inner()).as_seconds_f64());
    let elapsed_s = (now.inner() - entered.inner()).as_seconds_f64().max(0.0);
    let cell = t.location.position.and_then(coarse_cell);
    BoardRow {
        id: t.id.to_string(),
        number: t.number.to_string(),
        category: t.category.clone(),
        category_name,
        town,
        summary,
        status: t.status,
        progress,
        stage: t.stage(),
        stage_name: stage_name(t.stage()),
        received_at: t.received_at,
        stage_entered_at: entered,
        stage_due_at: deadlines.stage_due_at,
        elapsed_s: elapsed_s.round(),
        limit_s,
        overdue: progress != Progress::Done
            && (t.is_overdue() || deadlines.stage_due_at.is_some_and(|due| now > due)),
        team_id: handler.team_id.as_ref().map(|t| t.to_string()),
        team_name: handler.team_name.clone(),
        officer_badge: handler.officer_badge.clone(),
        distance_to_site_m,
        vehicle,
        cell: cell.as_ref().map(|(c, _)| c.clone()),
        cell_center: cell.map(|(_, c)| c),
    }
}

/// One squad's standing.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Standing {
    pub team_id: String,
    pub team_name: Option<String>,
    /// Tickets the squad handled that are archived.
    pub closed: u32,
    /// Median minutes from being sent to arriving on site, to a tenth (an arrival within
    /// seconds reads 0.0: see `median_arrival_s`).
    pub median_arrival_minutes: Option<f64>,
    /// The same median in whole seconds; `None` when no vehicle of the squad has arrived.
    pub median_arrival_s: Option<f64>,
    /// Satisfied or basically satisfied return visits, as a share of all its visits.
    pub satisfaction_rate: Option<f64>,
}

/// What one ticket adds to its squad's standing.
#[derive(Clone, Debug, PartialEq)]
struct Contribution {
    team: TeamId,
    closed: bool,
    arrival_minutes: Option<f64>,
    satisfied: u32,
    visits: u32,
}

/// The squads' leaderboard, kept up to date ticket by ticket.
#[derive(Clone, Debug, Default)]
pub struct Leaderboard {
    by_ticket: HashMap<TicketId, Contribution>,
}

impl Leaderboard {
    /// Takes a ticket's current state into account; `true` when its contribution changed.
    pub fn observe(&mut self, t: &Ticket) -> bool {
        let Some(team) = t.assignment.team_id.clone() else {
            return self.by_ticket.remove(&t.id).is_some();
        };
        let satisfied = t
            .visit_history
            .iter()
            .filter(|s| {
                matches!(
                    s,
                    Satisfaction::Satisfied | Satisfaction::BasicallySatisfied
                )
            })
            .count() as u32;
        let next = Contribution {
            team,
            closed: t.status == Status::Archived,
            arrival_minutes: t.assignment.minutes_to_arrival(),
            satisfied,
            visits: t.visit_history.len() as u32,
        };
        if self.by_ticket.get(&t.id) == Some(&next) {
            return false;
        }
        self.by_ticket.insert(t.id, next);
        true
    }

    /// Leaves a ticket out (a simulated one); `true` when it had counted.
    pub fn forget(&mut self, id: &TicketId) -> bool {
        self.by_ticket.remove(id).is_some()
    }

    /// Squads ranked by closed tickets, then by median time to arrival.
    pub fn standings(&self, team_name: impl Fn(&TeamId) -> Option<String>) -> Vec<Standing> {
        #[derive(Default)]
        struct Acc {
            closed: u32,
            arrivals: Vec<f64>,
            satisfied: u32,
            visits: u32,
        }
        let mut per: HashMap<&TeamId, Acc> = HashMap::new();
        for c in self.by_ticket.values() {
            let acc = per.entry(&c.team).or_default();
            acc.closed += u32::from(c.closed);
            acc.arrivals.extend(c.arrival_minutes);
            acc.satisfied += c.satisfied;
            acc.visits += c.visits;
        }
        let mut out: Vec<Standing> = per
            .into_iter()
            .map(|(team, mut acc)| {
                acc.arrivals.sort_by(f64::total_cmp);
                let n = acc.arrivals.len();
                let median = (n > 0).then(|| {
                    if n % 2 == 1 {
                        acc.arrivals[n / 2]
                    } else {
                        (acc.arrivals[n / 2 - 1] + acc.arrivals[n / 2]) / 2.0
                    }
                });
                Standing {
                    team_id: team.to_string(),
                    team_name: team_name(team),
                    closed: acc.closed,
                    median_arrival_minutes: median.map(|m| (m * 10.0).round() / 10.0),
                    median_arrival_s: median.map(|m| (m * 60.0).round()),
                    satisfaction_rate: (acc.visits > 0).then(|| {
                        (f64::from(acc.satisfied) / f64::from(acc.visits) * 1000.0).round() / 1000.0
                    }),
                }
            })
            .collect();
        out.sort_by(|a, b| {
            b.closed
                .cmp(&a.closed)
                .then_with(|| {
                    let key = |s: &Standing| s.median_arrival_minutes.unwrap_or(f64::INFINITY);
                    key(a).total_cmp(&key(b))
                })
                .then_with(|| a.team_id.cmp(&b.team_id))
        });
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::domain::catalog::BUILTIN_CATALOG;
    use crate::domain::ids::{TicketNumber, VehicleId};
    use crate::domain::role::{Principal, Role, Subject};
    use crate::domain::ticket::{Command, Location, NewTicket, Source, steps};

    pub(crate) fn at(minutes: i64) -> Timestamp {
        Timestamp::parse("2026-11-27T08:00:00Z").unwrap() + time::Duration::minutes(minutes)
    }

    pub(crate) fn ticket(category: &str, urgency: Urgency, catalog: &Catalog) -> Ticket {
        let new = NewTicket {
            source: Source::Hotline,
            external_id: None,
            kind: Kind::Report,
            category: Some(category.into()),
            urgency: Some(urgency),
            description: "我是张三，13800001111，举报隔壁店".into(),
            reporter: None,
            location: Location {
                position: Some(LatLng::new(30.02, 115.585).unwrap()),
                address_text: Some("梅川镇正街18号".into()),
                retailer_licence: None,
                reported_licence: None,
                ..Location::default()
            },
            received_at: Some(at(0)),
            possible_duplicate_of: None,
            retailer_candidates: Vec::new(),
            suggestion: None,
        };
        Ticket::receive(
            new,
            TicketId::generate(),
            TicketNumber::new("WX", 2026, 7),
            catalog,
            at(0),
        )
        .unwrap()
        .0
    }

    /// Sends vehicle V-1 of `team` at minute 0 and has it arrive at `arrival`.
    pub(crate) fn handled(t: &mut Ticket, team: &str, arrival: i64, catalog: &Catalog) {
        let d = Principal::new(Role::Dispatcher, None);
        let triage = Command::Triage(steps::Triage::default());
        t.execute(&triage, &d, catalog, at(0)).unwrap();
        let dispatch = Command::Dispatch(steps::Dispatch {
            vehicle: "V-1".parse().unwrap(),
            team: team.parse().unwrap(),
            crew: Vec::new(),
        });
        t.execute(&dispatch, &d, catalog, at(0)).unwrap();
        let v: VehicleId = "V-1".parse().unwrap();
        let crew = Principal::new(Role::Field, Some(Subject::Vehicle(v)));
        t.execute(&Command::Arrive(steps::Arrive), &crew, catalog, at(arrival))
            .unwrap();
    }

    #[test]
    fn rows_say_where_and_how_far_but_never_who_or_exactly_where() {
        let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
        let mut t = ticket("counterfeit", Urgency::II, &catalog);
        handled(&mut t, "T-1", 0, &catalog);
        let handler = PublicHandler {
            team_id: None,
            team_name: Some("一中队".into()),
            officer_badge: Some("ZM-1".into()),
        };
        let crew = live(&t, VehicleStatus::OnSite, 30.0273);
        let row = row(
            &t,
            &catalog,
            at(30),
            town_of(&t, None),
            &handler,
            Some(&crew),
        );
        assert_eq!(row.town.as_deref(), Some("梅川镇"));
        assert_eq!(row.elapsed_s, 1800.0);
        assert_eq!(row.distance_to_site_m, Some(812.0));
        let text = serde_json::to_string(&row).unwrap();
        for secret in ["张三", "13800001111", "正街18号", "30.02,", "115.585"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(row.cell.is_some() && row.summary.contains("梅川镇"));
    }

    #[test]
    fn hidden_grades_and_embargoed_categories_stay_off_until_closed() {
        let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
        let policy = policy(0);
        assert!(policy.shows(&ticket("counterfeit", Urgency::II, &catalog)));
        assert!(!policy.shows(&ticket("counterfeit", Urgency::I, &catalog)));
        assert!(!policy.shows(&ticket("unlicensed_transport", Urgency::III, &catalog)));
        assert!(BoardPolicy::default().shows(&ticket("counterfeit", Urgency::I, &catalog)));
    }

    pub(crate) fn policy(done_for_s: u64) -> BoardPolicy {
        BoardPolicy {
            embargoed_categories: vec!["unlicensed_transport".into()],
            hidden_grades: vec![Urgency::I],
            done_for_s,
        }
    }

    /// Takes a handled ticket (vehicle V-1 on site) through the record, the report, review,
    /// approval, the reply and the visit, at minute 20.
    pub(crate) fn walk_to_reply(t: &mut Ticket, catalog: &Catalog) {
        use crate::domain::ticket::{ApprovalDecision, Evidence, ReviewDecision};
        let d = Principal::new(Role::Dispatcher, None);
        let s = Principal::new(Role::Supervisor, None);
        let crew = Principal::new(Role::Field, Some(Subject::Vehicle("V-1".parse().unwrap())));
        let c = catalog.get(t.category.as_deref().unwrap()).unwrap().clone();
        let steps = [
            (
                &crew,
                Command::RecordOnsite(steps::RecordOnsite {
                    findings: "查获".into(),
                    actions: "登记".into(),
                    evidence: vec![],
                }),
            ),
            (
                &crew,
                Command::SubmitReport(steps::SubmitReport {
                    sections: c
                        .report_sections
                        .iter()
                        .map(|n| (n.clone(), "写明".to_owned()))
                        .collect(),
                    evidence: c
                        .report_evidence
                        .iter()
                        .map(|k| Evidence {
                            reference: k.clone(),
                            kind: k.clone(),
                            note: None,
                            sha256: None,
                        })
                        .collect(),
                }),
            ),
            (
                &d,
                Command::Review(steps::Review {
                    decision: ReviewDecision::Pass,
                    reasons: vec![],
                }),
            ),
            (
                &s,
                Command::Approve(steps::Approve {
                    decision: ApprovalDecision::Approve,
                    reasons: vec![],
                }),
            ),
            (
                &d,
                Command::Reply(steps::Reply {
                    text: "已处理".into(),
                }),
            ),
            (
                &d,
                Command::RecordVisit(steps::RecordVisit {
                    satisfaction: Satisfaction::Satisfied,
                    comment: None,
                }),
            ),
        ];
        for (by, c) in steps {
            t.execute(&c, by, catalog, at(20))
                .unwrap_or_else(|e| panic!("{c:?}: {e}"));
        }
    }

    pub(crate) fn archived(t: &mut Ticket, minute: i64, catalog: &Catalog) {
        let d = Principal::new(Role::Dispatcher, None);
        t.execute(
            &Command::Archive(steps::Archive { note: None }),
            &d,
            catalog,
            at(minute),
        )
        .unwrap_or_else(|e| panic!("archive from {:?}: {e}", t.status));
    }

    fn live(t: &Ticket, status: VehicleStatus, lat: f64) -> LiveVehicle {
        LiveVehicle {
            id: "V-1".parse().unwrap(),
            position: Some(LatLng::new(lat, 115.585).unwrap()),
            status,
            ticket: Some(t.id),
        }
    }

    #[test]
    fn a_vehicle_shows_only_on_duty_for_its_own_ticket_and_coarsened() {
        let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
        let mut t = ticket("counterfeit", Urgency::II, &catalog);
        handled(&mut t, "T-1", 10, &catalog);
        let on_site = live(&t, VehicleStatus::OnSite, 30.0213);
        let r = row(
            &t,
            &catalog,
            at(12),
            None,
            &PublicHandler::default(),
            Some(&on_site),
        );
        assert_eq!(r.progress, Progress::OnSite);
        let v = r.vehicle.as_ref().expect("the crew on site is shown");
        assert_eq!(v.status, VehicleStatus::OnSite);
        assert_eq!(
            Some(v.cell.clone()),
            coarse_cell(LatLng::new(30.0213, 115.585).unwrap()).map(|c| c.0)
        );
        assert_eq!(r.distance_to_site_m, Some(145.0));
        let text = serde_json::to_string(&r).unwrap();
        assert!(!text.contains("30.0213"), "the fix itself never: {text}");
        // Sent elsewhere, or not the vehicle sent: nothing, not even a distance.
        let elsewhere = LiveVehicle {
            ticket: Some(TicketId::generate()),
            ..on_site.clone()
        };
        let other = LiveVehicle {
            id: "V-9".parse().unwrap(),
            ..on_site.clone()
        };
        let shown = |v: &LiveVehicle| {
            let r = row(
                &t,
                &catalog,
                at(12),
                None,
                &PublicHandler::default(),
                Some(v),
            );
            (r.vehicle, r.distance_to_site_m)
        };
        for v in [elsewhere, other] {
            assert_eq!(shown(&v), (None, None), "{v:?}");
        }
        // Done here and heading back, on no other ticket: its distance, no marker.
        let back = LiveVehicle {
            ticket: None,
            ..live(&t, VehicleStatus::Returning, 30.0213)
        };
        assert_eq!(shown(&back), (None, Some(145.0)));
    }

    #[test]
    fn progress_tells_en_route_from_on_site() {
        let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
        assert_eq!(Progress::of(Status::Triaged), Progress::Waiting);
        assert_eq!(Progress::of(Status::EnRoute), Progress::EnRoute);
        assert_eq!(Progress::of(Status::OnSite), Progress::OnSite);
        assert_eq!(Progress::of(Status::InReview), Progress::Handling);
        assert_eq!(Progress::of(Status::Archived), Progress::Done);
        let t = ticket("counterfeit", Urgency::II, &catalog);
        let r = row(&t, &catalog, at(1), None, &PublicHandler::default(), None);
        assert_eq!(serde_json::to_value(&r).unwrap()["progress"], "waiting");
    }

    #[test]
    fn hidden_tickets_appear_as_done_once_archived_for_the_configured_while() {
        let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
        let board = policy(600);
        for mut t in [
            ticket("counterfeit", Urgency::I, &catalog),
            ticket("unlicensed_transport", Urgency::III, &catalog),
            ticket("counterfeit", Urgency::II, &catalog),
        ] {
            handled(&mut t, "T-1", 10, &catalog);
            let hidden = board.hides(&t);
            assert_eq!(board.showing(&t, at(30)).is_none(), hidden);
            walk_to_reply(&mut t, &catalog);
            archived(&mut t, 60, &catalog);
            let until = at(60) + time::Duration::seconds(600);
            assert_eq!(board.showing(&t, at(60)), Some(Showing::Done { until }));
            assert_eq!(board.showing(&t, at(69)), Some(Showing::Done { until }));
            assert_eq!(board.showing(&t, at(70)), None, "the while is over");
            assert_eq!(policy(0).showing(&t, at(60)), None);
            let live = live(&t, VehicleStatus::OnSite, 30.02);
            let r = row(
                &t,
                &catalog,
                at(61),
                None,
                &PublicHandler::default(),
                Some(&live),
            );
            assert_eq!((r.progress, r.stage), (Progress::Done, Stage::Closed));
            assert!(r.vehicle.is_none() && !r.overdue);
        }
    }

    #[test]
    fn median_arrival_is_given_in_seconds_too() {
        let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
        let mut board = Leaderboard::default();
        let mut t = ticket("counterfeit", Urgency::II, &catalog);
        handled(&mut t, "T-1", 0, &catalog);
        board.observe(&t);
        let s = &board.standings(|_| None)[0];
        assert_eq!(
            (s.median_arrival_minutes, s.median_arrival_s),
            (Some(0.0), Some(0.0))
        );
        let mut board = Leaderboard::default();
        let mut t = ticket("counterfeit", Urgency::II, &catalog);
        handled(&mut t, "T-1", 7, &catalog);
        board.observe(&t);
        assert_eq!(board.standings(|_| None)[0].median_arrival_s, Some(420.0));
    }

    #[test]
    fn squads_rank_by_closed_then_by_median_arrival() {
        let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
        let mut board = Leaderboard::default();
        for (team, arrival) in [("T-1", 10), ("T-1", 20), ("T-1", 60), ("T-2", 5)] {
            let mut t = ticket("counterfeit", Urgency::II, &catalog);
            handled(&mut t, team, arrival, &catalog);
            assert!(board.observe(&t));
            assert!(!board.observe(&t), "no change, no update");
        }
        let standings = board.standings(|t| Some(format!("{t}队")));
        assert_eq!(
            standings[0].team_id, "T-2",
            "faster with nothing closed yet"
        );
        assert_eq!(standings[0].median_arrival_minutes, Some(5.0));
        assert_eq!(standings[1].median_arrival_minutes, Some(20.0));
        assert_eq!(standings[1].team_name.as_deref(), Some("T-1队"));
        assert_eq!(standings[1].satisfaction_rate, None);
    }
}
