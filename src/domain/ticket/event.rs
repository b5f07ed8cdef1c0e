//! Ticket events: what happened, in the past tense. A stored event carries the dense global
//! `event_id` (the stream order consoles resume from), the per-ticket `seq`, the time, the
//! principal and the status the ticket is in afterwards.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    ApprovalDecision, Evidence, FixedDeadlines, Location, OnsiteRecord, Reply, Report,
    ReportReturn, ReturnReason, ReturnedBy, ReviewDecision, Satisfaction, SlaLevel, SlaScope,
    Stage, StageSpan, Status, Ticket, TransferRecord, TransferTarget, Visit,
};
use crate::domain::catalog::{Department, HandlingPath, Kind, Urgency};
use crate::domain::clock::Timestamp;
use crate::domain::ids::{OfferId, StaffId, TeamId, TicketId, TicketNumber, VehicleId};
use crate::domain::role::Principal;
use crate::domain::ticket::{Source, group};

/// Declares [`EventKind`] with each event's wire name written once: the name is both its
/// serde tag (`type`, hashed into the store's chain, so it never changes) and what
/// [`EventKind::name`] returns.
macro_rules! event_kinds {
    ($($(#[$meta:meta])* $name:literal => $variant:ident $body:tt,)*) => {
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "type")]
        pub enum EventKind {
            $($(#[$meta])* #[serde(rename = $name)] $variant $body,)*
        }

        impl EventKind {
            /// The event's wire name, its `type`.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Self::$variant { .. } => $name,)*
                }
            }
        }
    };
}

event_kinds! {
    "ticket.received" => Received {
        source: Source,
        external_id: Option<String>,
        kind: Kind,
        category: Option<String>,
        urgency: Option<Urgency>,
        department: Option<Department>,
        /// The open (or recently closed) case this one probably repeats.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        possible_duplicate_of: Option<TicketId>,
    },
    "ticket.triaged" => Triaged {
        category: String,
        urgency: Urgency,
        department: Department,
        path: HandlingPath,
        location: Location,
        urgency_from_default: bool,
        overridden: bool,
        /// Found when triage gave the ticket its retailer, place or category.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        possible_duplicate_of: Option<TicketId>,
    },
    "ticket.dispatched" => Dispatched {
        vehicle_id: VehicleId,
        team_id: TeamId,
        crew: Vec<StaffId>,
        /// Sent at intake, before triage was confirmed (grade I).
        fast_track: bool,
    },
    "ticket.assigned" => Assigned { staff_id: StaffId },
    "ticket.arrived" => Arrived { vehicle_id: Option<VehicleId> },
    "ticket.onsite_recorded" => OnsiteRecorded {
        findings: String,
        actions: String,
        evidence: Vec<Evidence>,
    },
    "ticket.report_submitted" => ReportSubmitted {
        sections: BTreeMap<String, String>,
        evidence: Vec<Evidence>,
        version: u32,
    },
    "ticket.reviewed" => Reviewed {
        decision: ReviewDecision,
        reasons: Vec<ReturnReason>,
    },
    "ticket.approval_decided" => ApprovalDecided {
        decision: ApprovalDecision,
        reasons: Vec<ReturnReason>,
    },
    "ticket.replied" => Replied { text: String },
    "ticket.return_visited" => ReturnVisited {
        satisfaction: Satisfaction,
        comment: Option<String>,
        /// An unsatisfied visit reopens the ticket.
        reopened: bool,
    },
    "ticket.archived" => Archived { note: Option<String> },
    "ticket.reopened" => Reopened { reason: String },
    "ticket.supervised" => Supervised { notice: String },
    "ticket.transferred" => Transferred { to: TransferTarget, reason: String },
    "ticket.merged" => Merged {
        into: TicketId,
        into_number: TicketNumber,
    },
    "offer.sent" => OfferSent {
        offer_id: OfferId,
        vehicle_id: VehicleId,
        team_id: TeamId,
        crew: Vec<StaffId>,
        expires_at: Timestamp,
        distance_m: Option<f64>,
        manual: bool,
    },
    "offer.accepted" => OfferAccepted {
        offer_id: OfferId,
        vehicle_id: VehicleId,
        team_id: TeamId,
        crew: Vec<StaffId>,
        /// Accepted before triage was confirmed (grade I).
        fast_track: bool,
    },
    "offer.declined" => OfferDeclined {
        offer_id: OfferId,
        vehicle_id: VehicleId,
        reason: Option<String>,
    },
    "offer.expired" => OfferExpired {
        offer_id: OfferId,
        vehicle_id: VehicleId,
    },
    /// The vehicle's app never confirmed the offer; withdrawn, it goes to the next vehicle.
    "offer.undelivered" => OfferUndelivered {
        offer_id: OfferId,
        vehicle_id: VehicleId,
        reason: String,
    },
    "offer.cancelled" => OfferCancelled {
        offer_id: OfferId,
        vehicle_id: VehicleId,
        reason: String,
    },
    /// The vehicle on its way was called off; the ticket waits for another.
    "ticket.dispatch_cancelled" => DispatchCancelled {
        vehicle_id: VehicleId,
        reason: String,
    },
    /// Something the command centre must not miss (grade I intake, no vehicle left).
    "alert" => Alerted { reason: String },
    /// 80% of a limit has passed: the current stage's (`scope: stage`) or the one from
    /// intake to the reply (`scope: total`; `stage` is the stage the ticket is in).
    "sla.warning" => SlaWarning {
        stage: Stage,
        due_at: Timestamp,
        #[serde(default)]
        scope: SlaScope,
    },
    /// A limit has passed: supervisors are alerted and the ticket is in the overdue queue.
    "sla.overdue" => SlaOverdue {
        stage: Stage,
        due_at: Timestamp,
        #[serde(default)]
        scope: SlaScope,
    },
    "ticket.duplicate_merged" => DuplicateMerged {
        duplicate: TicketId,
        duplicate_number: TicketNumber,
    },
    /// A merge recorded by `ticket.duplicate_merged` did not go through (the duplicate
    /// could not be closed): the ticket no longer lists it.
    "ticket.duplicate_released" => DuplicateReleased {
        duplicate: TicketId,
        duplicate_number: TicketNumber,
        reason: String,
    },
    /// The reporter's name, phone and address were erased, `retain_days` after the ticket
    /// closed: from the snapshot and from the text of every earlier event (their hashes
    /// stay valid, see `store/chain.rs`); the rest of the record stays.
    "ticket.personal_data_erased" => PersonalDataErased {
        /// Which of `name`, `phone`, `address` the ticket held.
        fields: Vec<String>,
        retain_days: u32,
        closed_at: Timestamp,
        /// The files showing the reporter whose bytes were erased with it (by hash).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        files: Vec<String>,
    },
    /// A file was attached: its bytes are kept by hash beside the store (`evidence/`).
    "evidence.attached" => EvidenceAttached(super::Attachment),
    "group.formed" => GroupFormed(group::GroupFormed),
    "group.message" => GroupMessage(group::GroupMessage),
    "group.task_done" => GroupTaskDone(group::GroupTaskDone),
    "group.members_changed" => GroupMembersChanged(group::GroupMembersChanged),
    "group.dissolved" => GroupDissolved(group::GroupDissolved),
}

