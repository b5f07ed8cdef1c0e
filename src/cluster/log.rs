//! A partition's log: a Redis Stream written only by the partition's owner, through one
//! script that checks the owner's fencing token and that the batch starts right after the
//! log's head, then appends every entry (entry id `<seq>-0`), records each command id, moves
//! the head and publishes a notice — all or nothing. Redis runs the script atomically and,
//! with `appendfsync always`, answers only once it is on Redis' disk.
//!
//! Readers (every node) follow the log by seq; a notice is only a hint to read now.

use std::sync::LazyLock;

use redis::aio::ConnectionLike;
use redis::{Script, Value};

use super::keys;

static APPEND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local held = redis.call('GET', KEYS[1])
if held ~= ARGV[1] then
  return {'FENCED', held or ''}
end
local head = tonumber(redis.call('HGET', KEYS[2], 'seq') or '0')
local first = tonumber(ARGV[2])
if first ~= head + 1 then
  return {'SEQ', tostring(head)}
end
local n = (#ARGV - 4) / 2
for i = 0, n - 1 do
  local cmd = ARGV[5 + 2 * i]
  if cmd ~= '' then
    local applied = redis.call('HGET', KEYS[4], cmd)
    if applied then
      return {'DUPLICATE', cmd, applied}
    end
  end
end
if head == 0 then
  local now = redis.call('TIME')
  redis.call('HSETNX', KEYS[2], 'log_epoch', now[1] .. string.format('%06d', now[2]))
end
local seq = head
for i = 0, n - 1 do
  seq = first + i
  local cmd = ARGV[5 + 2 * i]
  redis.call('XADD', KEYS[3], seq .. '-0', 'cmd', cmd, 'token', ARGV[4], 'data', ARGV[6 + 2 * i])
  if cmd ~= '' then
    redis.call('HSET', KEYS[4], cmd, seq)
  end
end
redis.call('HSET', KEYS[2], 'seq', seq)
redis.call('PUBLISH', ARGV[3], KEYS[3] .. ' ' .. seq)
return {'OK', tostring(seq)}
",
    )
});

/// One entry to append: the command that made it (empty for none) and its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEntry {
    pub command: String,
    pub data: Vec<u8>,
}

/// One entry of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub seq: u64,
    pub command: String,
    /// The fencing token of the owner that appended it.
    pub token: u64,
    pub data: Vec<u8>,
}

/// What an append did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Appended {
    /// Every entry is in the log; the last one's seq.
    Done { last: u64 },
    /// The token is not the lease's current one: another node owns the partition (its
    /// `node:token`, empty when nobody holds the lease). Nothing was written.
    Fenced { holder: String },
    /// The batch does not start right after the head (`head`): this node's view of the
    /// log is behind. Nothing was written.
    NotNext { head: u64 },
    /// A command of the batch is in the log already, at `seq`. Nothing was written.
    Duplicate { command: String, seq: u64 },
}

/// The log's head: the last seq (0 when empty) and the log's epoch (`None` before the
/// first append).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    pub seq: u64,
    pub epoch: Option<String>,
}

/// Appends `entries` as seqs `first..`, as the holder of `node:token`.
pub async fn append<C: ConnectionLike>(
    conn: &mut C,
    partition: &str,
    node: &str,
    token: u64,
    first: u64,
    entries: &[NewEntry],
) -> redis::RedisResult<Appended> {
    let call = append_call(partition, node, token, first, entries);
    appended(call.invoke_async(conn).await?)
}

/// [`append`] on a blocking connection (the store's writer thread).
pub fn append_blocking(
    conn: &mut redis::Connection,
    partition: &str,
    node: &str,
    token: u64,
    first: u64,
    entries: &[NewEntry],
) -> redis::RedisResult<Appended> {
    let call = append_call(partition, node, token, first, entries);
    appended(call.invoke(conn)?)
}

fn append_call(
    partition: &str,
    node: &str,
    token: u64,
    first: u64,
    entries: &[NewEntry],
) -> redis::ScriptInvocation<'static> {
    let mut call = APPEND.prepare_invoke();
    call.key(keys::lease(partition))
        .key(keys::meta(partition))
        .key(keys::log(partition))
        .key(keys::commands(partition))
        .arg(format!("{node}:{token}"))
        .arg(first)
        .arg(keys::notices())
        .arg(token);
    for e in entries {
        call.arg(&e.command).arg(&e.data[..]);
    }
    call
}

