//! A ticket (工单) and everything that happens to it. State changes follow one pattern:
//! [`Ticket::decide`] checks a [`Command`] against the current state and the principal and
//! returns exactly one [`EventKind`] (or a [`Rejection`], changing nothing);
//! [`Ticket::apply`] folds that event into the state. Snapshots and timelines therefore can
//! never disagree.

mod command;
mod drafts;
mod event;
mod files;
pub mod group;
mod offer;
mod retention;
mod returns;
mod sla;
mod status;
pub mod steps;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::Duration;

pub use command::{ApprovalDecision, Decision, Rejection, ReviewDecision, TransferTarget};
pub use drafts::{FALLBACK_REPLY, ReportDraft};
pub use event::{EventKind, EventRecord};
pub use files::{AttachedFile, Attachment, PhotoHint, is_sha256};
pub use group::{Group, GroupCommand, MemberRole, NewMember};
pub use offer::{Offer, OfferState};
pub use returns::ReturnReason;
pub use sla::{
    Checkpoint, FixedDeadlines, SlaLevel, SlaMarks, SlaScope, TotalMarks, WARNING_SHARE,
};
pub use status::{Stage, Status};
pub use steps::Command;

use super::catalog::{Catalog, Department, HandlingPath, Kind, Urgency};
use super::clock::Timestamp;
use super::geo::LatLng;
use super::ids::{StaffId, TeamId, TicketId, TicketNumber, VehicleId};
use super::role::{Principal, Subject};
use crate::domain::error_code::ErrorCode;

/// Where a ticket came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Source {
    #[serde(rename = "12313")]
    Hotline,
    #[serde(rename = "phone")]
    Phone,
    #[serde(rename = "web")]
    Web,
    #[serde(rename = "open311")]
    Open311,
    #[serde(rename = "walk_in")]
    WalkIn,
    /// Submitted by the load tester: a simulated ticket, handled like any other but left
    /// off the public board and the stats (`domain/simulated.rs`).
    #[serde(rename = "loadtest")]
    Loadtest,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hotline => "12313",
            Self::Phone => "phone",
            Self::Web => "web",
            Self::Open311 => "open311",
            Self::WalkIn => "walk_in",
            Self::Loadtest => "loadtest",
        }
    }
}

/// The citizen behind a ticket. Personal data: dispatchers and supervisors only.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Reporter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The citizen's own address, for the return visit; not the site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default)]
    pub anonymous: bool,
}

impl Reporter {
    /// Whether it still holds a name, a phone or an address (retention has not run).
    pub fn has_personal_data(&self) -> bool {
        !self.held_fields().is_empty()
    }

    /// Which of `name`, `phone`, `address` it holds.
    pub fn held_fields(&self) -> Vec<&'static str> {
        [
            ("name", &self.name),
            ("phone", &self.phone),
            ("address", &self.address),
        ]
        .into_iter()
        .filter(|(_, v)| v.as_deref().is_some_and(|v| !v.trim().is_empty()))
        .map(|(k, _)| k)
        .collect()
    }

    /// Whether a return visit by phone is possible at all.
    pub fn reachable(&self) -> bool {
        !self.anonymous && self.phone.as_deref().is_some_and(|p| !p.trim().is_empty())
    }
}

/// Where the problem is, as far as it is known.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Location {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<LatLng>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retailer_licence: Option<String>,
    /// A licence the platform sent that the registry does not hold (mistyped, or a shop
    /// the registry has not caught up with): kept for the dispatcher to see and to link
    /// repeats of the same licence, never used to place or route the ticket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_licence: Option<String>,
    /// The service area (its administrative code) the position lies in, or within the
    /// margin of; set by the engine at intake and whenever triage moves the position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area_code: Option<String>,
    /// The position lies outside every service area and its margin: the engine never
    /// offers the ticket to a vehicle on its own; a dispatcher may send one by name.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub outside_area: bool,
    /// How exactly the position is known (`domain::place`): given, a shop, or only a
    /// street or a town the text names (approximate: never dispatched on by the engine on
    /// its own). Absent without a position and on tickets from before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<crate::domain::place::Precision>,
    /// What an approximate position stands for (`梅川镇`, `梅川镇广济路`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approximate_place: Option<String>,
}

impl Location {
    /// Records where the position lies in `area` (nothing when there is no position).
    pub fn place(&mut self, area: &super::area::ServiceArea) {
        let placement = self.position.map(|p| area.locate(p));
        self.area_code = placement
            .as_ref()
            .and_then(|p| p.area())
            .map(|a| a.code().to_owned());
        self.outside_area = placement.is_some_and(|p| p.is_outside());
    }

