//! Trends over time: the tickets of a period cut into days or weeks by when they were
//! received (cohorts), with how many came in, how many of them were answered, how long
//! they took and how satisfied the citizens were. Buckets start at local midnight of the
//! command centre's zone (China keeps one zone, UTC+8, with no daylight saving); weeks
//! start on Monday. Every bucket of the period is listed, empty ones too, so a chart has
//! no gaps.

use serde::{Deserialize, Serialize};
use time::{Duration, UtcOffset};

use super::{mean, round};
use crate::domain::Timestamp;
use crate::domain::ticket::{Satisfaction, Status, Ticket};

pub use crate::domain::clock::CENTRE_OFFSET_HOURS;

/// Most buckets one answer holds (a year and a month of days).
pub const MAX_BUCKETS: usize = 400;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    Day,
    Week,
}

/// One day or week of received tickets.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TrendRow {
    /// Local midnight that starts the bucket, as RFC 3339 UTC.
    #[schema(value_type = String, format = DateTime)]
    pub start: Timestamp,
    /// The bucket's local date (`2026-11-27`), the first day for a week.
    pub label: String,
    pub received: usize,
    /// Of those, answered (replied, visited or archived).
    pub answered: usize,
    /// Of those, transferred out or merged (not this unit's to answer).
    pub closed_other: usize,
    /// Intake to reply, over the answered ones.
    pub mean_handling_hours: Option<f64>,
    /// Reports returned by review or approval.
    pub returns: u32,
    /// Satisfied or basically satisfied, over their return visits.
    pub satisfaction_rate: Option<f64>,
    /// Answered, over those this unit had to answer.
    pub resolution_rate: Option<f64>,
}

/// Why a trend cannot be computed.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TrendError {
    #[error("`from` must be before `to`")]
    EmptyPeriod,
    #[error("the period holds {0} buckets; at most {MAX_BUCKETS} (use bucket=week)")]
    TooMany(usize),
}

fn offset() -> UtcOffset {
    UtcOffset::from_hms(CENTRE_OFFSET_HOURS, 0, 0).unwrap_or(UtcOffset::UTC)
}

/// The start of the bucket holding `t`.
fn bucket_start(t: Timestamp, bucket: Bucket) -> Timestamp {
    let local = t.inner().to_offset(offset());
    let mut date = local.date();
    if bucket == Bucket::Week {
        date -= Duration::days(i64::from(date.weekday().number_days_from_monday()));
    }
    Timestamp::new(
        date.midnight()
            .assume_offset(offset())
            .to_offset(UtcOffset::UTC),
    )
}

fn step(bucket: Bucket) -> Duration {
    match bucket {
        Bucket::Day => Duration::days(1),
        Bucket::Week => Duration::weeks(1),
    }
}

/// How many buckets `[from, to)` spans, refused when empty or more than [`MAX_BUCKETS`].
/// Cheap: a caller checks it before it loads any ticket.
pub fn buckets(from: Timestamp, to: Timestamp, bucket: Bucket) -> Result<usize, TrendError> {
    if to <= from {
        return Err(TrendError::EmptyPeriod);
    }
    let span = to.seconds_since(bucket_start(from, bucket));
    let width = step(bucket).whole_seconds();
    let count = usize::try_from((span + width - 1) / width).unwrap_or(usize::MAX);
    if count > MAX_BUCKETS {
        return Err(TrendError::TooMany(count));
    }
    Ok(count)
}

/// The trend of `tickets` (those received in `[from, to)` count) in buckets.
pub fn trend(
    tickets: &[&Ticket],
    from: Timestamp,
    to: Timestamp,
    bucket: Bucket,
) -> Result<Vec<TrendRow>, TrendError> {
    let count = buckets(from, to, bucket)?;
    let first = bucket_start(from, bucket);
    let width = step(bucket).whole_seconds();
    let mut groups: Vec<Vec<&Ticket>> = vec![Vec::new(); count];
    for t in tickets {
        if t.received_at < from || t.received_at >= to {
            continue;
        }
        let i = usize::try_from(t.received_at.seconds_since(first) / width).unwrap_or(0);
        if let Some(g) = groups.get_mut(i) {
            g.push(t);
        }
    }
    Ok(groups
        .into_iter()
        .enumerate()
        .map(|(i, ts)| {
            let start = first + step(bucket) * i32::try_from(i).unwrap_or(0);
            row(start, &ts)
        })
        .collect())
}

