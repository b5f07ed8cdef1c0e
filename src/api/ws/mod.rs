//! WebSocket sessions. This is the only module that uses actix-web-actors (deprecated
//! upstream in favour of actix-ws), so the transport can be swapped without touching the
//! actors.

pub mod protocol;
pub mod vehicle;
