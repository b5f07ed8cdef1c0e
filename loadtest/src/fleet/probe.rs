//! What the load does to the machine, read from Linux's `/proc` and the engine's
//! `/metrics`: CPU time of a process and of each of its threads (so a report can name the
//! thread that saturates), resident memory, open file descriptors, the whole machine's busy
//! time, and the value of a Prometheus counter summed over its label sets. Snapshots are
//! taken at the start and the end of a measured window and subtracted.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use serde::Serialize;

/// Kernel clock ticks per second in `/proc/*/stat` (USER_HZ). It is 100 on every Linux
/// architecture this tool runs on; reading it would need `sysconf`, i.e. unsafe code.
const TICKS_PER_S: f64 = 100.0;

/// CPU ticks (user + system) from the text of a `/proc/.../stat` file. The command name
/// in parentheses may hold spaces, so fields are counted after the last `)`.
pub fn stat_ticks(text: &str) -> Option<u64> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3 of stat(5), utime field 14 and stime field 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// A field in kB of `/proc/<pid>/status` (`VmRSS`, `VmHWM`), in MiB.
pub fn status_mib(text: &str, field: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
}

/// One reading of a process: `/proc/self` or `/proc/<pid>`.
#[derive(Debug, Clone)]
pub struct ProcSnap {
    at: Instant,
    ticks: u64,
    /// Thread name (`comm`) with its id → ticks.
    threads: BTreeMap<String, u64>,
    pub rss_mib: Option<f64>,
    pub peak_rss_mib: Option<f64>,
    pub fds: Option<usize>,
}

impl ProcSnap {
    /// Reads `dir` (e.g. `/proc/self`, `/proc/1234`); `with_threads` adds each thread.
    pub fn read(dir: &Path, with_threads: bool) -> Result<Self> {
        let stat = std::fs::read_to_string(dir.join("stat"))
            .with_context(|| format!("reading {}/stat", dir.display()))?;
        let ticks = stat_ticks(&stat).context("unexpected /proc stat format")?;
        let status = std::fs::read_to_string(dir.join("status")).unwrap_or_default();
        let mut threads = BTreeMap::new();
        if with_threads && let Ok(tasks) = std::fs::read_dir(dir.join("task")) {
            for task in tasks.flatten() {
                let p = task.path();
                let (Ok(s), Ok(comm)) = (
                    std::fs::read_to_string(p.join("stat")),
                    std::fs::read_to_string(p.join("comm")),
                ) else {
                    continue; // the thread ended meanwhile
                };
                if let Some(t) = stat_ticks(&s) {
                    let tid = task.file_name().to_string_lossy().into_owned();
                    threads.insert(format!("{} [{tid}]", comm.trim()), t);
                }
            }
        }
        Ok(Self {
            at: Instant::now(),
            ticks,
            threads,
            rss_mib: status_mib(&status, "VmRSS"),
            peak_rss_mib: status_mib(&status, "VmHWM"),
            fds: std::fs::read_dir(dir.join("fd")).ok().map(|d| d.count()),
        })
    }

    /// CPU used between `earlier` and `self`, in % of one core (200% = both cores busy).
    pub fn cpu_pct_since(&self, earlier: &ProcSnap) -> f64 {
        pct(
            self.ticks.saturating_sub(earlier.ticks),
            self.at - earlier.at,
        )
    }

    /// The busiest threads between `earlier` and `self`, at most `n`, in % of one core.
    pub fn top_threads_since(&self, earlier: &ProcSnap, n: usize) -> Vec<ThreadCpu> {
        let window = self.at - earlier.at;
        let mut v: Vec<ThreadCpu> = self
            .threads
            .iter()
            .map(|(name, &t)| ThreadCpu {
                thread: name.clone(),
                cpu_pct: pct(
                    t.saturating_sub(earlier.threads.get(name).copied().unwrap_or(0)),
                    window,
                ),
            })
            .filter(|t| t.cpu_pct >= 0.5)
            .collect();
        v.sort_by(|a, b| b.cpu_pct.total_cmp(&a.cpu_pct));
        v.truncate(n);
        v
    }
}

fn pct(ticks: u64, window: std::time::Duration) -> f64 {
    let s = window.as_secs_f64();
    if s <= 0.0 {
        return 0.0;
    }
    ticks as f64 / TICKS_PER_S / s * 100.0
}

/// A thread's share of one core over a window.
#[derive(Debug, Clone, Serialize)]
pub struct ThreadCpu {
    pub thread: String,
    pub cpu_pct: f64,
}