fn row(start: Timestamp, ts: &[&Ticket]) -> TrendRow {
    let answered: Vec<&&Ticket> = ts
        .iter()
        .filter(|t| {
            t.reply.is_some() || matches!(t.status, Status::AwaitingVisit | Status::Archived)
        })
        .collect();
    let closed_other = ts
        .iter()
        .filter(|t| matches!(t.status, Status::Transferred | Status::Merged))
        .count();
    let hours: Vec<f64> = answered
        .iter()
        .filter_map(|t| {
            let r = t.reply.as_ref()?;
            Some(r.replied_at.seconds_since(t.received_at).max(0) as f64 / 3600.0)
        })
        .collect();
    let visits: Vec<Satisfaction> = ts
        .iter()
        .flat_map(|t| t.visit_history.iter().copied())
        .collect();
    let happy = visits
        .iter()
        .filter(|s| **s != Satisfaction::Unsatisfied)
        .count();
    let due = ts.len() - closed_other;
    TrendRow {
        start,
        label: start.inner().to_offset(offset()).date().to_string(),
        received: ts.len(),
        answered: answered.len(),
        closed_other,
        mean_handling_hours: (!hours.is_empty()).then(|| round(mean(&hours))),
        returns: ts
            .iter()
            .map(|t| t.review_returns + t.approval_returns)
            .sum(),
        satisfaction_rate: (!visits.is_empty()).then(|| round(happy as f64 / visits.len() as f64)),
        resolution_rate: (due > 0).then(|| round(answered.len() as f64 / due as f64)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::domain::stats::tests::{at, history};

    /// `at(0)` is 2026-11-02 08:00 local, a Monday; `at(-8)` its local midnight.
    fn period(days: f64) -> (Timestamp, Timestamp) {
        (at(-8.0), at(-8.0 + 24.0 * days))
    }

    #[test]
    fn days_hold_their_cohorts_and_empty_days_are_listed() {
        let (mut tickets, _) = history();
        // A copy of C (the consultation, answered after 2.5 h) received the next day.
        let mut late = tickets[2].clone();
        late.received_at = at(30.0);
        late.reply.as_mut().unwrap().replied_at = at(32.5);
        tickets.push(late);
        let refs: Vec<&Ticket> = tickets.iter().collect();
        let (from, to) = period(3.0);
        let rows = trend(&refs, from, to, Bucket::Day).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows.iter().map(|r| r.label.as_str()).collect::<Vec<_>>(),
            ["2026-11-02", "2026-11-03", "2026-11-04"]
        );
        assert_eq!(rows[0].start, from);
        // Day 1: A (answered after 13 h, satisfied), B (reopened, one return, unsatisfied),
        // C (answered after 2.5 h), D (merged into A: not this unit's to answer).
        assert_eq!((rows[0].received, rows[0].answered), (4, 2));
        assert_eq!(rows[0].closed_other, 1);
        assert_eq!(rows[0].mean_handling_hours, Some(7.75));
        assert_eq!(rows[0].returns, 1);
        assert_eq!(rows[0].satisfaction_rate, Some(0.5));
        assert_eq!(rows[0].resolution_rate, Some(0.667));
        assert_eq!((rows[1].received, rows[1].answered), (1, 1));
        assert_eq!(rows[1].mean_handling_hours, Some(2.5));
        assert_eq!(rows[2].received, 0);
        assert_eq!(rows[2].mean_handling_hours, None);
        assert_eq!(rows[2].resolution_rate, None);
    }

    #[test]
    fn weeks_start_on_monday_and_skip_tickets_outside_the_period() {
        let (tickets, _) = history();
        let refs: Vec<&Ticket> = tickets.iter().collect();
        let (_, to) = period(15.0);
        let rows = trend(&refs, at(-8.0), to, Bucket::Week).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].received, 4);
        assert_eq!(rows[1].start, at(-8.0 + 24.0 * 7.0));
        // From Wednesday: the bucket still starts on Monday, the tickets of Monday are out.
        let rows = trend(&refs, at(40.0), to, Bucket::Week).unwrap();
        assert_eq!(rows[0].start, at(-8.0));
        assert_eq!(rows[0].received, 0);
    }

    #[test]
    fn bad_periods_are_refused() {
        let (from, _) = period(1.0);
        assert_eq!(
            trend(&[], from, from, Bucket::Day),
            Err(TrendError::EmptyPeriod)
        );
        let (from, to) = period(500.0);
        assert_eq!(
            trend(&[], from, to, Bucket::Day),
            Err(TrendError::TooMany(500))
        );
        // The count alone, which a caller checks before loading tickets.
        assert_eq!(
            buckets(from, to, Bucket::Day),
            Err(TrendError::TooMany(500))
        );
        assert_eq!(buckets(from, to, Bucket::Week), Ok(72));
        assert_eq!(trend(&[], from, to, Bucket::Week).unwrap().len(), 72);
    }
}
