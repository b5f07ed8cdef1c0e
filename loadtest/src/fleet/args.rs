//! Command-line options of the fleet scenarios: `ingest` (vehicle sockets streaming GPS
//! fixes) and `nearest` (one dispatcher timing nearest-vehicle queries, optionally beside
//! redis GEOSEARCH on the same fleet). Validation that needs more than one option (phase
//! lists, address families) happens here too, so the scenarios start from sound values.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::cli::parse_duration;

/// Most sockets one process opens: a process here may hold 20,000 file descriptors.
pub const MAX_VEHICLES: usize = 18_000;
/// The engine's default bound on fixes per frame.
pub const MAX_BATCH: usize = 1000;

/// Options of the `ingest` scenario.
#[derive(Debug, Clone, Args)]
pub struct IngestArgs {
    /// Base URL of the engine (http, on this machine's loopback).
    #[arg(long, env = "LOADTEST_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,

    /// Admin token (registers vehicles, issues field tokens). Prefer the environment
    /// variable: arguments are visible in `ps`.
    #[arg(long, env = "LOADTEST_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: String,

    /// Vehicles, one socket each.
    #[arg(long, default_value_t = 1000, value_parser = parse_vehicles)]
    pub vehicles: usize,

    /// Frames per second per socket, one phase per value (comma separated); 0 sends
    /// back to back to find the ceiling. Paired with `--batch` (a single value applies
    /// to every phase).
    #[arg(long, value_delimiter = ',', default_value = "1")]
    pub rate: Vec<f64>,

    /// Fixes per frame, one per phase (comma separated): 1 sends a single fix per
    /// frame, more sends a `fixes` array (at most 1000).
    #[arg(long, value_delimiter = ',', default_value = "1", value_parser = parse_batch)]
    pub batch: Vec<usize>,

    /// At rate 0: application pings a socket may have unanswered before it waits (a ping
    /// follows every frame of 10 fixes or more, every 4th smaller one), so it sends as
    /// fast as the engine handles its frames; 0 sends open loop, as fast as the kernel
    /// takes them (the engine then buffers what it cannot handle yet).
    #[arg(long, default_value_t = 1)]
    pub inflight: usize,

    /// Measured time of each phase, after its warm-up.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,

    /// Warm-up at the start of each phase (sent, not counted).
    #[arg(long, default_value = "3s", value_parser = parse_duration)]
    pub warmup: Duration,

    /// Local addresses the sockets are bound to, round robin (comma separated, loopback
    /// only): each address pair has ~28,000 ephemeral ports.
    #[arg(long, value_delimiter = ',', default_value = "127.0.0.1")]
    pub addresses: Vec<IpAddr>,

    /// Register the squad and vehicles first (else they must exist already).
    #[arg(long)]
    pub register: bool,

    /// Run even though the engine's store holds real squads or vehicles (any not marked
    /// `simulated`). Without it the run refuses such a store before registering anything:
    /// its squads, vehicles and tickets would sit beside a working command centre's.
    #[arg(long)]
    pub allow_real_store: bool,

    /// Prefix of the squad and vehicle ids; give each concurrent process its own.
    #[arg(long, default_value = "lt", value_parser = parse_prefix)]
    pub id_prefix: String,

    /// Process id of the engine, to report its CPU and memory from /proc.
    #[arg(long)]
    pub server_pid: Option<u32>,

    /// Admin requests in flight while registering.
    #[arg(long, default_value_t = 32)]
    pub register_concurrency: usize,

    /// Sockets being opened at once.
    #[arg(long, default_value_t = 200)]
    pub connect_concurrency: usize,

    /// Seed of the starting points and paths; defaults to one derived from the clock.
    #[arg(long)]
    pub seed: Option<u64>,

    /// Directory where concurrent processes meet before each phase (a file per process
    /// and phase), so that their measured windows coincide.
    #[arg(long, value_name = "DIR", requires = "procs")]
    pub barrier_dir: Option<PathBuf>,

    /// Processes meeting in `--barrier-dir`.
    #[arg(long, default_value_t = 1)]
    pub procs: usize,

    /// This process's number among `--procs` (0-based).
    #[arg(long, default_value_t = 0)]
    pub proc_index: usize,

    /// Longest wait for the other processes at a barrier.
    #[arg(long, default_value = "600s", value_parser = parse_duration)]
    pub barrier_timeout: Duration,

    /// Longest wait after a phase for the engine to work through what was sent.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub drain_timeout: Duration,

    /// Write the report as JSON to this file too.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Write each vehicle's last position sent (`id,lng,lat` lines) to this file.
    #[arg(long, value_name = "FILE")]
    pub fleet_out: Option<PathBuf>,

    /// Do not draw progress bars.
    #[arg(long)]
    pub no_progress: bool,
}

