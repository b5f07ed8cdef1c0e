//! Collaboration-group routes: a dispatcher forms a ticket's group (`POST
//! /tickets/{id}/group`), changes its members and dissolves it; members, dispatchers and
//! supervisors read it and chat; the member whose task it is (or a dispatcher) marks it
//! done. Every step goes through the group's coordinator and lands in the ticket's
//! timeline. A field token speaks for its staff member, or for the crew of its vehicle
//! (from the roster).

pub mod dto;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};

use self::dto::{
    DissolveRequest, FormGroupRequest, GroupDto, MemberRequest, MembersRequest, MessageDto,
    MessageRequest, TaskDoneRequest,
};
use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use crate::actors::coordinator::{GroupError, RecentMessage};
use crate::actors::ticket::Executed;
use crate::domain::ids::{StaffId, TicketId};
use crate::domain::role::{Principal, Role, Subject};
use crate::domain::ticket::group::{GROUP_READERS, MAX_MEMBERS};
use crate::domain::ticket::{GroupCommand, NewMember, Ticket};
use crate::engine::Engine;

pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(form)
        .service(read)
        .service(post_message)
        .service(task_done)
        .service(change_members)
        .service(dissolve);
}

fn parse_group(raw: &str) -> Result<TicketId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found(format!("group `{raw}`")))
}

/// The staff a caller's token stands for: its staff member, or its vehicle's crew.
pub(crate) fn crew_of(engine: &Engine, who: &Principal) -> Result<Vec<StaffId>, ApiError> {
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
pub(crate) fn speaks_for_member(
    engine: &Engine,
    ticket: &Ticket,
    who: &Principal,
) -> Result<bool, ApiError> {
    let Some(group) = &ticket.group else {
        return Ok(false);
    };
    let members = group.member_ids();
    let speaks = ticket.speaks_for(who, &crew_of(engine, who)?);
    Ok(speaks.iter().any(|s| members.contains(s)))
}

fn not_member() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "not_group_member",
        "you are not a member of this collaboration group",
    )
}

/// A field caller must speak for a member of group `raw` (its active group, or the last
/// one) before anything else it sent is read, so an outsider gets 403 whatever its body or
/// task id; an unknown group is 404. Other roles pass (their role was checked).
fn require_member(engine: &Engine, caller: &Caller, raw: &str) -> Result<(), ApiError> {
    if caller.role() != Role::Field {
        return Ok(());
    }
    let ticket = engine
        .store
        .ticket(&parse_group(raw)?)?
        .filter(|t| t.group.is_some())
        .ok_or_else(|| ApiError::not_found(format!("group `{raw}`")))?;
    if speaks_for_member(engine, &ticket, caller.principal())? {
        Ok(())
    } else {
        Err(not_member())
    }
}

