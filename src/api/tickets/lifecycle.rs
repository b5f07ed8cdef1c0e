//! The lifecycle routes: one per step of the state machine. Each parses its body into a
//! domain command, checks the route's roles, and runs the command on the ticket's actor;
//! the answer is the ticket after the durable event. Nothing changes on an error.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::dto::{self, EvidenceDto, LatLngDto, MAX_DESCRIPTION, TicketDto, check_len, check_opt};
use super::parse_id;
use super::returns::{self, ReasonIn};
use crate::actors::dispatch::{CancelDispatch, OfferTicket};
use crate::actors::fleet::messages::GetVehicle;
use crate::api::auth::Caller;
use crate::api::error::{ApiError, ErrorBody};
use crate::domain::catalog::{Department, Urgency};
use crate::domain::ids::{StaffId, VehicleId};
use crate::domain::role::Role;
use crate::domain::ticket::{
    ApprovalDecision, Command, ReviewDecision, Satisfaction, Status, TransferTarget,
};
use crate::engine::Engine;

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

/// Declares the HTTP route `$route` for `$action`, which console command frames run too
/// (`perform`), so both paths share every check and error.
macro_rules! action_route {
    ($(#[$meta:meta])* $route:ident => $action:ident) => {
        $(#[$meta])*
        async fn $route(
            engine: web::Data<Engine>,
            caller: Caller,
            id: web::Path<String>,
            body: crate::api::Body,
        ) -> Result<HttpResponse, ApiError> {
            $action(engine, caller, id, body).await
        }
    };
}

/// The lifecycle actions a console may send as command frames, by name.
pub const ACTIONS: [&str; 14] = [
    "triage",
    "dispatch",
    "dispatch.cancel",
    "assign",
    "review",
    "approval",
    "reply",
    "return-visit",
    "archive",
    "reopen",
    "supervise",
    "transfer",
    "merge",
    "group",
];

/// Runs the action named `action` (see [`ACTIONS`]) as its route would.
pub(crate) async fn perform(
    action: String,
    engine: web::Data<Engine>,
    caller: Caller,
    id: String,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    if action == "group" {
        let group = crate::api::groups::form_group(&engine, &caller, &id, &body).await?;
        return Ok(HttpResponse::Created().json(group));
    }
    let (id, body) = (web::Path::from(id), crate::api::Body::from(body));
    match action.as_str() {
        "triage" => triage_action(engine, caller, id, body).await,
        "dispatch" => dispatch_action(engine, caller, id, body).await,
        "dispatch.cancel" => cancel_dispatch_action(engine, caller, id, body).await,
        "assign" => assign_action(engine, caller, id, body).await,
        "review" => review_action(engine, caller, id, body).await,
        "approval" => approval_action(engine, caller, id, body).await,
        "reply" => reply_action(engine, caller, id, body).await,
        "return-visit" => return_visit_action(engine, caller, id, body).await,
        "archive" => archive_action(engine, caller, id, body).await,
        "reopen" => reopen_action(engine, caller, id, body).await,
        "supervise" => supervise_action(engine, caller, id, body).await,
        "transfer" => transfer_action(engine, caller, id, body).await,
        "merge" => merge_action(engine, caller, id, body).await,
        other => Err(ApiError::malformed(format!(
            "unknown action `{other}`; one of: {}",
            ACTIONS.join(", ")
        ))),
    }
}

/// Checks the route's roles, runs `command` and answers with the ticket.
async fn run(
    engine: &Engine,
    caller: &Caller,
    id: &str,
    command: Command,
) -> Result<HttpResponse, ApiError> {
    caller.require(command.roles())?;
    let id = parse_id(id)?;
    let done = engine
        .tickets
        .execute(id, command, caller.principal().clone())
        .await?;
    tracing::info!(ticket_id = %id, event = done.event.kind.name(), event_id = done.event.event_id, "ticket changed");
    Ok(HttpResponse::Ok().json(TicketDto::new(&done.ticket, caller.role(), &engine.catalog)))
}

/// Parses an optional JSON body: empty means the default.
fn optional_body<T: for<'de> Deserialize<'de> + Default>(bytes: &[u8]) -> Result<T, ApiError> {
    let trimmed = bytes.trim_ascii();
    if trimmed.is_empty() || trimmed == b"null" {
        return Ok(T::default());
    }
    crate::api::json_body(trimmed)
}

fn text(field: &str, value: String, max: usize) -> Result<String, ApiError> {
    check_len(field, &value, max)?;
    Ok(value)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriageRequest {
    pub category: Option<String>,
    pub urgency: Option<Urgency>,
    pub location: Option<LatLngDto>,
    pub address_text: Option<String>,
    pub retailer_licence: Option<String>,
}

action_route! {
    /// Confirm or override category, urgency and location.
    #[utoipa::path(tag = "lifecycle", request_body(content = TriageRequest, example = json!(crate::api::examples::example("TriageRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 404, description = "no such id", body = ErrorBody), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/triage")]
    triage => triage_action
}

pub(crate) async fn triage_action(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
    body: crate::api::Body,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Dispatcher])?;
    let b: TriageRequest = crate::api::json_body(&body)?;
    check_opt("address_text", &b.address_text, 500)?;
    let retailer_licence = dto::licence(b.retailer_licence)?;
    let mut position = b.location.map(LatLngDto::parse).transpose()?;
    if let Some(licence) = &retailer_licence {
        // Confirming a registry retailer places the ticket at the shop.
        let shop = engine.retailers.get(licence).ok_or_else(|| {
            ApiError::rule(
                "unknown_retailer",
                format!("no retailer `{licence}` in the registry"),
            )
        })?;
        position.get_or_insert(shop.position());
    }
    let command = Command::Triage {
        category: b.category,
        urgency: b.urgency,
        position,
        address_text: b.address_text,
        retailer_licence,
        duplicate_of: None,
    };
    run(&engine, &caller, &id, command).await
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchRequest {
    /// The vehicle to offer the ticket to; the nearest eligible one when absent.
    pub vehicle_id: Option<String>,
    /// Send the named vehicle at once (already agreed by phone), without an offer.
    #[serde(default)]
    pub assign: bool,
    /// Send a vehicle that holds another offer or ticket, or that declined this one.
    #[serde(default, rename = "override")]
    pub override_busy: bool,
}

action_route! {
    /// Offer the ticket to a vehicle (the named one, or the nearest eligible); it goes
    /// `en_route` when the vehicle accepts. With `assign`, the named vehicle is sent at once.
    /// Grade I tickets may be sent before triage (fast track).
    #[utoipa::path(tag = "lifecycle", request_body(content = Option<DispatchRequest>, example = json!(crate::api::examples::example("DispatchRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 404, description = "no such id", body = ErrorBody), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/dispatch")]
    dispatch => dispatch_action
}

pub(crate) async fn dispatch_action(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
    body: crate::api::Body,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Dispatcher])?;
    let b: DispatchRequest = optional_body(&body)?;
    let ticket_id = parse_id(&id)?;
    let vehicle = match &b.vehicle_id {
        Some(raw) => {
            let unknown = || {
                ApiError::rule(
                    "unknown_vehicle",
                    format!("no vehicle `{raw}` is registered"),
                )
            };
            let vid: VehicleId = raw.parse().map_err(|_| unknown())?;
            let v = engine.roster.vehicle(&vid)?.ok_or_else(unknown)?;
            // Not even with `override`: nobody can answer for it.
            if !v.in_service() {
                return Err(out_of_service(raw));
            }
            Some(v)
        }
        None if b.assign => {
            return Err(ApiError::rule(
                "vehicle_required",
                "`assign` needs the `vehicle_id` to send",
            ));
        }
        None => None,
    };
    if b.assign {
        let Some(v) = vehicle else {
            return Err(ApiError::rule("vehicle_required", "name the vehicle"));
        };
        if !b.override_busy {
            check_free(&engine, &v.id).await?;
        }
        // Sent before triage: the dispatcher confirms the proposed triage first.
        if let Some(t) = engine.store.ticket(&ticket_id)?
            && crate::actors::dispatch::confirm::needs_confirmation(
                &t,
                caller.principal(),
                &engine.catalog,
            )
            .map_err(|r| ApiError::from(crate::actors::ticket::CommandError::Rejected(r)))?
        {
            crate::actors::dispatch::confirm::confirm_triage(
                &engine.tickets,
                &t,
                caller.principal().clone(),
            )
            .await?;
        }
        let command = Command::Dispatch {
            vehicle: v.id,
            team: v.team_id,
            crew: v.crew,
        };
        return run(&engine, &caller, &id, command).await;
    }
    let offer = OfferTicket {
        ticket_id,
        vehicle: vehicle.map(|v| v.id),
        by: caller.principal().clone(),
        override_busy: b.override_busy,
    };
    let done = engine
        .dispatcher
        .send(offer)
        .await
        .map_err(|_| dispatcher_busy())??;
    Ok(HttpResponse::Ok().json(TicketDto::new(&done.ticket, caller.role(), &engine.catalog)))
}

