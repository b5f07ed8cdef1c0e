//! A person out of service (left, sick, suspended), as a dispatcher would expect:
//!
//! - every token bound to them is revoked;
//! - they leave every vehicle crew (the vehicles keep working with the rest of the crew);
//! - they leave every active collaboration group (`GroupCommand::Withdraw`): an assisting
//!   member is removed; a lead hands the lead to an in-service crew member of the ticket's
//!   vehicle from the lead department (who takes over the lead's unfinished task), else to
//!   another in-service member of the lead department; with nobody to take over, the group
//!   keeps them as lead and an alert asks the dispatchers to name one. A task left
//!   unfinished that nobody took over is named in an alert, so a dispatcher gives it to
//!   someone (a member holds one task);
//! - open tickets naming them as a handler (e.g. the writer of a no-onsite report) get an
//!   alert to assign another (the assignment itself stays in the record: who was on it);
//! - the automatic group plan never picks them, and no dispatcher can add them to a group
//!   or a crew, or issue them a token, until they are back.
//!
//! Every change is an event in the ticket's timeline, saying only that the person was taken
//! out of service: why (sick, suspended...) is personnel data and stays on the roster record,
//! which only admins, dispatchers and supervisors read, never on the timeline that group
//! members' devices see. Back in service only the record changes: crews and groups are a
//! dispatcher's choice, tokens an admin's.

use crate::actors::coordinator::GroupError;
use crate::actors::ticket::CommandError;
use crate::domain::catalog::Department;
use crate::domain::error_code::ErrorCode;
use crate::domain::ids::{StaffId, TicketId, TicketNumber, VehicleId};
use crate::domain::role::{Principal, Subject};
use crate::domain::roster::{Staff, Vehicle};
use crate::domain::ticket::{EventKind, GroupCommand, MemberRole, Rejection, Ticket};
use crate::engine::Engine;
use crate::store::PutMode;

use super::{ServiceError, alert_once, put_back, taken_out};

/// What became of one collaboration group the person was in.
#[derive(Debug, Clone)]
pub struct GroupLeft {
    pub ticket_id: TicketId,
    pub number: TicketNumber,
    /// `left` (an assisting member removed), `lead_passed` (to `lead`), or `lead_kept`
    /// (nobody could take over: an alert asks for a new lead).
    pub outcome: &'static str,
    /// The lead afterwards.
    pub lead: Option<StaffId>,
    /// Their task, left unfinished with nobody holding it (named in an alert).
    pub unheld_task: Option<u32>,
}

/// What taking a person out of service did.
#[derive(Debug)]
pub struct StaffOut {
    pub staff: Staff,
    /// False when they were already out of service (the sweep ran again all the same).
    pub changed: bool,
    pub tokens_revoked: usize,
    /// Vehicles whose crew they left.
    pub crews_left: Vec<VehicleId>,
    pub groups: Vec<GroupLeft>,
    /// Open tickets naming them as a handler, flagged to the dispatchers.
    pub handled: Vec<TicketId>,
}

fn read(engine: &Engine, id: &StaffId) -> Result<Staff, ServiceError> {
    engine
        .roster
        .staff(id)?
        .ok_or_else(|| ServiceError::NotFound(format!("staff member `{id}`")))
}

/// Takes staff member `id` out of service for `reason` (required; kept from the first time).
pub async fn take_staff_out(
    engine: &Engine,
    id: &StaffId,
    reason: &str,
    by: &Principal,
) -> Result<StaffOut, ServiceError> {
    let (staff, changed) = {
        let _writing = engine.roster.writing().await;
        let mut staff = read(engine, id)?;
        let changed = match taken_out(&staff.service, reason, by, engine) {
            Some(service) => {
                staff.service = service;
                engine.roster.put(&staff, PutMode::Update).await?;
                true
            }
            None => false,
        };
        (staff, changed)
    };
    if changed {
        tracing::info!(staff_id = %id, "staff member taken out of service");
    }
    let mut out = sweep(engine, &staff).await?;
    out.changed = changed;
    Ok(out)
}

/// Everything that follows from the record being out of service; safe to repeat. Every
/// step is tried even when one fails; the first failure is answered, and a repeat finishes
/// the rest.
pub(super) async fn sweep(engine: &Engine, staff: &Staff) -> Result<StaffOut, ServiceError> {
    let mut failed: Option<ServiceError> = None;
    let tokens_revoked = match engine
        .tokens
        .revoke_subject(&Subject::Staff(staff.id.clone()))
        .await
    {
        Ok(ids) => ids.len(),
        Err(e) => {
            failed.get_or_insert(e.into());
            0
        }
    };
    let crews_left = match leave_crews(engine, &staff.id).await {
        Ok(left) => left,
        Err(e) => {
            failed.get_or_insert(e);
            Vec::new()
        }
    };
    let mut groups = Vec::new();
    let mut handled = Vec::new();
    for ticket_id in engine.store.open_ticket_ids()? {
        let Some(t) = engine.store.ticket(&ticket_id)? else {
            continue;
        };
        if t.group_member_ids().contains(&staff.id) {
            match leave_group(engine, &t, &staff.id).await {
                Ok(Some(left)) => groups.push(left),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(%ticket_id, staff_id = %staff.id, error = %e, "not withdrawn from a group yet");
                    failed.get_or_insert(e);
                }
            }
        }
        if t.assignment.staff.contains(&staff.id) {
            let alert = format!(
                "handler {} was taken out of service: assign another",
                staff.id
            );
            match alert_once(engine, ticket_id, alert).await {
                Ok(()) => handled.push(ticket_id),
                Err(e) => {
                    failed.get_or_insert(e);
                }
            }
        }
    }
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(StaffOut {
        staff: staff.clone(),
        changed: false,
        tokens_revoked,
        crews_left,
        groups,
        handled,
    })
}

