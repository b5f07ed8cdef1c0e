//! Command-line interface of the load generator: one subcommand per scenario; with none,
//! `mixed` runs with the options given. The options of the fleet scenarios live in
//! `fleet::args`, those of the simulation scenarios in `sim::args`.

use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::sim::args::SimArgs;

/// Load generator and benchmarks for hotline-dispatch.
///
/// Every scenario sends traffic only to the URL it is given (meant for an engine on this
/// machine's loopback), is bounded in time, and ends cleanly on Ctrl-C with a partial
/// report. With no scenario named, `mixed` runs. Exit codes: 0 done, 1 failed to run,
/// 2 usage error, 3 ran but offers were lost or duplicated, 130 interrupted (the partial
/// report is still printed and written).
#[derive(Debug, Parser)]
#[command(
    name = "loadtest",
    version,
    about,
    long_about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// The options of `mixed`, the scenario run when none is named.
    #[command(flatten)]
    pub mixed: SimArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ticket intake: concurrent clients loop `POST /api/v1/tickets` as the 12313
    /// platform would; reports acknowledged (durable) intakes per second and latency.
    ///
    /// One phase per client count, each with a fresh connection pool of that size. Every
    /// request creates a new ticket (a unique `external_id`) with a realistic body:
    /// counterfeit, smuggled, late-delivery and ordering tickets in Wuxue. One intake is
    /// sent first to check the URL and token. Per phase the report gives the measured
    /// requests, the acknowledged ones (201, or 200 for a repeat), errors by status or
    /// failure (`timeout`, `connect`, `transport`), acks/s over the measured window
    /// (warm-up excluded), and p50/p90/p99/p99.9/max latency of acknowledged requests in ms.
    /// The Markdown table goes to stdout, progress to stderr, JSON to `--json`.
    Intake(IntakeArgs),
    /// GPS ingest: a simulated fleet, one `/ws/vehicle` socket per vehicle, streams fixes.
    ///
    /// Registers the vehicles (`--register`) and issues a field token for each, opens the
    /// sockets from the `--addresses` given (round robin), sets each vehicle available,
    /// then runs one phase per `--rate`/`--batch` pair: vehicles drive plausible paths
    /// across Wuxue at 20-60 km/h and send `position` frames at the rate (0 = back to
    /// back) with that many fixes each. Per phase the report gives fixes sent per second,
    /// fixes the engine accepted per second (its `hotline_fixes_accepted_total`, read
    /// before and after the measured window), refusals and errors, the engine's CPU,
    /// memory and busiest threads (`--server-pid`), this process's own CPU and the
    /// machine's busy time. Several processes can share a run through `--barrier-dir`.
    Ingest(crate::fleet::args::IngestArgs),
    /// Nearest vehicle: one dispatcher times `GET /dispatch/nearest?limit=1` at random
    /// points of the county (p50/p99 µs), optionally beside redis GEOSEARCH on the same
    /// fleet (`--redis`, `--fleet`) at the same points.
    Nearest(crate::fleet::args::NearestArgs),
    /// Dispatch: grade I tickets over HTTP at a fixed rate, offered by the engine to the
    /// nearest of a fleet of simulated vehicle apps that accept, drive to the site at
    /// 40-60 km/h, stay on site and file the on-site record.
    ///
    /// Times intake → offer at the vehicle and the intake's acknowledgement, and audits
    /// the offers: every grade I ticket must reach exactly one vehicle (lost or
    /// duplicated offers must be 0). Defaults: 1,000 vehicles at 1 Hz, 20 tickets/s, no
    /// consoles, 30 s. Writes report.json, report.md and PNG charts to `--out`.
    Dispatch(SimArgs),
    /// Fan-out: the dispatch load watched by many consoles (`/ws/console`) and public
    /// boards (`/ws/board`).
    ///
    /// Adds intake → `offer.sent` at every console and fix → `vehicle.moved` at a console
    /// (the fix's `ts` is its send time); every console must see each offer exactly once.
    /// Defaults: 1,000 vehicles, 5 tickets/s, 50 consoles, 50 boards, 30 s.
    Fanout(SimArgs),
    /// Mixed (the default): vehicles on sockets and through a GPS gateway, tickets,
    /// offers, field work, consoles and boards, all at once.
    ///
    /// Defaults: 1,000 vehicles, 20 tickets/s, 10 consoles, 10 boards, 30 s. For the
    /// big runs spread the sockets over `--addresses` and `--procs`.
    Mixed(SimArgs),
    /// Soak: the mixed load for a bounded time (default 10 minutes) with the engine's
    /// memory and CPU sampled throughout (`--server-pid`), to see drift.
    Soak(SimArgs),
    /// The Redis peer of a simulation, on the same data: GEOADD of the same vehicles'
    /// fixes (plain and pipelined), GEOSEARCH 500 m and 1 km at the same ticket sites,
    /// PUBLISH of offer-sized messages to many subscribers timed to receipt.
    Redis(crate::sim::peer::PeerArgs),
    /// A small receiver for the engine's status feed to the 12313 platform: point
    /// `APP__FEED__URL` at it; it checks signatures and order and prints the counts.
    FeedReceiver(crate::feed::FeedArgs),
    /// A share of the vehicle sockets, run as a child of a simulation (`--procs`); it
    /// speaks JSON lines on stdin and stdout.
    #[command(hide = true)]
    Worker,
}

