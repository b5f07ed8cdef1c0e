//! The report of a simulation run: JSON for scripts (`report.json`, whose field names
//! `scripts/bench.sh` reads: keep them stable) and a Markdown summary for people
//! (`report.md`, also printed on stdout).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use hdrhistogram::Histogram;
use serde::Serialize;

use super::sampler::Sample;
use super::track::{OfferAudit, Snap};

/// Latency percentiles in ms, with how many samples they rest on.
#[derive(Debug, Clone, Serialize)]
pub struct Lat {
    pub count: u64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p99_9: f64,
    pub max: f64,
    pub mean: f64,
}

impl Lat {
    pub fn of(h: &Histogram<u64>) -> Option<Self> {
        if h.is_empty() {
            return None;
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Some(Self {
            count: h.len(),
            p50: ms(h.value_at_quantile(0.5)),
            p90: ms(h.value_at_quantile(0.9)),
            p99: ms(h.value_at_quantile(0.99)),
            p99_9: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
            mean: h.mean() / 1000.0,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Latencies {
    /// Intake sent → offer received by the vehicle app.
    pub offer_vehicle: Option<Lat>,
    /// Intake sent → `offer.sent` received by a console (every console counts).
    pub offer_console: Option<Lat>,
    /// Fix made (its `ts`) → seen in a console's `vehicle.moved` (includes the
    /// stream's coalescing tick).
    pub move_console: Option<Lat>,
    /// Intake sent → acknowledged (durable).
    pub intake_ack: Option<Lat>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub vehicles: usize,
    pub gateway_vehicles: usize,
    pub rate_hz: f64,
    pub batch: u16,
    pub gateway_batch: u16,
    pub tickets_per_s: f64,
    pub urgent_share: f64,
    pub consoles: usize,
    /// `town` or `everything` (`--console-view`).
    pub console_view: String,
    pub boards: usize,
    pub duration_s: f64,
    pub warmup_s: f64,
    pub drain_s: f64,
    pub onsite_s: f64,
    pub open_tickets: usize,
    pub procs: u16,
    pub addresses: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SetupFacts {
    pub registration_s: f64,
    pub preload_s: f64,
    pub open_tickets_preloaded: u64,
    pub connect_s: f64,
    pub sockets_open: u64,
    pub sockets_failed: u64,
    /// Socket errors by first line.
    pub connect_errors: BTreeMap<String, u64>,
    pub consoles_open: u64,
    pub boards_open: u64,
}

/// Per second over the measured window.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Throughput {
    pub fixes_per_s: f64,
    pub gateway_fixes_per_s: f64,
    pub intakes_per_s: f64,
    pub offers_per_s: f64,
    pub console_moves_per_s: f64,
    pub console_frames_per_s: f64,
    pub console_mib_per_s: f64,
    pub board_frames_per_s: f64,
}

impl Throughput {
    pub fn of(s: &Snap, window_s: f64) -> Self {
        let w = window_s.max(1e-9);
        Self {
            fixes_per_s: s.fixes_sent as f64 / w,
            gateway_fixes_per_s: s.gateway_fixes_sent as f64 / w,
            intakes_per_s: s.intakes_acked as f64 / w,
            offers_per_s: s.offers_received as f64 / w,
            console_moves_per_s: s.console_moves as f64 / w,
            console_frames_per_s: s.console_frames as f64 / w,
            console_mib_per_s: s.console_bytes as f64 / w / (1024.0 * 1024.0),
            board_frames_per_s: s.board_frames as f64 / w,
        }
    }
}

/// The engine's use of the machine, from `/proc/<pid>`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ServerSummary {
    pub pid: u32,
    pub cpu_pct_mean: Option<f64>,
    pub cpu_pct_max: Option<f64>,
    pub rss_mib_start: Option<f64>,
    pub rss_mib_max: Option<f64>,
    pub rss_mib_end: Option<f64>,
    /// VmHWM: the most it ever held.
    pub peak_rss_mib: Option<f64>,
    pub open_fds: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SimReport {
    pub tool: &'static str,
    pub version: &'static str,
    pub scenario: &'static str,
    pub url: String,
    pub seed: u64,
    pub started_at: String,
    pub settings: Settings,
    pub setup: SetupFacts,
    /// The measured window as run (shorter when interrupted).
    pub window_s: f64,
    /// The machine's 1-minute load average at the start and at the end of the window
    /// (other work on the machine shows here: this machine has 2 cores).
    pub machine_load: (Option<f64>, Option<f64>),
    pub interrupted: bool,
    /// The whole run, warm-up and drain included.
    pub totals: Snap,
    /// The measured window only.
    pub measured: Snap,
    pub throughput: Throughput,
    pub latency_ms: Latencies,
    pub offers: OfferAudit,
    pub server: Option<ServerSummary>,
    pub samples: Vec<Sample>,
    /// The histograms themselves, for the charts (not in the JSON).
    #[serde(skip)]
    pub histograms: Option<super::track::Histograms>,
}

/// A load average above this on the two-core benchmark machine marks the figures as taken
/// on a busy machine.
const BUSY_LOAD: f64 = 2.0;

/// The 1-minute load average from /proc/loadavg.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn cell(l: &Option<Lat>, f: fn(&Lat) -> f64) -> String {
    l.as_ref()
        .map_or_else(|| "-".into(), |l| format!("{:.2}", f(l)))
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |x| format!("{x:.0}"))
}

impl SimReport {
    pub fn markdown(&self) -> String {
        let s = &self.settings;
        let mut o = String::new();
        let _ = writeln!(
            o,
            "### {} against {}{}\n",
            self.scenario,
            self.url,
            if self.interrupted {
                " (interrupted: partial)"
            } else {
                ""
            }
        );
        let _ = writeln!(
            o,
            "{} vehicle sockets ({} open) at {} Hz, {} fix(es)/frame; {} gateway vehicles; {} tickets/s ({:.0}% grade I); {} consoles (view: {}), {} boards ({} / {} open); {} process(es); {:.0} s measured after {:.0} s warm-up; {} open tickets preloaded; seed {}.\n",
            s.vehicles,
            self.setup.sockets_open,
            s.rate_hz,
            s.batch,
            s.gateway_vehicles,
            s.tickets_per_s,
            s.urgent_share * 100.0,
            s.consoles,
            s.console_view,
            s.boards,
            self.setup.consoles_open,
            self.setup.boards_open,
            s.procs,
            self.window_s,
            s.warmup_s,
            self.setup.open_tickets_preloaded,
            self.seed
        );
        o.push_str("| latency | samples | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |\n");
        o.push_str("|:--|--:|--:|--:|--:|--:|--:|\n");
        let l = &self.latency_ms;
        for (name, lat) in [
            ("intake → offer at the vehicle", &l.offer_vehicle),
            ("intake → `offer.sent` at a console", &l.offer_console),
            ("fix → `vehicle.moved` at a console", &l.move_console),
            ("intake → ack (durable)", &l.intake_ack),
        ] {
            let _ = writeln!(
                o,
                "| {name} | {} | {} | {} | {} | {} | {} |",
                lat.as_ref().map_or(0, |l| l.count),
                cell(lat, |l| l.p50),
                cell(lat, |l| l.p90),
                cell(lat, |l| l.p99),
                cell(lat, |l| l.p99_9),
                cell(lat, |l| l.max),
            );
        }
        let t = &self.throughput;
        let _ = writeln!(
            o,
            "\nThroughput over the measured window: {:.0} socket fixes/s, {:.0} gateway fixes/s, {:.1} intakes/s, {:.1} offers/s, {:.0} console moves/s ({:.0} frames/s, {:.1} MiB/s), {:.0} board frames/s.",
            t.fixes_per_s,
            t.gateway_fixes_per_s,
            t.intakes_per_s,
            t.offers_per_s,
            t.console_moves_per_s,
            t.console_frames_per_s,
            t.console_mib_per_s,
            t.board_frames_per_s
        );
        let a = &self.offers;
        let _ = writeln!(
            o,
            "\nOffers ({}): {} grade I tickets, {} reached exactly one vehicle, **{} lost, {} duplicated**, {} not offered (no vehicle free); {} routine tickets, {} offered; at {} consoles: {} missing, {} duplicated `offer.sent`; {} offers for tickets of no intake of this run.",
            if a.clean() { "clean" } else { "NOT CLEAN" },
            a.urgent_tickets,
            a.offered_once,
            a.lost,
            a.duplicated,
            a.unserved,
            a.routine_tickets,
            a.unexpected,
            a.consoles,
            a.console_lost,
            a.console_duplicated,
            a.unmatched
        );
        let m = &self.totals;
        let _ = writeln!(
            o,
            "\nField work: {} offers accepted, {} arrivals, {} on-site records, {} vehicles free again; {} sockets lost, {} stream resumes.",
            m.offers_accepted,
            m.arrivals,
            m.onsite_records,
            m.vehicles_freed,
            m.sockets_lost,
            m.stream_resumes
        );
        if let (Some(a), Some(b)) = self.machine_load {
            // Two cores, each busy: the engine and this generator alone come near 2, so
            // above it the run competed for CPU, with itself or with other work, and its
            // tails show it.
            let busy = if a.max(b) > BUSY_LOAD {
                " **Busy machine: figures taken above a load average of 2.**"
            } else {
                ""
            };
            let _ = writeln!(
                o,
                "\nMachine load average (1 min): {a:.2} at the start, {b:.2} at the end of the window.{busy}"
            );
        }
        if let Some(sv) = &self.server {
            let _ = writeln!(
                o,
                "\nEngine (pid {}): CPU mean {}% / max {}% of one core; RSS {} → {} MiB (max {}, peak {}); {} open descriptors.",
                sv.pid,
                opt(sv.cpu_pct_mean),
                opt(sv.cpu_pct_max),
                opt(sv.rss_mib_start),
                opt(sv.rss_mib_end),
                opt(sv.rss_mib_max),
                opt(sv.peak_rss_mib),
                sv.open_fds.map_or("-".into(), |n| n.to_string())
            );
        }
        if !m.errors.is_empty() {
            let parts: Vec<String> = m.errors.iter().map(|(k, v)| format!("{k} ×{v}")).collect();
            let _ = writeln!(o, "\nErrors: {}.", parts.join(", "));
        }
        if !self.setup.connect_errors.is_empty() {
            let _ = writeln!(o, "\nSockets not opened: {:?}", self.setup.connect_errors);
        }
        o
    }
}
