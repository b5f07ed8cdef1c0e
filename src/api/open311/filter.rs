//! The filters of `GET /requests.{json,xml}` read from the query string: comma lists of
//! statuses and service codes, and a date window of at most 90 days (the spec's cap).

use std::collections::BTreeSet;

use time::Duration;

use super::wire::Open311Error;
use crate::domain::Timestamp;
use crate::domain::catalog::Catalog;

/// The widest window `requests` searches (the spec's cap), and the default one.
pub const MAX_DAYS: i64 = 90;

/// What `requests` keeps: statuses (`None`: both), codes (`None`: all), `[from, to)`.
#[derive(Debug)]
pub struct Filter {
    pub closed: Option<bool>,
    pub codes: Option<BTreeSet<String>>,
    pub from: Timestamp,
    pub to: Option<Timestamp>,
}

/// The non-blank items of a comma list.
fn items(raw: Option<&str>) -> Vec<&str> {
    raw.map(|r| {
        r.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

fn date(field: &str, raw: Option<&str>) -> Result<Option<Timestamp>, Open311Error> {
    raw.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            Timestamp::parse(t).map_err(|_| {
                Open311Error::bad_request(format!(
                    "`{field}` is not a W3C date-time like 2026-11-27T16:00:00+08:00"
                ))
            })
        })
        .transpose()
}

impl Filter {
    /// `status` and `service_code` may each be a comma list; `start_date` and `end_date`
    /// may be at most 90 days apart. One of them alone spans 90 days from (or to) it;
    /// neither, the last 90 days.
    pub fn parse(
        catalog: &Catalog,
        now: Timestamp,
        status: Option<&str>,
        service_code: Option<&str>,
        start_date: Option<&str>,
        end_date: Option<&str>,
    ) -> Result<Self, Open311Error> {
        let mut open = false;
        let mut closed = false;
        for s in items(status) {
            match s {
                "open" => open = true,
                "closed" => closed = true,
                _ => {
                    return Err(Open311Error::bad_request(
                        "`status` is `open`, `closed` or both, comma-separated",
                    ));
                }
            }
        }
        let codes = items(service_code);
        for code in &codes {
            if catalog.get(code).is_none() {
                return Err(Open311Error::bad_request(format!(
                    "`service_code` `{code}` is not a service of services.json"
                )));
            }
        }
        let span = Duration::days(MAX_DAYS);
        let (from, to) = match (date("start_date", start_date)?, date("end_date", end_date)?) {
            (Some(from), Some(to)) => {
                if to < from {
                    return Err(Open311Error::bad_request(
                        "`end_date` is before `start_date`",
                    ));
                }
                if to.seconds_since(from) > span.whole_seconds() {
                    return Err(Open311Error::bad_request(format!(
                        "`start_date` to `end_date` may span at most {MAX_DAYS} days"
                    )));
                }
                (from, Some(to))
            }
            (Some(from), None) => (from, Some(shifted(from, span)?)),
            (None, Some(to)) => (shifted(to, -span)?, Some(to)),
            (None, None) => (now + -span, None),
        };
        Ok(Self {
            closed: (open != closed).then_some(closed),
            codes: (!codes.is_empty()).then(|| codes.into_iter().map(str::to_owned).collect()),
            from,
            to,
        })
    }
}

/// A date given plus or minus the window; a date so far out the window leaves the
/// calendar is refused, never a panic.
fn shifted(at: Timestamp, by: Duration) -> Result<Timestamp, Open311Error> {
    at.checked_add(by)
        .ok_or_else(|| Open311Error::bad_request("the date is out of range"))
}
