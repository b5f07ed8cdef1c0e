//! Messages a ticket actor answers.

use std::sync::Arc;

use actix::Message;
use tokio::sync::oneshot;

use crate::domain::ids::TicketId;
use crate::domain::role::Principal;
use crate::domain::ticket::{Command, EventRecord, Rejection, Ticket, steps};
use crate::store::StoreError;

/// Why a command did not happen. Nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Rejected(#[from] Rejection),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The ticket's mailbox is full.
    #[error("this ticket is busy; try again shortly")]
    Busy,
    #[error("ticket not found")]
    NotFound,
    /// The ticket's actor failed while handling a command and has been rebuilt.
    #[error("the ticket's handler failed and was restarted; retry the request")]
    ActorFailed,
}

/// The outcome of an accepted command: the new state and its durable event.
#[derive(Debug, Clone)]
pub struct Executed {
    pub ticket: Box<Ticket>,
    pub event: Arc<EventRecord>,
}

/// Run a command on the ticket; `reply` is answered once its event is durable. The reply
/// travels in the message so that the sender can use `try_send` (fail fast when the
/// mailbox is full) and still get an answer.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Execute {
    pub command: Command,
    pub by: Principal,
    pub reply: oneshot::Sender<Result<Executed, CommandError>>,
    /// A forwarded command's id (cluster mode), logged with its event so that a retry is
    /// applied once.
    pub command_id: Option<String>,
}

/// Asked of the dispatcher before a grade I ticket that needs a site visit is filed: the
/// offer to make with the filing (its vehicle held meanwhile), or `None` to file it alone
/// (the usual fast track then follows the intake).
#[derive(Message)]
#[rtype(result = "Option<steps::Offer>")]
pub struct PlanFirstOffer(pub Arc<Ticket>);

/// Told to the dispatcher after every filing it was asked to plan: the ticket as filed
/// (with the planned offer when it went in), or `None` when nothing was filed.
#[derive(Message)]
#[rtype(result = "()")]
pub struct FirstOfferFiled {
    pub ticket_id: TicketId,
    pub filed: Option<Arc<Ticket>>,
}

/// Stop: the directory has let go of this actor (its ticket idle), and sends it nothing
/// more. Queued behind every command sent before, so those are answered first.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Passivate;
