//! Commands on a ticket and the rules that accept or reject them: the transition table of
//! DOMAIN.md, the role allowed to take each step, and the checks on what the step carries.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::returns::check_return_reasons;
use super::{EventKind, Evidence, ReturnReason, Satisfaction, Status, Ticket};
use crate::domain::Timestamp;
use crate::domain::catalog::{Catalog, Department, HandlingPath, ReopenTarget, Urgency};
use crate::domain::error_code::{ErrorCode, IntoCode};
use crate::domain::geo::LatLng;
use crate::domain::ids::{OfferId, StaffId, TeamId, TicketId, TicketNumber, VehicleId};
use crate::domain::role::{Principal, Role, Subject};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    Pass,
    Return,
}

/// An approval either signs off or returns the ticket to an earlier step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalDecision {
    Approve,
    /// Back to the report writer.
    ReturnToReporting,
    /// Back to the reviewer.
    ReturnToReview,
}

/// Where a transfer (转办) sends a ticket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TransferTarget {
    /// Another department of this unit leads it from now on; the ticket stays open.
    Department { department: Department },
    /// Back to the 12313 platform as outside this unit's remit; closes the ticket.
    Platform,
    /// To another unit; closes the ticket.
    OtherUnit { unit: String },
}

/// Everything that can be asked of a ticket after intake.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Triage {
        category: Option<String>,
        urgency: Option<Urgency>,
        position: Option<LatLng>,
        address_text: Option<String>,
        retailer_licence: Option<String>,
        /// The case the triaged retailer, place and category repeat, looked up in the
        /// engine's index by the ticket's actor. Callers leave it `None`; it is recorded
        /// only when triage changes what the duplicate rule looks at and the ticket has no
        /// `possible_duplicate_of` yet.
        duplicate_of: Option<TicketId>,
    },
    /// Send a registered vehicle; `team` and `crew` come from the registry.
    Dispatch {
        vehicle: VehicleId,
        team: TeamId,
        crew: Vec<StaffId>,
    },
    /// Offer the ticket to a vehicle; `team` and `crew` come from the registry.
    Offer {
        offer_id: OfferId,
        vehicle: VehicleId,
        team: TeamId,
        crew: Vec<StaffId>,
        expires_at: Timestamp,
        distance_m: Option<f64>,
        /// Chosen by a dispatcher: may go to a vehicle that declined before.
        manual: bool,
    },
    AcceptOffer {
        offer_id: OfferId,
    },
    DeclineOffer {
        offer_id: OfferId,
        reason: Option<String>,
    },
    /// The engine: nobody answered in time.
    ExpireOffer {
        offer_id: OfferId,
    },
    /// Call off the open offer, or the vehicle already on its way.
    CancelDispatch {
        reason: String,
    },
    /// The engine: `vehicle` was taken out of service. Its open offer of this ticket is
    /// cancelled, or, when it is on the ticket (on its way or on site), it is called off
    /// and the ticket waits for another vehicle. Named by vehicle, so it never touches
    /// another vehicle's offer or dispatch.
    WithdrawVehicle {
        vehicle: VehicleId,
        reason: String,
    },
    /// The engine raises an alert on the ticket.
    RaiseAlert {
        reason: String,
    },
    /// The engine: a clock (the current stage's, or intake to reply) reached a checkpoint.
    FlagSla {
        level: super::SlaLevel,
        scope: super::SlaScope,
        stage: super::Stage,
        now: Timestamp,
    },
    /// Make a staff member a handler (e.g. the writer of a no-onsite report).
    Assign {
        staff: StaffId,
    },
    Arrive,
    RecordOnsite {
        findings: String,
        actions: String,
        evidence: Vec<Evidence>,
    },
    SubmitReport {
        sections: BTreeMap<String, String>,
        evidence: Vec<Evidence>,
    },
    Review {
        decision: ReviewDecision,
        reasons: Vec<ReturnReason>,
    },
    Approve {
        decision: ApprovalDecision,
        reasons: Vec<ReturnReason>,
    },
    Reply {
        text: String,
    },
    RecordVisit {
        satisfaction: Satisfaction,
        comment: Option<String>,
    },
    Archive {
        note: Option<String>,
    },
    Reopen {
        reason: String,
        to: Option<Status>,
    },
    Supervise {
        notice: String,
    },
    Transfer {
        to: TransferTarget,
        reason: String,
    },
    /// This ticket is a duplicate of `target` and is folded into it.
    MergeInto {
        target: TicketId,
        target_number: TicketNumber,
    },
    /// `duplicate` was folded into this ticket.
    AbsorbDuplicate {
        duplicate: TicketId,
        duplicate_number: TicketNumber,
    },
    /// The engine: a merge recorded here could not close `duplicate`, so this ticket stops
    /// claiming it (the compensating step of a merge).
    ReleaseDuplicate {
        duplicate: TicketId,
        duplicate_number: TicketNumber,
        reason: String,
    },
    /// A step of the ticket's collaboration group; never moves the status.
    Group(super::GroupCommand),
}