    /// The licence that names the shop when looking for repeats: the registry's, else the
    /// one the platform sent (two reports naming the same licence are about the same shop
    /// even while the registry lags behind).
    pub fn shop_key(&self) -> Option<&str> {
        self.retailer_licence
            .as_deref()
            .or(self.reported_licence.as_deref())
            .filter(|l| !l.trim().is_empty())
    }
}

/// A registry retailer the intake text may be about, for a dispatcher to confirm.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RetailerCandidate {
    pub licence: String,
    pub name: String,
    pub address: String,
    pub score: f64,
}

/// Who is handling the ticket: the vehicle sent, its squad and the staff involved.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vehicle_id: Option<VehicleId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<TeamId>,
    /// Handlers assigned by name (e.g. the writer of a no-onsite report).
    #[serde(default)]
    pub staff: Vec<StaffId>,
    /// The crew of the vehicle sent; they leave with it when the dispatch is cancelled.
    #[serde(default)]
    pub crew: Vec<StaffId>,
    /// When the vehicle now on the ticket was sent (accepted the offer, or was assigned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<Timestamp>,
    /// When it arrived on site: with `sent_at`, the squad's time to arrival.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrived_at: Option<Timestamp>,
}

impl Assignment {
    /// The vehicle was sent at `at`.
    fn sent(&mut self, vehicle_id: &VehicleId, team_id: &TeamId, crew: &[StaffId], at: Timestamp) {
        self.vehicle_id = Some(vehicle_id.clone());
        self.team_id = Some(team_id.clone());
        self.crew = crew.to_vec();
        self.sent_at = Some(at);
        self.arrived_at = None;
    }

    /// The vehicle was called off (or the ticket went back to intake).
    fn recalled(&mut self) {
        self.vehicle_id = None;
        self.team_id = None;
        self.crew.clear();
        self.sent_at = None;
        self.arrived_at = None;
    }

    /// Minutes from sending to arrival, once arrived.
    pub fn minutes_to_arrival(&self) -> Option<f64> {
        let (sent, arrived) = (self.sent_at?, self.arrived_at?);
        Some((arrived.inner() - sent.inner()).as_seconds_f64() / 60.0)
    }
}

/// When a stage was entered and left, and the deadline it had; kept for analytics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageSpan {
    pub stage: Stage,
    pub entered_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exited_at: Option<Timestamp>,
    /// The stage's deadline as fixed while it ran (the stage clock's), kept once the stage
    /// is over so a stage is judged by the limit it was given, not by the guide as it is
    /// later. Absent for stages with no limit and in snapshots from before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<Timestamp>,
}

/// A piece of evidence: a photo, an inspection record, a document, by reference.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub kind: String,
    pub reference: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The file attached to this ticket (`evidence.attached`) this item is, by SHA-256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OnsiteRecord {
    pub findings: String,
    pub actions: String,
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    pub recorded_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub sections: BTreeMap<String, String>,
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    pub submitted_at: Timestamp,
    /// 1 for the first submission, +1 after every return.
    pub version: u32,
    /// Why this version was sent back, by review or approval: the writer starts the next
    /// version from it. The next submission replaces the report, and with it this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returned: Option<ReportReturn>,
}

/// A review or approval that sent the report back, with the guide's reason codes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportReturn {
    /// `review` or `approval`.
    pub by: ReturnedBy,
    pub reasons: Vec<ReturnReason>,
    pub at: Timestamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnedBy {
    Review,
    Approval,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub text: String,
    pub replied_at: Timestamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    Satisfied,
    BasicallySatisfied,
    Unsatisfied,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    pub satisfaction: Satisfaction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub visited_at: Timestamp,
}

/// What the classifier proposed at intake, kept beside what people decided.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub category: String,
    pub confidence: f64,
    /// The top categories with their shares, best first.
    pub alternatives: Vec<(String, f64)>,
    pub urgency: Urgency,
    /// The phrase that raised the ticket to grade I, if one did.
    pub escalated_by: Option<String>,
    /// The text asks something and reports nobody (absent on older tickets).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub question: bool,
    /// The confidence is below the guide's `[triage] low_confidence`: a second look is due.
    #[serde(default)]
    pub low_confidence: bool,
    /// The guide terms and example words that decided it, strongest first (absent on
    /// older tickets).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub why: Vec<crate::domain::triage::Reason>,
}

