//! The crew sent leads. A group formed before any vehicle was sent is led by whoever the
//! engine or a dispatcher picked then (say the shop's market inspector), yet it is the crew
//! of the vehicle sent that stands at the site, records what it found and writes the report
//! (only the lead submits it). So when a vehicle is sent to a ticket with an active group
//! (its offer accepted, or assigned by a dispatcher) and the lead is not aboard, a crew
//! member of the lead department takes the lead — the department's field role first
//! (an inspector for enforcement), in the vehicle's crew order, never anyone out of service —
//! and the former lead stays as an assisting member keeping their task. One already in the
//! group keeps their task; one joining gets [`CREW_LEAD_TASK`]. It is the engine's own
//! membership change (`group.members_changed`, with the reason), like a hand-over after an
//! out-of-service withdrawal. Nobody of the lead department aboard: the lead stays.

use super::plan::field_role;
use super::{GroupCommand, MemberRole, NewMember};
use crate::domain::ids::VehicleId;
use crate::domain::roster::Staff;
use crate::domain::ticket::Ticket;

/// The task of a crew member who joins the group as its lead.
pub const CREW_LEAD_TASK: &str = "带队赶赴现场处置，牵头本工单，撰写并提交调查报告";

impl Ticket {
    /// The membership change that makes the crew of `vehicle` (sent to this ticket) lead
    /// its active group; `None` when there is nothing to change. `crew` is the roster's
    /// record of each crew member, in the vehicle's order.
    pub fn crew_takes_lead(&self, vehicle: &VehicleId, crew: &[Staff]) -> Option<GroupCommand> {
        let group = self.active_group()?;
        if self.assignment.vehicle_id.as_ref() != Some(vehicle) {
            return None;
        }
        let lead = group.lead()?;
        let aboard = |id| self.assignment.crew.contains(id) || crew.iter().any(|s| &s.id == id);
        if aboard(&lead.staff_id) {
            return None;
        }
        let department = self.department.unwrap_or(lead.department);
        let mut candidates: Vec<&Staff> = crew
            .iter()
            .filter(|s| s.department == department && s.in_service())
            .collect();
        candidates.sort_by_key(|s| s.role != field_role(department));
        let successor = candidates.first()?;
        let add = if group.member(&successor.id).is_some() {
            Vec::new()
        } else {
            vec![NewMember {
                staff_id: successor.id.clone(),
                role: MemberRole::Lead,
                department,
                task: CREW_LEAD_TASK.to_owned(),
            }]
        };
        Some(GroupCommand::ChangeMembers {
            add,
            remove: Vec::new(),
            lead: Some(successor.id.clone()),
            reason: Some(format!(
                "{vehicle} was sent: its crew member {} leads, {} assists",
                successor.id, lead.staff_id
            )),
        })
    }
}