/// A vehicle or person out of service is given no work until it is back.
fn out_of_service(id: &str) -> ApiError {
    ApiError::conflict(
        "out_of_service",
        format!("`{id}` is out of service: put it back in service first"),
    )
}

fn dispatcher_busy() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::TOO_MANY_REQUESTS,
        "busy",
        "the dispatcher is busy; try again shortly",
    )
}

/// Refuses a vehicle that is not free (holding an offer, or on another ticket).
async fn check_free(engine: &Engine, id: &VehicleId) -> Result<(), ApiError> {
    use crate::domain::fleet::VehicleStatus as V;
    let Some(addr) = engine.fleet.vehicle(id, &engine.roster)? else {
        return Ok(());
    };
    let view = addr.send(GetVehicle).await.map_err(|_| dispatcher_busy())?;
    if matches!(view.status, V::Offered | V::EnRoute | V::OnSite) {
        return Err(ApiError::conflict(
            "vehicle_busy",
            format!(
                "vehicle {id} is {}; set `override` to send it anyway",
                view.status.as_str()
            ),
        ));
    }
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelDispatchRequest {
    pub reason: String,
}

action_route! {
    /// Call off the open offer, or the vehicle on its way (the ticket waits for another).
    #[utoipa::path(tag = "lifecycle", request_body(content = CancelDispatchRequest, example = json!(crate::api::examples::example("CancelDispatchRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 404, description = "no such id", body = ErrorBody), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/dispatch/cancel")]
    cancel_dispatch => cancel_dispatch_action
}

pub(crate) async fn cancel_dispatch_action(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
    body: crate::api::Body,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Dispatcher])?;
    let b: CancelDispatchRequest = crate::api::json_body(&body)?;
    let reason = text("reason", b.reason, 1000)?;
    let msg = CancelDispatch {
        ticket_id: parse_id(&id)?,
        reason,
        by: caller.principal().clone(),
    };
    let done = engine
        .dispatcher
        .send(msg)
        .await
        .map_err(|_| dispatcher_busy())??;
    Ok(HttpResponse::Ok().json(TicketDto::new(&done.ticket, caller.role(), &engine.catalog)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    pub staff_id: String,
}

action_route! {
    /// Make a staff member a handler of the ticket (e.g. the writer of a no-onsite report);
    /// their field device then sees it.
    #[utoipa::path(tag = "lifecycle", request_body(content = AssignRequest, example = json!(crate::api::examples::example("AssignRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 404, description = "no such id", body = ErrorBody), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/assign")]
    assign => assign_action
}

pub(crate) async fn assign_action(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
    body: crate::api::Body,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Dispatcher])?;
    let body: AssignRequest = crate::api::json_body(&body)?;
    let raw = body.staff_id;
    let unknown = || {
        ApiError::rule(
            "unknown_staff",
            format!("no staff member `{raw}` is registered"),
        )
    };
    let staff_id: StaffId = raw.parse().map_err(|_| unknown())?;
    let staff = engine.roster.staff(&staff_id)?.ok_or_else(unknown)?;
    if !staff.in_service() {
        return Err(out_of_service(&raw));
    }
    run(&engine, &caller, &id, Command::Assign { staff: staff.id }).await
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
    run(&engine, &caller, &id, Command::Arrive).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnsiteRecordRequest {
    /// What was found.
    pub findings: String,
    /// What was done (seizure, notice served, ...).
    #[serde(default)]
    pub actions: String,
    #[serde(default)]
    pub evidence: Vec<EvidenceDto>,
}