/// What triage concluded and who decided it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Triage {
    /// The classifier's proposal at intake.
    #[serde(default)]
    pub suggestion: Option<Suggestion>,
    /// A dispatcher confirmed category, urgency and location.
    pub confirmed: bool,
    /// The urgency grade came from the category's default, not from a person.
    pub urgency_from_default: bool,
    /// The dispatcher changed what intake had said.
    pub overridden: bool,
}

/// Where a transfer sent the ticket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransferRecord {
    pub to: TransferTarget,
    pub reason: String,
}

/// A ticket's current state: the fold of its events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: TicketId,
    pub number: TicketNumber,
    pub source: Source,
    pub external_id: Option<String>,
    pub kind: Kind,
    pub category: Option<String>,
    pub urgency: Option<Urgency>,
    pub department: Option<Department>,
    pub path: Option<HandlingPath>,
    pub status: Status,
    pub description: String,
    pub reporter: Option<Reporter>,
    pub location: Location,
    pub received_at: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Per-ticket sequence number of the last event.
    pub seq: u64,
    pub triage: Triage,
    pub assignment: Assignment,
    pub stages: Vec<StageSpan>,
    pub onsite: Option<OnsiteRecord>,
    pub report: Option<Report>,
    pub review_returns: u32,
    pub approval_returns: u32,
    pub reply: Option<Reply>,
    pub visit: Option<Visit>,
    pub reopen_count: u32,
    pub supervision_notices: u32,
    pub transfer: Option<TransferRecord>,
    pub merged_into: Option<TicketId>,
    pub duplicates: Vec<TicketId>,
    /// Every offer made to a vehicle, in order.
    #[serde(default)]
    pub offers: Vec<offer::Offer>,
    /// The SLA clocks: the current stage's deadline and marks, and the intake-to-reply ones.
    #[serde(default)]
    pub sla: sla::SlaMarks,
    /// Registry retailers the text may be about, when none was certain; cleared once
    /// triage names the retailer.
    #[serde(default)]
    pub retailer_candidates: Vec<RetailerCandidate>,
    /// Every return visit's outcome, including those that reopened the ticket.
    #[serde(default)]
    pub visit_history: Vec<Satisfaction>,
    /// A ticket this one probably repeats (an open one of the same retailer, or one of the
    /// same category close by and recent), found at intake or at triage; as recorded in
    /// `ticket.received` or `ticket.triaged`.
    #[serde(default)]
    pub possible_duplicate_of: Option<TicketId>,
    /// The collaboration group (协作受理小组), active or the last one dissolved.
    #[serde(default)]
    pub group: Option<Group>,
    /// Evidence files attached (`evidence.attached`), in order; kept by hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<AttachedFile>,
}

/// An intake, already parsed from the wire (serialised only to forward it to the node that
/// owns its partition, in cluster mode).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NewTicket {
    pub source: Source,
    pub external_id: Option<String>,
    pub kind: Kind,
    pub category: Option<String>,
    pub urgency: Option<Urgency>,
    pub description: String,
    pub reporter: Option<Reporter>,
    pub location: Location,
    pub received_at: Option<Timestamp>,
    /// Set by intake when an earlier ticket looks like the same case.
    pub possible_duplicate_of: Option<TicketId>,
    /// Set by intake when the registry holds several likely retailers.
    pub retailer_candidates: Vec<RetailerCandidate>,
    /// The classifier's proposal, when it ran.
    pub suggestion: Option<Suggestion>,
}

/// The current stage's deadline and the overall one, as fixed from the guide.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Deadlines {
    pub stage: Stage,
    pub stage_due_at: Option<Timestamp>,
    pub reply_due_at: Option<Timestamp>,
}

