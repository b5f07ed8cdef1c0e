//! The pure domain: ids, the handling guide, tickets and their state machine, roles and the
//! roster of people and vehicles. No actix, no I/O: everything here is a plain value or a
//! pure function, so most unit and property tests live here.

pub mod area;
pub mod board;
pub mod catalog;
pub mod clock;
pub mod duplicates;
pub mod error_code;
pub mod fleet;
pub mod geo;
pub mod grid;
pub mod ids;
pub mod input;
pub mod place;
pub mod redact;
pub mod retailer;
pub mod role;
pub mod roster;
pub mod simulated;
pub mod stats;
pub mod ticket;
pub mod towns;
pub mod triage;

pub use clock::{Clock, ManualClock, SystemClock, Timestamp};
