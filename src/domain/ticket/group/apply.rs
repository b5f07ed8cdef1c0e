//! How group events fold into the ticket's state.

use super::{Group, Member, MemberRole, MemberSpec, Task};
use crate::domain::Timestamp;
use crate::domain::ticket::{EventKind, Ticket};

impl Ticket {
    /// Folds a group event into the state.
    pub(in crate::domain::ticket) fn apply_group(&mut self, kind: &EventKind, at: Timestamp) {
        match kind {
            EventKind::GroupFormed(e) => {
                let next_task_id = e.members.iter().map(|m| m.task_id).max().unwrap_or(0) + 1;
                self.group = Some(Group {
                    generation: e.generation,
                    auto: e.auto,
                    formed_at: at,
                    members: e.members.iter().map(|m| member(m, at)).collect(),
                    messages: 0,
                    last_message_at: None,
                    next_task_id,
                    dissolved_at: None,
                    dissolved_reason: None,
                    dissolved_on_close: false,
                });
            }
            EventKind::GroupMessage(e) => {
                if let Some(g) = &mut self.group {
                    g.messages = e.message_no;
                    g.last_message_at = Some(at);
                }
            }
            EventKind::GroupTaskDone(e) => {
                if let Some(m) = self
                    .group
                    .as_mut()
                    .and_then(|g| g.members.iter_mut().find(|m| m.task.id == e.task_id))
                {
                    m.task.done = true;
                    m.task.done_at = Some(at);
                    m.task.done_by = e.done_by.clone();
                    m.task.note = e.note.clone();
                }
            }
            EventKind::GroupMembersChanged(e) => {
                if let Some(g) = &mut self.group {
                    g.members.retain(|m| !e.removed.contains(&m.staff_id));
                    g.members.extend(e.added.iter().map(|m| member(m, at)));
                    for m in &mut g.members {
                        m.role = if m.staff_id == e.lead {
                            MemberRole::Lead
                        } else {
                            MemberRole::Assist
                        };
                    }
                    if let Some(max) = e.added.iter().map(|m| m.task_id).max() {
                        g.next_task_id = g.next_task_id.max(max + 1);
                    }
                }
            }
            EventKind::GroupDissolved(e) => {
                if let Some(g) = &mut self.group {
                    g.dissolved_at = Some(at);
                    g.dissolved_reason = Some(e.reason.clone());
                    g.dissolved_on_close = e.on_close;
                }
            }
            _ => {}
        }
    }
}

fn member(spec: &MemberSpec, at: Timestamp) -> Member {
    Member {
        staff_id: spec.staff_id.clone(),
        role: spec.role,
        department: spec.department,
        task: Task {
            id: spec.task_id,
            text: spec.task.clone(),
            done: false,
            done_at: None,
            done_by: None,
            note: None,
        },
        joined_at: at,
    }
}
