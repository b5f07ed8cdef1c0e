//! The one error of every service call: a status class, a stable snake_case code, a message
//! for people and optional details. Each code maps to exactly one status here. The transports
//! render it without changing it: `api/error.rs` as an HTTP error (status and
//! `{code, message, details?}` body), `api/ws/commands.rs` as a console `error` frame (the
//! same status, code, message and details), so a step fails alike on both. Codes and their
//! statuses come from the one table, [`ErrorCode`].

use serde_json::Value;

use crate::actors::coordinator::GroupError;
use crate::actors::dispatch::DispatchError;
use crate::actors::ticket::CommandError;
use crate::domain::error_code::ErrorCode;
use crate::domain::ticket::Rejection;
use crate::store::StoreError;

/// `Retry-After` of a 429 or 503 that names none: overload passes in about a second.
const DEFAULT_RETRY_AFTER_S: u64 = 1;

/// How an error is answered, as the HTTP status number (console error frames carry it too).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status(u16);

impl Status {
    pub const ACCEPTED: Self = Self(202);
    pub const BAD_REQUEST: Self = Self(400);
    pub const UNAUTHORIZED: Self = Self(401);
    pub const FORBIDDEN: Self = Self(403);
    pub const NOT_FOUND: Self = Self(404);
    pub const CONFLICT: Self = Self(409);
    pub const PAYLOAD_TOO_LARGE: Self = Self(413);
    pub const UNPROCESSABLE_ENTITY: Self = Self(422);
    pub const TOO_MANY_REQUESTS: Self = Self(429);
    pub const INTERNAL_SERVER_ERROR: Self = Self(500);
    pub const SERVICE_UNAVAILABLE: Self = Self(503);

    /// Any other status by its number (routes that answer e.g. 405 or 415).
    pub const fn of(code: u16) -> Self {
        Self(code)
    }

    pub fn as_u16(self) -> u16 {
        self.0
    }
}

#[derive(Debug)]
pub struct Error {
    status: Status,
    code: String,
    message: String,
    details: Option<Value>,
    /// Seconds the caller should wait before retrying (429 past the failed-authentication
    /// budget).
    retry_after_s: Option<u64>,
}

impl Error {
    pub fn new(status: impl Into<Status>, code: &str, message: impl Into<String>) -> Self {
        Self {
            status: status.into(),
            code: code.to_owned(),
            message: message.into(),
            details: None,
            retry_after_s: None,
        }
    }

    /// An error with `code` and the status the table gives it.
    pub fn of(code: ErrorCode, message: impl Into<String>) -> Self {
        let status = code.class().http_status().unwrap_or(400);
        Self::new(Status(status), code.as_str(), message)
    }

