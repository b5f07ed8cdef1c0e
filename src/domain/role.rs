//! Who is acting: a role and, for field devices, the staff member or vehicle the token is
//! bound to. Every event records its principal.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ids::{StaffId, VehicleId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The 12313 platform or another intake integration.
    Platform,
    Dispatcher,
    Supervisor,
    /// A staff member's or a vehicle's device.
    Field,
    /// The public big screen: read-only, redacted.
    Board,
    Admin,
    /// The engine itself (timers, recovery, demo data).
    System,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Platform => "platform",
            Self::Dispatcher => "dispatcher",
            Self::Supervisor => "supervisor",
            Self::Field => "field",
            Self::Board => "board",
            Self::Admin => "admin",
            Self::System => "system",
        }
    }

    /// Roles that may see a reporter's name and phone.
    pub fn sees_reporter(self) -> bool {
        matches!(self, Self::Dispatcher | Self::Supervisor)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a token is bound to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Subject {
    Staff(StaffId),
    Vehicle(VehicleId),
    /// A free label for non-field tokens (an integration's or a person's name).
    Label(String),
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Staff(id) => write!(f, "staff:{id}"),
            Self::Vehicle(id) => write!(f, "vehicle:{id}"),
            Self::Label(l) => write!(f, "{l}"),
        }
    }
}

/// The authenticated actor behind a request or an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
}

impl Principal {
    pub fn new(role: Role, subject: Option<Subject>) -> Self {
        Self { role, subject }
    }

    pub fn system() -> Self {
        Self::new(Role::System, None)
    }
}
