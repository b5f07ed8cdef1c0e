//! Membership changes: add and remove members and hand the lead on, always leaving exactly
//! one lead, never more than [`MAX_MEMBERS`], and never reusing a task id.

use std::collections::HashSet;

use super::decide::{check_size, optional, specs};
use super::{GroupMembersChanged, MAX_REASON_CHARS, MemberRole, NewMember};
use crate::domain::error_code::ErrorCode;
use crate::domain::ids::StaffId;
use crate::domain::ticket::{EventKind, Rejection, Ticket};

impl Ticket {
    pub(super) fn decide_change(
        &self,
        add: &[NewMember],
        remove: &[StaffId],
        lead: Option<&StaffId>,
        reason: &Option<String>,
    ) -> Result<EventKind, Rejection> {
        let group = self.group_required()?;
        optional("reason", reason, MAX_REASON_CHARS)?;
        if add.is_empty() && remove.is_empty() && lead.is_none() {
            return Err(Rejection::rule(
                ErrorCode::NothingToChange,
                "name members to add or remove, or a new lead",
            ));
        }
        let mut removing = HashSet::new();
        for s in remove {
            if group.member(s).is_none() {
                return Err(Rejection::rule(
                    ErrorCode::NotAMember,
                    format!("{s} is not in the group"),
                ));
            }
            if !removing.insert(s) {
                return Err(Rejection::rule(
                    ErrorCode::DuplicateMember,
                    format!("{s} is named twice"),
                ));
            }
        }
        for m in add {
            if group.member(&m.staff_id).is_some() && !removing.contains(&m.staff_id) {
                return Err(Rejection::rule(
                    ErrorCode::AlreadyMember,
                    format!("{} is already in the group", m.staff_id),
                ));
            }
            if removing.contains(&m.staff_id) {
                return Err(Rejection::rule(
                    ErrorCode::DuplicateMember,
                    format!("{} is both added and removed", m.staff_id),
                ));
            }
        }
        let added = specs(add, group.next_task_id)?;
        let remaining = group.members.len() - removing.len();
        check_size(remaining + added.len())?;
        let added_leads: Vec<&StaffId> = added
            .iter()
            .filter(|m| m.role == MemberRole::Lead)
            .map(|m| &m.staff_id)
            .collect();
        if added_leads.len() > 1 {
            return Err(Rejection::rule(ErrorCode::OneLead, "a group has one lead"));
        }
        let previous = group.lead().map(|m| m.staff_id.clone());
        let new_lead = match (lead, added_leads.first()) {
            (Some(a), Some(b)) if a != *b => {
                return Err(Rejection::rule(
                    ErrorCode::OneLead,
                    format!("`lead` names {a} but {b} is added as lead"),
                ));
            }
            (Some(l), _) => l.clone(),
            (None, Some(l)) => (*l).clone(),
            (None, None) => previous.clone().ok_or_else(|| {
                Rejection::rule(ErrorCode::LeadRequired, "the group has no lead: name one")
            })?,
        };
        let stays = group.member(&new_lead).is_some() && !removing.contains(&new_lead);
        let joins = added.iter().any(|m| m.staff_id == new_lead);
        if !stays && !joins {
            let message = if previous.as_ref() == Some(&new_lead) {
                format!("{new_lead} leads the group: name a new lead before removing them")
            } else {
                format!("the new lead {new_lead} must be a member of the group")
            };
            return Err(Rejection::rule(ErrorCode::LeadRequired, message));
        }
        let added = added
            .into_iter()
            .map(|mut m| {
                m.role = if m.staff_id == new_lead {
                    MemberRole::Lead
                } else {
                    MemberRole::Assist
                };
                m
            })
            .collect();
        Ok(EventKind::GroupMembersChanged(GroupMembersChanged {
            generation: group.generation,
            added,
            removed: remove.to_vec(),
            previous_lead: previous.filter(|p| *p != new_lead),
            lead: new_lead,
            reason: reason.clone().filter(|r| !r.trim().is_empty()),
        }))
    }
}