/// What was found and done on site; the ticket moves to report writing.
#[utoipa::path(tag = "lifecycle", request_body(content = OnsiteRecordRequest, example = json!(crate::api::examples::example("OnsiteRecordRequest"))), params(("id" = String, Path)),
    responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 403, description = "the caller's role may not do this", body = ErrorBody), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/tickets/{id}/onsite-record")]
async fn onsite_record(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
    body: crate::api::Body,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Field])?;
    let b: OnsiteRecordRequest = crate::api::json_body(&body)?;
    let command = Command::RecordOnsite {
        findings: text("findings", b.findings, MAX_DESCRIPTION)?,
        actions: text("actions", b.actions, MAX_DESCRIPTION)?,
        evidence: EvidenceDto::parse_all(b.evidence, &engine.catalog)?,
    };
    run(&engine, &caller, &id, command).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// Section name → text; the category's required sections must all be filled.
    pub sections: BTreeMap<String, String>,
    #[serde(default)]
    pub evidence: Vec<EvidenceDto>,
}

/// Submit the report for review; 422 lists the missing sections.
#[utoipa::path(tag = "lifecycle", request_body(content = ReportRequest, example = json!(crate::api::examples::example("ReportRequest"))), params(("id" = String, Path)),
    responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 403, description = "the caller's role may not do this", body = ErrorBody), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/tickets/{id}/report")]
