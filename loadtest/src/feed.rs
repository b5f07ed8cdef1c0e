//! `loadtest feed-receiver`: a small receiver for the engine's status feed to the 12313
//! platform (`docs/feed.md`), for trying the feed against a running engine (point
//! `APP__FEED__URL` at it). It checks every request's HMAC-SHA256 signature against
//! `--secret`, answers 200 (or 503 for every `--refuse-every`-th request, to exercise the
//! engine's retries and parking), and prints the counts every few seconds and at the end:
//! messages, distinct ids (duplicates are allowed), bad signatures, messages of a ticket
//! that arrived before an earlier one (must be 0), per status.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Options of `feed-receiver`.
#[derive(Debug, Clone, Args)]
pub struct FeedArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9099")]
    pub listen: String,
    /// The engine's `feed.secret`.
    #[arg(long, env = "LOADTEST_FEED_SECRET", hide_env_values = true)]
    pub secret: String,
    /// Answer 503 to every n-th request (0: never).
    #[arg(long, default_value_t = 0)]
    pub refuse_every: usize,
    /// Stop after this many seconds (0: at Ctrl-C).
    #[arg(long, default_value_t = 0)]
    pub seconds: u64,
}

#[derive(Default)]
struct Tally {
    requests: usize,
    refused: usize,
    bad_signatures: usize,
    ids: HashSet<String>,
    out_of_order: usize,
    last_event: HashMap<String, u64>,
    statuses: BTreeMap<String, usize>,
}

impl Tally {
    fn line(&self) -> String {
        format!(
            "feed-receiver: {} requests, {} refused, {} distinct messages, {} bad signatures, {} out of order; {:?}",
            self.requests,
            self.refused,
            self.ids.len(),
            self.bad_signatures,
            self.out_of_order,
            self.statuses
        )
    }
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner = Sha256::new()
        .chain_update(block.map(|b| b ^ 0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(block.map(|b| b ^ 0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

pub async fn main(args: FeedArgs) -> Result<()> {
    let listener = TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    eprintln!(
        "feed-receiver: listening on http://{}/",
        listener.local_addr()?
    );
    let tally = Arc::new(Mutex::new(Tally::default()));
    let printer = tally.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            if let Ok(t) = printer.lock() {
                eprintln!("{}", t.line());
            }
        }
    });
    let serve = async {
        loop {
            let (socket, _) = listener.accept().await?;
            let (tally, args) = (tally.clone(), args.clone());
            tokio::spawn(async move {
                let _ = connection(socket, &tally, &args).await;
            });
        }
        #[allow(unreachable_code, reason = "the accept loop only ends by error")]
        Ok::<(), std::io::Error>(())
    };
    let limit = async {
        if args.seconds > 0 {
            tokio::time::sleep(Duration::from_secs(args.seconds)).await;
        } else {
            let _ = tokio::signal::ctrl_c().await;
        }
    };
    tokio::select! {
        r = serve => r?,
        () = limit => {}
    }
    let t = tally
        .lock()
        .map_err(|_| anyhow::anyhow!("tally poisoned"))?;
    println!("{}", t.line());
    Ok(())
}

/// One keep-alive connection: requests read one after another.
async fn connection(socket: TcpStream, tally: &Mutex<Tally>, args: &FeedArgs) -> Result<()> {
    let mut reader = BufReader::new(socket);
    loop {
        let mut length = 0usize;
        let mut signature = String::new();
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        loop {
            line.clear();
            reader.read_line(&mut line).await?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((name, value)) = l.split_once(':') {
                match name.trim().to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    "x-hotline-signature" => signature = value.trim().to_owned(),
                    _ => {}
                }
            }
        }
        let mut body = vec![0u8; length.min(1 << 20)];
        reader.read_exact(&mut body).await?;
        let refuse = {
            let mut t = tally
                .lock()
                .map_err(|_| anyhow::anyhow!("tally poisoned"))?;
            t.requests += 1;
            let refuse = args.refuse_every > 0 && t.requests.is_multiple_of(args.refuse_every);
            let expected = format!(
                "sha256={}",
                hex::encode(hmac_sha256(args.secret.as_bytes(), &body))
            );
            if expected != signature {
                t.bad_signatures += 1;
            }
            if refuse {
                t.refused += 1;
            } else if let Ok(m) = serde_json::from_slice::<serde_json::Value>(&body) {
                let id = m["id"].as_str().unwrap_or_default().to_owned();
                if t.ids.insert(id) {
                    let ticket = m["number"].as_str().unwrap_or_default().to_owned();
                    let event = m["event_id"].as_u64().unwrap_or(0);
                    let last = t.last_event.get(&ticket).copied().unwrap_or(0);
                    if event < last {
                        t.out_of_order += 1;
                    }
                    t.last_event.insert(ticket, last.max(event));
                    let status = m["status"].as_str().unwrap_or("?").to_owned();
                    *t.statuses.entry(status).or_default() += 1;
                }
            }
            refuse
        };
        let answer: &[u8] = if refuse {
            b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n"
        } else {
            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"
        };
        reader.get_mut().write_all(answer).await?;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hmac_matches_rfc4231() {
        let mac = super::hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
