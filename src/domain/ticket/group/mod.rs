//! The collaboration group (工单 No. X 协作受理小组) of a ticket: for a case that spans
//! departments the command centre names a lead (主办) and assisting (协办) members, each with
//! a task, who work it together. The group belongs to its ticket (its id is the ticket's id)
//! and changes through the ticket's own `decide` → event → `apply` path, so every step is in
//! the ticket's timeline. Chat messages live only in the timeline; the snapshot keeps their
//! count and the time of the last one. A dissolved group stays in the snapshot (for the
//! record and to tell its former members); a new one may be formed later, e.g. after a
//! reopen, with the next `generation`.

mod apply;
pub mod crew;
mod decide;
mod members;
pub mod plan;
#[cfg(test)]
mod tests;
mod withdraw;

use serde::{Deserialize, Serialize};

use super::Ticket;
use crate::domain::Timestamp;
use crate::domain::catalog::Department;
use crate::domain::ids::StaffId;
use crate::domain::role::Role;

pub use decide::GroupCommand;

/// Most members a group may have.
pub const MAX_MEMBERS: usize = 12;
/// Longest task text, in characters.
pub const MAX_TASK_CHARS: usize = 500;
/// Longest chat message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2000;
/// Longest note on a finished task, in characters.
pub const MAX_NOTE_CHARS: usize = 1000;
/// Longest reason for a membership change or a dissolution, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// A member's part in the group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    /// 主办: leads the handling and alone submits the report.
    Lead,
    /// 协办: assists with one task.
    Assist,
}

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lead => "lead",
            Self::Assist => "assist",
        }
    }
}

/// A member as a command names it: the department comes from the roster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMember {
    pub staff_id: StaffId,
    pub role: MemberRole,
    pub department: Department,
    pub task: String,
}

/// A member as an event records it, with the task id the group gave its task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSpec {
    pub staff_id: StaffId,
    pub role: MemberRole,
    pub department: Department,
    pub task_id: u32,
    pub task: String,
}

/// One member's task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// Unique within the group, never reused (even after the member leaves).
    pub id: u32,
    pub text: String,
    pub done: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_at: Option<Timestamp>,
    /// The member who finished it; `None` when the command centre marked it done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_by: Option<StaffId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub staff_id: StaffId,
    pub role: MemberRole,
    pub department: Department,
    pub task: Task,
    pub joined_at: Timestamp,
}

/// The group's state: the fold of its events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// 1 for the ticket's first group, +1 each time one is formed again.
    pub generation: u32,
    /// Formed by the engine from the handling guide, not by a dispatcher.
    pub auto: bool,
    pub formed_at: Timestamp,
    /// In the order they joined; exactly one is the lead.
    pub members: Vec<Member>,
    /// Chat messages posted so far (the messages themselves are in the timeline).
    pub messages: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message_at: Option<Timestamp>,
    /// The id the next task gets.
    pub next_task_id: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dissolved_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dissolved_reason: Option<String>,
    /// Dissolved because its ticket closed (a later triage may form a new one), not by a
    /// dispatcher's decision.
    #[serde(default)]
    pub dissolved_on_close: bool,
}

impl Group {
    pub fn is_active(&self) -> bool {
        self.dissolved_at.is_none()
    }

    pub fn lead(&self) -> Option<&Member> {
        self.members.iter().find(|m| m.role == MemberRole::Lead)
    }

    pub fn member(&self, staff: &StaffId) -> Option<&Member> {
        self.members.iter().find(|m| &m.staff_id == staff)
    }

    /// Every member, active or not (a dissolved group's former members).
    pub fn member_ids(&self) -> Vec<StaffId> {
        self.members.iter().map(|m| m.staff_id.clone()).collect()
    }

    /// The member holding task `id`.
    pub fn task_holder(&self, id: u32) -> Option<&Member> {
        self.members.iter().find(|m| m.task.id == id)
    }

    /// Tasks done and all tasks.
    pub fn progress(&self) -> (usize, usize) {
        let done = self.members.iter().filter(|m| m.task.done).count();
        (done, self.members.len())
    }
}

/// `group.formed`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupFormed {
    pub generation: u32,
    pub auto: bool,
    pub lead: StaffId,
    pub members: Vec<MemberSpec>,
}

/// `group.message`: one chat message (kept only here, in the timeline).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMessage {
    pub generation: u32,
    /// 1 for the group's first message.
    pub message_no: u32,
    /// The member who wrote it; `None` for the command centre (see the event's principal).
    pub author: Option<StaffId>,
    pub text: String,
}

/// `group.task_done`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupTaskDone {
    pub generation: u32,
    pub task_id: u32,
    /// Whose task it is.
    pub staff_id: StaffId,
    /// The member who finished it; `None` when the command centre marked it done.
    pub done_by: Option<StaffId>,
    pub note: Option<String>,
}

/// `group.members_changed`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMembersChanged {
    pub generation: u32,
    pub added: Vec<MemberSpec>,
    pub removed: Vec<StaffId>,
    /// The lead afterwards.
    pub lead: StaffId,
    /// The lead before, when it changed.
    pub previous_lead: Option<StaffId>,
    pub reason: Option<String>,
}

/// `group.dissolved`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupDissolved {
    pub generation: u32,
    pub reason: String,
    /// Dissolved because the ticket closed.
    pub on_close: bool,
}

impl Ticket {
    /// Members of the ticket's active group; empty when it has none or it was dissolved.
    pub fn group_member_ids(&self) -> Vec<StaffId> {
        self.active_group()
            .map(Group::member_ids)
            .unwrap_or_default()
    }

    /// The group, if it is active.
    pub fn active_group(&self) -> Option<&Group> {
        self.group.as_ref().filter(|g| g.is_active())
    }

    /// The lead of the active group.
    pub fn group_lead(&self) -> Option<&StaffId> {
        self.active_group()
            .and_then(Group::lead)
            .map(|m| &m.staff_id)
    }
}

/// Roles that may read a group (members too, checked against the roster).
pub const GROUP_READERS: &[Role] = &[Role::Dispatcher, Role::Supervisor, Role::Field];