async fn report(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
    body: crate::api::Body,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Field])?;
    let b: ReportRequest = crate::api::json_body(&body)?;
    if b.sections.len() > 50 {
        return Err(ApiError::rule("too_many", "at most 50 sections"));
    }
    for (name, value) in &b.sections {
        check_len("sections (name)", name, 64)?;
        check_len(&format!("sections.{name}"), value, 20_000)?;
    }
    let command = Command::SubmitReport {
        sections: b.sections,
        evidence: EvidenceDto::parse_all(b.evidence, &engine.catalog)?,
    };
    run(&engine, &caller, &id, command).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    pub decision: ReviewDecision,
    /// Why it goes back (required with `return`): guide reason codes with notes, or text.
    #[serde(default)]
    pub reasons: Vec<ReasonIn>,
}

action_route! {
    /// Pass the report on to approval, or return it (with reasons) for rework.
    #[utoipa::path(tag = "lifecycle", request_body(content = ReviewRequest, example = json!(crate::api::examples::example("ReviewRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/review")]
    review => review_action
}

pub(crate) async fn review_action(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
    body: crate::api::Body,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Dispatcher, Role::Supervisor])?;
    let b: ReviewRequest = crate::api::json_body(&body)?;
    run(
        &engine,
        &caller,
        &id,
        Command::Review {
            decision: b.decision,
            reasons: returns::parse(b.reasons, &engine.catalog)?,
        },
    )
    .await
}

#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalVerdict {
    Approve,
    Return,
}

#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReturnTo {
    Reporting,
    InReview,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRequest {
    pub decision: ApprovalVerdict,
    /// Where a return goes: `reporting` (default) or `in_review`.
    pub return_to: Option<ReturnTo>,
    /// Why it goes back (required with `return`): guide reason codes with notes, or text.
    #[serde(default)]
    pub reasons: Vec<ReasonIn>,
}

