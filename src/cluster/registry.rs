//! The registry log: staff, teams, vehicles, retailers and tokens are the same on every
//! node. A node writing a record of a shared kind appends the change to one Redis Stream
//! before applying it (durable in Redis first, as a ticket write is), and every node
//! follows the stream and stores the changes in its order — its own too, so every copy ends
//! as the stream's order says, and a change whose batch was refused after the append went
//! in is not missed. What a node holds in memory (tokens, actors) follows only the other
//! nodes' changes: its own took effect when it wrote them.
//!
//! There is no owner: two nodes changing the same record at once may keep different
//! versions until the next change (the registry is edited by administrators, rarely and
//! not concurrently), and a `create` is checked against the writing node's copy only.

use std::collections::BTreeMap;

use redis::Value;
use redis::aio::ConnectionLike;
use serde::{Deserialize, Serialize};

use super::keys;

/// One record change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "op")]
pub enum Change {
    Put {
        kind: String,
        id: String,
        value: Vec<u8>,
    },
    Delete {
        kind: String,
        id: String,
    },
}

impl Change {
    pub fn kind(&self) -> &str {
        match self {
            Change::Put { kind, .. } | Change::Delete { kind, .. } => kind,
        }
    }
}

/// Appends one entry holding `data` (the changes, as JSON), written by `node`.
pub fn append_blocking(
    conn: &mut redis::Connection,
    node: &str,
    data: &[u8],
) -> redis::RedisResult<()> {
    redis::cmd("XADD")
        .arg(keys::registry())
        .arg("*")
        .arg("node")
        .arg(node)
        .arg("data")
        .arg(data)
        .query::<String>(conn)
        .map(|_| ())
}

/// What one read of the registry log brought: the last entry's id, every change in
/// order, and the changes of the entries other nodes wrote.
#[derive(Debug, Default)]
pub struct Read {
    pub last: Option<String>,
    pub changes: Vec<Change>,
    pub others: Vec<Change>,
}

/// Waits up to `block_ms` for entries after `after` (`0-0` for all).
pub async fn read<C: ConnectionLike>(
    conn: &mut C,
    after: &str,
    node: &str,
    block_ms: u64,
) -> redis::RedisResult<Read> {
    let reply: Value = redis::cmd("XREAD")
        .arg("COUNT")
        .arg(256)
        .arg("BLOCK")
        .arg(block_ms)
        .arg("STREAMS")
        .arg(keys::registry())
        .arg(after)
        .query_async(conn)
        .await?;
    let streams: Vec<(String, Vec<Value>)> = match reply {
        Value::Nil => Vec::new(),
        Value::Map(m) => m
            .into_iter()
            .map(|(k, v)| Ok((redis::from_redis_value(k)?, redis::from_redis_value(v)?)))
            .collect::<redis::RedisResult<_>>()?,
        other => redis::from_redis_value(other)?,
    };
    let mut read = Read::default();
    for (_, items) in streams {
        for item in items {
            let (id, fields): (String, BTreeMap<String, Vec<u8>>) = redis::from_redis_value(item)?;
            let own = fields.get("node").is_some_and(|n| n == node.as_bytes());
            if let Some(data) = fields.get("data") {
                let changes: Vec<Change> = serde_json::from_slice(data).map_err(|e| {
                    redis::RedisError::from((
                        redis::ErrorKind::UnexpectedReturnType,
                        "a registry entry",
                        e.to_string(),
                    ))
                })?;
                if !own {
                    read.others.extend(changes.iter().cloned());
                }
                read.changes.extend(changes);
            }
            read.last = Some(id);
        }
    }
    Ok(read)
}
