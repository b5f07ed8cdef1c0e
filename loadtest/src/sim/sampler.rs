//! Rates over time: every sample interval, the counters of all load processes and the
//! engine's CPU and resident memory from `/proc/<pid>`, as one `Sample` (what the
//! throughput and server charts draw) and as the progress bar's live message.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use indicatif::ProgressBar;
use serde::Serialize;
use tokio::sync::watch;
use tokio::time::Instant;

use super::Stage;
use super::track::Snap;
use crate::fleet::probe::ProcSnap;

/// One sample: rates over the interval that ends at `t_s` (seconds since the start).
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub t_s: f64,
    /// The run's stage then: `warmup`, `measure`, `drain`.
    pub stage: &'static str,
    pub fixes_per_s: f64,
    pub gateway_fixes_per_s: f64,
    pub intakes_per_s: f64,
    pub offers_per_s: f64,
    pub console_moves_per_s: f64,
    pub console_frames_per_s: f64,
    pub board_frames_per_s: f64,
    /// Errors so far (all kinds).
    pub errors: u64,
    pub server_cpu_pct: Option<f64>,
    pub server_rss_mib: Option<f64>,
}

/// Reads the engine's process.
pub fn server_snap(pid: Option<u32>) -> Option<ProcSnap> {
    pid.and_then(|p| ProcSnap::read(&PathBuf::from(format!("/proc/{p}")), false).ok())
}

fn human(x: f64) -> String {
    if x >= 10_000.0 {
        format!("{:.0}k", x / 1000.0)
    } else if x >= 1000.0 {
        format!("{:.1}k", x / 1000.0)
    } else {
        format!("{x:.0}")
    }
}

/// Samples until the stage is `Finish`; returns the samples.
pub async fn run(
    every: Duration,
    pid: Option<u32>,
    total: Arc<dyn Fn() -> Snap + Send + Sync>,
    bar: ProgressBar,
    mut stage: watch::Receiver<Stage>,
) -> Vec<Sample> {
    let start = Instant::now();
    let mut samples = Vec::new();
    let mut prev = total();
    let mut prev_at = Instant::now();
    let mut prev_server = server_snap(pid);
    let mut tick = tokio::time::interval_at(start + every, every);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stage.wait_for(|s| *s == Stage::Finish) => break,
        }
        let now_stage = *stage.borrow();
        let snap = total();
        let dt = prev_at.elapsed().as_secs_f64().max(1e-3);
        let rate = |a: u64, b: u64| a.saturating_sub(b) as f64 / dt;
        let server = server_snap(pid);
        let cpu = match (&server, &prev_server) {
            (Some(a), Some(b)) => Some(a.cpu_pct_since(b)),
            _ => None,
        };
        let s = Sample {
            t_s: start.elapsed().as_secs_f64(),
            stage: now_stage.name(),
            fixes_per_s: rate(snap.fixes_sent, prev.fixes_sent),
            gateway_fixes_per_s: rate(snap.gateway_fixes_sent, prev.gateway_fixes_sent),
            intakes_per_s: rate(snap.intakes_acked, prev.intakes_acked),
            offers_per_s: rate(snap.offers_received, prev.offers_received),
            console_moves_per_s: rate(snap.console_moves, prev.console_moves),
            console_frames_per_s: rate(snap.console_frames, prev.console_frames),
            board_frames_per_s: rate(snap.board_frames, prev.board_frames),
            errors: snap.errors.values().sum(),
            server_cpu_pct: cpu,
            server_rss_mib: server.as_ref().and_then(|s| s.rss_mib),
        };
        bar.set_message(format!(
            "{} · fixes {}/s · gw {}/s · tickets {}/s · offers {}/s · console moves {}/s · errors {}{}",
            s.stage,
            human(s.fixes_per_s),
            human(s.gateway_fixes_per_s),
            human(s.intakes_per_s),
            human(s.offers_per_s),
            human(s.console_moves_per_s),
            s.errors,
            match (s.server_cpu_pct, s.server_rss_mib) {
                (Some(c), Some(r)) => format!(" · engine {c:.0}% CPU {r:.0} MiB"),
                _ => String::new(),
            }
        ));
        bar.set_position(u64::try_from(start.elapsed().as_millis()).unwrap_or(0));
        samples.push(s);
        prev = snap;
        prev_at = Instant::now();
        prev_server = server;
    }
    samples
}
