//! The report of an `ingest` run: one row per phase with the fixes sent and the fixes the
//! engine accepted (read from its own `hotline_fixes_accepted_total`, so server-wide when
//! several load processes run at once), refusals and errors, and what the load cost: the
//! engine's CPU and memory, the load generator's own CPU, and the machine's busy time —
//! on a 2-core machine the generator competes with the engine, and the table says so.
//! Markdown on stdout, JSON for scripts (`scripts/bench-dispatch.sh` reads its field names).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::probe::ThreadCpu;

/// The engine's use of the machine over a measured window.
#[derive(Debug, Clone, Serialize)]
pub struct ServerUse {
    /// % of one core (200 = both cores of this machine).
    pub cpu_pct: f64,
    pub rss_mib: Option<f64>,
    pub peak_rss_mib: Option<f64>,
    pub open_fds: Option<usize>,
    /// The busiest engine threads, % of one core each.
    pub top_threads: Vec<ThreadCpu>,
}

/// One phase: a rate and a batch size, a warm-up and a measured window.
#[derive(Debug, Clone, Serialize)]
pub struct IngestPhase {
    pub rate_hz: f64,
    pub batch: usize,
    /// At rate 0: unanswered pings allowed per socket (0 = open loop).
    pub inflight: Option<usize>,
    pub sockets: usize,
    /// `sockets × rate × batch`; absent for rate 0 (as fast as possible).
    pub target_fixes_per_s: Option<f64>,
    /// This process's measured window.
    pub window_s: f64,
    pub sent_frames: u64,
    pub sent_fixes: u64,
    pub warmup_fixes: u64,
    pub sent_fixes_per_s: f64,
    /// Accepted by the engine over the window (all load processes together).
    pub server_accepted: f64,
    pub server_accepted_per_s: f64,
    /// Accepted after the window, while the engine worked through what was queued.
    pub drained_after: f64,
    pub drain_s: f64,
    /// Fixes the engine refused in `error` frames (whole phase).
    pub refused_fixes: u64,
    pub error_count: u64,
    pub errors: BTreeMap<String, u64>,
    pub server: Option<ServerUse>,
    pub loadtest_cpu_pct: f64,
    pub loadtest_rss_mib: Option<f64>,
    /// The whole machine, % of one core.
    pub machine_busy_pct: Option<f64>,
    pub interrupted: bool,
}

/// Everything an `ingest` run measured.
#[derive(Debug, Serialize)]
pub struct IngestReport {
    pub tool: &'static str,
    pub version: &'static str,
    pub scenario: &'static str,
    pub url: String,
    pub seed: u64,
    pub id_prefix: String,
    pub proc_index: usize,
    pub procs: usize,
    pub vehicles: usize,
    pub connected: usize,
    /// Sockets that could not be opened, by first error line.
    pub connect_errors: BTreeMap<String, u64>,
    pub registration_s: f64,
    pub connect_s: f64,
    pub nofile_limit: Option<u64>,
    pub server_pid: Option<u32>,
    pub interrupted: bool,
    pub phases: Vec<IngestPhase>,
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "-".into(), |x| format!("{x:.digits$}"))
}

