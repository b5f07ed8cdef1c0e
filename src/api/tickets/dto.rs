//! Wire shapes of tickets and their events. The reporter's identity is included only for
//! roles allowed to see it (dispatcher, supervisor).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::api::error::ApiError;
use crate::domain::Timestamp;
use crate::domain::catalog::{Catalog, Department, HandlingPath, Kind, Urgency};
use crate::domain::error_code::ErrorCode;
use crate::domain::input::{LatLngDto, MAX_DESCRIPTION, check_len, check_opt, licence};
use crate::domain::redact;
use crate::domain::role::Role;
use crate::domain::ticket::{
    EventRecord, Location, NewTicket, Reporter, Source, Stage, Status, Ticket,
};

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ReporterDto {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The citizen's own address (for the return visit), not the site's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default)]
    pub anonymous: bool,
}

/// The intake body of `POST /api/v1/tickets`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct IntakeRequest {
    #[schema(value_type = String, example = "12313")]
    pub source: Source,
    /// The platform's own id; a repeat of (source, external_id) returns the same ticket.
    pub external_id: Option<String>,
    pub kind: Kind,
    /// A handling-guide category code; triage decides when absent.
    pub category: Option<String>,
    pub urgency: Option<Urgency>,
    pub description: String,
    pub reporter: Option<ReporterDto>,
    pub address_text: Option<String>,
    pub location: Option<LatLngDto>,
    pub retailer_licence: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub received_at: Option<Timestamp>,
}