action_route! {
    /// Sign off (the reply is then due), or return to the writer or the reviewer.
    #[utoipa::path(tag = "lifecycle", request_body(content = ApprovalRequest, example = json!(crate::api::examples::example("ApprovalRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/approval")]
    approval => approval_action
}

pub(crate) async fn approval_action(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
    body: crate::api::Body,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Supervisor])?;
    let b: ApprovalRequest = crate::api::json_body(&body)?;
    let decision = match (b.decision, b.return_to) {
        (ApprovalVerdict::Approve, None) => ApprovalDecision::Approve,
        (ApprovalVerdict::Approve, Some(_)) => {
            return Err(ApiError::rule(
                "bad_return_to",
                "`return_to` goes with a return only",
            ));
        }
        (ApprovalVerdict::Return, None | Some(ReturnTo::Reporting)) => {
            ApprovalDecision::ReturnToReporting
        }
        (ApprovalVerdict::Return, Some(ReturnTo::InReview)) => ApprovalDecision::ReturnToReview,
    };
    run(
        &engine,
        &caller,
        &id,
        Command::Approve {
            decision,
            reasons: returns::parse(b.reasons, &engine.catalog)?,
        },
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    /// The answer given to the citizen.
    pub text: String,
}

action_route! {
    /// Record the answer to the citizen; the return visit is then due.
    #[utoipa::path(tag = "lifecycle", request_body(content = ReplyRequest, example = json!(crate::api::examples::example("ReplyRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/reply")]
    reply => reply_action
}

pub(crate) async fn reply_action(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
    body: crate::api::Body,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Dispatcher])?;
    let body: ReplyRequest = crate::api::json_body(&body)?;
    let t = text("text", body.text, MAX_DESCRIPTION)?;
    run(&engine, &caller, &id, Command::Reply { text: t }).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnVisitRequest {
    pub satisfaction: Satisfaction,
    pub comment: Option<String>,
}

action_route! {
    /// Record the return visit; an unsatisfied citizen reopens the ticket.
    #[utoipa::path(tag = "lifecycle", request_body(content = ReturnVisitRequest, example = json!(crate::api::examples::example("ReturnVisitRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/return-visit")]
    return_visit => return_visit_action
}

pub(crate) async fn return_visit_action(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
    body: crate::api::Body,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Dispatcher])?;
    let b: ReturnVisitRequest = crate::api::json_body(&body)?;
    check_opt("comment", &b.comment, MAX_DESCRIPTION)?;
    run(
        &engine,
        &caller,
        &id,
        Command::RecordVisit {
            satisfaction: b.satisfaction,
            comment: b.comment,
        },
    )
    .await
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveRequest {
    pub note: Option<String>,
}

action_route! {
    /// Close the ticket (after the return visit, or when the reporter cannot be reached).
    #[utoipa::path(tag = "lifecycle", request_body(content = Option<ArchiveRequest>, example = json!(crate::api::examples::example("ArchiveRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/archive")]
    archive => archive_action
}

pub(crate) async fn archive_action(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
    body: crate::api::Body,
) -> Result<HttpResponse, ApiError> {
    let b: ArchiveRequest = optional_body(&body)?;
    check_opt("note", &b.note, MAX_DESCRIPTION)?;
    run(&engine, &caller, &id, Command::Archive { note: b.note }).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenRequest {
    pub reason: String,
    /// `triaged` or `reporting`; by default reporting (triaged for direct answers).
    pub to: Option<Status>,
}

action_route! {
    /// Reopen an archived ticket, with a reason.
    #[utoipa::path(tag = "lifecycle", request_body(content = ReopenRequest, example = json!(crate::api::examples::example("ReopenRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/reopen")]
    reopen => reopen_action
}

pub(crate) async fn reopen_action(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
    body: crate::api::Body,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Dispatcher, Role::Supervisor])?;
    let b: ReopenRequest = crate::api::json_body(&body)?;
    run(
        &engine,
        &caller,
        &id,
        Command::Reopen {
            reason: text("reason", b.reason, 1000)?,
            to: b.to,
        },
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuperviseRequest {
    /// The supervision notice (督办).
    pub notice: String,
}

action_route! {
    /// Issue a supervision notice on an open ticket.
    #[utoipa::path(tag = "lifecycle", request_body(content = SuperviseRequest, example = json!(crate::api::examples::example("SuperviseRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/supervise")]
    supervise => supervise_action
}

pub(crate) async fn supervise_action(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
    body: crate::api::Body,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Supervisor])?;
    let body: SuperviseRequest = crate::api::json_body(&body)?;
    let notice = text("notice", body.notice, 1000)?;
    #[cfg(feature = "fault-injection")]
    if notice == crate::api::FAULT_INJECTION_NOTICE {
        caller.require(&[Role::Supervisor])?;
        let id = parse_id(&id)?;
        let died = engine.tickets.inject_panic(&id).await;
        return Ok(HttpResponse::Accepted().json(serde_json::json!({ "actor_died": died })));
    }
    run(&engine, &caller, &id, Command::Supervise { notice }).await
}

