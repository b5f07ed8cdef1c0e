//! A member taken out of service (left, sick, suspended) leaves every active group they are
//! in, as the engine's own membership change (`group.members_changed`, with the reason),
//! so the timeline, the consoles and the members' devices see it as they see any change.
//!
//! - An assisting member is removed; the lead stays.
//! - A lead hands the lead on to someone who can carry on: first an in-service crew member
//!   of the ticket's vehicle from the lead department (they were sent to the site; one not
//!   yet in the group joins as lead and takes over the old lead's unfinished task), else
//!   another in-service member of the lead department already in the group (who keeps
//!   their own task). The lead department is the ticket's (after a transfer, the new one).
//! - Nobody who can carry on: refused with `no_successor`, and the group keeps its lead (a
//!   group always has exactly one lead: the report and the consoles rely on it); the engine
//!   then raises an alert so a dispatcher names a new lead.
//!
//! A task its holder leaves unfinished and nobody takes over is named by the engine in an
//! alert on the ticket (see `service.rs`), since a member holds one task.

use super::decide::required;
use super::plan::DEFAULT_LEAD_TASK;
use super::{GroupMembersChanged, MAX_REASON_CHARS, MemberRole, MemberSpec};
use crate::domain::catalog::Department;
use crate::domain::error_code::ErrorCode;
use crate::domain::ids::StaffId;
use crate::domain::ticket::{EventKind, Rejection, Ticket};

impl Ticket {
    /// Checks the withdrawal of `staff` from the active group. `crew` is the in-service crew
    /// of the ticket's vehicle with their departments (roster data, resolved by the caller,
    /// in the vehicle's order); `unavailable` the members who are themselves out of service.
    pub(super) fn decide_withdraw(
        &self,
        staff: &StaffId,
        reason: &str,
        crew: &[(StaffId, Department)],
        unavailable: &[StaffId],
    ) -> Result<EventKind, Rejection> {
        let group = self.group_required()?;
        required("reason", reason, MAX_REASON_CHARS)?;
        let member = group.member(staff).ok_or_else(|| {
            Rejection::rule(
                ErrorCode::NotAMember,
                format!("{staff} is not in the group"),
            )
        })?;
        let reason = Some(reason.to_owned());
        let lead = group.lead().map(|m| m.staff_id.clone());
        if member.role == MemberRole::Assist {
            let lead = lead.ok_or_else(|| {
                Rejection::rule(ErrorCode::LeadRequired, "the group has no lead: name one")
            })?;
            return Ok(EventKind::GroupMembersChanged(GroupMembersChanged {
                generation: group.generation,
                added: Vec::new(),
                removed: vec![staff.clone()],
                lead,
                previous_lead: None,
                reason,
            }));
        }
        let department = self.department.unwrap_or(member.department);
        let can_carry_on = |id: &StaffId| id != staff && !unavailable.contains(id);
        let aboard = crew
            .iter()
            .find(|(id, d)| *d == department && can_carry_on(id))
            .map(|(id, _)| id.clone());
        let in_group = || {
            group
                .members
                .iter()
                .find(|m| m.department == department && can_carry_on(&m.staff_id))
                .map(|m| m.staff_id.clone())
        };
        let Some(successor) = aboard.or_else(in_group) else {
            return Err(Rejection::conflict(
                ErrorCode::NoSuccessor,
                format!(
                    "nobody of the {department} department aboard the ticket's vehicle or in the group can take over from {staff}: name a new lead"
                ),
            ));
        };
        let added = if group.member(&successor).is_some() {
            Vec::new()
        } else {
            let task = if member.task.done {
                DEFAULT_LEAD_TASK.to_owned()
            } else {
                member.task.text.clone()
            };
            vec![MemberSpec {
                staff_id: successor.clone(),
                role: MemberRole::Lead,
                department,
                task_id: group.next_task_id,
                task,
            }]
        };
        Ok(EventKind::GroupMembersChanged(GroupMembersChanged {
            generation: group.generation,
            added,
            removed: vec![staff.clone()],
            lead: successor,
            previous_lead: Some(staff.clone()),
            reason,
        }))
    }
}