/// An event as stored and streamed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Dense, commit-ordered global sequence number.
    pub event_id: u64,
    pub ticket_id: TicketId,
    pub number: TicketNumber,
    /// Per-ticket sequence number, from 1.
    pub seq: u64,
    pub at: Timestamp,
    pub by: Principal,
    /// The ticket's status once this event is applied.
    pub status: Status,
    /// The status before it (none for the first event): tells streams when the ticket
    /// entered another stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_status: Option<Status>,
    /// The SLA deadlines this event fixed (it started a clock, or changed the category or
    /// grade), so a timeline folded again keeps them whatever the guide says by then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadlines: Option<FixedDeadlines>,
    #[serde(flatten)]
    pub kind: EventKind,
}

impl EventRecord {
    /// Whether this event moved the ticket into another stage (or created it).
    pub fn changed_stage(&self) -> bool {
        self.from_status
            .is_none_or(|before| before.stage() != self.status.stage())
    }
}

impl Ticket {
    /// Notes on the report why it was sent back (a ticket with no report has nothing to
    /// note it on).
    fn mark_returned(&mut self, by: ReturnedBy, reasons: &[ReturnReason], at: Timestamp) {
        if let Some(report) = &mut self.report {
            report.returned = Some(ReportReturn {
                by,
                reasons: reasons.to_vec(),
                at,
            });
        }
    }