impl Command {
    /// The scenario's name as typed on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Intake(_) => "intake",
            Command::Ingest(_) => "ingest",
            Command::Nearest(_) => "nearest",
            Command::Dispatch(_) => "dispatch",
            Command::Fanout(_) => "fanout",
            Command::Mixed(_) => "mixed",
            Command::Soak(_) => "soak",
            Command::Redis(_) => "redis",
            Command::FeedReceiver(_) => "feed-receiver",
            Command::Worker => "worker",
        }
    }
}

/// Options of the `intake` scenario.
#[derive(Debug, Clone, Args)]
pub struct IntakeArgs {
    /// Base URL of the engine (http only; no TLS is compiled in).
    #[arg(long, env = "LOADTEST_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,

    /// Bearer token with the `platform` (or `dispatcher`) role. Prefer the environment
    /// variable: a command-line argument is visible to other users in `ps`.
    #[arg(long, env = "LOADTEST_TOKEN", hide_env_values = true)]
    pub token: String,

    /// Client counts to run, one phase each, in order (comma separated). Each client is a
    /// task that sends one request, waits for its answer, and sends the next (closed loop).
    #[arg(long, value_delimiter = ',', default_value = "1,50", value_parser = parse_clients)]
    pub clients: Vec<usize>,

    /// Measured time of each phase, after the warm-up (e.g. 10s, 500ms, 2m).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,

    /// Warm-up at the start of each phase: requests sent then are not counted
    /// (connections opening, caches filling). 0s for none.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub warmup: Duration,

    /// Per-request timeout; a request still unanswered then counts as a `timeout` error.
    /// It also bounds how long a phase can overrun its duration.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Write the report as JSON to this file as well as printing the Markdown table.
    #[arg(long, value_name = "FILE")]
    pub json: Option<std::path::PathBuf>,

    /// Run identifier put in every `external_id` (`lt-<run>-p<phase>-<client>-<n>`) so
    /// that each request creates a new ticket; defaults to a value derived from the clock.
    /// Reusing a run id makes the engine answer repeats (200) instead of creating tickets.
    #[arg(long)]
    pub run_id: Option<String>,

    /// Seed of the body generator (category, coordinates, reporter); defaults to a value
    /// derived from the clock. The seed used is printed in the report.
    #[arg(long)]
    pub seed: Option<u64>,

    /// Do not draw the progress bar (it is drawn on stderr only when stderr is a terminal).
    #[arg(long)]
    pub no_progress: bool,
}

/// Upper bound on clients in one process: each holds a socket, a process here may hold
/// 20,000 file descriptors, and loopback has ~28,000 ephemeral ports per address pair.
pub const MAX_CLIENTS: usize = 10_000;

fn parse_clients(s: &str) -> Result<usize, String> {
    let n: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a client count"))?;
    if n == 0 {
        return Err("a client count must be at least 1".into());
    }
    if n > MAX_CLIENTS {
        return Err(format!(
            "{n} clients is more than one process should open ({MAX_CLIENTS}); \
             run several processes instead"
        ));
    }
    Ok(n)
}

/// Parses `500ms`, `10s`, `2m`, `1h`, or a bare number of seconds (`10`, `0.5`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (try 500ms, 10s, 2m)"))?;
    let secs = match unit.trim() {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{s}` (use ms, s, m or h)"
            ));
        }
    };
    if !secs.is_finite() || secs > 7.0 * 24.0 * 3600.0 {
        return Err(format!("`{s}` is out of range (at most a week)"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5d").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn clients_parse() {
        assert_eq!(parse_clients("50"), Ok(50));
        assert!(parse_clients("0").is_err());
        assert!(parse_clients("x").is_err());
        assert!(parse_clients("100000").is_err());
    }

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn intake_defaults() {
        let cli = Cli::try_parse_from(["loadtest", "intake", "--token", "t"]).expect("parses");
        let Some(Command::Intake(a)) = cli.command else {
            panic!("not intake")
        };
        assert_eq!(a.clients, vec![1, 50]);
        assert_eq!(a.duration, Duration::from_secs(10));
        assert_eq!(a.warmup, Duration::from_secs(2));
    }

    #[test]
    fn no_scenario_means_mixed_with_the_options_given() {
        let cli = Cli::try_parse_from(["loadtest", "--consoles", "3"]).expect("parses");
        assert!(cli.command.is_none());
        assert_eq!(cli.mixed.consoles, Some(3));
        let cli = Cli::try_parse_from(["loadtest", "soak", "--duration", "2m"]).expect("parses");
        assert_eq!(cli.command.as_ref().map(Command::name), Some("soak"));
        assert!(Cli::try_parse_from(["loadtest", "soak", "--hours", "3"]).is_err());
    }
}
