//! Identifiers. Tickets get time-ordered UUIDv7 ids (index scans come out in intake order)
//! and a human number such as `WX-2026-000123`; people, squads and vehicles get short
//! readable ids that an operator may choose (`V-012`) or let the engine generate.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A ticket's stable id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TicketId(Uuid);

impl TicketId {
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }

    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(Uuid::from_bytes(bytes))
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }
}

impl fmt::Display for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for TicketId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

/// An offer of a ticket to a vehicle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OfferId(Uuid);

impl OfferId {
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }
}

impl fmt::Display for OfferId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for OfferId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

/// The human ticket number: `<prefix>-<year>-<six digits>`, counted per year.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TicketNumber(String);

impl TicketNumber {
    pub fn new(prefix: &str, year: i32, n: u64) -> Self {
        Self(format!("{prefix}-{year}-{n:06}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TicketNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a textual id was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("an id must be 1 to 64 characters of letters, digits, '-' or '_'")]
pub struct BadId;

macro_rules! short_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// A fresh id with a readable prefix and a random suffix.
            pub fn generate() -> Self {
                let simple = Uuid::now_v7().simple().to_string();
                Self(format!(concat!($prefix, "-{}"), &simple[simple.len() - 10..]))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = BadId;
            fn try_from(s: String) -> Result<Self, BadId> {
                let ok = (1..=64).contains(&s.len())
                    && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if ok { Ok(Self(s)) } else { Err(BadId) }
            }
        }

        impl FromStr for $name {
            type Err = BadId;
            fn from_str(s: &str) -> Result<Self, BadId> {
                Self::try_from(s.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

short_id!(
    /// A staff member (inspector, account manager, driver, dispatcher, ...).
    StaffId,
    "S"
);
short_id!(
    /// A squad (小队) of staff and vehicles.
    TeamId,
    "T"
);
short_id!(
    /// A GPS-tracked vehicle.
    VehicleId,
    "V"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_numbers_are_zero_padded_per_year() {
        assert_eq!(
            TicketNumber::new("WX", 2026, 123).as_str(),
            "WX-2026-000123"
        );
    }

    #[test]
    fn short_ids_are_validated() {
        assert!("V-012".parse::<VehicleId>().is_ok());
        assert!("".parse::<VehicleId>().is_err());
        assert!("a b".parse::<StaffId>().is_err());
        assert!(serde_json::from_str::<TeamId>("\"x/y\"").is_err());
        assert!(StaffId::generate().as_str().starts_with("S-"));
    }
}