    /// Folds one event into the state. `status` is the status the event leads to.
    pub(super) fn apply(&mut self, kind: &EventKind, status: Status, at: Timestamp) {
        match kind {
            EventKind::Received { .. } => {}
            EventKind::Triaged {
                category,
                urgency,
                department,
                path,
                location,
                urgency_from_default,
                overridden,
                possible_duplicate_of,
            } => {
                if let Some(d) = possible_duplicate_of {
                    self.possible_duplicate_of.get_or_insert(*d);
                }
                if location.retailer_licence.is_some() {
                    self.retailer_candidates.clear();
                }
                self.category = Some(category.clone());
                self.urgency = Some(*urgency);
                self.department = Some(*department);
                self.path = Some(*path);
                self.location = location.clone();
                self.triage.confirmed = true;
                self.triage.urgency_from_default = *urgency_from_default;
                self.triage.overridden |= *overridden;
            }
            EventKind::Dispatched {
                vehicle_id,
                team_id,
                crew,
                ..
            } => self.assignment.sent(vehicle_id, team_id, crew, at),
            EventKind::Assigned { staff_id } => {
                if !self.assignment.staff.contains(staff_id) {
                    self.assignment.staff.push(staff_id.clone());
                }
            }
            EventKind::Arrived { .. } => {
                self.assignment.arrived_at.get_or_insert(at);
            }
            EventKind::OnsiteRecorded {
                findings,
                actions,
                evidence,
            } => {
                self.onsite = Some(OnsiteRecord {
                    findings: findings.clone(),
                    actions: actions.clone(),
                    evidence: evidence.clone(),
                    recorded_at: at,
                });
            }
            EventKind::ReportSubmitted {
                sections,
                evidence,
                version,
            } => {
                self.report = Some(Report {
                    sections: sections.clone(),
                    evidence: evidence.clone(),
                    submitted_at: at,
                    version: *version,
                    returned: None,
                });
            }
            EventKind::Reviewed { decision, reasons } => {
                if *decision == ReviewDecision::Return {
                    self.review_returns += 1;
                    self.mark_returned(ReturnedBy::Review, reasons, at);
                }
            }
            EventKind::ApprovalDecided { decision, reasons } => {
                if *decision != ApprovalDecision::Approve {
                    self.approval_returns += 1;
                    self.mark_returned(ReturnedBy::Approval, reasons, at);
                }
            }
            EventKind::Replied { text } => {
                self.reply = Some(Reply {
                    text: text.clone(),
                    replied_at: at,
                });
            }
            EventKind::ReturnVisited {
                satisfaction,
                comment,
                reopened,
            } => {
                self.visit_history.push(*satisfaction);
                self.visit = Some(Visit {
                    satisfaction: *satisfaction,
                    comment: comment.clone(),
                    visited_at: at,
                });
                if *reopened {
                    self.reopen_for_rework();
                }
            }
            EventKind::Archived { .. } => {}
            EventKind::Reopened { .. } => self.reopen_for_rework(),
            EventKind::Supervised { .. } => self.supervision_notices += 1,
            EventKind::Transferred { to, reason } => {
                if let TransferTarget::Department { department } = to {
                    self.department = Some(*department);
                }
                self.transfer = Some(TransferRecord {
                    to: to.clone(),
                    reason: reason.clone(),
                });
            }
            EventKind::Merged { into, .. } => self.merged_into = Some(*into),
            EventKind::DuplicateMerged { duplicate, .. } => self.duplicates.push(*duplicate),
            EventKind::DuplicateReleased { duplicate, .. } => {
                self.duplicates.retain(|d| d != duplicate);
            }
            EventKind::OfferSent { .. }
            | EventKind::OfferAccepted { .. }
            | EventKind::OfferDeclined { .. }
            | EventKind::OfferExpired { .. }
            | EventKind::OfferUndelivered { .. }
            | EventKind::OfferCancelled { .. } => self.apply_offer(kind, at),
            EventKind::DispatchCancelled { .. } => self.assignment.recalled(),
            EventKind::Alerted { .. } => {}
            EventKind::SlaWarning { scope, due_at, .. } => {
                self.sla.raise(*scope, SlaLevel::Warning, *due_at)
            }
            EventKind::SlaOverdue { scope, due_at, .. } => {
                self.sla.raise(*scope, SlaLevel::Overdue, *due_at)
            }
            EventKind::PersonalDataErased { files, .. } => {
                self.erase_personal_data();
                self.erase_files(files);
            }
            EventKind::EvidenceAttached(attachment) => self.attach(attachment, at),
            EventKind::GroupFormed(_)
            | EventKind::GroupMessage(_)
            | EventKind::GroupTaskDone(_)
            | EventKind::GroupMembersChanged(_)
            | EventKind::GroupDissolved(_) => self.apply_group(kind, at),
        }
        self.enter(status, at);
        self.seq += 1;
        self.updated_at = at;
    }

    /// A reopened ticket is answered and visited again; its history stays in the timeline.
    fn reopen_for_rework(&mut self) {
        self.reopen_count += 1;
        self.reply = None;
        self.visit = None;
    }

    fn enter(&mut self, status: Status, at: Timestamp) {
        let stage = status.stage();
        if stage != self.stage() || self.stages.is_empty() {
            if let Some(open) = self.stages.last_mut() {
                open.exited_at.get_or_insert(at);
            }
            self.stages.push(StageSpan {
                stage,
                entered_at: at,
                exited_at: None,
                due_at: None,
            });
            // A new stage starts a new stage clock (its deadline is fixed by `execute`).
            self.sla.enter_stage();
        }
        if status == Status::Triaged {
            // Back to intake (a reopen): the previous vehicle and its crew are off it.
            self.assignment.recalled();
        }
        self.status = status;
    }

    /// The `stage` the ticket was in when the span began, for analytics.
    pub fn current_span(&self) -> Option<&StageSpan> {
        self.stages.last()
    }
}
