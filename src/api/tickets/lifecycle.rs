//! The lifecycle routes: one per step of the state machine, each a thin transport over
//! `service::tickets` (roles, checks and the domain command live there, shared with the
//! console's command frames). The answer is the ticket after the durable event. Nothing
//! changes on an error.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, post, web};

use super::dto::TicketDto;
use crate::api::auth::Caller;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::groups::dto::GroupDto;
use crate::domain::role::Role;
use crate::domain::ticket::Ticket;
use crate::engine::Engine;
use crate::service::tickets::{self, Action, Body, Outcome};
#[allow(unused_imports)] // named by the OpenAPI attributes
use crate::service::tickets::{
    ApprovalRequest, ArchiveRequest, AssignRequest, CancelDispatchRequest, DispatchRequest,
    MergeRequest, OnsiteRecordRequest, ReopenRequest, ReplyRequest, ReportRequest,
    ReturnVisitRequest, ReviewRequest, SuperviseRequest, TransferRequest, TriageRequest,
};

pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(triage)
        .service(dispatch)
        .service(cancel_dispatch)
        .service(assign)
        .service(arrive)
        .service(onsite_record)
        .service(report)
        .service(review)
        .service(approval)
        .service(reply)
        .service(return_visit)
        .service(archive)
        .service(reopen)
        .service(supervise)
        .service(transfer)
        .service(merge);
}

