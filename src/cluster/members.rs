//! Which nodes are alive, and which node each partition belongs to. Every node heartbeats
//! into one sorted set scored by Redis' own clock; a node is alive while its last beat is
//! newer than the node timeout. A partition belongs to the live node that scores highest
//! for it by rendezvous hashing, so a node joining or leaving moves only the partitions
//! that must move, and every node agrees without talking to the others.

use std::sync::LazyLock;
use std::time::Duration;

use redis::Script;
use redis::aio::ConnectionLike;
use sha2::{Digest, Sha256};

use super::keys;

/// Beats for `ARGV[1]` at Redis' time, forgets nodes silent for ten timeouts, and answers
/// the nodes alive within the timeout (`ARGV[2]` ms).
static BEAT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local timeout = tonumber(ARGV[2])
if ARGV[1] ~= '' then
  redis.call('ZADD', KEYS[1], now, ARGV[1])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 10 * timeout)
return redis.call('ZRANGEBYSCORE', KEYS[1], now - timeout, '+inf')
",
    )
});

/// Records `node`'s heartbeat and answers the live nodes, sorted.
pub async fn beat<C: ConnectionLike>(
    conn: &mut C,
    node: &str,
    timeout: Duration,
) -> redis::RedisResult<Vec<String>> {
    let mut live: Vec<String> = BEAT
        .key(keys::nodes())
        .arg(node)
        .arg(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX))
        .invoke_async(conn)
        .await?;
    live.sort();
    Ok(live)
}

/// Leaves the cluster at once (a clean stop), so the others need not wait for the timeout.
pub async fn leave<C: ConnectionLike>(conn: &mut C, node: &str) -> redis::RedisResult<()> {
    redis::cmd("ZREM")
        .arg(keys::nodes())
        .arg(node)
        .query_async(conn)
        .await
}

/// The node a partition belongs to among `live`: the highest rendezvous score.
pub fn owner<'a>(partition: &str, live: &'a [String]) -> Option<&'a str> {
    live.iter()
        .max_by_key(|node| score(node, partition))
        .map(String::as_str)
}

fn score(node: &str, partition: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(node.as_bytes());
    h.update([0]);
    h.update(partition.as_bytes());
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn partitions_spread_and_only_a_leaving_nodes_ones_move() {
        let parts: Vec<String> = (0..60).map(|i| format!("4211{i:02}")).collect();
        let three = nodes(&["a", "b", "c"]);
        let before: Vec<&str> = parts.iter().flat_map(|p| owner(p, &three)).collect();
        for n in ["a", "b", "c"] {
            let held = before.iter().filter(|o| **o == n).count();
            assert!((10..=30).contains(&held), "{n} holds {held} of 60");
        }
        let two = nodes(&["a", "c"]);
        for (p, was) in parts.iter().zip(&before) {
            let now = owner(p, &two).unwrap_or_default();
            if *was != "b" {
                assert_eq!(now, *was, "{p} moved though its owner stayed");
            }
        }
        assert_eq!(owner("x", &[]), None);
    }
}
