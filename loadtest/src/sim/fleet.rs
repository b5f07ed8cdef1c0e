//! A share of the vehicle apps in one process: sockets opened from the given loopback
//! addresses with bounded concurrency (each app says hello and sets itself available),
//! then one task per vehicle driving it until the run finishes.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use indicatif::ProgressBar;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use super::Stage;
use super::setup::Crewed;
use super::vehicle::{self, VehicleCtx};
use crate::fleet::path::{Mover, now_us};
use crate::fleet::socket::{self, Target};

/// How the sockets came up.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct Opened {
    pub open: u64,
    /// Failures by first error line.
    pub errors: BTreeMap<String, u64>,
}

/// Opens the sockets of `vehicles` and starts driving them; returns once every socket
/// is open or has failed (or the run finishes first).
#[allow(
    clippy::too_many_arguments,
    reason = "two call sites (this process and a worker) that pass the same things"
)]
pub async fn start(
    target: &Target,
    addresses: &[IpAddr],
    vehicles: Vec<Crewed>,
    seed: u64,
    concurrency: usize,
    ctx: Arc<VehicleCtx>,
    stage: watch::Receiver<Stage>,
    bar: &ProgressBar,
) -> (Opened, JoinSet<()>) {
    let gate = Arc::new(Semaphore::new(concurrency.max(1)));
    let (tx, mut rx) = mpsc::unbounded_channel::<Result<(), String>>();
    let mut tasks = JoinSet::new();
    let start_us = now_us();
    let n = vehicles.len();
    for v in vehicles {
        let local = addresses[v.index % addresses.len().max(1)];
        let (target, gate, tx, ctx, stage) = (
            target.clone(),
            gate.clone(),
            tx.clone(),
            ctx.clone(),
            stage.clone(),
        );
        let mover_seed = seed ^ (v.index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        tasks.spawn(async move {
            let ws = {
                let _permit = gate.acquire().await;
                socket::open(&target, local, &v.token, true).await
            };
            match ws {
                Ok(ws) => {
                    let _ = tx.send(Ok(()));
                    drop(tx);
                    let mover = Mover::new(mover_seed, start_us);
                    vehicle::drive(ws, mover, v.token, ctx, stage).await;
                }
                Err(e) => {
                    let first = format!("{e:#}");
                    let first = first.lines().next().unwrap_or_default().to_owned();
                    let _ = tx.send(Err(first));
                }
            }
        });
    }
    drop(tx);
    let mut opened = Opened::default();
    let mut stage = stage;
    for _ in 0..n {
        let r = tokio::select! {
            r = rx.recv() => r,
            _ = stage.wait_for(|s| *s == Stage::Finish) => None,
        };
        match r {
            Some(Ok(())) => opened.open += 1,
            Some(Err(e)) => *opened.errors.entry(e).or_default() += 1,
            None => break,
        }
        bar.inc(1);
    }
    (opened, tasks)
}