/// The whole machine's busy and total jiffies from the `cpu` line of `/proc/stat`.
#[derive(Debug, Clone, Copy)]
pub struct MachineSnap {
    busy: u64,
    total: u64,
    cores: usize,
}

impl MachineSnap {
    pub fn read() -> Option<Self> {
        let text = std::fs::read_to_string("/proc/stat").ok()?;
        let cores = text
            .lines()
            .filter(|l| l.starts_with("cpu") && !l.starts_with("cpu "))
            .count();
        let line = text.lines().find(|l| l.starts_with("cpu "))?;
        let v: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .filter_map(|x| x.parse().ok())
            .collect();
        // user nice system idle iowait irq softirq steal ...
        let idle = v.get(3)? + v.get(4).copied().unwrap_or(0);
        let total: u64 = v.iter().take(8).sum();
        Some(Self {
            busy: total - idle,
            total,
            cores,
        })
    }

    /// Busy share between `earlier` and `self`, in % of one core (cores × 100 = all busy).
    pub fn busy_pct_since(&self, earlier: &MachineSnap) -> f64 {
        let total = self.total.saturating_sub(earlier.total);
        if total == 0 {
            return 0.0;
        }
        self.busy.saturating_sub(earlier.busy) as f64 / total as f64 * 100.0 * self.cores as f64
    }
}

/// The sum over all label sets of counter `name` in Prometheus text; 0 when absent.
pub fn counter_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let rest = l.strip_prefix(name)?;
            // `name 12` or `name{labels} 12`, not `name_other 12`.
            if !(rest.starts_with(' ') || rest.starts_with('{')) {
                return None;
            }
            l.rsplit(' ').next()?.parse::<f64>().ok()
        })
        .sum()
}

/// Reads `/metrics` and returns (counter, the instant half-way through the request). A
/// busy engine may drop a connection: up to three attempts, each on a fresh connection
/// (the client should keep no idle connections).
pub async fn scrape(
    http: &reqwest::Client,
    metrics_url: &str,
    name: &str,
) -> Result<(f64, Instant)> {
    let mut last_error = None;
    for _ in 0..3 {
        let sent = Instant::now();
        let got = async {
            http.get(metrics_url)
                .send()
                .await?
                .error_for_status()?
                .text()
                .await
        }
        .await;
        match got {
            Ok(text) => {
                let done = Instant::now();
                return Ok((counter_sum(&text, name), sent + (done - sent) / 2));
            }
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.map_or_else(|| anyhow::anyhow!("no attempt"), anyhow::Error::from))
        .with_context(|| format!("GET {metrics_url}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_after_a_name_with_spaces() {
        let line = "4242 (actix-rt|system:0 x) S 1 2 3 4 5 6 7 8 9 10 150 50 0 0 20 0 9 0";
        assert_eq!(stat_ticks(line), Some(200));
        assert_eq!(stat_ticks("garbage"), None);
    }

    #[test]
    fn status_fields_in_mib() {
        let text = "Name:\tx\nVmHWM:\t  20480 kB\nVmRSS:\t   10240 kB\n";
        assert_eq!(status_mib(text, "VmRSS"), Some(10.0));
        assert_eq!(status_mib(text, "VmHWM"), Some(20.0));
        assert_eq!(status_mib(text, "VmSwap"), None);
    }

    #[test]
    fn counters_sum_label_sets_and_skip_lookalikes() {
        let text = "# TYPE hotline_fixes_accepted_total counter\n\
                    hotline_fixes_accepted_total 1500\n\
                    hotline_fixes_accepted_total_other 7\n\
                    hotline_fixes_rejected_total{reason=\"in_future\"} 3\n\
                    hotline_fixes_rejected_total{reason=\"out_of_order\"} 4\n";
        assert_eq!(counter_sum(text, "hotline_fixes_accepted_total"), 1500.0);
        assert_eq!(counter_sum(text, "hotline_fixes_rejected_total"), 7.0);
        assert_eq!(counter_sum(text, "absent"), 0.0);
    }

    #[test]
    fn reads_this_process() {
        let a = ProcSnap::read(Path::new("/proc/self"), true).expect("reads");
        assert!(a.rss_mib.is_some_and(|r| r > 0.0));
        assert!(!a.threads.is_empty());
        let mut x = 0u64;
        for i in 0..3_000_000u64 {
            x = x.wrapping_add(i * i);
        }
        std::hint::black_box(x);
        let b = ProcSnap::read(Path::new("/proc/self"), true).expect("reads");
        assert!(b.cpu_pct_since(&a) >= 0.0);
        assert!(MachineSnap::read().is_some());
    }
}
