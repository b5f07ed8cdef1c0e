//! WebSocket sessions. This is the only module that uses actix-web-actors (deprecated
//! upstream in favour of actix-ws), so the transport can be swapped without touching the
//! actors.

mod commands;
pub mod frames;
pub mod hub;
pub mod protocol;
mod stream;
pub mod streams;
pub mod vehicle;
