//! Who the engine puts in a group it forms by itself, when the handling guide names
//! assisting departments for the ticket's category ("三员"互动: the enforcement inspector,
//! the marketing account manager and the logistics driver act together).
//!
//! The lead comes from the lead department: a crew member of the vehicle sent, else the
//! shop's own market inspector or account manager from the retailer registry, else the
//! department's field staff of the squad handling or covering the place. Each assisting
//! department sends one member: the shop's account manager (marketing) or inspector
//! (enforcement) when the registry names one, else one of its field staff aboard the vehicle
//! sent, else its field staff of the squad handling or covering the place (logistics: a
//! driver). Tasks are the guide's wording for each department. Nobody out of service is
//! ever picked (they have no device to work the ticket from).

use super::{MemberRole, NewMember};
use crate::domain::catalog::{Category, Department};
use crate::domain::ids::StaffId;
use crate::domain::roster::{Staff, StaffRole, Team};
use crate::domain::ticket::Ticket;

/// The lead's task when the guide has no wording for the ticket's (transferred) department.
pub const DEFAULT_LEAD_TASK: &str = "牵头处置本工单，组织协办人员，撰写并提交调查报告";
/// An assistant's task when the guide has no wording for its department.
pub const DEFAULT_ASSIST_TASK: &str = "配合主办人员核查本工单涉及的本部门事项并反馈结果";

/// The staff role that does a department's field work.
pub fn field_role(department: Department) -> StaffRole {
    match department {
        Department::Enforcement => StaffRole::Inspector,
        Department::Marketing => StaffRole::AccountManager,
        Department::Logistics => StaffRole::Driver,
    }
}

/// What the registry says about the ticket's shop.
#[derive(Clone, Debug, Default)]
pub struct ShopContacts {
    pub market_inspector: Option<StaffId>,
    pub account_manager: Option<StaffId>,
    /// The town the shop is in, matched against squads' areas.
    pub town: Option<String>,
}

impl ShopContacts {
    fn for_department(&self, d: Department) -> Option<&StaffId> {
        match d {
            Department::Enforcement => self.market_inspector.as_ref(),
            Department::Marketing => self.account_manager.as_ref(),
            Department::Logistics => None,
        }
    }
}

/// An automatic group: its members, and the assisting departments nobody could be found for.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub members: Vec<NewMember>,
    pub unfilled: Vec<Department>,
}

struct Picker<'a> {
    ticket: &'a Ticket,
    staff: &'a [Staff],
    teams: &'a [Team],
    shop: &'a ShopContacts,
    chosen: Vec<StaffId>,
}

impl Picker<'_> {
    fn usable(&self, s: &Staff, d: Department) -> bool {
        s.department == d && s.in_service() && !self.chosen.contains(&s.id)
    }

    fn find(&self, id: &StaffId, d: Department) -> Option<&Staff> {
        self.staff.iter().find(|s| &s.id == id && self.usable(s, d))
    }

    /// A crew member of the vehicle sent, of `d` (its field role first; only that role when
    /// `field_only`).
    fn aboard(&self, d: Department, field_only: bool) -> Option<StaffId> {
        let mut crew: Vec<&Staff> = self
            .ticket
            .assignment
            .crew
            .iter()
            .filter_map(|id| self.find(id, d))
            .filter(|s| !field_only || s.role == field_role(d))
            .collect();
        crew.sort_by_key(|s| s.role != field_role(d));
        crew.first().map(|s| s.id.clone())
    }

    fn shop_contact(&self, d: Department) -> Option<StaffId> {
        let id = self.shop.for_department(d)?;
        self.find(id, d).map(|s| s.id.clone())
    }

    /// The department's field staff: the ticket's squad first, then a squad covering the
    /// place, then by squad and staff id (a stable choice).
    fn squad_staff(&self, d: Department) -> Option<StaffId> {
        let place = self
            .shop
            .town
            .clone()
            .or_else(|| self.ticket.location.address_text.clone())
            .unwrap_or_default();
        let covers = |s: &Staff| {
            s.team_id.as_ref().is_some_and(|t| {
                self.teams.iter().any(|team| {
                    &team.id == t
                        && team
                            .area
                            .as_deref()
                            .is_some_and(|a| !a.is_empty() && place.contains(a))
                })
            })
        };
        self.staff
            .iter()
            .filter(|s| self.usable(s, d) && s.role == field_role(d))
            .min_by_key(|s| {
                (
                    s.team_id.is_none() || s.team_id != self.ticket.assignment.team_id,
                    !covers(s),
                    s.team_id.clone(),
                    s.id.clone(),
                )
            })
            .map(|s| s.id.clone())
    }

    /// The lead: the crew sent, the shop's contact, the squads.
    fn pick_lead(&mut self, d: Department) -> Option<StaffId> {
        let id = self
            .aboard(d, false)
            .or_else(|| self.shop_contact(d))
            .or_else(|| self.squad_staff(d))?;
        self.chosen.push(id.clone());
        Some(id)
    }

    /// An assistant: the shop's own contact (who knows the shop), the crew sent, the squads.
    fn pick_assist(&mut self, d: Department) -> Option<StaffId> {
        let id = self
            .shop_contact(d)
            .or_else(|| self.aboard(d, true))
            .or_else(|| self.squad_staff(d))?;
        self.chosen.push(id.clone());
        Some(id)
    }
}

/// The group the guide calls for, or `None` when the category names no assisting
/// department, or no lead or no assistant can be found.
pub fn plan(
    ticket: &Ticket,
    category: &Category,
    staff: &[Staff],
    teams: &[Team],
    shop: &ShopContacts,
) -> Option<Plan> {
    let lead_department = ticket.department.unwrap_or(category.lead_department);
    let assisting: Vec<Department> = category
        .assist_departments
        .iter()
        .copied()
        .filter(|d| *d != lead_department)
        .collect();
    if assisting.is_empty() {
        return None;
    }
    let task = |d: Department, default: &str| {
        category
            .group_tasks
            .get(&d)
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    };
    let mut picker = Picker {
        ticket,
        staff,
        teams,
        shop,
        chosen: Vec::new(),
    };
    let lead = picker.pick_lead(lead_department)?;
    let mut members = vec![NewMember {
        staff_id: lead,
        role: MemberRole::Lead,
        department: lead_department,
        task: task(lead_department, DEFAULT_LEAD_TASK),
    }];
    let mut unfilled = Vec::new();
    for d in assisting {
        match picker.pick_assist(d) {
            Some(id) => members.push(NewMember {
                staff_id: id,
                role: MemberRole::Assist,
                department: d,
                task: task(d, DEFAULT_ASSIST_TASK),
            }),
            None => unfilled.push(d),
        }
    }
    (members.len() > 1).then_some(Plan { members, unfilled })
}
