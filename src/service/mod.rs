//! The typed service layer: what the engine does for a caller, whatever the transport.
//! HTTP routes, console command frames, Open311 and the demo loader are thin transports over
//! it: they turn their input into a typed request and render the typed outcome. Nothing here
//! names an actix-web type, so the same calls can be carried to another node (cluster mode).
//!
//! - `intake`: a new ticket, from any source.
//! - `tickets`: a step of a ticket's state machine, for a caller (roles checked once, here).
//! - `groups`: collaboration-group steps and who speaks for a member.
//! - `out_of_service`: staff and vehicles taken out of service, and back.
//! - `error`: the one error type, with its stable codes and statuses.

pub mod error;
pub mod groups;
pub mod intake;
pub mod out_of_service;
pub mod tickets;

pub use error::Error;
