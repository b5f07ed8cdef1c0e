//! Analytics routes: stage times with a Pareto view, handling time per category,
//! department and squad, and the headline rates. `from`/`to` filter on intake time (a
//! `from` not before `to` is refused on every route); what is still open counts up to now,
//! or to `to` when that is earlier. `?format=csv` answers CSV for spreadsheets: UTF-8 with
//! a byte order mark (Excel reads Chinese text right only with it; `&bom=false` leaves it
//! out), ids in their own `key` column and the names people know in a last `name` column,
//! and text a spreadsheet would run as a formula written as text (see [`csv_field`]).

use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use crate::domain::Timestamp;
use crate::domain::role::Role;
use crate::domain::stats::names::Names;
use crate::domain::stats::{self, GroupRow, Rates, StageRow};
use crate::domain::ticket::Ticket;
use crate::engine::Engine;
use crate::store::TicketQuery;

pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(stages)
        .service(categories)
        .service(teams)
        .service(rates)
        .service(returns)
        .service(trend);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// Tickets received at or after (RFC 3339).
    pub from: Option<String>,
    /// Tickets received before (RFC 3339); after `from`. When it is past, stages still
    /// open and unanswered tickets count up to it, not to now.
    pub to: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// CSV only: start with a UTF-8 byte order mark (default true, for Excel).
    pub bom: Option<bool>,
}

#[derive(Clone, Copy)]
enum Format {
    Json,
    /// With the byte order mark or without.
    Csv {
        bom: bool,
    },
}

fn parse(p: &StatsParams) -> Result<(Option<Timestamp>, Option<Timestamp>, Format), ApiError> {
    let time = |field: &str, raw: &Option<String>| {
        raw.as_deref()
            .map(|t| {
                Timestamp::parse(t).map_err(|e| {
                    ApiError::malformed(format!("`{field}` is not an RFC 3339 time: {e}"))
                })
            })
            .transpose()
    };
    let format = match p.format.as_deref() {
        None | Some("json") => Format::Json,
        Some("csv") => Format::Csv {
            bom: p.bom.unwrap_or(true),
        },
        Some(other) => {
            return Err(ApiError::malformed(format!(
                "`format` is json or csv, not `{other}`"
            )));
        }
    };
    let (from, to) = (time("from", &p.from)?, time("to", &p.to)?);
    if let (Some(f), Some(t)) = (from, to)
        && f >= t
    {
        return Err(ApiError::malformed(format!(
            "`from` ({f}) must be before `to` ({t})"
        )));
    }
    Ok((from, to, format))
}

/// Every ticket received in the period.
fn load(
    engine: &Engine,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
) -> Result<Vec<Ticket>, ApiError> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = engine.store.list_tickets(&TicketQuery {
            from,
            to,
            after,
            limit: 500,
            ..Default::default()
        })?;
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => after = Some(c),
            None => return Ok(out),
        }
    }
}

/// A cell that is a plain number (`12`, `-0.25`, `1e-3`): written as it is, so a
/// spreadsheet reads it as a number.
fn is_number(s: &str) -> bool {
    s.parse::<f64>().is_ok()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
}