/// Why a command was refused. Nothing changed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Rejection {
    #[error("the {role} role may not {action}")]
    Forbidden { role: Role, action: &'static str },
    #[error("this ticket is not assigned to you")]
    NotAssigned,
    #[error("cannot {action} a ticket that is {status}")]
    IllegalTransition {
        action: &'static str,
        status: Status,
    },
    /// `code` is an [`ErrorCode`]'s wire spelling, here and in the two variants below; the
    /// table gives its status.
    #[error("{message}")]
    Rule {
        code: &'static str,
        message: String,
        missing: Vec<String>,
    },
    /// The role may take the step, but not this person (e.g. a report by a group member
    /// who is not its lead).
    #[error("{message}")]
    Denied { code: &'static str, message: String },
    /// The step clashes with the current state (e.g. a second active group).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
}

impl Rejection {
    /// What the step carries breaks a rule.
    pub fn rule(code: impl IntoCode, message: impl Into<String>) -> Self {
        Self::Rule {
            code: code.wire(),
            message: message.into(),
            missing: Vec::new(),
        }
    }

    /// The step clashes with the current state.
    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Conflict {
            code: code.as_str(),
            message: message.into(),
        }
    }

    /// The role may take the step, but not this person.
    pub fn denied(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Denied {
            code: code.as_str(),
            message: message.into(),
        }
    }

    /// A rule broken for want of what `missing` lists (`details.missing`).
    pub fn with_missing(mut self, names: Vec<String>) -> Self {
        if let Self::Rule { missing, .. } = &mut self {
            *missing = names;
        }
        self
    }
}

fn require_text(value: &str, code: ErrorCode, what: &str) -> Result<(), Rejection> {
    if value.trim().is_empty() {
        Err(Rejection::rule(code, format!("{what} must not be empty")))
    } else {
        Ok(())
    }
}

impl Command {
    /// The verb used in messages and in the role table.
    pub fn action(&self) -> &'static str {
        match self {
            Self::Triage { .. } => "triage",
            Self::Dispatch { .. } => "dispatch",
            Self::Assign { .. } => "assign",
            Self::Offer { .. } => "offer",
            Self::AcceptOffer { .. } => "accept an offer for",
            Self::DeclineOffer { .. } => "decline an offer for",
            Self::ExpireOffer { .. } => "expire an offer for",
            Self::CancelDispatch { .. } => "cancel the dispatch of",
            Self::WithdrawVehicle { .. } => "withdraw a vehicle out of service from",
            Self::RaiseAlert { .. } => "raise an alert on",
            Self::FlagSla { .. } => "flag the time limit of",
            Self::Arrive => "arrive",
            Self::RecordOnsite { .. } => "record on-site work for",
            Self::SubmitReport { .. } => "submit a report for",
            Self::Review { .. } => "review",
            Self::Approve { .. } => "approve",
            Self::Reply { .. } => "reply to",
            Self::RecordVisit { .. } => "record a return visit for",
            Self::Archive { .. } => "archive",
            Self::Reopen { .. } => "reopen",
            Self::Supervise { .. } => "supervise",
            Self::Transfer { .. } => "transfer",
            Self::MergeInto { .. } => "merge",
            Self::AbsorbDuplicate { .. } => "merge into",
            Self::ReleaseDuplicate { .. } => "release a duplicate of",
            Self::Group(g) => g.action(),
        }
    }

    /// The roles allowed to take this step (the engine itself may take any).
    pub fn roles(&self) -> &'static [Role] {
        use Role::*;
        match self {
            Self::Triage { .. }
            | Self::Dispatch { .. }
            | Self::Assign { .. }
            | Self::Reply { .. }
            | Self::RecordVisit { .. }
            | Self::Archive { .. }
            | Self::Transfer { .. }
            | Self::MergeInto { .. }
            | Self::AbsorbDuplicate { .. }
            | Self::Offer { .. }
            | Self::CancelDispatch { .. } => &[Dispatcher],
            Self::AcceptOffer { .. } | Self::DeclineOffer { .. } => &[Field],
            Self::ExpireOffer { .. }
            | Self::WithdrawVehicle { .. }
            | Self::RaiseAlert { .. }
            | Self::FlagSla { .. }
            | Self::ReleaseDuplicate { .. } => &[],
            Self::Arrive | Self::RecordOnsite { .. } | Self::SubmitReport { .. } => &[Field],
            Self::Review { .. } => &[Dispatcher, Supervisor],
            Self::Approve { .. } | Self::Supervise { .. } => &[Supervisor],
            Self::Reopen { .. } => &[Dispatcher, Supervisor],
            Self::Group(g) => g.roles(),
        }
    }
}