/// Declares the HTTP route `$route` for step `$action`, which console command frames take
/// too, so both paths share every check and error.
macro_rules! action_route {
    ($(#[$meta:meta])* $route:ident => $action:ident) => {
        $(#[$meta])*
        async fn $route(
            engine: web::Data<Engine>,
            caller: Caller,
            id: web::Path<String>,
            body: crate::api::Body,
        ) -> Result<HttpResponse, ApiError> {
            let outcome =
                tickets::perform(&engine, caller.principal(), &id, Action::$action, Body::Bytes(&body))
                    .await?;
            respond(&engine, &caller, outcome)
        }
    };
}

/// A step's answer as the wire shows it: HTTP's status and body, and a console `result`
/// frame's `status` and `body` alike.
#[derive(serde::Serialize)]
#[serde(untagged)]
pub enum Answer {
    Ticket(Box<TicketDto>),
    Group(Box<GroupDto>),
    #[cfg(feature = "fault-injection")]
    Json(serde_json::Value),
}

/// Renders a step's outcome for `role` (the ticket's view depends on who asks).
pub(crate) fn answer(
    engine: &Engine,
    role: Role,
    outcome: Outcome,
) -> Result<(StatusCode, Answer), ApiError> {
    Ok(match outcome {
        Outcome::Ticket(t) => (
            StatusCode::OK,
            Answer::Ticket(Box::new(TicketDto::new(&t, role, &engine.catalog))),
        ),
        Outcome::GroupFormed(t) => (
            StatusCode::CREATED,
            Answer::Group(Box::new(formed_group(engine, &t)?)),
        ),
        #[cfg(feature = "fault-injection")]
        Outcome::ActorDied(died) => (
            StatusCode::ACCEPTED,
            Answer::Json(serde_json::json!({ "actor_died": died })),
        ),
    })
}

/// A group just formed, with no messages yet.
fn formed_group(engine: &Engine, ticket: &Ticket) -> Result<GroupDto, ApiError> {
    GroupDto::new(ticket, &engine.roster)
        .map(|g| g.with_messages(&[], &engine.roster))
        .ok_or_else(|| ApiError::not_found("group"))
}

/// A step's outcome as an HTTP answer.
pub(crate) fn respond(
    engine: &Engine,
    caller: &Caller,
    outcome: Outcome,
) -> Result<HttpResponse, ApiError> {
    let (status, body) = answer(engine, caller.role(), outcome)?;
    Ok(HttpResponse::build(status).json(body))
}

action_route! {
    /// Confirm or override category, urgency and location.
    #[utoipa::path(tag = "lifecycle", request_body(content = TriageRequest, example = json!(crate::api::examples::example("TriageRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 404, description = "no such id", body = ErrorBody), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/triage")]
    triage => Triage
}

action_route! {
    /// Offer the ticket to a vehicle (the named one, or the nearest eligible); it goes
    /// `en_route` when the vehicle accepts. With `assign`, the named vehicle is sent at once.
    /// Grade I tickets may be sent before triage (fast track).
    #[utoipa::path(tag = "lifecycle", request_body(content = Option<DispatchRequest>, example = json!(crate::api::examples::example("DispatchRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 404, description = "no such id", body = ErrorBody), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/dispatch")]
    dispatch => Dispatch
}

action_route! {
    /// Call off the open offer, or the vehicle on its way (the ticket waits for another).
    #[utoipa::path(tag = "lifecycle", request_body(content = CancelDispatchRequest, example = json!(crate::api::examples::example("CancelDispatchRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 404, description = "no such id", body = ErrorBody), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/dispatch/cancel")]
    cancel_dispatch => CancelDispatch
}

action_route! {
    /// Make a staff member a handler of the ticket (e.g. the writer of a no-onsite report);
    /// their field device then sees it.
    #[utoipa::path(tag = "lifecycle", request_body(content = AssignRequest, example = json!(crate::api::examples::example("AssignRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 404, description = "no such id", body = ErrorBody), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/assign")]
    assign => Assign
}

/// The assigned vehicle has arrived (also detected from positions).
#[utoipa::path(tag = "lifecycle", params(("id" = String, Path)),
    responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 403, description = "the caller's role may not do this", body = ErrorBody), (status = 404, description = "no such id", body = ErrorBody), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/tickets/{id}/arrive")]
async fn arrive(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let outcome = tickets::perform(
        &engine,
        caller.principal(),
        &id,
        Action::Arrive,
        Body::Json(None),
    )
    .await?;
    respond(&engine, &caller, outcome)
}

action_route! {
    /// What was found and done on site; the ticket moves to report writing.
    #[utoipa::path(tag = "lifecycle", request_body(content = OnsiteRecordRequest, example = json!(crate::api::examples::example("OnsiteRecordRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 403, description = "the caller's role may not do this", body = ErrorBody), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/onsite-record")]
    onsite_record => OnsiteRecord
}

action_route! {

    /// Submit the report for review; 422 lists the missing sections.
    #[utoipa::path(tag = "lifecycle", request_body(content = ReportRequest, example = json!(crate::api::examples::example("ReportRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 403, description = "the caller's role may not do this", body = ErrorBody), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/report")]
    report => Report
}

action_route! {
    /// Pass the report on to approval, or return it (with reasons) for rework.
    #[utoipa::path(tag = "lifecycle", request_body(content = ReviewRequest, example = json!(crate::api::examples::example("ReviewRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/review")]
    review => Review
}

action_route! {
    /// Sign off (the reply is then due), or return to the writer or the reviewer.
    #[utoipa::path(tag = "lifecycle", request_body(content = ApprovalRequest, example = json!(crate::api::examples::example("ApprovalRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/approval")]
    approval => Approval
}

action_route! {
    /// Record the answer to the citizen; the return visit is then due.
    #[utoipa::path(tag = "lifecycle", request_body(content = ReplyRequest, example = json!(crate::api::examples::example("ReplyRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/reply")]
    reply => Reply
}

action_route! {
    /// Record the return visit; an unsatisfied citizen reopens the ticket.
    #[utoipa::path(tag = "lifecycle", request_body(content = ReturnVisitRequest, example = json!(crate::api::examples::example("ReturnVisitRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/return-visit")]
    return_visit => ReturnVisit
}

action_route! {
    /// Close the ticket (after the return visit, or when the reporter cannot be reached).
    #[utoipa::path(tag = "lifecycle", request_body(content = Option<ArchiveRequest>, example = json!(crate::api::examples::example("ArchiveRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/archive")]
    archive => Archive
}

action_route! {
    /// Reopen an archived ticket, with a reason.
    #[utoipa::path(tag = "lifecycle", request_body(content = ReopenRequest, example = json!(crate::api::examples::example("ReopenRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/reopen")]
    reopen => Reopen
}

action_route! {
    /// Issue a supervision notice on an open ticket.
    #[utoipa::path(tag = "lifecycle", request_body(content = SuperviseRequest, example = json!(crate::api::examples::example("SuperviseRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/supervise")]
    supervise => Supervise
}

action_route! {
    /// Transfer (转办) to another department (stays open) or out of this unit (closes).
    #[utoipa::path(tag = "lifecycle", request_body(content = TransferRequest, example = json!(crate::api::examples::example("TransferRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/transfer")]
    transfer => Transfer
}

action_route! {
    /// Merge a duplicate into this ticket: the duplicate closes as `merged`, this one records it.
    #[utoipa::path(tag = "lifecycle", request_body(content = MergeRequest, example = json!(crate::api::examples::example("MergeRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 404, description = "no such id", body = ErrorBody), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/merge")]
    merge => Merge
}
