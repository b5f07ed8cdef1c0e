//! Cluster mode's Redis side (`docs/cluster.md`): the work is split into partitions by
//! place; each partition has one owner node under a fenced lease (`lease.rs`), kept by one
//! loop per node (`ownership.rs`) over the live nodes (`members.rs`); the owner appends
//! the partition's events to its log (`log.rs`), a Redis Stream every node follows. Every
//! key name is in `keys.rs`.
//!
//! Embedded sled stays the default: none of this runs unless a Redis is configured.

pub mod follower;
pub mod keys;
pub mod lease;
pub mod log;
pub mod members;
pub mod ownership;

use crate::domain::area::ServiceArea;

/// The partition of tickets that have no place yet; triage hands them to their town's.
pub const UNPLACED: &str = "unplaced";

/// The partitions of a service area: one per town (a county's townships; in a province
/// the same rule gives each county its towns), and the one for unplaced tickets.
pub fn partitions(area: &ServiceArea) -> Vec<String> {
    let mut out: Vec<String> = area.towns().map(|t| t.code.clone()).collect();
    out.push(UNPLACED.to_owned());
    out
}
