//! Collaboration-group steps shared by the group routes and the console's `group` command:
//! forming a ticket's group, running a step through its coordinator, and who speaks for a
//! member (a field token speaks for its staff member, or for the crew of its vehicle, from
//! the roster).

use serde::Deserialize;
use utoipa::ToSchema;

use crate::actors::coordinator::GroupError;
use crate::actors::ticket::Executed;
use crate::domain::error_code::ErrorCode;
use crate::domain::ids::{StaffId, TicketId};
use crate::domain::role::{Principal, Role, Subject};
use crate::domain::ticket::group::{MAX_MEMBERS, MemberRole};
use crate::domain::ticket::{GroupCommand, NewMember, Ticket};
use crate::engine::Engine;
use crate::service::Error;

/// A member named in a request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRequest {
    pub staff_id: String,
    /// `lead` (exactly one per group) or `assist`.
    pub role: MemberRole,
    /// What this member is to do.
    pub task: String,
}

/// The body of `POST /api/v1/tickets/{id}/group`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormGroupRequest {
    /// 1 to 12 members, exactly one `lead`.
    pub members: Vec<MemberRequest>,
}

/// Forms ticket `id`'s group (the caller's role was checked); answers with the ticket.
pub async fn form(
    engine: &Engine,
    by: &Principal,
    id: TicketId,
    b: FormGroupRequest,
) -> Result<Ticket, Error> {
    let members = resolve_members(engine, b.members)?;
    let done = engine.groups.form(id, members, false, by.clone()).await?;
    Ok(*done.ticket)
}

pub fn parse_group(raw: &str) -> Result<TicketId, Error> {
    raw.parse()
        .map_err(|_| Error::not_found(format!("group `{raw}`")))
}

/// The staff a caller's token stands for: its staff member, or its vehicle's crew.
pub fn crew_of(engine: &Engine, who: &Principal) -> Result<Vec<StaffId>, Error> {
    Ok(match &who.subject {
        Some(Subject::Staff(s)) => vec![s.clone()],
        Some(Subject::Vehicle(v)) => engine
            .roster
            .vehicle(v)?
            .map(|v| v.crew)
            .unwrap_or_default(),
        _ => Vec::new(),
    })
}

/// Whether a field caller speaks for a member of the ticket's group (the active one, or the
/// last one for reading its record).
pub fn speaks_for_member(engine: &Engine, ticket: &Ticket, who: &Principal) -> Result<bool, Error> {
    let Some(group) = &ticket.group else {
        return Ok(false);
    };
    let members = group.member_ids();
    let speaks = ticket.speaks_for(who, &crew_of(engine, who)?);
    Ok(speaks.iter().any(|s| members.contains(s)))
}

pub fn not_member() -> Error {
    Error::of(
        ErrorCode::NotGroupMember,
        "you are not a member of this collaboration group",
    )
}

/// A field caller must speak for a member of group `raw` (its active group, or the last
/// one) before anything else it sent is read, so an outsider gets 403 whatever its body or
/// task id; an unknown group is 404. Other roles pass (their role was checked).
pub fn require_member(engine: &Engine, by: &Principal, raw: &str) -> Result<(), Error> {
    if by.role != Role::Field {
        return Ok(());
    }
    let ticket = engine
        .store
        .ticket(&parse_group(raw)?)?
        .filter(|t| t.group.is_some())
        .ok_or_else(|| Error::not_found(format!("group `{raw}`")))?;
    if speaks_for_member(engine, &ticket, by)? {
        Ok(())
    } else {
        Err(not_member())
    }
}

/// Staff ids a request names, resolved against the roster; every unknown one is listed.
pub fn resolve_members(engine: &Engine, list: Vec<MemberRequest>) -> Result<Vec<NewMember>, Error> {
    if list.len() > MAX_MEMBERS {
        return Err(Error::of(
            ErrorCode::TooManyMembers,
            format!(
                "a group has at most {MAX_MEMBERS} members, not {}",
                list.len()
            ),
        ));
    }
    let mut unknown = Vec::new();
    let mut out_of_service = Vec::new();
    let mut out = Vec::with_capacity(list.len());
    for m in list {
        let record = match m.staff_id.parse::<StaffId>() {
            Ok(id) => engine.roster.staff(&id)?,
            Err(_) => None,
        };
        match record {
            Some(s) if !s.in_service() => out_of_service.push(s.id.to_string()),
            Some(s) => out.push(NewMember {
                staff_id: s.id,
                role: m.role,
                department: s.department,
                task: m.task,
            }),
            None => unknown.push(m.staff_id),
        }
    }
    if !unknown.is_empty() {
        return Err(Error::of(
            ErrorCode::UnknownStaff,
            format!("no staff member `{}` is registered", unknown.join("`, `")),
        )
        .with_details(serde_json::json!({ "unknown": unknown })));
    }
    // Nobody out of service joins a group: they have no device to work it from.
    if !out_of_service.is_empty() {
        return Err(Error::of(
            ErrorCode::OutOfService,
            format!(
                "staff member `{}` is out of service",
                out_of_service.join("`, `")
            ),
        )
        .with_details(serde_json::json!({ "out_of_service": out_of_service })));
    }
    Ok(out)
}

pub fn staff_ids(field: &str, raw: Vec<String>) -> Result<Vec<StaffId>, Error> {
    raw.into_iter()
        .map(|r| {
            r.parse().map_err(|_| {
                Error::of(
                    ErrorCode::BadId,
                    format!("`{field}`: `{r}` is not a staff id"),
                )
            })
        })
        .collect()
}

/// Runs a step on group `raw`; a missing group is 404, a dissolved one 409.
pub async fn step(
    engine: &Engine,
    by: &Principal,
    raw: &str,
    command: GroupCommand,
) -> Result<Executed, Error> {
    let id = parse_group(raw)?;
    match engine.groups.execute(id, command, by.clone()).await {
        Err(GroupError::NoGroup) => {
            let known = engine.store.ticket(&id)?.and_then(|t| t.group).is_some();
            Err(if known {
                Error::of(
                    ErrorCode::NoActiveGroup,
                    "this collaboration group was dissolved",
                )
            } else {
                Error::not_found(format!("group `{raw}`"))
            })
        }
        other => Ok(other?),
    }
}
