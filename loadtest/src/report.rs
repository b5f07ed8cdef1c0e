//! The report of a run: a Markdown table for people (stdout) and the same numbers as JSON
//! for scripts (`--json FILE`). The JSON shape is what `scripts/bench-intake.sh` reads:
//! keep its field names stable.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::stats::PhaseResult;

/// Everything a run measured, with the settings needed to reproduce it.
#[derive(Debug, Serialize)]
pub struct Report {
    pub tool: &'static str,
    pub version: &'static str,
    pub scenario: &'static str,
    pub url: String,
    pub run_id: String,
    pub seed: u64,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub duration_s: f64,
    pub warmup_s: f64,
    pub timeout_s: f64,
    /// Ctrl-C ended the run; phases may be missing or partial.
    pub interrupted: bool,
    pub phases: Vec<PhaseResult>,
}

impl Report {
    /// The Markdown rendering: a heading line, the table, and a note when interrupted.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "### {} against {} ({} s measured after {} s warm-up per phase, run {}, seed {})\n",
            self.scenario, self.url, self.duration_s, self.warmup_s, self.run_id, self.seed
        );
        out.push_str(
            "| clients | requests | acked | errors | acks/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |\n",
        );
        out.push_str("|--:|--:|--:|:--|--:|--:|--:|--:|--:|--:|\n");
        for p in &self.phases {
            let lat = |f: fn(&crate::stats::Latency) -> f64| {
                p.latency_ms
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |l| format!("{:.2}", f(l)))
            };
            let _ = writeln!(
                out,
                "| {}{} | {} | {} | {} | {:.1} | {} | {} | {} | {} | {} |",
                p.clients,
                if p.interrupted { " (cut)" } else { "" },
                p.requests,
                p.acknowledged,
                errors_cell(p),
                p.throughput_acks_per_s,
                lat(|l| l.p50),
                lat(|l| l.p90),
                lat(|l| l.p99),
                lat(|l| l.p99_9),
                lat(|l| l.max),
            );
        }
        if self.interrupted {
            out.push_str(
                "\nInterrupted (Ctrl-C): partial results; in-flight requests were not counted.\n",
            );
        }
        out
    }

    /// Writes the JSON rendering to `path`.
    pub fn write_json(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).context("serialising the report")?;
        std::fs::write(path, text + "\n")
            .with_context(|| format!("writing the report to {}", path.display()))
    }
}

/// `0`, or the total followed by the breakdown: `5 (429×3, timeout×2)`.
fn errors_cell(p: &PhaseResult) -> String {
    if p.error_count == 0 {
        return "0".into();
    }
    let parts: Vec<String> = p.errors.iter().map(|(k, v)| format!("{k}×{v}")).collect();
    format!("{} ({})", p.error_count, parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{ClientStats, Outcome};
    use std::time::{Duration, Instant};

    fn report() -> Report {
        let mut s = ClientStats::default();
        let now = Instant::now();
        s.record(Outcome::Status(201), Duration::from_millis(3), now);
        s.record(Outcome::Status(503), Duration::from_millis(1), now);
        s.record(Outcome::Timeout, Duration::from_secs(1), now);
        Report {
            tool: "loadtest",
            version: "0",
            scenario: "intake",
            url: "http://127.0.0.1:1".into(),
            run_id: "r".into(),
            seed: 1,
            started_at: "2026-11-27T08:00:00Z".into(),
            duration_s: 1.0,
            warmup_s: 0.0,
            timeout_s: 1.0,
            interrupted: true,
            phases: vec![
                PhaseResult::new(4, &s, Duration::from_secs(1), true),
                PhaseResult::new(1, &ClientStats::default(), Duration::ZERO, false),
            ],
        }
    }

    #[test]
    fn markdown_has_one_row_per_phase_and_the_error_breakdown() {
        let md = report().markdown();
        let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| ")).collect();
        assert_eq!(rows.len(), 3, "{md}");
        assert!(
            rows[1].starts_with("| 4 (cut) | 3 | 1 | 2 (503×1, timeout×1) | 1.0 | 3.00 "),
            "{md}"
        );
        assert!(rows[2].contains("| - |"), "{md}");
        assert!(md.contains("Interrupted"), "{md}");
    }

    #[test]
    fn json_keeps_the_field_names_scripts_read() {
        let v = serde_json::to_value(report()).expect("serialises");
        let p = &v["phases"][0];
        assert_eq!(p["clients"], 4);
        assert_eq!(p["acknowledged"], 1);
        assert!(p["throughput_acks_per_s"].is_f64());
        assert!(p["latency_ms"]["p50"].is_f64());
        assert!(p["latency_ms"]["p99"].is_f64());
        assert!(v["phases"][1]["latency_ms"].is_null());
    }
}