impl Ticket {
    /// Registers an intake: the first state and its `ticket.received` event.
    pub fn receive(
        new: NewTicket,
        id: TicketId,
        number: TicketNumber,
        catalog: &Catalog,
        now: Timestamp,
    ) -> Result<(Ticket, EventKind), Rejection> {
        if new.description.trim().is_empty() {
            return Err(Rejection::rule(
                ErrorCode::DescriptionRequired,
                "the description must not be empty",
            ));
        }
        let category = match &new.category {
            Some(code) => Some(catalog.get(code).ok_or_else(|| {
                Rejection::rule(
                    ErrorCode::UnknownCategory,
                    format!("unknown category `{code}`"),
                )
            })?),
            None => None,
        };
        let urgency = new.urgency.or(category.map(|c| c.urgency));
        // The citizen's clock starts when the platform took the call: a ticket forwarded
        // late gets no extra intake time. Intake refuses a receipt time more than a few
        // minutes ahead; one slightly ahead (a platform clock running fast) is taken as
        // now, so neither the intake nor the intake-to-reply clock starts in the future.
        let received_at = new.received_at.map_or(now, |at| at.min(now));
        let mut ticket = Ticket {
            id,
            number,
            source: new.source,
            external_id: new.external_id,
            kind: new.kind,
            category: category.map(|c| c.code.clone()),
            urgency,
            department: category.map(|c| c.lead_department),
            path: category.map(|c| c.path),
            status: Status::Received,
            description: new.description,
            reporter: new.reporter,
            location: new.location,
            received_at,
            created_at: now,
            updated_at: now,
            seq: 1,
            triage: Triage {
                suggestion: new.suggestion,
                confirmed: false,
                urgency_from_default: new.urgency.is_none() && urgency.is_some(),
                overridden: false,
            },
            assignment: Assignment::default(),
            stages: vec![StageSpan {
                stage: Stage::Intake,
                entered_at: received_at,
                exited_at: None,
                due_at: None,
            }],
            onsite: None,
            report: None,
            review_returns: 0,
            approval_returns: 0,
            reply: None,
            visit: None,
            reopen_count: 0,
            supervision_notices: 0,
            transfer: None,
            merged_into: None,
            duplicates: Vec::new(),
            offers: Vec::new(),
            sla: sla::SlaMarks::default(),
            visit_history: Vec::new(),
            retailer_candidates: new.retailer_candidates,
            possible_duplicate_of: new.possible_duplicate_of,
            group: None,
            files: Vec::new(),
        };
        ticket.fix_deadlines(catalog, false);
        let event = EventKind::Received {
            source: ticket.source,
            external_id: ticket.external_id.clone(),
            kind: ticket.kind,
            category: ticket.category.clone(),
            urgency: ticket.urgency,
            department: ticket.department,
            possible_duplicate_of: ticket.possible_duplicate_of,
        };
        Ok((ticket, event))
    }

    pub fn stage(&self) -> Stage {
        self.status.stage()
    }

    /// When a closed ticket closed (it entered the closed stage); none while open.
    pub fn closed_at(&self) -> Option<Timestamp> {
        self.status.is_closed().then(|| {
            self.stages
                .last()
                .map_or(self.received_at, |s| s.entered_at)
        })
    }

    /// Whether a field device bound to `subject` may see and act on this ticket.
    pub fn is_assigned_to(&self, subject: &Subject) -> bool {
        match subject {
            Subject::Vehicle(v) => self.assignment.vehicle_id.as_ref() == Some(v),
            Subject::Staff(s) => {
                self.assignment.staff.contains(s) || self.assignment.crew.contains(s)
            }
            Subject::Label(_) => false,
        }
    }

    /// Whether `who` may read this ticket at all. A member of its active group may; a vehicle
    /// whose crew holds a member is checked against the roster by the caller.
    pub fn visible_to(&self, who: &Principal) -> bool {
        use super::role::Role;
        match who.role {
            Role::Dispatcher | Role::Supervisor | Role::Admin | Role::System => true,
            Role::Field => who.subject.as_ref().is_some_and(|s| {
                self.is_assigned_to(s)
                    || matches!(s, Subject::Staff(id) if self.group_member_ids().contains(id))
            }),
            Role::Platform | Role::Board => false,
        }
    }

    /// Deadlines of the current stage and of the reply, as fixed when the stage was entered
    /// (computed from the guide for a snapshot from before deadlines were kept).
    pub fn deadlines(&self, catalog: &Catalog) -> Deadlines {
        let stage = self.stage();
        let reply_due_at = match stage {
            Stage::ReturnVisit | Stage::Closed => None,
            _ => self.total_due(catalog),
        };
        Deadlines {
            stage,
            stage_due_at: self.stage_due(catalog),
            reply_due_at,
        }
    }

    /// Seconds spent in each stage so far: an open span counts up to `now`, or not at all
    /// when it began after `now` (analytics pass the end of a past period as `now`).
    pub fn stage_durations(&self, now: Timestamp) -> BTreeMap<Stage, Duration> {
        let mut out = BTreeMap::new();
        for span in &self.stages {
            let end = match span.exited_at {
                Some(end) => end,
                None if span.entered_at > now => continue,
                None => now,
            };
            *out.entry(span.stage).or_insert(Duration::ZERO) +=
                end.inner() - span.entered_at.inner();
        }
        out
    }
}

#[cfg(test)]
mod tests;
