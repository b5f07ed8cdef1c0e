//! Cluster mode's Redis side (`docs/cluster.md`): the work is split into partitions by
//! place; each partition has one owner node under a fenced lease (`lease.rs`), kept by one
//! loop per node (`ownership.rs`) over the live nodes (`members.rs`); the owner appends
//! the partition's events to its log (`log.rs`), a Redis Stream every node follows. Every
//! key name is in `keys.rs`.
//!
//! Embedded sled stays the default; `serve` starts a [`node::Node`] only when
//! `cluster.redis_url` is set. The store's writer logs through `replicate.rs`; writes for a
//! partition another node owns are forwarded to it (`forward.rs`).

pub mod follower;
pub mod forward;
pub mod keys;
pub mod lease;
pub mod log;
pub mod members;
pub mod node;
pub mod ownership;
pub mod partition;
pub mod registry;
pub mod replicate;

tokio::task_local! {
    /// The id of the forwarded command being performed on this task (`forward.rs`): the
    /// ticket directory puts it on the write, and the partition's log applies it once.
    pub static COMMAND_ID: String;
}

/// The forwarded command id of the current task, if any.
pub fn command_id() -> Option<String> {
    COMMAND_ID.try_with(Clone::clone).ok()
}
