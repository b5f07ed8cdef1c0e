//! hotline-dispatch: the real-time dispatch engine of a 12313 tobacco-market supervision
//! hotline command centre. See `ARCHITECTURE.md` for the code map.

pub mod actors;
pub mod api;
pub mod app;
pub mod auth;
pub mod bus;
pub mod cluster;
pub mod config;
pub mod demo;
pub mod domain;
pub mod engine;
pub mod evidence;
pub mod feed;
pub mod net;
pub mod retailers;
pub mod roster;
pub mod service;
pub mod store;
pub mod telemetry;
pub mod tls;