/// One CSV cell: every CSV the engine writes goes through here. Text a spreadsheet would
/// run as a formula — starting with `=`, `+`, `-`, `@`, a tab or a carriage return (OWASP
/// "CSV injection": a squad id `-A1` becomes `=-A1`) — is written with a leading `'`, which
/// spreadsheets show as text; numbers, negative ones included, are left as numbers (a
/// number cannot carry a formula). Then the cell is quoted when it needs to be.
fn csv_field(s: &str) -> String {
    let formula_like = s.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_number(s);
    let s = if formula_like {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn opt(x: Option<f64>) -> String {
    x.map(|v| v.to_string()).unwrap_or_default()
}

/// The byte order mark that tells Excel a CSV is UTF-8.
const BOM: &str = "\u{feff}";

fn csv(bom: bool, header: &str, rows: impl Iterator<Item = Vec<String>>) -> HttpResponse {
    let mut body = String::from(if bom { BOM } else { "" });
    body.push_str(header);
    body.push('\n');
    for r in rows {
        body.push_str(&r.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        body.push('\n');
    }
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .body(body)
}

fn group_csv<'a>(rows: &'a [GroupRow], kind: &'a str) -> impl Iterator<Item = Vec<String>> + 'a {
    rows.iter().map(move |r| {
        vec![
            kind.to_owned(),
            r.key.clone(),
            r.tickets.to_string(),
            r.mean_handling_hours.to_string(),
            r.median_handling_hours.to_string(),
            r.returns.to_string(),
            opt(r.satisfaction_rate),
            r.handled.to_string(),
            r.name.clone().unwrap_or_default(),
        ]
    })
}

const GROUP_HEADER: &str = "group,key,tickets,mean_handling_hours,median_handling_hours,returns,satisfaction_rate,handled,name";

/// The names of the guide's categories and the roster's squads, staff and vehicles.
fn names(engine: &Engine) -> Result<Names, ApiError> {
    use crate::domain::roster::{Staff, Team, Vehicle};
    Ok(Names::new(
        &engine.catalog,
        &engine.roster.list::<Team>()?,
        &engine.roster.list::<Staff>()?,
        &engine.roster.list::<Vehicle>()?,
    ))
}

/// Gives each row the name of its key.
fn named(mut rows: Vec<GroupRow>, name: impl Fn(&str) -> Option<String>) -> Vec<GroupRow> {
    for r in &mut rows {
        r.name = name(&r.key);
    }
    rows
}
const READERS: &[Role] = &[Role::Supervisor, Role::Dispatcher];

/// The tickets of a period, and the time what is still open counts up to: now, or the
/// period's end when that is earlier (a past period does not grow as time goes by).
struct Period {
    tickets: Vec<Ticket>,
    as_of: Timestamp,
    format: Format,
}

/// Checks the caller and the parameters, and loads the tickets of the period.
fn period(engine: &Engine, caller: &Caller, params: &StatsParams) -> Result<Period, ApiError> {
    caller.require(READERS)?;
    let (from, to, format) = parse(params)?;
    let now = engine.clock.now();
    // A load test's squads, vehicles and tickets are not the unit's work.
    let simulated = crate::domain::simulated::Simulated::of(
        &engine.roster.list::<crate::domain::roster::Team>()?,
        &engine.roster.list::<crate::domain::roster::Vehicle>()?,
    );
    let mut tickets = load(engine, from, to)?;
    tickets.retain(|t| !simulated.ticket(t));
    Ok(Period {
        tickets,
        as_of: to.map_or(now, |t| t.min(now)),
        format,
    })
}

/// Mean and median hours per stage, largest total first, with each stage's share and the
/// running share (Pareto).
#[utoipa::path(tag = "stats", params(StatsParams),
    responses((status = 200, description = "OK", body = [StageRow], example = json!(crate::api::examples::list("StageRow"))), (status = 400, description = "malformed request", body = ErrorBody)), security(("bearer" = [])))]
#[get("/stats/stages")]
async fn stages(
    engine: web::Data<Engine>,
    caller: Caller,
    params: web::Query<StatsParams>,
) -> Result<HttpResponse, ApiError> {
    let p = period(&engine, &caller, &params)?;
    let refs: Vec<&Ticket> = p.tickets.iter().collect();
    let rows = stats::stages(&refs, p.as_of);
    Ok(match p.format {
        Format::Json => HttpResponse::Ok().json(rows),
        Format::Csv { bom } => csv(
            bom,
            "stage,tickets,mean_hours,median_hours,total_hours,share,cumulative_share,name",
            rows.iter().map(|r| {
                vec![
                    r.stage.as_str().to_owned(),
                    r.tickets.to_string(),
                    r.mean_hours.to_string(),
                    r.median_hours.to_string(),
                    r.total_hours.to_string(),
                    r.share.to_string(),
                    r.cumulative_share.to_string(),
                    crate::domain::board::stage_name(r.stage).to_owned(),
                ]
            }),
        ),
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CategoryStats {
    pub categories: Vec<GroupRow>,
    pub departments: Vec<GroupRow>,
}

/// Handling hours (intake to reply; tickets transferred out or merged left out), returns
/// and satisfaction per category and department.
#[utoipa::path(tag = "stats", params(StatsParams),
    responses((status = 200, description = "OK", body = CategoryStats, example = json!(crate::api::examples::example("CategoryStats"))), (status = 400, description = "malformed request", body = ErrorBody)), security(("bearer" = [])))]
#[get("/stats/categories")]
async fn categories(
    engine: web::Data<Engine>,
    caller: Caller,
    params: web::Query<StatsParams>,
) -> Result<HttpResponse, ApiError> {
    let p = period(&engine, &caller, &params)?;
    let refs: Vec<&Ticket> = p.tickets.iter().collect();
    let names = names(&engine)?;
    let body = CategoryStats {
        categories: named(stats::by_category(&refs, p.as_of), |k| names.category(k)),
        departments: named(stats::by_department(&refs, p.as_of), |k| {
            names.department(k)
        }),
    };
    Ok(match p.format {
        Format::Json => HttpResponse::Ok().json(body),
        Format::Csv { bom } => csv(
            bom,
            GROUP_HEADER,
            group_csv(&body.categories, "category")
                .chain(group_csv(&body.departments, "department")),
        ),
    })
}

/// Handling hours, returns and satisfaction per squad, with its name.
#[utoipa::path(tag = "stats", params(StatsParams),
    responses((status = 200, description = "OK", body = [GroupRow], example = json!(crate::api::examples::list("GroupRow"))), (status = 400, description = "malformed request", body = ErrorBody)), security(("bearer" = [])))]
