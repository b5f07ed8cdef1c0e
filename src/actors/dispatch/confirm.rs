//! Dispatch before triage: a dispatcher who sends a vehicle (an offer to the nearest or to a
//! named vehicle, or an assignment) on a ticket still `received` confirms its triage as
//! proposed — the classifier's category, grade and place — first. The confirmation is a
//! `ticket.triaged` event of the dispatcher, written just before the offer or dispatch, so
//! the timeline says who confirmed what. Grade I needs none (fast track: sent before
//! triage). The engine never confirms a triage on its own.

use crate::actors::ticket::{CommandError, TicketDirectory};
use crate::domain::catalog::{Catalog, HandlingPath};
use crate::domain::error_code::ErrorCode;
use crate::domain::role::{Principal, Role};
use crate::domain::ticket::steps;
use crate::domain::ticket::{Command, Rejection, Status, Ticket};

/// Whether sending a vehicle on `ticket` by `by` needs the triage confirmed first: `Ok(true)`
/// for a `received` ticket (not grade I) whose proposed category has a site visit; `Ok(false)`
/// when no confirmation is needed (or the step is refused elsewhere); a rejection when the
/// proposal cannot be confirmed into a dispatch (no category yet, or no site visit).
pub fn needs_confirmation(
    ticket: &Ticket,
    by: &Principal,
    catalog: &Catalog,
) -> Result<bool, Rejection> {
    if ticket.status != Status::Received || ticket.awaits_vehicle() || by.role != Role::Dispatcher {
        return Ok(false);
    }
    let category = ticket
        .category
        .as_deref()
        .and_then(|c| catalog.get(c))
        .ok_or_else(|| {
            Rejection::rule(ErrorCode::CategoryRequired,
                "the ticket has no category yet: triage it (choose a category) before sending a vehicle",
            )
        })?;
    if category.path != HandlingPath::Full {
        return Err(Rejection::rule(
            ErrorCode::NoOnsiteStage,
            format!(
                "category `{}` needs no vehicle on site: triage the ticket instead",
                category.code
            ),
        ));
    }
    Ok(true)
}

/// The confirmation: a triage that changes nothing but confirms the proposal.
pub fn confirming_triage() -> Command {
    Command::Triage(steps::Triage::default())
}

/// Confirms the triage of `ticket` (see [`needs_confirmation`]); durable when it answers.
pub async fn confirm_triage(
    tickets: &TicketDirectory,
    ticket: &Ticket,
    by: Principal,
) -> Result<(), CommandError> {
    tickets
        .execute(ticket.id, confirming_triage(), by)
        .await
        .map(|done| {
            tracing::info!(ticket_id = %ticket.id, event_id = done.event.event_id, "triage confirmed by a dispatch");
        })
}
