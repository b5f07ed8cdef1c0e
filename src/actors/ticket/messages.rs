//! Messages a ticket actor answers.

use std::sync::Arc;

use actix::Message;
use tokio::sync::oneshot;

use crate::domain::role::Principal;
use crate::domain::ticket::{Command, EventRecord, Rejection, Ticket};
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
}
