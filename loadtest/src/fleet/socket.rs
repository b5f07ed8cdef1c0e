//! One simulated vehicle app: a `/ws/vehicle` socket opened from a chosen local loopback
//! address (a `TcpSocket` bound to it, then tokio-tungstenite's `client_async`), which
//! reads the `hello` frame (an app that answers offers says its own, confirming offers),
//! sets its status to `available` and waits for the `ack`, then
//! follows the run's commands: between phases it sends a WebSocket ping every few seconds
//! (the engine closes silent sockets); in a phase it sends `position` frames at the
//! phase's rate until the phase ends. Rate 0 means as fast as the engine takes them: a
//! closed loop where an application `ping` follows every few frames and at most
//! `inflight` pings may be unanswered (the engine answers in order, after the fixes before
//! it were handled), so what is measured is what the engine processes, not what the
//! kernel buffers; `inflight` 0 sends open loop. A reader task counts what the engine
//! sends back: `error` frames by code, the fixes they refuse, and the `pong`s.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use futures_util::{SinkExt, StreamExt};
use rand::Rng;
use tokio::net::TcpSocket;
use tokio::sync::{Notify, watch};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{WebSocketStream, client_async_with_config};

use super::path::{Mover, now_us};

/// Keep-alive between phases; the engine's default socket timeout is 30 s.
const KEEPALIVE: Duration = Duration::from_secs(5);
/// Longest wait for `hello` and for the status `ack`.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(20);

type Ws = WebSocketStream<tokio::net::TcpStream>;

/// One measured phase as every socket sees it.
#[derive(Debug)]
pub struct Phase {
    pub index: usize,
    /// Frames per second per socket; 0 = as fast as possible.
    pub rate: f64,
    /// Fixes per frame.
    pub batch: usize,
    /// At rate 0: unanswered application pings allowed per socket (0 = open loop).
    pub inflight: usize,
    pub start: Instant,
    pub measure_from: Instant,
    pub end: Instant,
    pub counters: PhaseCounters,
}

/// What the sockets did in a phase (atomics: thousands of tasks add to them).
#[derive(Debug, Default)]
pub struct PhaseCounters {
    pub warmup_fixes: AtomicU64,
    pub fixes: AtomicU64,
    pub frames: AtomicU64,
    /// Fixes the engine refused (listed in `error` frames).
    pub refused_fixes: AtomicU64,
    /// `error` frames by code, and socket failures (`socket_closed`, `send_failed`).
    pub errors: Mutex<BTreeMap<String, u64>>,
}

impl PhaseCounters {
    pub fn error(&self, key: &str, n: u64) {
        if let Ok(mut m) = self.errors.lock() {
            *m.entry(key.to_owned()).or_default() += n;
        }
    }
}

/// What the run tells every socket to do.
#[derive(Debug, Clone)]
pub enum Command {
    /// Stay connected (keep-alive pings).
    Idle,
    Run(Arc<Phase>),
    /// Close and return.
    Finish,
}

/// Where and how a socket connects.
#[derive(Debug, Clone)]
pub struct Target {
    /// The engine's address.
    pub server: SocketAddr,
    /// `ws://host:port` (no path).
    pub ws_base: String,
}

