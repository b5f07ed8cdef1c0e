//! Analytics over tickets, pure: where the time goes per stage (with a Pareto view), how
//! long each category, department and squad takes, and the headline rates the study asks
//! to raise — response, resolution, satisfaction — plus rework (returned reports).
//!
//! Every function takes `as_of`: now, or the end of the period asked for when that is
//! earlier, so a stage still open (or a ticket not yet answered) counts up to it.

pub mod names;
pub mod trend;

use std::collections::BTreeMap;

use serde::Serialize;

use super::Timestamp;
use super::catalog::Catalog;
use super::ticket::{Satisfaction, Stage, StageSpan, Status, Ticket};

fn hours(seconds: i64) -> f64 {
    seconds as f64 / 3600.0
}

pub(crate) fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

pub(crate) fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Time spent in one stage, over the tickets that went through it.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StageRow {
    pub stage: Stage,
    pub tickets: usize,
    pub mean_hours: f64,
    pub median_hours: f64,
    pub total_hours: f64,
    /// This stage's share of all handling time.
    pub share: f64,
    /// Running share, stages sorted by total time (the Pareto view).
    pub cumulative_share: f64,
}

/// The five tracked stages plus reply and return visit, largest total first.
pub fn stages(tickets: &[&Ticket], as_of: Timestamp) -> Vec<StageRow> {
    let mut per: BTreeMap<Stage, Vec<f64>> = BTreeMap::new();
    for t in tickets {
        for (stage, d) in t.stage_durations(as_of) {
            if stage != Stage::Closed {
                per.entry(stage).or_default().push(hours(d.whole_seconds()));
            }
        }
    }
    let grand: f64 = per.values().flatten().sum();
    let mut rows: Vec<StageRow> = per
        .into_iter()
        .map(|(stage, v)| {
            let total: f64 = v.iter().sum();
            StageRow {
                stage,
                tickets: v.len(),
                mean_hours: round(mean(&v)),
                median_hours: round(median(&v)),
                total_hours: round(total),
                share: if grand > 0.0 { total / grand } else { 0.0 },
                cumulative_share: 0.0,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.total_hours
            .total_cmp(&a.total_hours)
            .then(a.stage.cmp(&b.stage))
    });
    let mut running = 0.0;
    for r in &mut rows {
        running += r.share;
        r.cumulative_share = round(running);
        r.share = round(r.share);
    }
    rows
}

/// Transferred-out and merged tickets are not this unit's to answer: they never get a
/// reply, so they are left out of handling times and the resolution rate.
fn answered_here(t: &Ticket) -> bool {
    !matches!(t.status, Status::Transferred | Status::Merged)
}

/// Hours from intake to the reply (or to `as_of`, for tickets not yet answered).
fn handling_hours(t: &Ticket, as_of: Timestamp) -> f64 {
    let end = t.reply.as_ref().map(|r| r.replied_at).unwrap_or(as_of);
    hours(end.seconds_since(t.received_at).max(0))
}

/// Handling time and outcomes of one group (a category, a department, a squad).
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GroupRow {
    pub key: String,
    /// What people call the key (the category, department or squad name); filled in by
    /// the route from the guide and the roster, `None` for an id they no longer know.
    pub name: Option<String>,
    pub tickets: usize,
    /// Intake to reply, over `handled`; open tickets count up to now (or the period's
    /// end). 0 when none was handled.
    pub mean_handling_hours: f64,
    pub median_handling_hours: f64,
    /// Reports returned by review or approval.
    pub returns: u32,
    /// Return visits with `satisfied` or `basically_satisfied`, over all visits.
    pub satisfaction_rate: Option<f64>,
    /// The tickets behind the handling hours: all but those transferred out or merged.
    pub handled: usize,
}

fn group_rows<'a>(
    tickets: &[&'a Ticket],
    as_of: Timestamp,
    key: impl Fn(&'a Ticket) -> Option<String>,
) -> Vec<GroupRow> {
    let mut groups: BTreeMap<String, Vec<&Ticket>> = BTreeMap::new();
    for t in tickets {
        if let Some(k) = key(t) {
            groups.entry(k).or_default().push(t);
        }
    }
    groups
        .into_iter()
        .map(|(key, ts)| {
            let h: Vec<f64> = ts
                .iter()
                .filter(|t| answered_here(t))
                .map(|t| handling_hours(t, as_of))
                .collect();
            let visits: Vec<Satisfaction> = ts
                .iter()
                .flat_map(|t| t.visit_history.iter().copied())
                .collect();
            let happy = visits
                .iter()
                .filter(|s| **s != Satisfaction::Unsatisfied)
                .count();
            GroupRow {
                key,
                name: None,
                tickets: ts.len(),
                mean_handling_hours: round(mean(&h)),
                median_handling_hours: round(median(&h)),
                returns: ts
                    .iter()
                    .map(|t| t.review_returns + t.approval_returns)
                    .sum(),
                satisfaction_rate: (!visits.is_empty())
                    .then(|| round(happy as f64 / visits.len() as f64)),
                handled: h.len(),
            }
        })
        .collect()
}

pub fn by_category(tickets: &[&Ticket], as_of: Timestamp) -> Vec<GroupRow> {
    group_rows(tickets, as_of, |t| {
        Some(t.category.clone().unwrap_or_else(|| "unclassified".into()))
    })
}

pub fn by_department(tickets: &[&Ticket], as_of: Timestamp) -> Vec<GroupRow> {
    group_rows(tickets, as_of, |t| {
        t.department.map(|d| d.as_str().to_owned())
    })
}

pub fn by_team(tickets: &[&Ticket], as_of: Timestamp) -> Vec<GroupRow> {
    group_rows(tickets, as_of, |t| {
        t.assignment.team_id.as_ref().map(|t| t.to_string())
    })
}

/// The headline rates over the tickets of a period.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Rates {
    pub tickets: usize,
    /// Intake finished by its deadline (the one the ticket kept; intake runs from the
    /// platform's receipt of the call), over tickets whose intake finished or is already
    /// past its deadline (a miss); one still in intake before its deadline is not counted
    /// yet.
    pub response_rate: Option<f64>,
    /// Answered (replied, visited or archived), over all tickets except those transferred
    /// out or merged.
    pub resolution_rate: Option<f64>,
    /// Satisfied or basically satisfied, over return visits.
    pub satisfaction_rate: Option<f64>,
    /// Tickets whose report was returned at least once, over tickets whose report reached
    /// review.
    pub rework_rate: Option<f64>,
}

/// The deadline of the ticket's first intake: as the ticket kept it (fixed from the guide
/// when intake began, or when triage changed the category or grade), else — a snapshot
/// from before stage deadlines were kept — the guide's limit now. `None` when the grade is
/// unknown (no limit applies).
fn intake_due(t: &Ticket, span: &StageSpan, catalog: &Catalog) -> Option<Timestamp> {
    span.due_at.or_else(|| {
        let limit = catalog.stage_limit_for(t.category.as_deref(), t.urgency?, Stage::Intake)?;
        Some(span.entered_at + limit)
    })
}

fn rate(num: usize, den: usize) -> Option<f64> {
    (den > 0).then(|| round(num as f64 / den as f64))
}

pub fn rates(tickets: &[&Ticket], catalog: &Catalog, as_of: Timestamp) -> Rates {
    let mut responded = (0, 0);
    let mut resolved = (0, 0);
    let mut satisfied = (0, 0);
    let mut rework = (0, 0);
    for t in tickets {
        let intake = t.stages.iter().find(|s| s.stage == Stage::Intake);
        if let Some(span) = intake
            && let Some(due) = intake_due(t, span, catalog)
        {
            match span.exited_at {
                Some(end) => {
                    responded.1 += 1;
                    if end <= due {
                        responded.0 += 1;
                    }
                }
                // Still in intake: a miss once past its limit, not counted before.
                None if as_of > due => responded.1 += 1,
                None => {}
            }
        }
        if answered_here(t) {
            resolved.1 += 1;
            let answered =
                t.reply.is_some() || matches!(t.status, Status::AwaitingVisit | Status::Archived);
            if answered {
                resolved.0 += 1;
            }
        }
        for s in &t.visit_history {
            satisfied.1 += 1;
            if *s != Satisfaction::Unsatisfied {
                satisfied.0 += 1;
            }
        }
        if t.report.is_some() && t.stages.iter().any(|s| s.stage == Stage::Review) {
            rework.1 += 1;
            if t.review_returns + t.approval_returns > 0 {
                rework.0 += 1;
            }
        }
    }
    Rates {
        tickets: tickets.len(),
        response_rate: rate(responded.0, responded.1),
        resolution_rate: rate(resolved.0, resolved.1),
        satisfaction_rate: rate(satisfied.0, satisfied.1),
        rework_rate: rate(rework.0, rework.1),
    }
}

mod returns;
#[cfg(test)]
mod tests;

pub use returns::{ReasonRow, ReturnRow, ReturnStats, TicketFacts, returns};
