//! All integration tests in one binary (one link, shared harness).

mod api;
mod browser;
mod cluster;
mod common;
mod demo;
mod dispatch;
mod durability;
mod edges;
mod evidence;
mod feed;
mod groups;
mod guide;
mod open311;
mod service;
mod simulated;
mod streams;
mod tls;