/// The event a command produces and the status it leads to.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub kind: EventKind,
    pub status: Status,
    /// The SLA deadlines the step fixed (set by `execute`, which applies it), for the
    /// event record.
    pub deadlines: Option<super::FixedDeadlines>,
}

impl Ticket {
    /// Checks `command` by `by` against the current state. Accepting yields exactly one
    /// event; rejecting changes nothing.
    pub fn decide(
        &self,
        command: &Command,
        by: &Principal,
        catalog: &Catalog,
    ) -> Result<Decision, Rejection> {
        let action = command.action();
        if by.role != Role::System && !command.roles().contains(&by.role) {
            return Err(Rejection::Forbidden {
                role: by.role,
                action,
            });
        }
        let answers_offer = matches!(
            command,
            Command::AcceptOffer { .. } | Command::DeclineOffer { .. }
        );
        // Group members act on the group (checked there); the lead submits the report (the
        // other members are told so below).
        let group_step = matches!(command, Command::Group(_))
            || (matches!(command, Command::SubmitReport { .. }) && self.speaks_for_member(by));
        if by.role == Role::Field
            && !answers_offer
            && !group_step
            && !by.subject.as_ref().is_some_and(|s| self.is_assigned_to(s))
        {
            return Err(Rejection::NotAssigned);
        }
        // The vehicle answering an offer, when a field device answers.
        let answering = match (&by.role, &by.subject) {
            (Role::Field, Some(Subject::Vehicle(v))) => Some(v),
            _ => None,
        };
        if answers_offer && by.role == Role::Field && answering.is_none() {
            return Err(Rejection::NotAssigned);
        }
        let status = self.status;
        let illegal = || Rejection::IllegalTransition { action, status };
        use Status::*;
        let (kind, next) = match command {
            Command::Triage {
                category,
                urgency,
                position,
                address_text,
                retailer_licence,
                duplicate_of,
            } => {
                if !matches!(status, Received | Triaged | EnRoute | OnSite) {
                    return Err(illegal());
                }
                let code = category
                    .as_ref()
                    .or(self.category.as_ref())
                    .ok_or_else(|| {
                        Rejection::rule(
                            ErrorCode::CategoryRequired,
                            "triage needs a category: the ticket has none yet",
                        )
                    })?;
                let cat = catalog.get(code).ok_or_else(|| {
                    Rejection::rule(
                        ErrorCode::UnknownCategory,
                        format!("unknown category `{code}`"),
                    )
                })?;
                let category_changed = self.category.as_deref() != Some(cat.code.as_str());
                let (grade, from_default) = match urgency {
                    Some(g) => (*g, false),
                    None if self.triage.urgency_from_default || self.urgency.is_none() => {
                        (cat.urgency, true)
                    }
                    None => (self.urgency.unwrap_or(cat.urgency), false),
                };
                let in_field = matches!(status, EnRoute | OnSite);
                if in_field && cat.path != HandlingPath::Full {
                    return Err(Rejection::rule(
                        ErrorCode::PathConflict,
                        format!(
                            "a vehicle is already on this ticket; category `{}` needs no on-site stage",
                            cat.code
                        ),
                    ));
                }
                let mut location = self.location.clone();
                if position.is_some() {
                    location.position = *position;
                }
                if address_text.is_some() {
                    location.address_text = address_text.clone();
                }
                if retailer_licence.is_some() {
                    location.retailer_licence = retailer_licence.clone();
                }
                location.set_by_triage(position.is_some(), retailer_licence.is_some());
                let next = match (in_field, cat.path) {
                    (true, _) => status,
                    (false, HandlingPath::Full) => Triaged,
                    (false, HandlingPath::NoOnsite) => Reporting,
                    (false, HandlingPath::DirectAnswer) => Replying,
                };
                let overridden = (self.category.is_some() && category_changed)
                    || (urgency.is_some() && *urgency != self.urgency);
                // A vague intake gets its shop, place or category here: check again, as
                // intake would have, unless a possible duplicate is already named.
                let relocated = category_changed
                    || location.retailer_licence != self.location.retailer_licence
                    || location.position != self.location.position;
                let possible_duplicate_of = duplicate_of
                    .filter(|d| relocated && *d != self.id && self.possible_duplicate_of.is_none());
                (
                    EventKind::Triaged {
                        category: cat.code.clone(),
                        urgency: grade,
                        department: cat.lead_department,
                        path: cat.path,
                        location,
                        urgency_from_default: from_default,
                        overridden,
                        possible_duplicate_of,
                    },
                    next,
                )
            }
            Command::Dispatch {
                vehicle,
                team,
                crew,
            } => {
                let fast_track = status == Received;
                let allowed = match status {
                    Triaged | EnRoute => true,
                    Received => self.urgency == Some(Urgency::I),
                    _ => false,
                };
                if !allowed {
                    return Err(illegal());
                }
                if matches!(
                    self.path,
                    Some(HandlingPath::NoOnsite | HandlingPath::DirectAnswer)
                ) {
                    return Err(Rejection::rule(
                        ErrorCode::NoOnsiteStage,
                        "this ticket's category needs no vehicle on site",
                    ));
                }
                let kind = EventKind::Dispatched {
                    vehicle_id: vehicle.clone(),
                    team_id: team.clone(),
                    crew: crew.clone(),
                    fast_track,
                };
                (kind, EnRoute)
            }
            Command::Offer {
                offer_id,
                vehicle,
                team,
                crew,
                expires_at,
                distance_m,
                manual,
            } => {
                self.check_offer(vehicle, *manual)?;
                let kind = EventKind::OfferSent {
                    offer_id: *offer_id,
                    vehicle_id: vehicle.clone(),
                    team_id: team.clone(),
                    crew: crew.clone(),
                    expires_at: *expires_at,
                    distance_m: *distance_m,
                    manual: *manual,
                };
                (kind, status)
            }
            Command::AcceptOffer { offer_id } => {
                let offer = self.answerable(offer_id, answering)?;
                let kind = EventKind::OfferAccepted {
                    offer_id: *offer_id,
                    vehicle_id: offer.vehicle_id.clone(),
                    team_id: offer.team_id.clone(),
                    crew: offer.crew.clone(),
                    fast_track: status == Received,
                };
                (kind, EnRoute)
            }
            Command::DeclineOffer { offer_id, reason } => {
                let offer = self.answerable(offer_id, answering)?;
                let kind = EventKind::OfferDeclined {
                    offer_id: *offer_id,
                    vehicle_id: offer.vehicle_id.clone(),
                    reason: reason.clone(),
                };
                (kind, status)
            }
            Command::ExpireOffer { offer_id } => {
                let offer = self.answerable(offer_id, None)?;
                (
                    EventKind::OfferExpired {
                        offer_id: *offer_id,
                        vehicle_id: offer.vehicle_id.clone(),
                    },
                    status,
                )
            }
            Command::CancelDispatch { reason } => {
                require_text(reason, ErrorCode::ReasonRequired, "the reason")?;
                if let Some(offer) = self.open_offer() {
                    let kind = EventKind::OfferCancelled {
                        offer_id: offer.id,
                        vehicle_id: offer.vehicle_id.clone(),
                        reason: reason.clone(),
                    };
                    (kind, status)
                } else if status == EnRoute {
                    let vehicle_id = self.assignment.vehicle_id.clone().ok_or_else(illegal)?;
                    let back = if self.triage.confirmed {
                        Triaged
                    } else {
                        Received
                    };
                    (
                        EventKind::DispatchCancelled {
                            vehicle_id,
                            reason: reason.clone(),
                        },
                        back,
                    )
                } else {
                    return Err(illegal());
                }
            }
            Command::WithdrawVehicle { vehicle, reason } => {
                if status.is_closed() {
                    return Err(illegal());
                }
                require_text(reason, ErrorCode::ReasonRequired, "the reason")?;
                let on_it = matches!(status, EnRoute | OnSite)
                    && self.assignment.vehicle_id.as_ref() == Some(vehicle);
                match self.open_offer() {
                    Some(offer) if offer.vehicle_id == *vehicle => (
                        EventKind::OfferCancelled {
                            offer_id: offer.id,
                            vehicle_id: vehicle.clone(),
                            reason: reason.clone(),
                        },
                        status,
                    ),
                    _ if on_it => {
                        // Back to waiting for a vehicle: confirmed or not, as a call-off.
                        let back = if self.triage.confirmed {
                            Triaged
                        } else {
                            Received
                        };
                        (
                            EventKind::DispatchCancelled {
                                vehicle_id: vehicle.clone(),
                                reason: reason.clone(),
                            },
                            back,
                        )
                    }
                    _ => {
                        return Err(Rejection::rule(
                            ErrorCode::VehicleNotOnTicket,
                            format!(
                                "vehicle {vehicle} holds no offer of this ticket and is not on it"
                            ),
                        ));
                    }
                }
            }
            Command::FlagSla {
                level,
                scope,
                stage,
                now,
            } => self.decide_sla(*level, *scope, *stage, *now, catalog)?,
            Command::RaiseAlert { reason } => {
                if status.is_closed() {
                    return Err(illegal());
                }
                (
                    EventKind::Alerted {
                        reason: reason.clone(),
                    },
                    status,
                )
            }
            Command::Assign { staff } => {
                if status.is_closed() {
                    return Err(illegal());
                }
                (
                    EventKind::Assigned {
                        staff_id: staff.clone(),
                    },
                    status,
                )
            }
            Command::Arrive => {
                if status != EnRoute {
                    return Err(illegal());
                }
                let vehicle_id = self.assignment.vehicle_id.clone();
                (EventKind::Arrived { vehicle_id }, OnSite)
            }
            Command::RecordOnsite {
                findings,
                actions,
                evidence,
            } => {
                if status != OnSite {
                    return Err(illegal());
                }
                if self.category.is_none() {
                    return Err(Rejection::rule(
                        ErrorCode::CategoryRequired,
                        "classify the ticket (triage) before recording the on-site work",
                    ));
                }
                require_text(findings, ErrorCode::FindingsRequired, "the findings")?;
                let kind = EventKind::OnsiteRecorded {
                    findings: findings.clone(),
                    actions: actions.clone(),
                    evidence: evidence.clone(),
                };
                (kind, Reporting)
            }
            Command::SubmitReport { sections, evidence } => {
                if status != Reporting {
                    return Err(illegal());
                }
                self.check_report_author(by)?;
                let code = self.category.as_deref().ok_or_else(|| {
                    Rejection::rule(
                        ErrorCode::CategoryRequired,
                        "classify the ticket before reporting",
                    )
                })?;
                let missing = self.report_gaps(catalog.get(code), sections, evidence);
                if !missing.is_empty() {
                    return Err(Rejection::rule(
                        ErrorCode::ReportIncomplete,
                        format!("the report is missing: {}", missing.join(", ")),
                    )
                    .with_missing(missing));
                }
                let version = self.report.as_ref().map_or(1, |r| r.version + 1);
                let kind = EventKind::ReportSubmitted {
                    sections: sections.clone(),
                    evidence: self.report_evidence(evidence),
                    version,
                };
                (kind, InReview)
            }
            Command::Review { decision, reasons } => {
                if status != InReview {
                    return Err(illegal());
                }
                let next = match decision {
                    ReviewDecision::Pass => InApproval,
                    ReviewDecision::Return => {
                        check_return_reasons(reasons, catalog)?;
                        Reporting
                    }
                };
                (
                    EventKind::Reviewed {
                        decision: *decision,
                        reasons: reasons.clone(),
                    },
                    next,
                )
            }
            Command::Approve { decision, reasons } => {
                if status != InApproval {
                    return Err(illegal());
                }
                let next = match decision {
                    ApprovalDecision::Approve => Replying,
                    ApprovalDecision::ReturnToReporting => Reporting,
                    ApprovalDecision::ReturnToReview => InReview,
                };
                if next != Replying {
                    check_return_reasons(reasons, catalog)?;
                }
                (
                    EventKind::ApprovalDecided {
                        decision: *decision,
                        reasons: reasons.clone(),
                    },
                    next,
                )
            }
            Command::Reply { text } => {
                if status != Replying {
                    return Err(illegal());
                }
                require_text(text, ErrorCode::ReplyRequired, "the reply")?;
                (EventKind::Replied { text: text.clone() }, AwaitingVisit)
            }
            Command::RecordVisit {
                satisfaction,
                comment,
            } => {
                if status != AwaitingVisit {
                    return Err(illegal());
                }
                if self.visit.is_some() {
                    return Err(Rejection::rule(
                        ErrorCode::AlreadyVisited,
                        "the return visit is already recorded; archive the ticket",
                    ));
                }
                let reopened = *satisfaction == Satisfaction::Unsatisfied;
                let next = if reopened {
                    self.reopen_target(catalog)
                } else {
                    AwaitingVisit
                };
                let kind = EventKind::ReturnVisited {
                    satisfaction: *satisfaction,
                    comment: comment.clone(),
                    reopened,
                };
                (kind, next)
            }
            Command::Archive { note } => {
                if status != AwaitingVisit {
                    return Err(illegal());
                }
                let reachable = self.reporter.as_ref().is_some_and(|r| r.reachable());
                if self.visit.is_none() && reachable {
                    return Err(Rejection::rule(
                        ErrorCode::ReturnVisitMissing,
                        "record the return visit before archiving",
                    ));
                }
                (EventKind::Archived { note: note.clone() }, Archived)
            }
            Command::Reopen { reason, to } => {
                if status != Archived {
                    return Err(illegal());
                }
                require_text(reason, ErrorCode::ReasonRequired, "the reason")?;
                let next = match to {
                    None => self.reopen_target(catalog),
                    Some(Reporting) if self.path == Some(HandlingPath::DirectAnswer) => {
                        return Err(Rejection::rule(
                            ErrorCode::BadReopenTarget,
                            "a direct answer has no report: reopen it to triaged",
                        ));
                    }
                    Some(s @ (Triaged | Reporting)) => *s,
                    Some(other) => {
                        return Err(Rejection::rule(
                            ErrorCode::BadReopenTarget,
                            format!("a ticket reopens to triaged or reporting, not {other}"),
                        ));
                    }
                };
                (
                    EventKind::Reopened {
                        reason: reason.clone(),
                    },
                    next,
                )
            }
            Command::Supervise { notice } => {
                if status.is_closed() {
                    return Err(illegal());
                }
                require_text(notice, ErrorCode::NoticeRequired, "the notice")?;
                (
                    EventKind::Supervised {
                        notice: notice.clone(),
                    },
                    status,
                )
            }
            Command::Transfer { to, reason } => {
                if status.is_closed() {
                    return Err(illegal());
                }
                require_text(reason, ErrorCode::ReasonRequired, "the reason")?;
                let next = match to {
                    TransferTarget::Department { department } => {
                        if self.department == Some(*department) {
                            return Err(Rejection::rule(
                                ErrorCode::SameDepartment,
                                format!("the ticket is already with {department}"),
                            ));
                        }
                        status
                    }
                    TransferTarget::OtherUnit { unit } => {
                        require_text(unit, ErrorCode::UnitRequired, "the receiving unit")?;
                        Transferred
                    }
                    TransferTarget::Platform => Transferred,
                };
                (
                    EventKind::Transferred {
                        to: to.clone(),
                        reason: reason.clone(),
                    },
                    next,
                )
            }
            Command::MergeInto {
                target,
                target_number,
            } => {
                if status.is_closed() {
                    return Err(illegal());
                }
                if self.duplicates.contains(target) {
                    return Err(Rejection::rule(
                        ErrorCode::MergeCycle,
                        "that ticket was merged into this one; merge the other way round",
                    ));
                }
                if *target == self.id {
                    return Err(Rejection::rule(
                        ErrorCode::MergeIntoItself,
                        "a ticket cannot be merged into itself",
                    ));
                }
                (
                    EventKind::Merged {
                        into: *target,
                        into_number: target_number.clone(),
                    },
                    Merged,
                )
            }
            Command::AbsorbDuplicate {
                duplicate,
                duplicate_number,
            } => {
                if status.is_closed() {
                    return Err(illegal());
                }
                if self.duplicates.contains(duplicate) {
                    return Err(Rejection::rule(
                        ErrorCode::AlreadyMerged,
                        "that ticket is already merged into this one",
                    ));
                }
                if *duplicate == self.id {
                    return Err(Rejection::rule(
                        ErrorCode::MergeIntoItself,
                        "a ticket cannot be merged into itself",
                    ));
                }
                let kind = EventKind::DuplicateMerged {
                    duplicate: *duplicate,
                    duplicate_number: duplicate_number.clone(),
                };
                (kind, status)
            }
            Command::ReleaseDuplicate {
                duplicate,
                duplicate_number,
                reason,
            } => {
                // Any status: the target may have closed while the merge was under way.
                if !self.duplicates.contains(duplicate) {
                    return Err(Rejection::rule(
                        ErrorCode::NotMerged,
                        "that ticket is not merged into this one",
                    ));
                }
                let kind = EventKind::DuplicateReleased {
                    duplicate: *duplicate,
                    duplicate_number: duplicate_number.clone(),
                    reason: reason.clone(),
                };
                (kind, status)
            }
            Command::Group(g) => (self.decide_group(g, by)?, status),
        };
        // An open offer pins the ticket to intake: whatever would move it on (a direct
        // dispatch, a reclassification, a transfer or merge) waits until the offer is
        // answered, expires or is cancelled.
        let leaves_intake =
            matches!(status, Received | Triaged) && !matches!(next, Received | Triaged);
        let settles_offer = matches!(command, Command::AcceptOffer { .. });
        if leaves_intake && !settles_offer && self.open_offer().is_some() {
            return Err(Rejection::rule(
                ErrorCode::OfferOpen,
                "an offer to a vehicle is waiting for an answer; cancel it first",
            ));
        }
        Ok(Decision {
            kind,
            status: next,
            deadlines: None,
        })
    }

    /// Checks and applies in one step; returns the event's kind and the new status.
    pub fn execute(
        &mut self,
        command: &Command,
        by: &Principal,
        catalog: &Catalog,
        at: crate::domain::Timestamp,
    ) -> Result<Decision, Rejection> {
        let decision = self.decide(command, by, catalog)?;
        let basis = (self.category.clone(), self.urgency);
        self.apply(&decision.kind, decision.status, at);
        // A deadline is fixed from the guide when its clock starts, and again only when the
        // ticket's category or grade (what the limit depends on) changes.
        let rebased = basis != (self.category.clone(), self.urgency);
        let deadlines = self.fix_deadlines(catalog, rebased);
        Ok(Decision {
            deadlines,
            ..decision
        })
    }

    /// Where a reopened ticket starts again, by the guide: a new on-site check (`triaged`)
    /// or a rewritten report (`reporting`); consultations always go back to intake.
    fn reopen_target(&self, catalog: &Catalog) -> Status {
        match catalog.reopen_to(self.category.as_deref(), self.path) {
            ReopenTarget::Triaged => Status::Triaged,
            ReopenTarget::Reporting => Status::Reporting,
        }
    }
}
