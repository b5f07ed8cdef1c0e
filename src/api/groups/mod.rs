//! Collaboration-group routes: a dispatcher forms a ticket's group (`POST
//! /tickets/{id}/group`), changes its members and dissolves it; members, dispatchers and
//! supervisors read it and chat; the member whose task it is (or a dispatcher) marks it
//! done. Every step goes through the group's coordinator and lands in the ticket's
//! timeline. A field token speaks for its staff member, or for the crew of its vehicle
//! (from the roster).

pub mod dto;

use actix_web::{HttpResponse, get, post, web};

use self::dto::{
    DissolveRequest, FormGroupRequest, GroupDto, MembersRequest, MessageDto, MessageRequest,
    TaskDoneRequest,
};
use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use crate::actors::coordinator::RecentMessage;
use crate::domain::error_code::ErrorCode;
use crate::domain::role::Role;
use crate::domain::ticket::group::{GROUP_READERS, MAX_MEMBERS};
use crate::domain::ticket::{GroupCommand, Ticket};
use crate::engine::Engine;
use crate::service::groups::{
    crew_of, not_member, parse_group, require_member, resolve_members, speaks_for_member,
    staff_ids, step,
};
use crate::service::tickets;

pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(form)
        .service(read)
        .service(post_message)
        .service(task_done)
        .service(change_members)
        .service(dissolve);
}

/// A step's answer as the group after it.
fn group_of(engine: &Engine, ticket: &Ticket) -> Result<GroupDto, ApiError> {
    GroupDto::new(ticket, &engine.roster).ok_or_else(|| ApiError::not_found("group"))
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
    let outcome = tickets::perform(
        &engine,
        caller.principal(),
        &id,
        tickets::Action::FormGroup,
        tickets::Body::Bytes(&body),
    )
    .await?;
    crate::api::tickets::lifecycle::respond(&engine, &caller, outcome)
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
    require_member(&engine, caller.principal(), &id)?;
    let b: MessageRequest = crate::api::json_body(&body)?;
    let command = GroupCommand::Post {
        text: b.text,
        acting_for: crew_of(&engine, caller.principal())?,
    };
    let done = step(&engine, caller.principal(), &id, command).await?;
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
    require_member(&engine, caller.principal(), &id)?;
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
    let done = step(&engine, caller.principal(), &id, command).await?;
    Ok(HttpResponse::Ok().json(group_of(&engine, &done.ticket)?))
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
        return Err(ApiError::of(
            ErrorCode::TooManyMembers,
            format!("a group has at most {MAX_MEMBERS} members"),
        ));
    }
    let command = GroupCommand::ChangeMembers {
        add: resolve_members(&engine, b.add)?,
        remove: staff_ids("remove", b.remove)?,
        lead: staff_ids("lead", b.lead.into_iter().collect())?.pop(),
        reason: b.reason,
    };
    let done = step(&engine, caller.principal(), &id, command).await?;
    Ok(HttpResponse::Ok().json(group_of(&engine, &done.ticket)?))
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
    let done = step(&engine, caller.principal(), &id, command).await?;
    Ok(HttpResponse::Ok().json(group_of(&engine, &done.ticket)?))
}