impl IngestArgs {
    /// The phases as (rate, batch) pairs; `--rate` and `--batch` pair up, a single
    /// value applying to every phase.
    pub fn phases(&self) -> Result<Vec<(f64, usize)>, String> {
        let (r, b) = (self.rate.len(), self.batch.len());
        let n = match (r, b) {
            (r, b) if r == b => r,
            (1, b) => b,
            (r, 1) => r,
            _ => {
                return Err(format!(
                    "--rate has {r} value(s) and --batch {b}: give the same number, or one"
                ));
            }
        };
        (0..n)
            .map(|i| {
                let rate = self.rate[i.min(r - 1)];
                if !(0.0..=10_000.0).contains(&rate) {
                    return Err(format!("--rate {rate} is not 0 to 10000 frames/s"));
                }
                Ok((rate, self.batch[i.min(b - 1)]))
            })
            .collect()
    }
}

/// Options of the `nearest` scenario.
#[derive(Debug, Clone, Args)]
pub struct NearestArgs {
    /// Base URL of the engine.
    #[arg(long, env = "LOADTEST_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,

    /// Dispatcher (or supervisor) token.
    #[arg(long, env = "LOADTEST_TOKEN", hide_env_values = true)]
    pub token: String,

    /// Measured queries per side.
    #[arg(long, default_value_t = 5000)]
    pub queries: usize,

    /// Unmeasured queries first, per side.
    #[arg(long, default_value_t = 200)]
    pub warmup_queries: usize,

    /// Clients, each sending one query at a time.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,

    /// Seed of the query points (the same points go to both sides).
    #[arg(long, default_value_t = 12313)]
    pub seed: u64,

    /// Also time redis GEOSEARCH at the same points, e.g. `redis://127.0.0.1:6379/`.
    #[arg(long, value_name = "URL", requires = "fleet")]
    pub redis: Option<String>,

    /// Fleet files (`id,lng,lat` lines, as `ingest --fleet-out` writes) loaded into the
    /// redis key with GEOADD before timing.
    #[arg(long, value_name = "FILE", value_delimiter = ',')]
    pub fleet: Vec<PathBuf>,

    /// The redis key holding the fleet (replaced).
    #[arg(long, default_value = "loadtest:fleet")]
    pub redis_key: String,

    /// GEOSEARCH radius, km.
    #[arg(long, default_value_t = 20.0)]
    pub radius_km: f64,

    /// Write the report as JSON to this file too.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

fn parse_vehicles(s: &str) -> Result<usize, String> {
    let n: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a count"))?;
    if n == 0 || n > MAX_VEHICLES {
        return Err(format!(
            "{n} vehicles: give 1 to {MAX_VEHICLES} per process (file descriptors); \
             run several processes with their own --id-prefix for more"
        ));
    }
    Ok(n)
}

fn parse_batch(s: &str) -> Result<usize, String> {
    let n: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a count"))?;
    if n == 0 || n > MAX_BATCH {
        return Err(format!("a frame carries 1 to {MAX_BATCH} fixes, not {n}"));
    }
    Ok(n)
}

fn parse_prefix(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 40
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(s.to_owned())
    } else {
        Err("an id prefix is 1 to 40 letters, digits, '-' or '_'".into())
    }
}

#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn ingest(args: &[&str]) -> super::IngestArgs {
        let mut all = vec!["loadtest", "ingest", "--admin-token", "t"];
        all.extend_from_slice(args);
        match Cli::try_parse_from(all).expect("parses").command {
            Some(Command::Ingest(a)) => a,
            other => panic!("not ingest: {other:?}"),
        }
    }

    #[test]
    fn phases_pair_rates_and_batches() {
        let a = ingest(&["--rate", "5,0.3,0", "--batch", "1,100,1"]);
        assert_eq!(a.phases(), Ok(vec![(5.0, 1), (0.3, 100), (0.0, 1)]));
        let a = ingest(&["--rate", "2", "--batch", "1,10"]);
        assert_eq!(a.phases(), Ok(vec![(2.0, 1), (2.0, 10)]));
        let a = ingest(&["--rate", "1,2,3", "--batch", "1,10"]);
        assert!(a.phases().is_err());
        let a = ingest(&["--rate=-1"]);
        assert!(a.phases().is_err());
    }

    #[test]
    fn bounds_are_checked() {
        let bad = |args: &[&str]| {
            let mut all = vec!["loadtest", "ingest", "--admin-token", "t"];
            all.extend_from_slice(args);
            Cli::try_parse_from(all).is_err()
        };
        assert!(bad(&["--vehicles", "0"]));
        assert!(bad(&["--vehicles", "50000"]));
        assert!(bad(&["--batch", "1001"]));
        assert!(bad(&["--id-prefix", "a b"]));
        assert!(bad(&["--addresses", "localhost"]));
        let a = ingest(&["--addresses", "127.0.0.1,127.0.0.2", "--vehicles", "10000"]);
        assert_eq!(a.addresses.len(), 2);
        assert_eq!(a.vehicles, 10_000);
    }

    #[test]
    fn nearest_defaults() {
        let cli = Cli::try_parse_from(["loadtest", "nearest", "--token", "t"]).expect("parses");
        let Some(Command::Nearest(a)) = cli.command else {
            panic!("not nearest")
        };
        assert_eq!((a.queries, a.concurrency), (5000, 1));
        assert!(a.redis.is_none());
    }
}
