//! One measured phase of the `ingest` scenario, as the coordinating task sees it: tell
//! every socket the phase's rate, batch and times; read the engine's accepted-fix counter
//! and `/proc` (engine, this process, the machine) at both edges of the measured window;
//! tell the sockets to idle; wait until the counter settles (the engine has worked through
//! what was queued) so the next phase starts clean; and sum it all up for the report.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Result;
use tokio::sync::watch;
use tokio::time::Instant;

use super::args::IngestArgs;
use super::ingest::{ACCEPTED, bar};
use super::probe::{MachineSnap, ProcSnap, scrape};
use super::report::{IngestPhase, ServerUse};
use super::socket::{Command, Phase, PhaseCounters};
use crate::intake::StopSignal;

/// Delay between telling the sockets about a phase and its start.
const LEAD: Duration = Duration::from_millis(300);

/// One reading at a window edge.
struct Edge {
    accepted: f64,
    at: std::time::Instant,
    server: Option<ProcSnap>,
    me: Option<ProcSnap>,
    machine: Option<MachineSnap>,
}

async fn edge(http: &reqwest::Client, metrics: &str, pid: Option<u32>) -> Result<Edge> {
    let (accepted, at) = scrape(http, metrics, ACCEPTED).await?;
    Ok(Edge {
        accepted,
        at,
        server: pid.and_then(|p| ProcSnap::read(&PathBuf::from(format!("/proc/{p}")), true).ok()),
        me: ProcSnap::read(Path::new("/proc/self"), false).ok(),
        machine: MachineSnap::read(),
    })
}

#[allow(
    clippy::too_many_arguments,
    reason = "one call site; a struct would only rename them"
)]
pub async fn run_phase(
    args: &IngestArgs,
    index: usize,
    rate: f64,
    batch: usize,
    sockets: usize,
    cmd_tx: &watch::Sender<Command>,
    http: &reqwest::Client,
    metrics: &str,
    stop: &mut StopSignal,
) -> Result<IngestPhase> {
    let start = Instant::now() + LEAD;
    let measure_from = start + args.warmup;
    let end = measure_from + args.duration;
    let phase = Arc::new(Phase {
        index,
        rate,
        batch,
        inflight: args.inflight,
        start,
        measure_from,
        end,
        counters: PhaseCounters::default(),
    });
    let _ = cmd_tx.send(Command::Run(phase.clone()));
    let total_ms = u64::try_from((end - Instant::now()).as_millis()).unwrap_or(0);
    let b = bar(
        args,
        total_ms,
        &format!("phase {}", index + 1),
        "{prefix:>12} [{bar:30.cyan/blue}] {elapsed}/{duration} {msg}",
    );
    let c = &phase.counters;
    let progress = async {
        loop {
            tokio::time::sleep(Duration::from_millis(250)).await;
            let sent = c.warmup_fixes.load(Ordering::Relaxed) + c.fixes.load(Ordering::Relaxed);
            b.set_position(u64::try_from(start.elapsed().as_millis()).unwrap_or(0));
            b.set_message(format!("{sent} fixes sent"));
        }
    };
    let timed = async {
        tokio::time::sleep_until(measure_from).await;
        let first = edge(http, metrics, args.server_pid).await?;
        tokio::time::sleep_until(end).await;
        let last = edge(http, metrics, args.server_pid).await?;
        Ok::<_, anyhow::Error>((first, last))
    };
    let (first, last, interrupted) = tokio::select! {
        r = timed => { let (f, l) = r?; (f, l, false) }
        _ = progress => unreachable!("the progress loop never ends"),
        _ = stop.wait_for(Option::is_some) => {
            let now = edge(http, metrics, args.server_pid).await?;
            let _ = cmd_tx.send(Command::Idle);
            b.finish_and_clear();
            return Ok(summarise(&phase, sockets, &now, &now, 0.0, 0.0, true));
        }
    };
    let _ = cmd_tx.send(Command::Idle);
    b.finish_and_clear();

    // Let the engine work through what is queued, so the next phase starts clean.
    let t = Instant::now();
    let mut prev = last.accepted;
    let mut settled = 0;
    while settled < 2 && t.elapsed() < args.drain_timeout && stop.borrow().is_none() {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let (now, _) = scrape(http, metrics, ACCEPTED).await?;
        settled = if now == prev { settled + 1 } else { 0 };
        prev = now;
    }
    Ok(summarise(
        &phase,
        sockets,
        &first,
        &last,
        prev - last.accepted,
        t.elapsed().as_secs_f64(),
        interrupted,
    ))
}

fn summarise(
    p: &Phase,
    sockets: usize,
    first: &Edge,
    last: &Edge,
    drained: f64,
    drain_s: f64,
    interrupted: bool,
) -> IngestPhase {
    let c = &p.counters;
    let window_s = if interrupted {
        0.0
    } else {
        (p.end - p.measure_from).as_secs_f64()
    };
    let server_window = (last.at - first.at).as_secs_f64();
    let per_s = |x: f64, w: f64| if w > 0.0 { x / w } else { 0.0 };
    let sent = c.fixes.load(Ordering::Relaxed);
    let accepted = last.accepted - first.accepted;
    let errors = c.errors.lock().map(|m| m.clone()).unwrap_or_default();
    let server = match (&first.server, &last.server) {
        (Some(a), Some(b)) => Some(ServerUse {
            cpu_pct: b.cpu_pct_since(a),
            rss_mib: b.rss_mib,
            peak_rss_mib: b.peak_rss_mib,
            open_fds: b.fds,
            top_threads: b.top_threads_since(a, 6),
        }),
        _ => None,
    };
    IngestPhase {
        rate_hz: p.rate,
        batch: p.batch,
        inflight: (p.rate == 0.0).then_some(p.inflight),
        sockets,
        target_fixes_per_s: (p.rate > 0.0).then_some(sockets as f64 * p.rate * p.batch as f64),
        window_s,
        sent_frames: c.frames.load(Ordering::Relaxed),
        sent_fixes: sent,
        warmup_fixes: c.warmup_fixes.load(Ordering::Relaxed),
        sent_fixes_per_s: per_s(sent as f64, window_s),
        server_accepted: accepted,
        server_accepted_per_s: per_s(accepted, server_window),
        drained_after: drained,
        drain_s,
        refused_fixes: c.refused_fixes.load(Ordering::Relaxed),
        error_count: errors.values().sum(),
        errors,
        server,
        loadtest_cpu_pct: match (&first.me, &last.me) {
            (Some(a), Some(b)) => b.cpu_pct_since(a),
            _ => 0.0,
        },
        loadtest_rss_mib: last.me.as_ref().and_then(|m| m.rss_mib),
        machine_busy_pct: match (first.machine, last.machine) {
            (Some(a), Some(b)) => Some(b.busy_pct_since(&a)),
            _ => None,
        },
        interrupted,
    }
}
