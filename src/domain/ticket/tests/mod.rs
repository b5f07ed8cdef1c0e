//! Unit and property tests of the ticket state machine (the status table of DOMAIN.md).
//!
//! - `fixtures`: the guide, ids, principals, intakes, reports; `commands`: one constructor
//!   per command; `given`: the given/when/then harness and tickets walked to a status.
//! - By theme: `paths` (each handling path end to end), `returns` (returns and reopening),
//!   `transfers` (transfers and merges), `roles` (who may act, from which status, with
//!   what), `offers` (offers, call-offs, vehicles out of service).
//! - The property tests (`property`) drive tickets of every handling path with random
//!   command sequences (`strategy`, `progress`: every [`Command`] variant, valid and invalid
//!   payloads, principals of every role, field devices bound to the ticket or to others)
//!   and check each step against an oracle written from DOMAIN.md (`model`: which role may
//!   take a step, from which status, which payload rules apply, which status it leads to)
//!   and what must hold of every reachable state (`invariants`).
#![allow(clippy::unwrap_used, reason = "tests")]

pub(super) mod commands;
mod files;
pub(super) mod fixtures;
mod given;
mod invariants;
mod model;
mod offers;
mod paths;
mod progress;
mod property;
mod returns;
mod roles;
mod strategy;
mod transfers;

#[cfg(doc)]
use super::Command;