/// Staff ids a request names, resolved against the roster; every unknown one is listed.
fn resolve_members(engine: &Engine, list: Vec<MemberRequest>) -> Result<Vec<NewMember>, ApiError> {
    if list.len() > MAX_MEMBERS {
        return Err(ApiError::rule(
            "too_many_members",
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
        return Err(ApiError::rule(
            "unknown_staff",
            format!("no staff member `{}` is registered", unknown.join("`, `")),
        )
        .with_details(serde_json::json!({ "unknown": unknown })));
    }
    // Nobody out of service joins a group: they have no device to work it from.
    if !out_of_service.is_empty() {
        return Err(ApiError::conflict(
            "out_of_service",
            format!(
                "staff member `{}` is out of service",
                out_of_service.join("`, `")
            ),
        )
        .with_details(serde_json::json!({ "out_of_service": out_of_service })));
    }
    Ok(out)
}

fn staff_ids(field: &str, raw: Vec<String>) -> Result<Vec<StaffId>, ApiError> {
    raw.into_iter()
        .map(|r| {
            r.parse().map_err(|_| {
                ApiError::rule("bad_id", format!("`{field}`: `{r}` is not a staff id"))
            })
        })
        .collect()
}

/// A step's answer as the group after it.
fn group_of(engine: &Engine, done: &Executed) -> Result<GroupDto, ApiError> {
    GroupDto::new(&done.ticket, &engine.roster).ok_or_else(|| ApiError::not_found("group"))
}

/// Forms ticket `id`'s group from a request body (also used by console command frames).
pub(crate) async fn form_group(
    engine: &Engine,
    caller: &Caller,
    id: &str,
    body: &[u8],
) -> Result<GroupDto, ApiError> {
    caller.require(&[Role::Dispatcher])?;
    let id = super::tickets::parse_id(id)?;
    let b: FormGroupRequest = crate::api::json_body(body)?;
    let members = resolve_members(engine, b.members)?;
    let done = engine
        .groups
        .form(id, members, false, caller.principal().clone())
        .await?;
    group_of(engine, &done).map(|g| g.with_messages(&[], &engine.roster))
}

/// Runs a step on group `raw`; a missing group is 404, a dissolved one 409.
async fn step(
    engine: &Engine,
    caller: &Caller,
    raw: &str,
    command: GroupCommand,
) -> Result<Executed, ApiError> {
    let id = parse_group(raw)?;
    match engine
        .groups
        .execute(id, command, caller.principal().clone())
        .await
    {
        Err(GroupError::NoGroup) => {
            let known = engine.store.ticket(&id)?.and_then(|t| t.group).is_some();
            Err(if known {
                ApiError::conflict("no_active_group", "this collaboration group was dissolved")
            } else {
                ApiError::not_found(format!("group `{raw}`"))
            })
        }
        other => Ok(other?),
    }
}

/// Form the ticket's collaboration group: members with lead/assist roles and a task each.
#[utoipa::path(tag = "groups", request_body(content = FormGroupRequest, example = json!(crate::api::examples::example("FormGroupRequest"))), params(("id" = String, Path, description = "ticket id")),
    responses((status = 201, description = "created; durable before the answer", body = GroupDto, example = json!(crate::api::examples::example("GroupDto"))), (status = 403, description = "the caller's role may not do this", body = ErrorBody), (status = 404, description = "no such id", body = ErrorBody),
        (status = 409, description = "a group is already active, or the ticket is closed", body = ErrorBody),
        (status = 422, description = "well-formed but breaks a rule", body = ErrorBody), (status = 429, description = "too busy: retry later", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/tickets/{id}/group")]
async fn form(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
    body: crate::api::Body,
) -> Result<HttpResponse, ApiError> {
    let dto = form_group(&engine, &caller, &id, &body).await?;
    Ok(HttpResponse::Created().json(dto))
}

/// The group: members, tasks and the latest messages. Members (a field token of a member or
/// of a vehicle carrying one), dispatchers and supervisors.
#[utoipa::path(tag = "groups", operation_id = "read_group", params(("id" = String, Path, description = "group id (the ticket's id)")),
    responses((status = 200, description = "OK", body = GroupDto, example = json!(crate::api::examples::example("GroupDto"))), (status = 403, description = "the caller's role may not do this", body = ErrorBody), (status = 404, description = "no such id", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/groups/{id}")]
async fn read(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(GROUP_READERS)?;
    let view = engine
        .groups
        .view(&parse_group(&id)?)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("group `{id}`")))?;
    if caller.role() == Role::Field
        && !speaks_for_member(&engine, &view.ticket, caller.principal())?
    {
        return Err(not_member());
    }
    let dto = GroupDto::new(&view.ticket, &engine.roster)
        .ok_or_else(|| ApiError::not_found(format!("group `{id}`")))?
        .with_messages(&view.messages, &engine.roster);
    Ok(HttpResponse::Ok().json(dto))
}

/// Post a chat message to the group (members, dispatchers, supervisors).
#[utoipa::path(tag = "groups", request_body(content = MessageRequest, example = json!(crate::api::examples::example("MessageRequest"))), params(("id" = String, Path)),
    responses((status = 201, description = "created; durable before the answer", body = MessageDto, example = json!(crate::api::examples::example("MessageDto"))), (status = 403, description = "the caller's role may not do this", body = ErrorBody), (status = 404, description = "no such id", body = ErrorBody),
        (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody), (status = 429, description = "too busy: retry later", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/groups/{id}/messages")]
async fn post_message(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
    body: crate::api::Body,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Field, Role::Dispatcher, Role::Supervisor])?;
    require_member(&engine, &caller, &id)?;
    let b: MessageRequest = crate::api::json_body(&body)?;
    let command = GroupCommand::Post {
        text: b.text,
        acting_for: crew_of(&engine, caller.principal())?,
    };
    let done = step(&engine, &caller, &id, command).await?;
    let generation = done.ticket.group.as_ref().map_or(0, |g| g.generation);
    let message =
        RecentMessage::of(&done.event, generation).ok_or_else(|| ApiError::not_found("message"))?;
    Ok(HttpResponse::Created().json(MessageDto::new(&message, &engine.roster)))
}

/// Mark a task done (the member whose task it is, or a dispatcher).
#[utoipa::path(tag = "groups", request_body(content = TaskDoneRequest, example = json!(crate::api::examples::example("TaskDoneRequest"))),
    params(("id" = String, Path), ("task" = u32, Path, description = "the task id")),
    responses((status = 200, description = "OK", body = GroupDto, example = json!(crate::api::examples::example("GroupDto"))), (status = 403, description = "the caller's role may not do this", body = ErrorBody), (status = 404, description = "no such id", body = ErrorBody),
        (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody), (status = 429, description = "too busy: retry later", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/groups/{id}/tasks/{task}/done")]
async fn task_done(
    engine: web::Data<Engine>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: crate::api::Body,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Field, Role::Dispatcher])?;
    let (id, task) = path.into_inner();
    require_member(&engine, &caller, &id)?;
    let task_id: u32 = task
        .parse()
        .map_err(|_| ApiError::not_found(format!("task `{task}`")))?;
    let trimmed = body.trim_ascii();
    let b: TaskDoneRequest = if trimmed.is_empty() || trimmed == b"null" {
        TaskDoneRequest::default()
    } else {
        crate::api::json_body(trimmed)?
    };
    let command = GroupCommand::CompleteTask {
        task_id,
        note: b.note,
        acting_for: crew_of(&engine, caller.principal())?,
    };
    let done = step(&engine, &caller, &id, command).await?;
    Ok(HttpResponse::Ok().json(group_of(&engine, &done)?))
}

/// Add or remove members, or hand the lead to another member (dispatcher).
#[utoipa::path(tag = "groups", request_body(content = MembersRequest, example = json!(crate::api::examples::example("MembersRequest"))), params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = GroupDto, example = json!(crate::api::examples::example("GroupDto"))), (status = 403, description = "the caller's role may not do this", body = ErrorBody), (status = 404, description = "no such id", body = ErrorBody),
        (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody), (status = 429, description = "too busy: retry later", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/groups/{id}/members")]
async fn change_members(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
    body: crate::api::Body,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Dispatcher])?;
    let b: MembersRequest = crate::api::json_body(&body)?;
    if b.remove.len() > MAX_MEMBERS {
        return Err(ApiError::rule(
            "too_many_members",
            format!("a group has at most {MAX_MEMBERS} members"),
        ));
    }
    let command = GroupCommand::ChangeMembers {
        add: resolve_members(&engine, b.add)?,
        remove: staff_ids("remove", b.remove)?,
        lead: staff_ids("lead", b.lead.into_iter().collect())?.pop(),
        reason: b.reason,
    };
    let done = step(&engine, &caller, &id, command).await?;
    Ok(HttpResponse::Ok().json(group_of(&engine, &done)?))
}

/// Dissolve the group (dispatcher). Closing the ticket dissolves it by itself.
#[utoipa::path(tag = "groups", request_body(content = DissolveRequest, example = json!(crate::api::examples::example("DissolveRequest"))), params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = GroupDto, example = json!(crate::api::examples::example("GroupDto"))), (status = 403, description = "the caller's role may not do this", body = ErrorBody), (status = 404, description = "no such id", body = ErrorBody),
        (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/groups/{id}/dissolve")]
async fn dissolve(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
    body: crate::api::Body,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Dispatcher])?;
    let b: DissolveRequest = crate::api::json_body(&body)?;
    let command = GroupCommand::Dissolve {
        reason: b.reason,
        on_close: false,
    };
    let done = step(&engine, &caller, &id, command).await?;
    Ok(HttpResponse::Ok().json(group_of(&engine, &done)?))
}
