//! Every node follows every partition's log: one loop, on a connection of its own, blocks
//! on `XREAD` over all the logs from where its copy stands, and hands back what came in
//! order. The caller stores the entries and the new positions in one batch, and passes the
//! stored positions back after a restart, so nothing is read twice into the store and
//! nothing is skipped. A log that no longer holds the next entry a copy needs (trimmed, or
//! started again) is reported as a gap: that copy must be rebuilt, never patched.

use std::collections::BTreeMap;
use std::time::Duration;

use redis::Value;
use redis::aio::ConnectionLike;

use super::keys;
use super::log::{self, Entry};

/// What one read brought for one partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Followed {
    /// The next entries, in seq order, dense from the position on.
    Entries {
        partition: String,
        entries: Vec<Entry>,
    },
    /// The log's next entry is not the one after the position: `after` is where the
    /// copy stands, `found` the first seq the log holds now.
    Gap {
        partition: String,
        after: u64,
        found: u64,
    },
}

pub struct Follower<C> {
    conn: C,
    /// Partition → the last seq this node's copy holds.
    positions: BTreeMap<String, u64>,
    /// How long one read waits for something new.
    block: Duration,
    /// Most entries per partition per read.
    count: usize,
}

impl<C: ConnectionLike> Follower<C> {
    /// Follows `positions` (partition → last seq held, 0 for none). The connection must
    /// not be shared (a blocked read holds it) and its response timeout must be longer
    /// than `block`.
    pub fn new(conn: C, positions: BTreeMap<String, u64>, block: Duration) -> Self {
        Follower {
            conn,
            positions,
            block,
            count: 512,
        }
    }

    pub fn positions(&self) -> &BTreeMap<String, u64> {
        &self.positions
    }

    /// Waits up to the block time for entries past the positions, and moves the
    /// positions past what it answers. An empty answer: nothing new.
    pub async fn next(&mut self) -> redis::RedisResult<Vec<Followed>> {
        if self.positions.is_empty() {
            tokio::time::sleep(self.block).await;
            return Ok(Vec::new());
        }
        let mut cmd = redis::cmd("XREAD");
        cmd.arg("COUNT")
            .arg(self.count)
            .arg("BLOCK")
            .arg(u64::try_from(self.block.as_millis()).unwrap_or(u64::MAX))
            .arg("STREAMS");
        for p in self.positions.keys() {
            cmd.arg(keys::log(p));
        }
        for seq in self.positions.values() {
            cmd.arg(format!("{seq}-0"));
        }
        let reply: Value = cmd.query_async(&mut self.conn).await?;
        let by_key: BTreeMap<String, String> = self
            .positions
            .keys()
            .map(|p| (keys::log(p), p.clone()))
            .collect();
        let mut out = Vec::new();
        for (key, items) in streams(reply)? {
            let Some(partition) = by_key.get(&key).cloned() else {
                continue;
            };
            let entries = items
                .into_iter()
                .map(log::entry)
                .collect::<redis::RedisResult<Vec<Entry>>>()?;
            let Some(first) = entries.first().map(|e| e.seq) else {
                continue;
            };
            let at = self.positions.get(&partition).copied().unwrap_or(0);
            if first != at + 1 || entries.windows(2).any(|w| w[1].seq != w[0].seq + 1) {
                out.push(Followed::Gap {
                    partition,
                    after: at,
                    found: first,
                });
                continue;
            }
            if let Some(last) = entries.last() {
                self.positions.insert(partition.clone(), last.seq);
            }
            out.push(Followed::Entries { partition, entries });
        }
        Ok(out)
    }
}

/// XREAD's answer as (stream key, items); nil (nothing new) as none.
fn streams(reply: Value) -> redis::RedisResult<Vec<(String, Vec<Value>)>> {
    match reply {
        Value::Nil => Ok(Vec::new()),
        Value::Array(streams) => streams
            .into_iter()
            .map(|s| redis::from_redis_value(s).map_err(Into::into))
            .collect(),
        Value::Map(streams) => streams
            .into_iter()
            .map(|(k, v)| Ok((redis::from_redis_value(k)?, redis::from_redis_value(v)?)))
            .collect(),
        _ => Err(redis::RedisError::from((
            redis::ErrorKind::UnexpectedReturnType,
            "XREAD's answer",
        ))),
    }
}