/// The append script's answer.
fn appended(answer: Vec<String>) -> redis::RedisResult<Appended> {
    let number = |i: usize| -> redis::RedisResult<u64> {
        answer
            .get(i)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| unexpected("a number in the append's answer"))
    };
    match answer.first().map(String::as_str) {
        Some("OK") => Ok(Appended::Done { last: number(1)? }),
        Some("FENCED") => Ok(Appended::Fenced {
            holder: answer.get(1).cloned().unwrap_or_default(),
        }),
        Some("SEQ") => Ok(Appended::NotNext { head: number(1)? }),
        Some("DUPLICATE") => Ok(Appended::Duplicate {
            command: answer.get(1).cloned().unwrap_or_default(),
            seq: number(2)?,
        }),
        _ => Err(unexpected("the append's answer")),
    }
}

/// The log's head.
pub async fn head<C: ConnectionLike>(conn: &mut C, partition: &str) -> redis::RedisResult<Head> {
    let (seq, epoch): (Option<u64>, Option<String>) = redis::cmd("HMGET")
        .arg(keys::meta(partition))
        .arg("seq")
        .arg("log_epoch")
        .query_async(conn)
        .await?;
    Ok(Head {
        seq: seq.unwrap_or(0),
        epoch,
    })
}

/// Up to `count` entries after seq `after`, in order.
pub async fn read<C: ConnectionLike>(
    conn: &mut C,
    partition: &str,
    after: u64,
    count: usize,
) -> redis::RedisResult<Vec<Entry>> {
    entries(read_cmd(partition, after, count).query_async(conn).await?)
}

/// [`read`] on a blocking connection.
pub fn read_blocking(
    conn: &mut redis::Connection,
    partition: &str,
    after: u64,
    count: usize,
) -> redis::RedisResult<Vec<Entry>> {
    entries(read_cmd(partition, after, count).query(conn)?)
}

fn read_cmd(partition: &str, after: u64, count: usize) -> redis::Cmd {
    let mut cmd = redis::cmd("XRANGE");
    cmd.arg(keys::log(partition))
        .arg(format!("{}-0", after + 1))
        .arg("+")
        .arg("COUNT")
        .arg(count);
    cmd
}

fn entries(reply: Value) -> redis::RedisResult<Vec<Entry>> {
    let Value::Array(items) = reply else {
        return Err(unexpected("XRANGE's answer"));
    };
    items.into_iter().map(entry).collect()
}

/// The seq of the entry that applied `command`, if the log holds it.
pub async fn find_command<C: ConnectionLike>(
    conn: &mut C,
    partition: &str,
    command: &str,
) -> redis::RedisResult<Option<u64>> {
    find_command_cmd(partition, command).query_async(conn).await
}

/// [`find_command`] on a blocking connection.
pub fn find_command_blocking(
    conn: &mut redis::Connection,
    partition: &str,
    command: &str,
) -> redis::RedisResult<Option<u64>> {
    find_command_cmd(partition, command).query(conn)
}

fn find_command_cmd(partition: &str, command: &str) -> redis::Cmd {
    let mut cmd = redis::cmd("HGET");
    cmd.arg(keys::commands(partition)).arg(command);
    cmd
}

/// One XRANGE item: `[id, [field, value, ...]]`.
pub(super) fn entry(item: Value) -> redis::RedisResult<Entry> {
    let (id, fields): (String, Vec<(String, Vec<u8>)>) = redis::from_redis_value(item)?;
    let seq = id
        .split_once('-')
        .and_then(|(seq, _)| seq.parse().ok())
        .ok_or_else(|| unexpected("a log entry's id"))?;
    let mut e = Entry {
        seq,
        command: String::new(),
        token: 0,
        data: Vec::new(),
    };
    for (field, value) in fields {
        match field.as_str() {
            "cmd" => e.command = String::from_utf8_lossy(&value).into_owned(),
            "token" => {
                e.token = std::str::from_utf8(&value)
                    .ok()
                    .and_then(|t| t.parse().ok())
                    .ok_or_else(|| unexpected("a log entry's token"))?;
            }
            "data" => e.data = value,
            _ => {}
        }
    }
    Ok(e)
}

fn unexpected(what: &'static str) -> redis::RedisError {
    redis::RedisError::from((redis::ErrorKind::UnexpectedReturnType, what))
}