impl IngestReport {
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "### ingest against {} (process {}/{}, {}/{} sockets open, seed {})\n",
            self.url,
            self.proc_index + 1,
            self.procs,
            self.connected,
            self.vehicles,
            self.seed
        );
        out.push_str(
            "| fixes/frame | rate Hz/socket | target fixes/s | sent fixes/s | accepted fixes/s (engine-wide) | refused | errors | engine CPU % | engine RSS MiB | loadtest CPU % | machine busy % |\n",
        );
        out.push_str("|--:|--:|--:|--:|--:|--:|:--|--:|--:|--:|--:|\n");
        for p in &self.phases {
            let rate = match (p.rate_hz > 0.0, p.inflight) {
                (true, _) => format!("{}", p.rate_hz),
                (false, Some(0)) => "max, open loop".into(),
                (false, _) => "max".into(),
            };
            let _ = writeln!(
                out,
                "| {} | {rate}{} | {} | {:.0} | {:.0} | {} | {} | {} | {} | {:.0} | {} |",
                p.batch,
                if p.interrupted { " (cut)" } else { "" },
                opt(p.target_fixes_per_s, 0),
                p.sent_fixes_per_s,
                p.server_accepted_per_s,
                p.refused_fixes,
                errors_cell(p),
                opt(p.server.as_ref().map(|s| s.cpu_pct), 0),
                opt(p.server.as_ref().and_then(|s| s.rss_mib), 0),
                p.loadtest_cpu_pct,
                opt(p.machine_busy_pct, 0),
            );
        }
        for (i, p) in self.phases.iter().enumerate() {
            if let Some(s) = &p.server
                && !s.top_threads.is_empty()
            {
                let threads: Vec<String> = s
                    .top_threads
                    .iter()
                    .map(|t| format!("`{}` {:.0}%", t.thread, t.cpu_pct))
                    .collect();
                let _ = writeln!(
                    out,
                    "\nphase {} busiest engine threads: {}",
                    i + 1,
                    threads.join(", ")
                );
            }
        }
        if !self.connect_errors.is_empty() {
            let _ = writeln!(out, "\nsockets not opened: {:?}", self.connect_errors);
        }
        if self.interrupted {
            out.push_str("\nInterrupted (Ctrl-C): partial results.\n");
        }
        out
    }
}

fn errors_cell(p: &IngestPhase) -> String {
    if p.error_count == 0 {
        return "0".into();
    }
    let parts: Vec<String> = p.errors.iter().map(|(k, v)| format!("{k}×{v}")).collect();
    format!("{} ({})", p.error_count, parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phase() -> IngestPhase {
        IngestPhase {
            rate_hz: 5.0,
            batch: 1,
            inflight: None,
            sockets: 100,
            target_fixes_per_s: Some(500.0),
            window_s: 10.0,
            sent_frames: 5000,
            sent_fixes: 5000,
            warmup_fixes: 1000,
            sent_fixes_per_s: 500.0,
            server_accepted: 4990.0,
            server_accepted_per_s: 499.0,
            drained_after: 10.0,
            drain_s: 0.5,
            refused_fixes: 0,
            error_count: 1,
            errors: BTreeMap::from([("send_failed".into(), 1)]),
            server: Some(ServerUse {
                cpu_pct: 120.0,
                rss_mib: Some(300.0),
                peak_rss_mib: Some(320.0),
                open_fds: Some(140),
                top_threads: vec![ThreadCpu {
                    thread: "actix-rt|system:0|arbiter:3 [42]".into(),
                    cpu_pct: 97.0,
                }],
            }),
            loadtest_cpu_pct: 40.0,
            loadtest_rss_mib: Some(50.0),
            machine_busy_pct: Some(190.0),
            interrupted: false,
        }
    }

    #[test]
    fn markdown_rows_and_threads() {
        let mut fast = phase();
        fast.rate_hz = 0.0;
        fast.target_fixes_per_s = None;
        fast.server = None;
        let r = IngestReport {
            tool: "loadtest",
            version: "0",
            scenario: "ingest",
            url: "http://127.0.0.1:1".into(),
            seed: 1,
            id_prefix: "lt".into(),
            proc_index: 0,
            procs: 1,
            vehicles: 100,
            connected: 100,
            connect_errors: BTreeMap::new(),
            registration_s: 1.0,
            connect_s: 1.0,
            nofile_limit: Some(20_000),
            server_pid: Some(42),
            interrupted: false,
            phases: vec![phase(), fast],
        };
        let md = r.markdown();
        let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| ")).collect();
        assert_eq!(rows.len(), 3, "{md}");
        assert!(
            rows[1].starts_with(
                "| 1 | 5 | 500 | 500 | 499 | 0 | 1 (send_failed×1) | 120 | 300 | 40 | 190 |"
            ),
            "{md}"
        );
        assert!(rows[2].contains("| max | - |"), "{md}");
        assert!(md.contains("arbiter:3 [42]` 97%"), "{md}");
        let v = serde_json::to_value(&r).expect("json");
        assert_eq!(v["phases"][0]["server_accepted_per_s"], 499.0);
        assert_eq!(v["phases"][0]["server"]["cpu_pct"], 120.0);
    }
}
