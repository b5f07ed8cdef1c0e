//! The rules of a collaboration group: who may form, change, post to, finish a task in and
//! dissolve it, and how each event folds into the state. Group steps never move the ticket's
//! status.
//!
//! Field devices speak for staff: a token bound to a staff member speaks for that member; a
//! token bound to a vehicle speaks for its crew. The crew is roster data, so the caller
//! resolves it and passes it in (`acting_for`); the ticket adds the crew it recorded for its
//! own assigned vehicle. A staff token's `acting_for` is ignored: it speaks for itself only.

use std::collections::HashSet;

use super::{
    Group, GroupDissolved, GroupFormed, GroupMessage, GroupTaskDone, MAX_MEMBERS,
    MAX_MESSAGE_CHARS, MAX_NOTE_CHARS, MAX_REASON_CHARS, MAX_TASK_CHARS, MemberRole, MemberSpec,
    NewMember,
};
use crate::domain::error_code::ErrorCode;
use crate::domain::ids::StaffId;
use crate::domain::role::{Principal, Role, Subject};
use crate::domain::ticket::{EventKind, Rejection, Ticket};

/// Everything that can be asked of a ticket's collaboration group.
#[derive(Clone, Debug, PartialEq)]
pub enum GroupCommand {
    /// Form the group (a dispatcher, or the engine from the handling guide: `auto`).
    Form { members: Vec<NewMember>, auto: bool },
    /// Post a chat message.
    Post {
        text: String,
        acting_for: Vec<StaffId>,
    },
    /// Mark a task done.
    CompleteTask {
        task_id: u32,
        note: Option<String>,
        acting_for: Vec<StaffId>,
    },
    /// Add and remove members, or hand the lead to another member.
    ChangeMembers {
        add: Vec<NewMember>,
        remove: Vec<StaffId>,
        lead: Option<StaffId>,
        reason: Option<String>,
    },
    /// End the group (a dispatcher, or the engine when the ticket closes: `on_close`).
    Dissolve { reason: String, on_close: bool },
    /// The engine: `staff` was taken out of service and leaves the group; a lead hands the
    /// lead on (see `withdraw.rs`). `crew` is the in-service crew of the ticket's vehicle
    /// with their departments, `unavailable` the members out of service (roster data).
    Withdraw {
        staff: StaffId,
        reason: String,
        crew: Vec<(StaffId, crate::domain::catalog::Department)>,
        unavailable: Vec<StaffId>,
    },
}

impl GroupCommand {
    pub fn action(&self) -> &'static str {
        match self {
            Self::Form { .. } => "form the collaboration group of",
            Self::Post { .. } => "post to the collaboration group of",
            Self::CompleteTask { .. } => "finish a group task of",
            Self::ChangeMembers { .. } => "change the collaboration group of",
            Self::Dissolve { .. } => "dissolve the collaboration group of",
            Self::Withdraw { .. } => "withdraw a member out of service from the group of",
        }
    }

    /// Who may form a group (and change or dissolve it).
    pub const FORM_ROLES: &'static [Role] = &[Role::Dispatcher];

    pub fn roles(&self) -> &'static [Role] {
        use Role::*;
        match self {
            Self::Form { .. } | Self::ChangeMembers { .. } | Self::Dissolve { .. } => {
                Self::FORM_ROLES
            }
            Self::Post { .. } => &[Field, Dispatcher, Supervisor],
            Self::CompleteTask { .. } => &[Field, Dispatcher],
            Self::Withdraw { .. } => &[],
        }
    }
}

pub(super) fn too_long(field: &str, text: &str, max: usize) -> Result<(), Rejection> {
    let n = text.chars().count();
    if n > max {
        return Err(Rejection::rule(
            ErrorCode::TooLong,
            format!("`{field}` has {n} characters; at most {max} are allowed"),
        ));
    }
    Ok(())
}

pub(super) fn required(field: &str, text: &str, max: usize) -> Result<(), Rejection> {
    if text.trim().is_empty() {
        return Err(Rejection::rule(
            ErrorCode::TextRequired,
            format!("`{field}` must not be empty"),
        ));
    }
    too_long(field, text, max)
}

