//! A share of the vehicle sockets in a child process (`loadtest worker`, started by the
//! run itself): a process may hold 20,000 descriptors, and a second process also spreads
//! the load generator's own work. The two talk JSON lines over the child's stdin and
//! stdout: the run sends the `Spec`, the worker answers `connected`, then a `tick` of its
//! counters every quarter second; the run sends `finish` (or closes stdin) and the worker
//! answers `done` with its counters and every offer its vehicles received (the run joins
//! them with its intakes). Ctrl-C reaches the whole process group: the worker ignores it
//! and waits for the run's `finish`, so the partial report still has its share.

use std::net::IpAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin};
use tokio::sync::{mpsc, watch};

use super::Stage;
use super::fleet::{self, Opened};
use super::setup::Crewed;
use super::track::{Counters, Snap, Tracker};
use super::vehicle::VehicleCtx;
use crate::fleet::ingest::locate;

/// What a worker is asked to run.
#[derive(Debug, Serialize, Deserialize)]
pub struct Spec {
    pub url: String,
    pub addresses: Vec<IpAddr>,
    pub vehicles: Vec<Crewed>,
    pub rate: f64,
    pub batch: usize,
    pub onsite_ms: u64,
    pub seed: u64,
    pub connect_concurrency: usize,
}

/// Worker → run.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Up {
    Connected(Opened),
    Tick(Snap),
    Done {
        snap: Snap,
        /// (ticket id, Unix µs) of every offer received.
        offers: Vec<(String, i64)>,
    },
}

fn emit(msg: &Up) {
    use std::io::Write as _;
    if let Ok(line) = serde_json::to_string(msg) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

/// The worker process's main.
pub async fn main() -> Result<()> {
    // Ctrl-C goes to the whole group: the run decides when this worker stops.
    tokio::spawn(async { while tokio::signal::ctrl_c().await.is_ok() {} });
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let first = lines.next_line().await?.context("no spec on stdin")?;
    let spec: Spec = serde_json::from_str(&first).context("reading the spec")?;
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let (target, _) = locate(&spec.url).await?;
    let counters = Arc::new(Counters::default());
    let tracker = Arc::new(Tracker::new(0));
    let ctx = Arc::new(VehicleCtx {
        counters: counters.clone(),
        tracker: tracker.clone(),
        http: super::http_client(64)?,
        base: spec.url.trim_end_matches('/').to_owned(),
        rate: spec.rate,
        batch: spec.batch,
        onsite: Duration::from_millis(spec.onsite_ms),
    });
    let (stage_tx, stage_rx) = watch::channel(Stage::Setup);
    let (opened, mut tasks) = fleet::start(
        &target,
        &spec.addresses,
        spec.vehicles,
        spec.seed,
        spec.connect_concurrency,
        ctx,
        stage_rx,
        &ProgressBar::hidden(),
    )
    .await;
    emit(&Up::Connected(opened));
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            _ = tick.tick() => emit(&Up::Tick(counters.snap())),
            line = lines.next_line() => match line {
                Ok(Some(l)) if l.trim() != "finish" => {}
                _ => break,
            },
        }
    }
    let _ = stage_tx.send(Stage::Finish);
    let joined = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(15), joined)
        .await
        .is_err()
    {
        tasks.abort_all();
    }
    emit(&Up::Done {
        snap: counters.snap(),
        offers: tracker.take_early_vehicle_offers(),
    });
    Ok(())
}

/// The run's side of one worker.
pub struct Handle {
    child: Child,
    stdin: ChildStdin,
    /// The worker's latest counters.
    pub latest: Arc<Mutex<Snap>>,
    events: mpsc::UnboundedReceiver<Up>,
}

impl Handle {
    /// Starts `loadtest worker` and sends it the spec.
    pub async fn spawn(spec: &Spec) -> Result<Self> {
        let exe = std::env::current_exe().context("finding this program")?;
        let mut child = tokio::process::Command::new(exe)
            .arg("worker")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("starting a worker process")?;
        let mut stdin = child.stdin.take().context("worker stdin")?;
        let stdout = child.stdout.take().context("worker stdout")?;
        let mut line = serde_json::to_string(spec)?;
        line.push('\n');
        stdin.write_all(line.as_bytes()).await?;
        stdin.flush().await?;
        let latest = Arc::new(Mutex::new(Snap::default()));
        let (tx, events) = mpsc::unbounded_channel();
        let l = latest.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                match serde_json::from_str::<Up>(&line) {
                    Ok(Up::Tick(s)) => {
                        if let Ok(mut g) = l.lock() {
                            *g = s;
                        }
                    }
                    Ok(other) => {
                        let _ = tx.send(other);
                    }
                    Err(_) => eprintln!("worker: {line}"),
                }
            }
        });
        Ok(Self {
            child,
            stdin,
            latest,
            events,
        })
    }

    /// Waits for the worker's sockets.
    pub async fn connected(&mut self) -> Result<Opened> {
        match self.events.recv().await {
            Some(Up::Connected(o)) => Ok(o),
            _ => anyhow::bail!("a worker ended before its sockets were open"),
        }
    }

    /// Tells the worker to finish and collects what it measured.
    pub async fn finish(mut self) -> Result<(Snap, Vec<(String, i64)>)> {
        let _ = self.stdin.write_all(b"finish\n").await;
        let _ = self.stdin.flush().await;
        let done = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                match self.events.recv().await {
                    Some(Up::Done { snap, offers }) => return Some((snap, offers)),
                    Some(_) => {}
                    None => return None,
                }
            }
        })
        .await;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
        done.ok()
            .flatten()
            .context("a worker ended without its results")
    }
}
