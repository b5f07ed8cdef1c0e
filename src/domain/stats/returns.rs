//! Returned reports (退回) from the event log: each review or approval return is charged to
//! whoever submitted the report it returned, to the staff handling the ticket (the crew of
//! the vehicle sent and the handlers assigned by name), to the ticket's category, and to
//! each reason code it gave — so a supervisor sees who needs help with which part of the
//! report template, and the guide's keepers see which part of the template fails.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::rate;
use crate::domain::catalog::Catalog;
use crate::domain::ids::{StaffId, TicketId};
use crate::domain::ticket::{
    ApprovalDecision, EventKind, EventRecord, ReturnReason, ReviewDecision,
};

/// Most free-text notes listed.
const MAX_NOTES: usize = 50;

/// What the counts need of a ticket beyond its events (from its current snapshot).
#[derive(Clone, Debug, Default)]
pub struct TicketFacts {
    pub category: Option<String>,
    /// The crew of the vehicle sent and the handlers assigned by name.
    pub staff: Vec<StaffId>,
}

/// Returned reports of one writer, staff member or category.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReturnRow {
    pub key: String,
    /// Reports submitted.
    pub reports: usize,
    /// Returns by review or approval.
    pub returns: usize,
    /// Returns over reports.
    pub return_rate: Option<f64>,
    /// Returns by reason code (a return giving two reasons counts under both).
    pub reasons: BTreeMap<String, usize>,
}

/// One reason code of the guide and how often returns gave it.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReasonRow {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Returns that gave this reason.
    pub returns: usize,
    /// Of all returns, the share that gave it.
    pub share: Option<f64>,
}

/// Why reports come back, and whose and which.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReturnStats {
    pub reports: usize,
    pub returns: usize,
    pub return_rate: Option<f64>,
    /// By the principal who submitted the returned report (`staff:S-1`, `vehicle:V-1`).
    pub by_handler: Vec<ReturnRow>,
    /// By staff member on the ticket: the vehicle's crew and the handlers assigned.
    pub by_staff: Vec<ReturnRow>,
    pub by_category: Vec<ReturnRow>,
    /// Every reason code of the guide, in its order, with its count.
    pub by_reason: Vec<ReasonRow>,
    /// The reviewers' notes, most frequent first (at most 50).
    pub notes: Vec<(String, usize)>,
}

#[derive(Default)]
struct Tally {
    reports: usize,
    returns: usize,
    reasons: BTreeMap<String, usize>,
}

impl Tally {
    fn charge(&mut self, codes: &[&str]) {
        self.returns += 1;
        for c in codes {
            *self.reasons.entry((*c).to_owned()).or_default() += 1;
        }
    }
}

/// The returns in `events` (in event order). With `only`, just the returns that gave that
/// reason code count as returns; reports count either way.
pub fn returns(
    events: &[EventRecord],
    facts: impl Fn(&TicketId) -> Option<TicketFacts>,
    catalog: &Catalog,
    only: Option<&str>,
) -> ReturnStats {
    let mut known: HashMap<TicketId, TicketFacts> = HashMap::new();
    let mut last_writer: HashMap<TicketId, String> = HashMap::new();
    let mut handler: BTreeMap<String, Tally> = BTreeMap::new();
    let mut staff: BTreeMap<String, Tally> = BTreeMap::new();
    let mut category: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_code: HashMap<String, usize> = HashMap::new();
    let mut notes: HashMap<String, usize> = HashMap::new();
    let (mut reports, mut total) = (0, 0);
    for e in events {
        let why: &[ReturnReason] = match &e.kind {
            EventKind::ReportSubmitted { .. } => &[],
            EventKind::Reviewed {
                decision: ReviewDecision::Return,
                reasons,
            }
            | EventKind::ApprovalDecided {
                decision: ApprovalDecision::ReturnToReporting | ApprovalDecision::ReturnToReview,
                reasons,
            } => reasons,
            _ => continue,
        };
        let f = known
            .entry(e.ticket_id)
            .or_insert_with(|| facts(&e.ticket_id).unwrap_or_default());
        let cat = f.category.clone().unwrap_or_else(|| "unclassified".into());
        let people: Vec<String> = f.staff.iter().map(|s| s.to_string()).collect();
        if let EventKind::ReportSubmitted { .. } = e.kind {
            let who =
                e.by.subject
                    .as_ref()
                    .map_or_else(|| e.by.role.to_string(), |s| s.to_string());
            reports += 1;
            handler.entry(who.clone()).or_default().reports += 1;
            category.entry(cat).or_default().reports += 1;
            for p in people {
                staff.entry(p).or_default().reports += 1;
            }
            last_writer.insert(e.ticket_id, who);
            continue;
        }
        let mut codes: Vec<&str> = why.iter().map(|r| r.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        if only.is_some_and(|o| !codes.contains(&o)) {
            continue;
        }
        total += 1;
        if let Some(who) = last_writer.get(&e.ticket_id) {
            handler.entry(who.clone()).or_default().charge(&codes);
        }
        category.entry(cat).or_default().charge(&codes);
        for p in people {
            staff.entry(p).or_default().charge(&codes);
        }
        for c in &codes {
            *by_code.entry((*c).to_owned()).or_default() += 1;
        }
        for n in why.iter().filter_map(|r| r.note.as_deref()) {
            let n = n.trim();
            if !n.is_empty() {
                *notes.entry(n.to_owned()).or_default() += 1;
            }
        }
    }
    let rows = |m: BTreeMap<String, Tally>| {
        m.into_iter()
            .map(|(key, t)| ReturnRow {
                key,
                reports: t.reports,
                returns: t.returns,
                return_rate: rate(t.returns, t.reports),
                reasons: t.reasons,
            })
            .collect()
    };
    let by_reason = catalog
        .return_reasons()
        .iter()
        .map(|r| {
            let n = by_code.get(&r.code).copied().unwrap_or(0);
            ReasonRow {
                code: r.code.clone(),
                name_zh: r.name_zh.clone(),
                name_en: r.name_en.clone(),
                returns: n,
                share: rate(n, total),
            }
        })
        .collect();
    let mut notes: Vec<(String, usize)> = notes.into_iter().collect();
    notes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    notes.truncate(MAX_NOTES);
    ReturnStats {
        reports,
        returns: total,
        return_rate: rate(total, reports),
        by_handler: rows(handler),
        by_staff: rows(staff),
        by_category: rows(category),
        by_reason,
        notes,
    }
}