pub(super) fn optional(field: &str, text: &Option<String>, max: usize) -> Result<(), Rejection> {
    text.as_deref().map_or(Ok(()), |t| too_long(field, t, max))
}

/// Task texts, sizes, duplicates; gives each new member the next task id.
pub(super) fn specs(new: &[NewMember], next_task_id: u32) -> Result<Vec<MemberSpec>, Rejection> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(new.len());
    for (i, m) in new.iter().enumerate() {
        if !seen.insert(&m.staff_id) {
            return Err(Rejection::rule(
                ErrorCode::DuplicateMember,
                format!("{} is named twice", m.staff_id),
            ));
        }
        if m.task.trim().is_empty() {
            return Err(Rejection::rule(
                ErrorCode::TaskRequired,
                format!("{} needs a task", m.staff_id),
            ));
        }
        too_long("task", &m.task, MAX_TASK_CHARS)?;
        out.push(MemberSpec {
            staff_id: m.staff_id.clone(),
            role: m.role,
            department: m.department,
            task_id: next_task_id + i as u32,
            task: m.task.trim().to_owned(),
        });
    }
    Ok(out)
}

pub(super) fn check_size(n: usize) -> Result<(), Rejection> {
    if n == 0 {
        return Err(Rejection::rule(
            ErrorCode::MembersRequired,
            "a group needs at least one member",
        ));
    }
    if n > MAX_MEMBERS {
        return Err(Rejection::rule(
            ErrorCode::TooManyMembers,
            format!("a group has at most {MAX_MEMBERS} members, not {n}"),
        ));
    }
    Ok(())
}

impl Ticket {
    /// The staff a principal speaks for: a staff token itself; a vehicle token the crew the
    /// caller resolved from the roster, plus the crew recorded for this ticket's vehicle.
    pub fn speaks_for(&self, by: &Principal, acting_for: &[StaffId]) -> Vec<StaffId> {
        match &by.subject {
            Some(Subject::Staff(s)) => vec![s.clone()],
            Some(Subject::Vehicle(v)) => {
                let mut out = acting_for.to_vec();
                if self.assignment.vehicle_id.as_ref() == Some(v) {
                    for s in &self.assignment.crew {
                        if !out.contains(s) {
                            out.push(s.clone());
                        }
                    }
                }
                out
            }
            _ => Vec::new(),
        }
    }

    /// While a group is active only its lead submits the report: a field device must be
    /// the lead's own, or the ticket's vehicle with the lead in its crew.
    pub(in crate::domain::ticket) fn speaks_for_lead(&self, by: &Principal) -> bool {
        self.group_lead()
            .is_some_and(|lead| self.speaks_for(by, &[]).contains(lead))
    }

    /// Whether a principal speaks for any member of the active group.
    pub(in crate::domain::ticket) fn speaks_for_member(&self, by: &Principal) -> bool {
        let members = self.group_member_ids();
        self.speaks_for(by, &[]).iter().any(|s| members.contains(s))
    }

    /// Refuses a report from anyone but the lead while a group is active.
    pub(in crate::domain::ticket) fn check_report_author(
        &self,
        by: &Principal,
    ) -> Result<(), Rejection> {
        match self.group_lead() {
            Some(lead) if by.role == Role::Field && !self.speaks_for_lead(by) => {
                Err(Rejection::denied(
                    ErrorCode::NotGroupLead,
                    format!(
                        "while the collaboration group is active only its lead ({lead}) submits the report"
                    ),
                ))
            }
            _ => Ok(()),
        }
    }

    pub(super) fn group_required(&self) -> Result<&Group, Rejection> {
        self.active_group().ok_or_else(|| {
            Rejection::conflict(
                ErrorCode::NoActiveGroup,
                "this ticket has no active collaboration group",
            )
        })
    }

