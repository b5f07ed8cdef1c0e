//! The typed service layer: what the engine does for a caller, whatever the transport.
//! HTTP routes, console command frames, Open311 and the demo loader are thin transports over
//! it: they turn their input into a typed request and render the typed outcome. Nothing here
//! names an actix-web type, so the same calls can be carried to another node (cluster mode).
//!
//! - `out_of_service`: staff and vehicles taken out of service, and back.

pub mod error;
pub mod out_of_service;

pub use error::Error;
