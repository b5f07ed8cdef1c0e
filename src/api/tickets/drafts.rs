//! The drafts a writer or a dispatcher starts from: the report prefilled from the ticket,
//! its on-site record and the guide's template, and the answer to the citizen from the
//! guide's reply template. Reading them changes nothing; the wording is the domain's
//! (`Ticket::report_draft`, `Ticket::reply_draft`).

use actix_web::{HttpResponse, get, web};
use utoipa::ToSchema;

use super::{load_visible, parse_id};
use crate::api::auth::Caller;
use crate::api::error::{ApiError, ErrorBody};
use crate::domain::role::Role;
use crate::domain::ticket::ReportDraft;
use crate::engine::Engine;

pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(report_draft).service(reply_draft);
}

/// A report prefilled from the category's template and what the ticket already holds.
#[utoipa::path(tag = "lifecycle", params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = ReportDraft, example = json!(crate::api::examples::example("ReportDraft"))), (status = 403, description = "the caller's role may not do this", body = ErrorBody), (status = 404, description = "no such id", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/tickets/{id}/report/draft")]
async fn report_draft(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Field, Role::Dispatcher, Role::Supervisor])?;
    let ticket = load_visible(&engine, &caller, &parse_id(&id)?)?;
    let category = ticket
        .category
        .as_deref()
        .and_then(|c| engine.catalog.get(c));
    let mut d = ticket.report_draft(category);
    // The facts come from the citizen's words: a field device sees them masked, as it
    // sees the ticket.
    if !caller.role().sees_reporter() {
        for text in d.sections.values_mut() {
            *text = crate::domain::redact::mask_reporter(text, ticket.reporter.as_ref());
        }
        for note in d.evidence.iter_mut().filter_map(|e| e.note.as_mut()) {
            *note = crate::domain::redact::mask_reporter(note, ticket.reporter.as_ref());
        }
    }
    Ok(HttpResponse::Ok().json(d))
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct ReplyDraft {
    /// The category's reply template filled from the ticket; edit before sending.
    pub text: String,
}

/// The answer to the citizen, prefilled from the guide's reply template.
#[utoipa::path(tag = "lifecycle", params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = ReplyDraft, example = json!(crate::api::examples::example("ReplyDraft"))), (status = 404, description = "no such id", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/tickets/{id}/reply/draft")]
async fn reply_draft(
    engine: web::Data<Engine>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Dispatcher, Role::Supervisor])?;
    let ticket = load_visible(&engine, &caller, &parse_id(&id)?)?;
    let category = ticket
        .category
        .as_deref()
        .and_then(|c| engine.catalog.get(c));
    let text = ticket.reply_draft(category);
    Ok(HttpResponse::Ok().json(ReplyDraft { text }))
}
