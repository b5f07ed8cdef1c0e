//! Every Redis key and channel cluster mode uses, in one place. A partition's keys share
//! the hash tag `{p:<code>}`, so one script may touch them all (and Redis Cluster would
//! keep them on one slot).

/// The prefix of every key, so one Redis can hold other data beside the engine's.
const ROOT: &str = "hotline";

fn partition(code: &str, what: &str) -> String {
    format!("{ROOT}:{{p:{code}}}:{what}")
}

/// `node:token` of the partition's owner, with the lease's time to live.
pub fn lease(code: &str) -> String {
    partition(code, "lease")
}

/// The fencing counter: `INCR`ed by every new owner, so a token only ever grows.
pub fn epoch(code: &str) -> String {
    partition(code, "epoch")
}

/// The log's head: `seq` (the last appended) and `log_epoch` (changes when the log had to
/// be started again, so a reader's position in the old one means nothing).
pub fn meta(code: &str) -> String {
    partition(code, "meta")
}

/// The partition's log: a Stream whose entry ids are `<seq>-0`.
pub fn log(code: &str) -> String {
    partition(code, "log")
}

/// Command id → the seq of the entry that applied it: an unknown outcome (a timeout) is
/// resolved by reading it, and a retried command is applied once.
pub fn commands(code: &str) -> String {
    partition(code, "commands")
}

/// The live nodes: a sorted set of node ids scored by their last heartbeat (Redis' clock,
/// in ms).
pub fn nodes() -> String {
    format!("{ROOT}:nodes")
}

/// The last ticket number given in `year` (`INCR`ed for each new ticket, on any node).
pub fn ticket_numbers(year: i32) -> String {
    format!("{ROOT}:numbers:{year}")
}

/// Node id → the URL its HTTP server is reached at (writes are forwarded there).
pub fn node_urls() -> String {
    format!("{ROOT}:node_urls")
}

/// The registry log: a Stream every node appends its registry and token changes to
/// (entry fields `node`, `data`) and every node follows.
pub fn registry() -> String {
    format!("{ROOT}:registry")
}

/// Pub/Sub channel of append notices (`<code>:<seq>`): a hint to read the log now.
pub fn notices() -> String {
    format!("{ROOT}:notices")
}
