//! WebSocket sessions. Only this module touches the WebSocket transports: actix-web-actors
//! (deprecated upstream in favour of actix-ws) for the console, field and board streams,
//! and actix-ws for the vehicle socket, whose input must be bounded (see `vehicle`). The
//! actors never see either.

mod budget;
mod commands;
pub mod frames;
pub mod hub;
mod origin;
pub mod protocol;
mod stream;
pub mod streams;
pub mod vehicle;

/// The close code of a socket whose token was revoked (or whose holder was taken out of
/// service): the pages show "signed out" and do not reconnect with that token.
pub const CLOSE_REVOKED: u16 = 4001;
