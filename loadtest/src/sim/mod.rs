//! The simulation scenarios — `dispatch`, `fanout`, `mixed` (the default) and `soak` —
//! one simulated command centre under load: vehicle apps on `/ws/vehicle` streaming fixes
//! and taking offers (`vehicle`), gateway-fed vehicles (`gateway`), tickets from the
//! platform (`tickets`), consoles and boards watching (`streams`). `track` measures,
//! `sampler` follows rates and the engine's memory and CPU over time, `report` and
//! `chart` write the results, `run` puts it together, `worker` runs a share of the vehicle
//! sockets in a child process, and `setup` registers the fleet and issues tokens. `peer` is the Redis side of a
//! comparison on the same data.

pub mod args;
pub mod chart;
pub mod counters;
pub mod fleet;
pub mod gateway;
pub mod peer;
pub mod report;
pub mod resp;
pub mod run;
pub mod sampler;
pub mod setup;
#[cfg(test)]
mod smoke;
pub mod streams;
pub mod tickets;
pub mod track;
pub mod vehicle;
pub mod worker;
pub mod wrapup;

use std::time::Duration;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

/// Where the run is; every task watches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Registering, connecting: vehicles already move.
    Setup,
    /// Everything runs; nothing is timed yet.
    Warmup,
    /// The measured window.
    Measure,
    /// No new tickets; offers still on their way are waited for.
    Drain,
    /// Close everything.
    Finish,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::Setup => "setup",
            Stage::Warmup => "warm-up",
            Stage::Measure => "measure",
            Stage::Drain => "drain",
            Stage::Finish => "finish",
        }
    }

    /// Whether tickets come in.
    pub fn intake(self) -> bool {
        matches!(self, Stage::Warmup | Stage::Measure)
    }
}

/// An HTTP client for loopback: no proxy, small idle pool, no Nagle.
pub fn http_client(pool: usize) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .pool_max_idle_per_host(pool)
        .timeout(Duration::from_secs(60))
        .connect_timeout(Duration::from_secs(5))
        .tcp_nodelay(true)
        .no_proxy()
        .build()
        .context("building the HTTP client")
}

pub fn bar(hidden: bool, len: u64, prefix: &str, template: &str) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(template) {
        b.set_style(style.progress_chars("=> "));
    }
    b.set_prefix(prefix.to_owned());
    b
}

pub const COUNT_BAR: &str = "{prefix:>10} [{bar:30.cyan/blue}] {pos}/{len} {elapsed}";
pub const RUN_BAR: &str = "{prefix:>10} [{bar:30.cyan/blue}] {elapsed}/{duration} {msg}";