impl IntakeRequest {
    pub fn into_new_ticket(self) -> Result<NewTicket, ApiError> {
        check_len("description", &self.description, MAX_DESCRIPTION)?;
        check_opt("external_id", &self.external_id, 128)?;
        if self
            .external_id
            .as_deref()
            .is_some_and(|e| e.trim().is_empty())
        {
            return Err(ApiError::of(
                ErrorCode::BadExternalId,
                "`external_id` must not be blank",
            ));
        }
        check_opt("address_text", &self.address_text, 500)?;
        let retailer_licence = licence(self.retailer_licence)?;
        let reporter = match self.reporter {
            Some(r) => {
                check_opt("reporter.name", &r.name, 64)?;
                check_opt("reporter.phone", &r.phone, 32)?;
                check_opt("reporter.address", &r.address, 200)?;
                if let Some(phone) = &r.phone {
                    let ok = phone
                        .chars()
                        .all(|c| c.is_ascii_digit() || "+- ".contains(c));
                    if !ok {
                        return Err(ApiError::of(
                            ErrorCode::BadPhone,
                            "`reporter.phone` may hold digits, spaces, '+' and '-' only",
                        ));
                    }
                }
                Some(Reporter {
                    name: r.name,
                    phone: r.phone,
                    address: r.address,
                    anonymous: r.anonymous,
                })
            }
            None => None,
        };
        let position = self.location.map(LatLngDto::parse).transpose()?;
        Ok(NewTicket {
            source: self.source,
            external_id: self.external_id,
            kind: self.kind,
            category: self.category,
            urgency: self.urgency,
            description: self.description,
            reporter,
            location: Location {
                position,
                address_text: self.address_text,
                retailer_licence,
                reported_licence: None,
                ..Location::default()
            },
            received_at: self.received_at,
            possible_duplicate_of: None,
            retailer_candidates: Vec::new(),
            suggestion: None,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LocationDto {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<LatLngDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retailer_licence: Option<String>,
    /// The licence the platform sent when the registry does not hold it (the ticket is then
    /// matched by its text, like one that named no licence).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reported_licence: Option<String>,
    /// The service area the position lies in (or within the margin of), by its
    /// administrative code (`421182`); absent without a position or outside every area.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area_code: Option<String>,
    /// The position lies outside the service area (and its margin): the engine does not
    /// offer the ticket to a vehicle on its own; a dispatcher may send one by name.
    pub outside_area: bool,
    /// How exactly the position is known: `given` (coordinates sent or set at triage),
    /// `shop` (the registry's shop), or approximate — `street` (the registry's shops on the
    /// street or village the text names) or `town` (the centre of the town it names),
    /// which the engine never dispatches on by itself. Absent without a position and on
    /// older tickets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precision: Option<crate::domain::place::Precision>,
    /// What an approximate position stands for (`梅川镇`, `梅川镇广济路`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approximate_place: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlinesDto {
    pub stage: Stage,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub stage_due_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub reply_due_at: Option<Timestamp>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TriageDto {
    /// The classifier's proposal at intake: `category`, `confidence` (a calibrated
    /// probability), `alternatives` (`[code, share]`, best first), `urgency`,
    /// `escalated_by` (the phrase that raised it, if any), `question` (read as a question
    /// that reports nobody; absent when not), `low_confidence` (below the guide's
    /// `[triage] low_confidence`) and `why` (`[{ term, source: "guide" | "examples",
    /// weight }]`: the guide terms and example words that decided it; absent on older
    /// tickets).
    #[schema(value_type = Option<Object>)]
    pub suggestion: Option<Value>,
    pub confirmed: bool,
    pub urgency_from_default: bool,
    pub overridden: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentDto {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vehicle_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    pub staff: Vec<String>,
    /// The crew of the vehicle sent.
    pub crew: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StageSpanDto {
    pub stage: Stage,
    #[schema(value_type = String, format = DateTime)]
    pub entered_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub exited_at: Option<Timestamp>,
    /// The stage's deadline as fixed while it ran (absent when the stage has no limit).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Timestamp>,
}

/// A ticket as clients see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketDto {
    pub id: String,
    pub number: String,
    pub status: Status,
    pub stage: Stage,
    #[schema(value_type = String)]
    pub source: Source,
    pub external_id: Option<String>,
    pub kind: Kind,
    pub category: Option<String>,
    pub category_name: Option<String>,
    pub urgency: Option<Urgency>,
    pub department: Option<Department>,
    pub path: Option<HandlingPath>,
    pub description: String,
    /// Dispatchers and supervisors only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reporter: Option<ReporterDto>,
    pub location: LocationDto,
    #[schema(value_type = String, format = DateTime)]
    pub received_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// Per-ticket sequence number of the last event.
    pub seq: u64,
    pub triage: TriageDto,
    pub assignment: AssignmentDto,
    pub deadlines: DeadlinesDto,
    pub stages: Vec<StageSpanDto>,
    #[schema(value_type = Option<Object>)]
    pub onsite: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub report: Option<Value>,
    pub review_returns: u32,
    pub approval_returns: u32,
    #[schema(value_type = Option<Object>)]
    pub reply: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub visit: Option<Value>,
    pub reopen_count: u32,
    pub supervision_notices: u32,
    #[schema(value_type = Option<Object>)]
    pub transfer: Option<Value>,
    pub merged_into: Option<String>,
    pub duplicates: Vec<String>,
    /// An open ticket this one probably repeats; a dispatcher may merge them.
    pub possible_duplicate_of: Option<String>,
    /// The SLA clocks: the current stage's and the one from intake to the reply.
    pub sla: SlaDto,
    /// Registry retailers the text may be about, for the dispatcher to confirm at triage.
    #[schema(value_type = Vec<Object>)]
    pub retailer_candidates: Vec<Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlaDto {
    /// 80% of the current stage's limit has passed.
    pub warned: bool,
    /// The current stage's limit has passed.
    pub overdue: bool,
    /// The intake-to-reply clock (its deadline is `deadlines.reply_due_at`).
    pub total: SlaTotalDto,
    /// In the overdue queue: the earliest deadline missed that the ticket is still late on
    /// (the queue lists the smallest first). Absent when not overdue.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub overdue_since: Option<Timestamp>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlaTotalDto {
    /// 80% of the limit from intake to the reply has passed.
    pub warned: bool,
    /// The limit from intake to the reply has passed (it stays so once the reply is late).
    pub overdue: bool,
}

fn value<T: Serialize>(v: &Option<T>) -> Option<Value> {
    v.as_ref().and_then(|x| serde_json::to_value(x).ok())
}

impl TicketDto {
    /// The ticket as `viewer` may see it: a role that does not see the reporter gets no
    /// reporter and the reporter's identity masked wherever free text quotes it.
    pub fn new(t: &Ticket, viewer: Role, catalog: &Catalog) -> Self {
        let mut dto = Self::unmasked(t, viewer, catalog);
        if !viewer.sees_reporter() {
            dto.mask_reporter(t.reporter.as_ref());
        }
        dto
    }

    fn mask_reporter(&mut self, reporter: Option<&Reporter>) {
        self.description = redact::mask_reporter(&self.description, reporter);
        if let Some(a) = &mut self.location.address_text {
            *a = redact::mask_reporter(a, reporter);
        }
        for v in [
            &mut self.onsite,
            &mut self.report,
            &mut self.reply,
            &mut self.visit,
            &mut self.transfer,
        ]
        .into_iter()
        .flatten()
        {
            redact::mask_json(v, reporter);
        }
    }

    fn unmasked(t: &Ticket, viewer: Role, catalog: &Catalog) -> Self {
        let d = t.deadlines(catalog);
        Self {
            id: t.id.to_string(),
            number: t.number.to_string(),
            status: t.status,
            stage: t.stage(),
            source: t.source,
            external_id: t.external_id.clone(),
            kind: t.kind,
            category: t.category.clone(),
            category_name: t
                .category
                .as_deref()
                .and_then(|c| catalog.get(c))
                .map(|c| c.name_zh.clone()),
            urgency: t.urgency,
            department: t.department,
            path: t.path,
            description: t.description.clone(),
            reporter: t
                .reporter
                .as_ref()
                .filter(|_| viewer.sees_reporter())
                .map(|r| ReporterDto {
                    name: r.name.clone(),
                    phone: r.phone.clone(),
                    address: r.address.clone(),
                    anonymous: r.anonymous,
                }),
            location: LocationDto {
                position: t.location.position.map(Into::into),
                address_text: t.location.address_text.clone(),
                retailer_licence: t.location.retailer_licence.clone(),
                reported_licence: t.location.reported_licence.clone(),
                area_code: t.location.area_code.clone(),
                outside_area: t.location.outside_area,
                precision: t.location.precision,
                approximate_place: t.location.approximate_place.clone(),
            },
            received_at: t.received_at,
            created_at: t.created_at,
            updated_at: t.updated_at,
            seq: t.seq,
            triage: TriageDto {
                suggestion: value(&t.triage.suggestion),
                confirmed: t.triage.confirmed,
                urgency_from_default: t.triage.urgency_from_default,
                overridden: t.triage.overridden,
            },
            assignment: AssignmentDto {
                vehicle_id: t.assignment.vehicle_id.as_ref().map(|v| v.to_string()),
                team_id: t.assignment.team_id.as_ref().map(|v| v.to_string()),
                staff: t.assignment.staff.iter().map(|s| s.to_string()).collect(),
                crew: t.assignment.crew.iter().map(|s| s.to_string()).collect(),
            },
            deadlines: DeadlinesDto {
                stage: d.stage,
                stage_due_at: d.stage_due_at,
                reply_due_at: d.reply_due_at,
            },
            stages: t
                .stages
                .iter()
                .map(|s| StageSpanDto {
                    stage: s.stage,
                    entered_at: s.entered_at,
                    exited_at: s.exited_at,
                    due_at: s.due_at,
                })
                .collect(),
            onsite: value(&t.onsite),
            report: value(&t.report),
            review_returns: t.review_returns,
            approval_returns: t.approval_returns,
            reply: value(&t.reply),
            visit: value(&t.visit),
            reopen_count: t.reopen_count,
            supervision_notices: t.supervision_notices,
            transfer: value(&t.transfer),
            merged_into: t.merged_into.map(|i| i.to_string()),
            duplicates: t.duplicates.iter().map(|i| i.to_string()).collect(),
            possible_duplicate_of: t.possible_duplicate_of.map(|i| i.to_string()),
            retailer_candidates: t
                .retailer_candidates
                .iter()
                .filter_map(|c| serde_json::to_value(c).ok())
                .collect(),
            sla: SlaDto {
                warned: t.sla.warned,
                overdue: t.sla.overdue,
                total: SlaTotalDto {
                    warned: t.sla.total.warned,
                    overdue: t.sla.total.overdue,
                },
                overdue_since: t.overdue_since(),
            },
        }
    }
}

/// One event of a ticket's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventDto {
    /// Global, dense, commit-ordered.
    pub event_id: u64,
    pub ticket_id: String,
    pub number: String,
    /// Per ticket, from 1.
    pub seq: u64,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub by_role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_subject: Option<String>,
    /// The ticket's status after the event.
    pub status: Status,
    /// `ticket.received`, `ticket.triaged`, ...
    #[serde(rename = "type")]
    pub event_type: String,
    /// The event's own fields.
    #[schema(value_type = Object)]
    pub data: Value,
}

impl From<&EventRecord> for EventDto {
    fn from(e: &EventRecord) -> Self {
        let mut data = serde_json::to_value(&e.kind).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut data {
            map.remove("type");
        }
        Self {
            event_id: e.event_id,
            ticket_id: e.ticket_id.to_string(),
            number: e.number.to_string(),
            seq: e.seq,
            at: e.at,
            by_role: e.by.role,
            by_subject: e.by.subject.as_ref().map(|s| s.to_string()),
            status: e.status,
            event_type: e.kind.name().to_owned(),
            data,
        }
    }
}

/// Filters and paging of `GET /api/v1/tickets`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    pub status: Option<Status>,
    pub stage: Option<Stage>,
    pub category: Option<String>,
    pub urgency: Option<Urgency>,
    pub department: Option<Department>,
    pub team: Option<String>,
    /// Received at or after (RFC 3339).
    pub from: Option<String>,
    /// Received before (RFC 3339).
    pub to: Option<String>,
    /// `true`: the overdue queue (the current stage past its limit, or the ticket past the
    /// limit from intake to the reply), most overdue first (earliest missed deadline).
    pub overdue: Option<bool>,
    /// `true`: only closed tickets (archived, transferred, merged); `false`: only open ones.
    pub closed: Option<bool>,
    /// Search: words (at most 200 characters) every one of which the ticket's number,
    /// external id, description, address or retailer licence holds, case-insensitive.
    /// Dispatchers and supervisors only (it reads the citizen's words).
    pub q: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 500; default 50.
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketPageDto {
    pub items: Vec<TicketDto>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}
