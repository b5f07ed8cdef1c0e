//! Cluster mode's Redis side (`docs/cluster.md`): the work is split into partitions by
//! place; each partition has one owner node under a fenced lease (`lease.rs`), kept by one
//! loop per node (`ownership.rs`) over the live nodes (`members.rs`); the owner appends
//! the partition's events to its log (`log.rs`), a Redis Stream every node follows. Every
//! key name is in `keys.rs`.
//!
//! Embedded sled stays the default; `serve` does not start any of this yet (docs/cluster.md,
//! Status).

pub mod follower;
pub mod keys;
pub mod lease;
pub mod log;
pub mod members;
pub mod ownership;
