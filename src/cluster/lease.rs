//! A partition's lease with a fencing token. Taking it `INCR`s the partition's epoch, so
//! every new owner holds a larger token than any before; the log's append script checks
//! the token, so an owner paused past its lease cannot write when it wakes (Kleppmann's
//! fencing, with the lease and the log under one hash tag).
//!
//! Times are Redis' own (`PX`), never compared across machines. The holder counts its
//! lease from when it *sent* the request that took or renewed it, less a margin, so it
//! stops writing before Redis can let the lease go.

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use redis::Script;
use redis::aio::ConnectionLike;

use super::keys;

/// Takes the lease when free (a new token), or renews it when this node holds it with
/// this token. Answers the token held, or nil when another node holds it.
static TAKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local held = redis.call('GET', KEYS[1])
if held then
  local node, token = string.match(held, '^(.*):(%d+)$')
  if node == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return tonumber(token)
  end
  return false
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. token, 'PX', ARGV[2])
return token
",
    )
});

/// Renews only the exact `node:token` held; 0 when it is gone or someone else's.
static RENEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
",
    )
});

/// Lets the lease go, only if it is still this exact holder's.
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
",
    )
});

/// A lease this node holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub partition: String,
    /// The fencing token: every append carries it.
    pub token: u64,
    /// This node writes only before this instant (sent + time to live − margin).
    pub valid_until: Instant,
}

impl Lease {
    pub fn is_valid(&self) -> bool {
        Instant::now() < self.valid_until
    }

    fn holder(&self, node: &str) -> String {
        format!("{node}:{}", self.token)
    }
}

/// How long a lease lasts, and how much of it the holder gives up to be safe.
#[derive(Clone, Copy, Debug)]
pub struct LeaseTimes {
    pub ttl: Duration,
    /// Kept back from the end: the holder stops writing this long before Redis could let
    /// the lease go (clock drift between the two, the request's own time).
    pub margin: Duration,
}

impl LeaseTimes {
    fn valid_from(&self, sent: Instant) -> Instant {
        sent + self.ttl.saturating_sub(self.margin)
    }

    fn ttl_ms(&self) -> u64 {
        u64::try_from(self.ttl.as_millis()).unwrap_or(u64::MAX)
    }
}

/// Takes the partition's lease for `node`, or renews it if `node` already holds it;
/// `None` while another node holds it.
pub async fn take<C: ConnectionLike>(
    conn: &mut C,
    partition: &str,
    node: &str,
    times: LeaseTimes,
) -> redis::RedisResult<Option<Lease>> {
    let sent = Instant::now();
    let token: Option<u64> = TAKE
        .key(keys::lease(partition))
        .key(keys::epoch(partition))
        .arg(node)
        .arg(times.ttl_ms())
        .invoke_async(conn)
        .await?;
    Ok(token.map(|token| Lease {
        partition: partition.to_owned(),
        token,
        valid_until: times.valid_from(sent),
    }))
}

/// Renews a held lease; `None` when it was lost (expired, or taken over).
pub async fn renew<C: ConnectionLike>(
    conn: &mut C,
    lease: &Lease,
    node: &str,
    times: LeaseTimes,
) -> redis::RedisResult<Option<Lease>> {
    let sent = Instant::now();
    let renewed: i64 = RENEW
        .key(keys::lease(&lease.partition))
        .arg(lease.holder(node))
        .arg(times.ttl_ms())
        .invoke_async(conn)
        .await?;
    Ok((renewed == 1).then(|| Lease {
        valid_until: times.valid_from(sent),
        ..lease.clone()
    }))
}

/// Gives a held lease up at once (a handover to the node the partition now belongs to).
pub async fn release<C: ConnectionLike>(
    conn: &mut C,
    lease: &Lease,
    node: &str,
) -> redis::RedisResult<bool> {
    let released: i64 = RELEASE
        .key(keys::lease(&lease.partition))
        .arg(lease.holder(node))
        .invoke_async(conn)
        .await?;
    Ok(released == 1)
}
