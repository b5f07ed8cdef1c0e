//! Cluster mode's core against a real `redis-server`: fenced leases, the partition log's
//! append script, and the ownership loop spreading partitions and taking them over.

mod follow;
mod log;
mod ownership;
