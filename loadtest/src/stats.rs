//! Counting what the clients saw. Each client task keeps its own `ClientStats` (no shared
//! lock on the hot path); a phase merges them into one `PhaseResult`, the serialisable
//! summary that the report prints. Latency is recorded in microseconds in an HDR histogram
//! and only for acknowledged requests, so fast failures cannot flatter the percentiles.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

/// Highest latency the histogram resolves (60 s, in µs); slower ones are clamped to it.
const MAX_LATENCY_US: u64 = 60_000_000;
/// Significant decimal digits kept by the histogram.
const SIGFIGS: u8 = 3;

/// What one request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The server answered with this status (and its body was read in full).
    Status(u16),
    /// No answer within the per-request timeout.
    Timeout,
    /// The connection could not be opened.
    Connect,
    /// Any other transport failure (reset, malformed response...).
    Transport,
}

impl Outcome {
    /// 201 (created) and 200 (a repeat of a known `external_id`) are durable intakes.
    pub fn is_ack(self) -> bool {
        matches!(self, Outcome::Status(200 | 201))
    }

    /// The key under which an error is counted: the status code, or the failure's name.
    pub fn error_key(self) -> String {
        match self {
            Outcome::Status(s) => s.to_string(),
            Outcome::Timeout => "timeout".into(),
            Outcome::Connect => "connect".into(),
            Outcome::Transport => "transport".into(),
        }
    }
}

/// A new, empty latency histogram.
pub fn new_histogram() -> Histogram<u64> {
    // The bounds are constants that hdrhistogram accepts (low >= 1, high >= 2 * low,
    // sigfig <= 5); failing here would be a programming error caught by the tests.
    Histogram::new_with_bounds(1, MAX_LATENCY_US, SIGFIGS).expect("valid histogram bounds")
}

/// Counters of one client task.
#[derive(Debug)]
pub struct ClientStats {
    /// Latency of acknowledged requests, µs.
    pub hist: Histogram<u64>,
    /// Requests started inside the measured window that completed.
    pub requests: u64,
    /// Answers 201.
    pub created: u64,
    /// Answers 200 (a repeat).
    pub repeated: u64,
    /// Everything else, by status or failure name.
    pub errors: BTreeMap<String, u64>,
    /// Requests that started during the warm-up (not counted anywhere else).
    pub warmup_requests: u64,
    /// When the last measured request completed.
    pub last_done: Option<Instant>,
}

impl Default for ClientStats {
    fn default() -> Self {
        Self {
            hist: new_histogram(),
            requests: 0,
            created: 0,
            repeated: 0,
            errors: BTreeMap::new(),
            warmup_requests: 0,
            last_done: None,
        }
    }
}