    /// Checks a group command; accepting yields one event and leaves the status as it is.
    pub(in crate::domain::ticket) fn decide_group(
        &self,
        command: &GroupCommand,
        by: &Principal,
    ) -> Result<EventKind, Rejection> {
        let illegal = || Rejection::IllegalTransition {
            action: command.action(),
            status: self.status,
        };
        // A closed ticket's group can only be dissolved.
        if self.status.is_closed() && !matches!(command, GroupCommand::Dissolve { .. }) {
            return Err(illegal());
        }
        match command {
            GroupCommand::Form { members, auto } => {
                if self.active_group().is_some() {
                    return Err(Rejection::conflict(
                        ErrorCode::GroupActive,
                        "this ticket already has an active collaboration group",
                    ));
                }
                check_size(members.len())?;
                let leads: Vec<&NewMember> = members
                    .iter()
                    .filter(|m| m.role == MemberRole::Lead)
                    .collect();
                let lead = match leads.as_slice() {
                    [one] => one.staff_id.clone(),
                    [] => return Err(Rejection::rule(ErrorCode::LeadRequired, "name one lead")),
                    _ => {
                        return Err(Rejection::rule(
                            ErrorCode::OneLead,
                            format!("a group has one lead, not {}", leads.len()),
                        ));
                    }
                };
                let generation = self.group.as_ref().map_or(1, |g| g.generation + 1);
                Ok(EventKind::GroupFormed(GroupFormed {
                    generation,
                    auto: *auto,
                    lead,
                    members: specs(members, 1)?,
                }))
            }
            GroupCommand::Post { text, acting_for } => {
                let group = self.group_required()?;
                required("text", text, MAX_MESSAGE_CHARS)?;
                let author = match by.role {
                    Role::Field => {
                        let speaks = self.speaks_for(by, acting_for);
                        // A vehicle carrying several members writes as the lead if aboard.
                        let member = group
                            .members
                            .iter()
                            .filter(|m| speaks.contains(&m.staff_id))
                            .min_by_key(|m| m.role != MemberRole::Lead)
                            .ok_or_else(not_member)?;
                        Some(member.staff_id.clone())
                    }
                    _ => None,
                };
                Ok(EventKind::GroupMessage(GroupMessage {
                    generation: group.generation,
                    message_no: group.messages + 1,
                    author,
                    text: text.clone(),
                }))
            }
            GroupCommand::CompleteTask {
                task_id,
                note,
                acting_for,
            } => {
                let group = self.group_required()?;
                optional("note", note, MAX_NOTE_CHARS)?;
                let holder = group.task_holder(*task_id).ok_or_else(|| {
                    Rejection::rule(
                        ErrorCode::UnknownTask,
                        format!("the group has no task {task_id}"),
                    )
                })?;
                let done_by = match by.role {
                    Role::Field => {
                        if !self.speaks_for(by, acting_for).contains(&holder.staff_id) {
                            return Err(Rejection::denied(
                                ErrorCode::NotTaskHolder,
                                format!(
                                    "task {task_id} is {}'s; only they or a dispatcher mark it done",
                                    holder.staff_id
                                ),
                            ));
                        }
                        Some(holder.staff_id.clone())
                    }
                    _ => None,
                };
                if holder.task.done {
                    return Err(Rejection::conflict(
                        ErrorCode::TaskDone,
                        format!("task {task_id} is already done"),
                    ));
                }
                Ok(EventKind::GroupTaskDone(GroupTaskDone {
                    generation: group.generation,
                    task_id: *task_id,
                    staff_id: holder.staff_id.clone(),
                    done_by,
                    note: note.clone().filter(|n| !n.trim().is_empty()),
                }))
            }
            GroupCommand::ChangeMembers {
                add,
                remove,
                lead,
                reason,
            } => self.decide_change(add, remove, lead.as_ref(), reason),
            GroupCommand::Withdraw {
                staff,
                reason,
                crew,
                unavailable,
            } => self.decide_withdraw(staff, reason, crew, unavailable),
            GroupCommand::Dissolve { reason, on_close } => {
                let group = self.group_required()?;
                required("reason", reason, MAX_REASON_CHARS)?;
                Ok(EventKind::GroupDissolved(GroupDissolved {
                    generation: group.generation,
                    reason: reason.clone(),
                    on_close: *on_close,
                }))
            }
        }
    }
}

fn not_member() -> Rejection {
    Rejection::denied(
        ErrorCode::NotGroupMember,
        "you are not a member of this collaboration group",
    )
}