/// Takes the person off every vehicle crew; returns the vehicles.
async fn leave_crews(engine: &Engine, id: &StaffId) -> Result<Vec<VehicleId>, ServiceError> {
    let _writing = engine.roster.writing().await;
    let mut left = Vec::new();
    for mut v in engine.roster.list::<Vehicle>()? {
        if !v.crew.contains(id) {
            continue;
        }
        v.crew.retain(|s| s != id);
        engine.roster.put(&v, PutMode::Update).await?;
        engine.fleet.add(v.clone())?;
        left.push(v.id);
    }
    Ok(left)
}

/// The in-service crew sent with a ticket's vehicle, with their departments.
type Aboard = Vec<(StaffId, Department)>;

/// Who could take over a lead: the in-service crew sent with the ticket's vehicle, and the
/// members who are out of service themselves.
fn candidates(engine: &Engine, t: &Ticket) -> Result<(Aboard, Vec<StaffId>), ServiceError> {
    let mut crew = Vec::new();
    for id in &t.assignment.crew {
        if let Some(s) = engine.roster.staff(id)?.filter(Staff::in_service) {
            crew.push((s.id, s.department));
        }
    }
    let mut unavailable = Vec::new();
    for id in t.group_member_ids() {
        if engine.roster.staff(&id)?.is_none_or(|s| !s.in_service()) {
            unavailable.push(id);
        }
    }
    Ok((crew, unavailable))
}

/// Withdraws the person from ticket `t`'s active group; `None` when they are no longer in
/// it (left meanwhile, or the group was dissolved).
async fn leave_group(
    engine: &Engine,
    t: &Ticket,
    id: &StaffId,
) -> Result<Option<GroupLeft>, ServiceError> {
    let (crew, unavailable) = candidates(engine, t)?;
    let command = GroupCommand::Withdraw {
        staff: id.clone(),
        reason: format!("{id} was taken out of service"),
        crew,
        unavailable,
    };
    let result = engine
        .groups
        .execute(t.id, command, Principal::system())
        .await;
    let done = match result {
        Ok(done) => done,
        Err(GroupError::Command(CommandError::Rejected(Rejection::Conflict { code, .. })))
            if code == ErrorCode::NoSuccessor.as_str() =>
        {
            let alert = format!(
                "collaboration group lead {id} was taken out of service and nobody aboard the vehicle or in the lead department can take over: name a new lead"
            );
            alert_once(engine, t.id, alert).await?;
            return Ok(Some(GroupLeft {
                ticket_id: t.id,
                number: t.number.clone(),
                outcome: "lead_kept",
                lead: Some(id.clone()),
                unheld_task: None,
            }));
        }
        Err(GroupError::NoGroup | GroupError::Command(CommandError::Rejected(_))) => {
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    let EventKind::GroupMembersChanged(change) = &done.event.kind else {
        return Ok(None);
    };
    // Their task, as the group held it just before.
    let before = t
        .active_group()
        .and_then(|g| g.member(id))
        .map(|m| (m.role, m.task.clone()));
    let taken_over = !change.added.is_empty();
    let unheld_task = before
        .as_ref()
        .filter(|(_, task)| !task.done && !taken_over)
        .map(|(_, task)| task.clone());
    if let Some(task) = &unheld_task {
        let alert = format!(
            "{id} left the collaboration group (out of service) with task {} unfinished and nobody holding it: “{}”; give it to a member",
            task.id, task.text
        );
        alert_once(engine, t.id, alert).await?;
    }
    let outcome = match before.map(|(role, _)| role) {
        Some(MemberRole::Lead) => "lead_passed",
        _ => "left",
    };
    Ok(Some(GroupLeft {
        ticket_id: t.id,
        number: t.number.clone(),
        outcome,
        lead: Some(change.lead.clone()),
        unheld_task: unheld_task.map(|task| task.id),
    }))
}

/// Puts staff member `id` back in service; returns the record and whether it changed.
pub async fn put_staff_back(
    engine: &Engine,
    id: &StaffId,
    note: Option<String>,
    by: &Principal,
) -> Result<(Staff, bool), ServiceError> {
    let _writing = engine.roster.writing().await;
    let mut staff = read(engine, id)?;
    let changed = match put_back(&staff.service, note, by, engine) {
        Some(service) => {
            staff.service = service;
            engine.roster.put(&staff, PutMode::Update).await?;
            true
        }
        None => false,
    };
    if changed {
        tracing::info!(staff_id = %id, "staff member back in service");
    }
    Ok((staff, changed))
}
