//! Cluster mode against a real `redis-server`: fenced leases, the partition log's append
//! script, the ownership loop spreading partitions and taking them over, and engine
//! processes running as a cluster.

mod follow;
mod log;
mod nodes;
mod ownership;
