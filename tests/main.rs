//! All integration tests in one binary (one link, shared harness).

mod api;
mod browser;
mod common;
mod dispatch;
mod durability;
mod guide;
mod streams;