#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferTo {
    Enforcement,
    Marketing,
    Logistics,
    /// Back to the 12313 platform as outside this unit's remit.
    Platform,
    /// Another unit, named in `unit`.
    OtherUnit,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    pub to: TransferTo,
    /// The receiving unit, for `other_unit`.
    pub unit: Option<String>,
    pub reason: String,
}

action_route! {
    /// Transfer (转办) to another department (stays open) or out of this unit (closes).
    #[utoipa::path(tag = "lifecycle", request_body(content = TransferRequest, example = json!(crate::api::examples::example("TransferRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/transfer")]
    transfer => transfer_action
}

pub(crate) async fn transfer_action(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
    body: crate::api::Body,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Dispatcher])?;
    let b: TransferRequest = crate::api::json_body(&body)?;
    check_opt("unit", &b.unit, 200)?;
    let to = match b.to {
        TransferTo::Enforcement => TransferTarget::Department {
            department: Department::Enforcement,
        },
        TransferTo::Marketing => TransferTarget::Department {
            department: Department::Marketing,
        },
        TransferTo::Logistics => TransferTarget::Department {
            department: Department::Logistics,
        },
        TransferTo::Platform => TransferTarget::Platform,
        TransferTo::OtherUnit => TransferTarget::OtherUnit {
            unit: b
                .unit
                .ok_or_else(|| ApiError::rule("unit_required", "name the receiving `unit`"))?,
        },
    };
    run(
        &engine,
        &caller,
        &id,
        Command::Transfer {
            to,
            reason: text("reason", b.reason, 1000)?,
        },
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The duplicate folded into this ticket; both timelines are kept.
    pub duplicate_id: String,
}

action_route! {
    /// Merge a duplicate into this ticket: the duplicate closes as `merged`, this one records it.
    #[utoipa::path(tag = "lifecycle", request_body(content = MergeRequest, example = json!(crate::api::examples::example("MergeRequest"))), params(("id" = String, Path)),
        responses((status = 200, description = "the ticket as it now stands", body = TicketDto, example = json!(crate::api::examples::example("TicketDto"))), (status = 404, description = "no such id", body = ErrorBody), (status = 409, description = "not allowed in the current state, or a conflict", body = ErrorBody), (status = 422, description = "well-formed but breaks a rule", body = ErrorBody)),
        security(("bearer" = [])))]
    #[post("/tickets/{id}/merge")]
    merge => merge_action
}

pub(crate) async fn merge_action(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
    body: crate::api::Body,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Dispatcher])?;
    let body: MergeRequest = crate::api::json_body(&body)?;
    let target = parse_id(&id)?;
    let raw = body.duplicate_id;
    let duplicate = raw
        .parse()
        .map_err(|_| ApiError::rule("unknown_ticket", format!("no ticket `{raw}`")))?;
    let done = engine
        .tickets
        .merge(target, duplicate, caller.principal().clone())
        .await?;
    Ok(HttpResponse::Ok().json(TicketDto::new(&done.ticket, caller.role(), &engine.catalog)))
}