#[get("/stats/teams")]
async fn teams(
    engine: web::Data<Engine>,
    caller: Caller,
    params: web::Query<StatsParams>,
) -> Result<HttpResponse, ApiError> {
    let p = period(&engine, &caller, &params)?;
    let refs: Vec<&Ticket> = p.tickets.iter().collect();
    let names = names(&engine)?;
    let rows = named(stats::by_team(&refs, p.as_of), |k| names.team(k));
    Ok(match p.format {
        Format::Json => HttpResponse::Ok().json(rows),
        Format::Csv { bom } => csv(bom, GROUP_HEADER, group_csv(&rows, "team")),
    })
}

/// Response, resolution, satisfaction and rework rates.
#[utoipa::path(tag = "stats", params(StatsParams),
    responses((status = 200, description = "OK", body = Rates, example = json!(crate::api::examples::example("Rates"))), (status = 400, description = "malformed request", body = ErrorBody)), security(("bearer" = [])))]
#[get("/stats/rates")]
async fn rates(
    engine: web::Data<Engine>,
    caller: Caller,
    params: web::Query<StatsParams>,
) -> Result<HttpResponse, ApiError> {
    let p = period(&engine, &caller, &params)?;
    let refs: Vec<&Ticket> = p.tickets.iter().collect();
    let r = stats::rates(&refs, &engine.catalog, p.as_of);
    Ok(match p.format {
        Format::Json => HttpResponse::Ok().json(r),
        Format::Csv { bom } => csv(
            bom,
            "tickets,response_rate,resolution_rate,satisfaction_rate,rework_rate",
            std::iter::once(vec![
                r.tickets.to_string(),
                opt(r.response_rate),
                opt(r.resolution_rate),
                opt(r.satisfaction_rate),
                opt(r.rework_rate),
            ]),
        ),
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReturnParams {
    /// Returns at or after (RFC 3339).
    pub from: Option<String>,
    /// Returns before (RFC 3339).
    pub to: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// Count only the returns that gave this reason code.
    pub reason: Option<String>,
    /// CSV only: start with a UTF-8 byte order mark (default true, for Excel).
    pub bom: Option<bool>,
}

/// Returned reports per report writer, per staff member on the ticket (crew and assigned
/// handlers) and per category, each broken down by the guide's reason codes, and the
/// count of every reason (from the event log; `from`/`to` filter on the event time). An
/// unknown `reason` is refused with the allowed codes.
#[utoipa::path(tag = "stats", params(ReturnParams),
    responses((status = 200, description = "OK", body = stats::ReturnStats, example = json!(crate::api::examples::example("ReturnStats"))), (status = 400, description = "malformed request", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)), security(("bearer" = [])))]
#[get("/stats/returns")]
async fn returns(
    engine: web::Data<Engine>,
    caller: Caller,
    params: web::Query<ReturnParams>,
) -> Result<HttpResponse, ApiError> {
    caller.require(READERS)?;
    let p = params.into_inner();
    let (from, to, format) = parse(&StatsParams {
        from: p.from,
        to: p.to,
        format: p.format,
        bom: p.bom,
    })?;
    if let Some(code) = p.reason.as_deref()
        && engine.catalog.return_reason(code).is_none()
    {
        return Err(crate::domain::input::unknown_reason_code(code, &engine.catalog).into());
    }
    let mut events = Vec::new();
    let mut after = 0;
    loop {
        let batch = engine.store.events_since(after, 10_000)?;
        let Some(last) = batch.last() else { break };
        after = last.event_id;
        events.extend(
            batch
                .into_iter()
                .filter(|e| from.is_none_or(|f| e.at >= f) && to.is_none_or(|t| e.at < t)),
        );
    }
    let store = &engine.store;
    let r = stats::returns(
        &events,
        |id| {
            let t = store.ticket(id).ok().flatten()?;
            let mut staff = t.assignment.crew.clone();
            staff.extend(t.assignment.staff.iter().cloned());
            staff.sort();
            staff.dedup();
            Some(stats::TicketFacts {
                category: t.category,
                staff,
            })
        },
        &engine.catalog,
        p.reason.as_deref(),
    );
    Ok(match format {
        Format::Json => HttpResponse::Ok().json(r),
        Format::Csv { bom } => returns_csv(
            bom,
            &r,
            &engine.catalog.return_reason_codes(),
            &names(&engine)?,
        ),
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrendParams {
    /// Start (RFC 3339); default 30 days before `to`.
    pub from: Option<String>,
    /// End, exclusive (RFC 3339); default now.
    pub to: Option<String>,
    /// `day` (default) or `week`.
    pub bucket: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// CSV only: start with a UTF-8 byte order mark (default true, for Excel).
    pub bom: Option<bool>,
}

/// Tickets received per day or week (local time, UTC+8; weeks from Monday) with how many
/// were answered, their mean handling hours, returns, satisfaction and resolution rates.
/// Every bucket of the period is listed; at most 400.
#[utoipa::path(tag = "stats", params(TrendParams),
    responses((status = 200, description = "OK", body = [stats::trend::TrendRow], example = json!(crate::api::examples::list("TrendRow"))), (status = 400, description = "malformed request", body = ErrorBody)), security(("bearer" = [])))]
#[get("/stats/trend")]
async fn trend(
    engine: web::Data<Engine>,
    caller: Caller,
    params: web::Query<TrendParams>,
) -> Result<HttpResponse, ApiError> {
    use stats::trend::Bucket;
    caller.require(READERS)?;
    let p = params.into_inner();
    let bucket = match p.bucket.as_deref() {
        None | Some("day") => Bucket::Day,
        Some("week") => Bucket::Week,
        Some(other) => {
            return Err(ApiError::malformed(format!(
                "`bucket` is day or week, not `{other}`"
            )));
        }
    };
    let (from, to, format) = parse(&StatsParams {
        from: p.from,
        to: p.to,
        format: p.format,
        bom: p.bom,
    })?;
    let to = to.unwrap_or_else(|| engine.clock.now());
    let from = from.unwrap_or(to + time::Duration::days(-30));
    // A period too long is refused before any ticket is read.
    stats::trend::buckets(from, to, bucket).map_err(|e| ApiError::malformed(e.to_string()))?;
    let tickets = load(&engine, Some(from), Some(to))?;
    let refs: Vec<&Ticket> = tickets.iter().collect();
    let rows = stats::trend::trend(&refs, from, to, bucket)
        .map_err(|e| ApiError::malformed(e.to_string()))?;
    Ok(match format {
        Format::Json => HttpResponse::Ok().json(rows),
        Format::Csv { bom } => csv(
            bom,
            "start,label,received,answered,closed_other,mean_handling_hours,returns,satisfaction_rate,resolution_rate",
            rows.iter().map(|r| {
                vec![
                    r.start.to_string(),
                    r.label.clone(),
                    r.received.to_string(),
                    r.answered.to_string(),
                    r.closed_other.to_string(),
                    opt(r.mean_handling_hours),
                    r.returns.to_string(),
                    opt(r.satisfaction_rate),
                    opt(r.resolution_rate),
                ]
            }),
        ),
    })
}

/// One row per writer, staff member and category (and the total first), with a column
/// per reason code, and the name of each key last.
fn returns_csv(bom: bool, r: &stats::ReturnStats, codes: &[&str], names: &Names) -> HttpResponse {
    let mut header = String::from("group,key,reports,returns,return_rate");
    for c in codes {
        header.push(',');
        header.push_str(c);
    }
    header.push_str(",name");
    let total = stats::ReturnRow {
        key: "all".into(),
        reports: r.reports,
        returns: r.returns,
        return_rate: r.return_rate,
        reasons: r
            .by_reason
            .iter()
            .map(|x| (x.code.clone(), x.returns))
            .collect(),
    };
    let rows = std::iter::once(("total", &total))
        .chain(r.by_handler.iter().map(|x| ("handler", x)))
        .chain(r.by_staff.iter().map(|x| ("staff", x)))
        .chain(r.by_category.iter().map(|x| ("category", x)))
        .map(|(g, x)| {
            let mut row = vec![
                g.to_owned(),
                x.key.clone(),
                x.reports.to_string(),
                x.returns.to_string(),
                opt(x.return_rate),
            ];
            row.extend(
                codes
                    .iter()
                    .map(|c| x.reasons.get(*c).copied().unwrap_or(0).to_string()),
            );
            row.push(names.of(g, &x.key).unwrap_or_default());
            row
        });
    csv(bom, &header, rows)
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn formula_like_text_is_neutralised_and_numbers_are_kept() {
        for (cell, written) in [
            (
                "=HYPERLINK(\"http://x\")",
                "\"'=HYPERLINK(\"\"http://x\"\")\"",
            ),
            ("+SUM(A1)", "'+SUM(A1)"),
            ("-A1", "'-A1"),
            ("@cmd", "'@cmd"),
            ("\tx", "'\tx"),
            ("\r=1", "\"'\r=1\""),
            ("-inf", "'-inf"),
            ("-", "'-"),
            ("-12", "-12"),
            ("-0.25", "-0.25"),
            ("+3", "+3"),
            ("1e-3", "1e-3"),
            ("order_consultation", "order_consultation"),
            ("a,b", "\"a,b\""),
            ("", ""),
        ] {
            assert_eq!(csv_field(cell), written, "{cell:?}");
        }
    }
}