impl ClientStats {
    /// Counts one measured request that took `latency` and completed at `done`.
    pub fn record(&mut self, outcome: Outcome, latency: Duration, done: Instant) {
        self.requests += 1;
        self.last_done = Some(self.last_done.map_or(done, |d| d.max(done)));
        match outcome {
            Outcome::Status(201) => self.created += 1,
            Outcome::Status(200) => self.repeated += 1,
            other => {
                *self.errors.entry(other.error_key()).or_default() += 1;
                return;
            }
        }
        let us = u64::try_from(latency.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        self.hist.saturating_record(us);
    }

    /// Adds another client's counts into this one.
    pub fn merge(&mut self, other: ClientStats) {
        // Both histograms have the same bounds, so `add` cannot fail; clamp anyway.
        if self.hist.add(&other.hist).is_err() {
            for v in other.hist.iter_recorded() {
                self.hist
                    .saturating_record_n(v.value_iterated_to(), v.count_at_value());
            }
        }
        self.requests += other.requests;
        self.created += other.created;
        self.repeated += other.repeated;
        for (k, v) in other.errors {
            *self.errors.entry(k).or_default() += v;
        }
        self.warmup_requests += other.warmup_requests;
        self.last_done = match (self.last_done, other.last_done) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
}

/// Latency percentiles of acknowledged requests, milliseconds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p99_9: f64,
    pub max: f64,
    pub mean: f64,
}

impl Latency {
    /// Reads the percentiles off a histogram in µs; `None` when nothing was recorded.
    pub fn from_histogram(h: &Histogram<u64>) -> Option<Self> {
        if h.is_empty() {
            return None;
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Some(Self {
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            p99_9: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
            mean: h.mean() / 1000.0,
        })
    }
}

/// The summary of one phase (one client count).
#[derive(Debug, Clone, Serialize)]
pub struct PhaseResult {
    pub clients: usize,
    /// Measured requests (started after the warm-up, completed).
    pub requests: u64,
    /// 201 + 200.
    pub acknowledged: u64,
    pub created: u64,
    pub repeated: u64,
    /// Sum of `errors`.
    pub error_count: u64,
    /// Errors by status code or failure name (`timeout`, `connect`, `transport`).
    pub errors: BTreeMap<String, u64>,
    pub warmup_requests: u64,
    /// From the end of the warm-up to the last measured completion (or to Ctrl-C).
    pub window_s: f64,
    /// `acknowledged / window_s`.
    pub throughput_acks_per_s: f64,
    /// Percentiles of acknowledged requests; absent when none was acknowledged.
    pub latency_ms: Option<Latency>,
    /// Ctrl-C cut this phase short; in-flight requests were dropped, not counted.
    pub interrupted: bool,
}

impl PhaseResult {
    /// Summarises merged client counts over a window of `window`.
    pub fn new(clients: usize, stats: &ClientStats, window: Duration, interrupted: bool) -> Self {
        let acknowledged = stats.created + stats.repeated;
        let window_s = window.as_secs_f64();
        let throughput = if window_s > 0.0 {
            acknowledged as f64 / window_s
        } else {
            0.0
        };
        Self {
            clients,
            requests: stats.requests,
            acknowledged,
            created: stats.created,
            repeated: stats.repeated,
            error_count: stats.errors.values().sum(),
            errors: stats.errors.clone(),
            warmup_requests: stats.warmup_requests,
            window_s,
            throughput_acks_per_s: throughput,
            latency_ms: Latency::from_histogram(&stats.hist),
            interrupted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acks_errors_and_percentiles() {
        let now = Instant::now();
        let mut a = ClientStats::default();
        for ms in 1..=100u64 {
            a.record(Outcome::Status(201), Duration::from_millis(ms), now);
        }
        let mut b = ClientStats::default();
        b.record(Outcome::Status(200), Duration::from_millis(50), now);
        b.record(Outcome::Status(429), Duration::from_millis(1), now);
        b.record(Outcome::Timeout, Duration::from_secs(10), now);
        b.warmup_requests = 4;
        a.merge(b);
        let r = PhaseResult::new(2, &a, Duration::from_secs(2), false);
        assert_eq!(r.requests, 103);
        assert_eq!(r.acknowledged, 101);
        assert_eq!((r.created, r.repeated), (100, 1));
        assert_eq!(r.error_count, 2);
        assert_eq!(r.errors.get("429"), Some(&1));
        assert_eq!(r.errors.get("timeout"), Some(&1));
        assert_eq!(r.warmup_requests, 4);
        assert!((r.throughput_acks_per_s - 50.5).abs() < 1e-9);
        let l = r.latency_ms.expect("latency");
        assert!((l.p50 - 50.0).abs() < 0.1, "{l:?}");
        assert!((l.max - 100.0).abs() < 0.1, "{l:?}");
    }

    #[test]
    fn empty_phase_has_no_latency() {
        let r = PhaseResult::new(1, &ClientStats::default(), Duration::ZERO, true);
        assert!(r.latency_ms.is_none());
        assert_eq!(r.throughput_acks_per_s, 0.0);
    }

    #[test]
    fn huge_latency_is_clamped() {
        let mut s = ClientStats::default();
        s.record(
            Outcome::Status(201),
            Duration::from_secs(3600),
            Instant::now(),
        );
        assert_eq!(s.hist.len(), 1);
    }
}
