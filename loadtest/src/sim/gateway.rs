//! A GPS gateway feeding vehicles that have no app on a socket (delivery vans, say):
//! every period each vehicle makes one fix, and the fixes go in `POST /positions` batches
//! of up to 1,000, the batches spread evenly over the period and over a few connections.
//! The engine's answer lists refused fixes, which are counted.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde::de::IgnoredAny;
use tokio::sync::watch;
use tokio::time::Instant;

use super::Stage;
use super::track::Counters;
use crate::fleet::path::{Mover, write_fix_fields};
use crate::timefmt::now_us;

/// Connections the gateway posts over.
pub const CONNECTIONS: usize = 8;

#[derive(Deserialize)]
struct Answer {
    #[allow(dead_code, reason = "read to check the answer's shape")]
    accepted: u64,
    rejected: Vec<IgnoredAny>,
}

/// One gateway connection's share of the fleet.
pub struct Share {
    pub vehicles: Vec<(String, Mover)>,
}

/// Posts the share's fixes every `period` while the stage is not `Finish`; `slot` and
/// `slots` place this connection's batches in the period.
#[allow(
    clippy::too_many_arguments,
    reason = "one call site; a struct would only rename them"
)]
pub async fn run(
    mut share: Share,
    batch: usize,
    period: Duration,
    http: reqwest::Client,
    url: String,
    token: String,
    counters: Arc<Counters>,
    mut stage: watch::Receiver<Stage>,
) {
    let chunks = share.vehicles.len().div_ceil(batch.max(1)).max(1);
    let gap = period / u32::try_from(chunks).unwrap_or(u32::MAX);
    let mut cycle_start = Instant::now();
    loop {
        for (k, chunk) in share.vehicles.chunks_mut(batch.max(1)).enumerate() {
            let slot = cycle_start + gap * u32::try_from(k).unwrap_or(0);
            tokio::select! {
                _ = tokio::time::sleep_until(slot) => {}
                _ = stage.changed() => {}
            }
            if *stage.borrow() == Stage::Finish {
                return;
            }
            let now = now_us();
            let mut body = String::with_capacity(chunk.len() * 140);
            body.push('[');
            for (i, (id, mover)) in chunk.iter_mut().enumerate() {
                if i > 0 {
                    body.push(',');
                }
                let _ = write!(body, r#"{{"vehicle_id":"{id}","#);
                write_fix_fields(&mut body, &mover.advance(now));
                body.push('}');
            }
            body.push(']');
            counters.add(&counters.gateway_fixes_sent, chunk.len() as u64);
            let sent = http
                .post(&url)
                .bearer_auth(&token)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body)
                .send()
                .await;
            match sent {
                Ok(r) if r.status().is_success() => match r.json::<Answer>().await {
                    Ok(a) => counters.add(&counters.gateway_fixes_refused, a.rejected.len() as u64),
                    Err(_) => counters.error("gateway:bad_answer"),
                },
                Ok(r) => counters.error(&format!("gateway:{}", r.status().as_u16())),
                Err(_) => counters.error("gateway:transport"),
            }
        }
        cycle_start += period;
        if cycle_start < Instant::now() {
            // Behind: start the next cycle now rather than sending a burst.
            counters.error("gateway_behind");
            cycle_start = Instant::now();
        }
    }
}