    /// Asks the caller to wait `secs` before retrying.
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after_s = Some(secs);
        self
    }

    /// Seconds the caller should wait before retrying: the ones named, or about a second
    /// for overload and restarts (429, 503), so a refused request is resent, never lost.
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after_s.or_else(|| {
            matches!(self.status().as_u16(), 429 | 503).then_some(DEFAULT_RETRY_AFTER_S)
        })
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn malformed(message: impl Into<String>) -> Self {
        Self::of(ErrorCode::Malformed, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::of(ErrorCode::Unauthorized, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::of(ErrorCode::Forbidden, message)
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::of(ErrorCode::NotFound, format!("{} not found", what.into()))
    }

    /// Too much at once: retry shortly.
    pub fn busy(message: impl Into<String>) -> Self {
        Self::of(ErrorCode::Busy, message)
    }

    pub fn too_large(limit: usize) -> Self {
        Self::of(
            ErrorCode::TooLarge,
            format!("the body is over the limit of {limit} bytes"),
        )
    }

    pub fn status(&self) -> Status {
        self.status
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn details(&self) -> Option<&Value> {
        self.details.as_ref()
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl From<Rejection> for Error {
    fn from(r: Rejection) -> Self {
        let message = r.to_string();
        match r {
            Rejection::Forbidden { .. } => Self::forbidden(message),
            Rejection::NotAssigned => Self::of(ErrorCode::NotAssigned, message),
            Rejection::IllegalTransition { status, .. } => {
                Self::of(ErrorCode::IllegalTransition, message)
                    .with_details(serde_json::json!({ "status": status.as_str() }))
            }
            Rejection::Denied { code, .. } => coded(code, Status::FORBIDDEN, message),
            Rejection::Conflict { code, .. } => coded(code, Status::CONFLICT, message),
            Rejection::Rule { code, details, .. } => {
                let e = coded(code, Status::UNPROCESSABLE_ENTITY, message);
                match details {
                    Some(d) => e.with_details(d),
                    None => e,
                }
            }
        }
    }
}

/// A rejection's code with the status the table gives it (`fallback`, its variant's, for a
/// spelling the table lacks).
fn coded(code: &str, fallback: Status, message: String) -> Error {
    match ErrorCode::from_wire(code) {
        Some(code) => Error::of(code, message),
        None => Error::new(fallback, code, message),
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Overloaded => Self::of(ErrorCode::Overloaded, e.to_string()),
            StoreError::Closed => Self::of(ErrorCode::ShuttingDown, e.to_string()),
            StoreError::DuplicateExternal(_) | StoreError::RecordExists(_) => {
                Self::of(ErrorCode::AlreadyExists, e.to_string())
            }
            StoreError::RecordMissing(what) => Self::not_found(what),
            StoreError::NotOwner(_) => Self::of(ErrorCode::NotOwner, e.to_string()),
            StoreError::Unlogged(_) | StoreError::Behind(_) => {
                Self::of(ErrorCode::NotLogged, e.to_string())
            }
            StoreError::Repeated { .. } => Self::of(ErrorCode::AlreadyExists, e.to_string()),
            StoreError::Conflict(_) => Self::of(
                ErrorCode::Conflict,
                "the ticket changed meanwhile; reload and retry",
            ),
            StoreError::Io(_) | StoreError::Corrupt(_) => {
                tracing::error!(error = %e, "storage failure");
                Self::of(
                    ErrorCode::StorageError,
                    "the store failed; nothing was changed",
                )
            }
        }
    }
}

impl From<CommandError> for Error {
    fn from(e: CommandError) -> Self {
        match e {
            CommandError::Rejected(r) => r.into(),
            CommandError::Store(s) => s.into(),
            CommandError::NotFound => Self::not_found("ticket"),
            CommandError::Busy => Self::busy(e.to_string()),
            CommandError::ActorFailed => Self::of(ErrorCode::TicketRestarted, e.to_string()),
        }
    }
}

impl From<DispatchError> for Error {
    fn from(e: DispatchError) -> Self {
        use DispatchError as D;
        let message = e.to_string();
        match e {
            D::Command(c) => c.into(),
            D::NoCandidate(_) => Self::of(ErrorCode::NoVehicleAvailable, message),
            D::UnknownVehicle(_) => Self::of(ErrorCode::UnknownVehicle, message),
            D::VehicleBusy(..) => Self::of(ErrorCode::VehicleBusy, message),
            D::NoSite => Self::of(ErrorCode::NoSite, message),
            D::OutsideArea(_) => Self::of(ErrorCode::OutsideServiceArea, message),
            D::NotOffered(..) => Self::of(ErrorCode::OfferNotOpen, message),
            D::Busy => Self::busy(message),
            D::OutOfService(_) => Self::of(ErrorCode::OutOfService, message),
            D::Offline(_) => Self::of(ErrorCode::VehicleOffline, message),
        }
    }
}

impl From<GroupError> for Error {
    fn from(e: GroupError) -> Self {
        let message = e.to_string();
        match e {
            GroupError::Command(c) => c.into(),
            GroupError::NoGroup => Self::of(ErrorCode::NoActiveGroup, message),
            GroupError::UnknownTask(_) => Self::of(ErrorCode::NotFound, message),
            GroupError::Busy => Self::busy(message),
            GroupError::Failed => Self::of(ErrorCode::GroupRestarted, message),
        }
    }
}
