//! Wire shapes of collaboration groups. [`GroupDto`] is what `GET /api/v1/groups/{id}`
//! answers and what the live streams put in `group.*` frames. Member names and badges are
//! staff data (never the reporter's), fine for consoles and field devices.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::actors::coordinator::RecentMessage;
use crate::domain::Timestamp;
use crate::domain::catalog::Department;
use crate::domain::ids::StaffId;
use crate::domain::role::Role;
use crate::domain::roster::{Staff, StaffRole};
use crate::domain::ticket::group::{Member, MemberRole, Task};
use crate::domain::ticket::{Status, Ticket};
use crate::roster::Roster;

/// One member's task.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TaskDto {
    /// Unique in the group; the `{task}` of `POST /groups/{id}/tasks/{task}/done`.
    pub id: u32,
    pub text: String,
    pub done: bool,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub done_at: Option<Timestamp>,
    /// The member who finished it; absent when the command centre marked it done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub done_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MemberDto {
    pub staff_id: String,
    /// From the roster; absent if the staff record is gone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub badge: Option<String>,
    /// What the person does (inspector, account manager, driver, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staff_role: Option<StaffRole>,
    pub department: Department,
    /// `lead` (主办) or `assist` (协办).
    pub role: MemberRole,
    #[schema(value_type = String, format = DateTime)]
    pub joined_at: Timestamp,
    pub task: TaskDto,
    /// False for a member taken out of service (a lead nobody could take over from stays
    /// until a dispatcher names another).
    pub in_service: bool,
}

/// One chat message.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MessageDto {
    /// The timeline event that holds it.
    pub event_id: u64,
    /// 1 for the group's first message.
    pub message_no: u32,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// The member who wrote it; absent for the command centre.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_name: Option<String>,
    pub by_role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_subject: Option<String>,
    pub text: String,
}

impl MessageDto {
    pub fn new(m: &RecentMessage, roster: &Roster) -> Self {
        Self {
            event_id: m.event_id,
            message_no: m.message_no,
            at: m.at,
            author: m.author.as_ref().map(|s| s.to_string()),
            author_name: m
                .author
                .as_ref()
                .and_then(|s| staff(roster, s))
                .map(|s| s.name),
            by_role: m.by.role,
            by_subject: m.by.subject.as_ref().map(|s| s.to_string()),
            text: m.text.clone(),
        }
    }
}

/// A ticket's collaboration group (its id is the ticket's id).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct GroupDto {
    /// The group's id: its ticket's id.
    pub id: String,
    pub ticket_id: String,
    pub number: String,
    /// "工单 No. WX-2026-000123 协作受理小组".
    pub name: String,
    pub ticket_status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// 1 for the ticket's first group, +1 each time one is formed again.
    pub generation: u32,
    pub active: bool,
    /// Formed by the engine from the handling guide.
    pub auto: bool,
    #[schema(value_type = String, format = DateTime)]
    pub formed_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dissolved_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dissolved_reason: Option<String>,
    /// The lead's staff id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead: Option<String>,
    /// In the order they joined.
    pub members: Vec<MemberDto>,
    pub tasks_done: usize,
    pub tasks_total: usize,
    /// Messages posted to this group so far.
    pub message_count: u32,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_message_at: Option<Timestamp>,
    /// The latest messages, oldest first (`GET /groups/{id}` only; the rest are in the
    /// ticket's timeline).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<MessageDto>>,
}

fn staff(roster: &Roster, id: &StaffId) -> Option<Staff> {
    roster.staff(id).unwrap_or_else(|e| {
        tracing::warn!(staff_id = %id, error = %e, "cannot read a staff record");
        None
    })
}

fn task(t: &Task) -> TaskDto {
    TaskDto {
        id: t.id,
        text: t.text.clone(),
        done: t.done,
        done_at: t.done_at,
        done_by: t.done_by.as_ref().map(|s| s.to_string()),
        note: t.note.clone(),
    }
}

fn member(m: &Member, roster: &Roster) -> MemberDto {
    let record = staff(roster, &m.staff_id);
    MemberDto {
        staff_id: m.staff_id.to_string(),
        name: record.as_ref().map(|s| s.name.clone()),
        badge: record.as_ref().map(|s| s.badge.clone()),
        staff_role: record.as_ref().map(|s| s.role),
        department: m.department,
        role: m.role,
        joined_at: m.joined_at,
        task: task(&m.task),
        in_service: record.as_ref().is_none_or(|s| s.in_service()),
    }
}

impl GroupDto {
    /// The ticket's group (active, or the last one dissolved); `None` if it never had one.
    /// Names and badges come from the roster.
    pub fn new(ticket: &Ticket, roster: &Roster) -> Option<GroupDto> {
        let g = ticket.group.as_ref()?;
        let (tasks_done, tasks_total) = g.progress();
        Some(GroupDto {
            id: ticket.id.to_string(),
            ticket_id: ticket.id.to_string(),
            number: ticket.number.to_string(),
            name: format!("工单 No. {} 协作受理小组", ticket.number),
            ticket_status: ticket.status,
            category: ticket.category.clone(),
            generation: g.generation,
            active: g.is_active(),
            auto: g.auto,
            formed_at: g.formed_at,
            dissolved_at: g.dissolved_at,
            dissolved_reason: g.dissolved_reason.clone(),
            lead: g.lead().map(|m| m.staff_id.to_string()),
            members: g.members.iter().map(|m| member(m, roster)).collect(),
            tasks_done,
            tasks_total,
            message_count: g.messages,
            last_message_at: g.last_message_at,
            messages: None,
        })
    }

    /// With the latest messages.
    pub fn with_messages(mut self, messages: &[RecentMessage], roster: &Roster) -> Self {
        self.messages = Some(
            messages
                .iter()
                .map(|m| MessageDto::new(m, roster))
                .collect(),
        );
        self
    }
}

pub use crate::service::groups::{FormGroupRequest, MemberRequest};

/// The body of `POST /api/v1/groups/{id}/members`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MembersRequest {
    /// Newcomers; one of them may be the new `lead`.
    #[serde(default)]
    pub add: Vec<MemberRequest>,
    /// Staff ids leaving the group (their tasks leave with them; the timeline keeps them).
    #[serde(default)]
    pub remove: Vec<String>,
    /// Hand the lead to this member (or newcomer).
    pub lead: Option<String>,
    pub reason: Option<String>,
}

/// The body of `POST /api/v1/groups/{id}/messages`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageRequest {
    /// 1 to 2,000 characters.
    pub text: String,
}

/// The optional body of `POST /api/v1/groups/{id}/tasks/{task}/done`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskDoneRequest {
    pub note: Option<String>,
}

/// The body of `POST /api/v1/groups/{id}/dissolve`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DissolveRequest {
    pub reason: String,
}
