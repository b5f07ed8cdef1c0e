//! A bare RESP subscriber for the Redis peer's fan-out: one plain socket per subscriber
//! that sends SUBSCRIBE and reads `message` pushes, timing each from the publish time it
//! carries (`<Unix µs>|<body>`) to its receipt.

use anyhow::Result;
use hdrhistogram::Histogram;
use tokio::time::Instant;

use crate::stats::new_histogram;
use crate::timefmt::now_us;

/// A bare RESP subscriber: SUBSCRIBE, then read `message` pushes until `end` arrives or
/// the deadline passes; returns the publish → receipt latencies and the count. (Written
/// over a plain socket: each subscriber is one connection doing only this.)
pub async fn subscriber(
    addr: String,
    channel: &'static str,
    ready: tokio::sync::mpsc::Sender<()>,
    end: Instant,
) -> Result<(Histogram<u64>, u64)> {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    let stream = tokio::net::TcpStream::connect(&addr).await?;
    stream.set_nodelay(true).ok();
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    w.write_all(format!("SUBSCRIBE {channel}\r\n").as_bytes())
        .await?;
    let mut h = new_histogram();
    let mut got = 0u64;
    let mut line = String::new();
    let mut told = Some(ready);
    loop {
        // A push is `*3`, then three bulk strings: kind, channel, payload.
        line.clear();
        let read = tokio::time::timeout_at(end, r.read_line(&mut line)).await;
        if !matches!(read, Ok(Ok(n)) if n > 0) {
            break;
        }
        if !line.starts_with('*') {
            continue;
        }
        let mut parts = Vec::with_capacity(3);
        for _ in 0..3 {
            line.clear();
            r.read_line(&mut line).await?;
            let len: usize = line
                .trim_start_matches(['$', ':'])
                .trim()
                .parse()
                .unwrap_or(0);
            if line.starts_with(':') {
                parts.push(Vec::new());
                continue;
            }
            let mut buf = vec![0; len + 2];
            r.read_exact(&mut buf).await?;
            buf.truncate(len);
            parts.push(buf);
        }
        match parts[0].as_slice() {
            b"subscribe" => {
                if let Some(t) = told.take() {
                    let _ = t.send(()).await;
                }
            }
            b"message" => {
                let payload = String::from_utf8_lossy(&parts[2]);
                if payload == "end" {
                    break;
                }
                let sent: i64 = payload
                    .split('|')
                    .next()
                    .and_then(|x| x.parse().ok())
                    .unwrap_or(0);
                h.saturating_record(u64::try_from(now_us() - sent).unwrap_or(0).max(1));
                got += 1;
            }
            _ => {}
        }
    }
    Ok((h, got))
}
