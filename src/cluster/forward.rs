//! Writes reach their partition's owner: a node that does not own a ticket's partition
//! sends the typed service call (an intake, or an action on a ticket, with the caller's
//! principal) to the owner's `POST /cluster/v1/forward`, under a command id the owner
//! records in the partition's log with the write. A retry after a lost answer carries the
//! same id, so the owner applies it once and answers it as the first time.
//!
//! The nodes prove themselves with `cluster.secret`; the forwarded principal is believed
//! only from a node that does.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::error_code::ErrorCode;
use crate::domain::role::Principal;
use crate::domain::ticket::{NewTicket, Ticket};
use crate::service::Error;
use crate::service::error::Status;

/// The path every node serves forwarded calls on.
pub const PATH: &str = "/cluster/v1/forward";

/// A service call carried to the owner.
#[derive(Debug, Serialize, Deserialize)]
pub struct Forwarded {
    /// The idempotency key of the call: the same on every retry.
    pub command: String,
    pub by: Principal,
    pub call: Call,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Call {
    Intake {
        ticket: Box<NewTicket>,
    },
    /// An action by its name (`Action::name`) on a ticket, with its body as sent.
    Action {
        ticket: String,
        action: String,
        body: Option<Value>,
    },
}

/// The owner's answer: the service call's outcome.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Answer {
    Intake {
        ticket: Box<Ticket>,
        created: bool,
    },
    Ticket {
        ticket: Box<Ticket>,
    },
    GroupFormed {
        ticket: Box<Ticket>,
    },
    Error {
        status: u16,
        code: String,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        details: Option<Value>,
    },
}

impl Answer {
    pub fn error(e: &Error) -> Answer {
        Answer::Error {
            status: e.status().as_u16(),
            code: e.code().to_owned(),
            message: e.message().to_owned(),
            details: e.details().cloned(),
        }
    }

    /// The owner's error as this node answers it; any other answer as `Ok`.
    pub fn into_result(self) -> Result<Answer, Error> {
        match self {
            Answer::Error {
                status,
                code,
                message,
                details,
            } => {
                let e = Error::new(Status::of(status), &code, message);
                Err(match details {
                    Some(d) => e.with_details(d),
                    None => e,
                })
            }
            other => Ok(other),
        }
    }
}

/// The error of a call the owner could not be asked (or did not answer).
pub fn unreachable(why: impl std::fmt::Display) -> Error {
    Error::of(
        ErrorCode::NotOwner,
        format!("the node that owns this ticket's partition did not answer ({why}); retry"),
    )
}