/// Percent-encodes a token for a query string (tokens are usually URL-safe already).
pub fn encode_query(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Opens the socket from `local`, reads `hello`, sets `available` and reads the `ack`. An
/// app that answers offers (`confirms_offers`) says first, in its own `hello`, that it
/// confirms each one (`offer.received`), as the field app does.
pub async fn open(
    target: &Target,
    local: IpAddr,
    token: &str,
    confirms_offers: bool,
) -> Result<Ws> {
    let sock = if local.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .context("creating a socket")?;
    sock.bind(SocketAddr::new(local, 0))
        .with_context(|| format!("binding to {local}"))?;
    let stream = sock
        .connect(target.server)
        .await
        .with_context(|| format!("connecting {local} → {}", target.server))?;
    stream.set_nodelay(true).ok();
    let url = format!(
        "{}/ws/vehicle?token={}",
        target.ws_base,
        encode_query(token)
    );
    // Small read buffer: thousands of sockets each allocate one eagerly (default 128 KiB).
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (mut ws, _) = client_async_with_config(url, stream, Some(config))
        .await
        .context("WebSocket handshake on /ws/vehicle")?;
    expect_frame(&mut ws, "hello").await?;
    if confirms_offers {
        ws.send(Message::text(
            r#"{"type":"hello","capabilities":["offer.received"]}"#,
        ))
        .await
        .context("sending the app's hello")?;
        expect_frame(&mut ws, "ack").await?;
    }
    ws.send(Message::text(r#"{"type":"status","status":"available"}"#))
        .await
        .context("sending the status")?;
    expect_frame(&mut ws, "ack").await?;
    Ok(ws)
}

/// Reads frames until one of `kind`; an `error` frame or a close fails.
async fn expect_frame(ws: &mut Ws, kind: &str) -> Result<()> {
    let wanted = format!(r#""type":"{kind}""#);
    let read = async {
        while let Some(msg) = ws.next().await {
            match msg.context("reading the socket")? {
                Message::Text(t) if t.contains(&wanted) => return Ok(()),
                Message::Text(t) if t.contains(r#""type":"error""#) => {
                    bail!("the engine answered: {}", t.as_str())
                }
                Message::Close(c) => bail!("the engine closed the socket: {c:?}"),
                _ => {}
            }
        }
        bail!("the socket ended before `{kind}`")
    };
    tokio::time::timeout(HANDSHAKE_TIMEOUT, read)
        .await
        .with_context(|| format!("no `{kind}` frame within {HANDSHAKE_TIMEOUT:?}"))?
}

/// Answers to application pings, shared by a socket's reader and sender.
#[derive(Debug, Default)]
struct Flow {
    pongs: AtomicU64,
    notify: Notify,
}

/// Drives an open socket through the run's commands; returns the last position sent.
pub async fn drive(ws: Ws, mut mover: Mover, mut cmds: watch::Receiver<Command>) -> (f64, f64) {
    let (mut sink, mut stream) = ws.split();
    let reader_cmds = cmds.clone();
    let flow = Arc::new(Flow::default());
    let reader_flow = flow.clone();
    let reader = tokio::spawn(async move {
        while let Some(msg) = stream.next().await {
            match msg {
                Ok(Message::Text(t)) if t.contains(r#""type":"pong""#) => {
                    reader_flow.pongs.fetch_add(1, Ordering::Relaxed);
                    reader_flow.notify.notify_one();
                }
                Ok(Message::Text(t)) if t.contains(r#""type":"error""#) => {
                    count_error(&reader_cmds, t.as_str())
                }
                Ok(Message::Close(_)) | Err(_) => break,
                Ok(_) => {}
            }
        }
    });
    let mut pings = 0u64;
    let mut done: Option<usize> = None;
    loop {
        let cmd = cmds.borrow_and_update().clone();
        match cmd {
            Command::Finish => break,
            Command::Run(p) if done != Some(p.index) => {
                done = Some(p.index);
                let mut link = Link {
                    sink: &mut sink,
                    flow: &flow,
                    pings: &mut pings,
                };
                if let Err(key) = run_phase(&mut link, &mut mover, &p, &mut cmds).await {
                    p.counters.error(key, 1);
                    break;
                }
                continue;
            }
            _ => {}
        }
        tokio::select! {
            changed = cmds.changed() => if changed.is_err() { break },
            _ = tokio::time::sleep(KEEPALIVE) => {
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), sink.close()).await;
    reader.abort();
    mover.position()
}

/// Attributes an `error` frame to the phase running now (or to none between phases).
fn count_error(cmds: &watch::Receiver<Command>, text: &str) {
    let Command::Run(p) = &*cmds.borrow() else {
        return;
    };
    let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    let code = v["code"].as_str().unwrap_or("error");
    p.counters.error(code, 1);
    if let Some(r) = v["rejected"].as_array() {
        p.counters
            .refused_fixes
            .fetch_add(r.len() as u64, Ordering::Relaxed);
    }
}

/// The sending half of a socket with its ping accounting.
struct Link<'a, S> {
    sink: &'a mut S,
    flow: &'a Flow,
    /// Application pings sent over the socket's life.
    pings: &'a mut u64,
}

/// Frames between two application pings at rate 0: fewer for big frames.
fn ping_every(batch: usize) -> u64 {
    if batch >= 10 { 1 } else { 4 }
}

/// Sends frames for one phase; `Err` names the failure that ended the socket.
async fn run_phase<S>(
    link: &mut Link<'_, S>,
    mover: &mut Mover,
    p: &Phase,
    cmds: &mut watch::Receiver<Command>,
) -> Result<(), &'static str>
where
    S: futures_util::Sink<Message> + Unpin,
{
    let mut ticker = if p.rate > 0.0 {
        let period = Duration::from_secs_f64(1.0 / p.rate);
        // A random offset spreads the sockets' frames over the period.
        let offset = period.mul_f64(rand::rng().random_range(0.0..1.0));
        let mut t = tokio::time::interval_at(p.start + offset, period);
        t.set_missed_tick_behavior(MissedTickBehavior::Skip);
        Some(t)
    } else {
        tokio::time::sleep_until(p.start).await;
        None
    };
    let closed_loop = ticker.is_none() && p.inflight > 0;
    let mut frames = 0u64;
    loop {
        if let Some(t) = ticker.as_mut() {
            tokio::select! {
                _ = t.tick() => {}
                _ = tokio::time::sleep_until(p.end) => return Ok(()),
                _ = cmds.changed() => return Ok(()),
            }
        }
        // Closed loop: wait while too many pings are unanswered.
        while closed_loop
            && link
                .pings
                .saturating_sub(link.flow.pongs.load(Ordering::Relaxed))
                >= p.inflight as u64
        {
            tokio::select! {
                _ = link.flow.notify.notified() => {}
                _ = tokio::time::sleep_until(p.end) => return Ok(()),
            }
        }
        let started = Instant::now();
        if started >= p.end || cmds.has_changed().unwrap_or(true) {
            return Ok(());
        }
        let frame = mover.frame(now_us(), p.batch);
        tokio::select! {
            sent = link.sink.send(Message::text(frame)) => {
                if sent.is_err() {
                    return Err("send_failed");
                }
            }
            // A frame still queued at the end is not counted as sent.
            _ = tokio::time::sleep_until(p.end) => return Ok(()),
        }
        frames += 1;
        let c = &p.counters;
        if started < p.measure_from {
            c.warmup_fixes.fetch_add(p.batch as u64, Ordering::Relaxed);
        } else {
            c.fixes.fetch_add(p.batch as u64, Ordering::Relaxed);
            c.frames.fetch_add(1, Ordering::Relaxed);
        }
        if closed_loop && frames.is_multiple_of(ping_every(p.batch)) {
            if link
                .sink
                .send(Message::text(r#"{"type":"ping"}"#))
                .await
                .is_err()
            {
                return Err("send_failed");
            }
            *link.pings += 1;
        } else if ticker.is_none() {
            // Open loop, back to back: let the other sockets of this thread have a turn.
            tokio::task::yield_now().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_query_safe() {
        assert_eq!(encode_query("abc-_.~XYZ09"), "abc-_.~XYZ09");
        assert_eq!(encode_query("a+b/c=="), "a%2Bb%2Fc%3D%3D");
    }
}
