//! Options of the simulation scenarios (`dispatch`, `fanout`, `mixed`, `soak`): one set of
//! options, with defaults that differ by scenario (`Preset`). A scenario is the same
//! simulation with different parts switched on: vehicles on sockets (and gateway-fed
//! ones), tickets coming in, consoles and boards watching.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::cli::parse_duration;

/// Most vehicle sockets one load process opens (a process may hold 20,000 descriptors).
pub const MAX_SOCKETS_PER_PROC: usize = 18_000;

/// Options shared by the simulation scenarios; unset ones take the scenario's default.
#[derive(Debug, Clone, Args)]
pub struct SimArgs {
    /// Base URL of the engine (http, on this machine's loopback).
    #[arg(long, env = "LOADTEST_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,

    /// Admin token: registers the squads and vehicles and issues the other tokens.
    /// Prefer the environment variable (arguments are visible in `ps`).
    #[arg(long, env = "LOADTEST_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// Vehicles with an app on `/ws/vehicle` (one socket each): they stream fixes, take
    /// offers, drive to the site and file the on-site record.
    #[arg(long)]
    pub vehicles: Option<usize>,

    /// Vehicles fed by a GPS gateway (`POST /positions` batches), off duty: they load
    /// ingest and the index but take no offers (delivery vans, say).
    #[arg(long)]
    pub gateway_vehicles: Option<usize>,

    /// Fixes per second per vehicle (sockets and gateway).
    #[arg(long, default_value_t = 1.0)]
    pub rate: f64,

    /// Fixes per socket frame: 1 sends one fix per frame, more a `fixes` array (the
    /// frame rate is then `rate / batch`).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub batch: u16,

    /// Fixes per gateway request.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub gateway_batch: u16,

    /// Tickets per second taken in over `POST /tickets`.
    #[arg(long)]
    pub tickets: Option<f64>,

    /// Share of tickets that are grade I leads (offered to the nearest vehicle at
    /// intake); the rest are routine complaints that wait for a dispatcher.
    #[arg(long, default_value_t = 0.9)]
    pub urgent_share: f64,

    /// Dispatch consoles (`/ws/console`).
    #[arg(long)]
    pub consoles: Option<usize>,

    /// What each console's map shows, named to the engine (`/ws/console?view=`) each time
    /// its stream opens or resumes: `town` (a desk on its own district, console k on the k-th
    /// town of the area file, ±0.05°, zoomed in: every vehicle there one by one) or
    /// `everything` (no viewport: every move of the whole fleet, as before viewports).
    #[arg(long, value_enum, default_value_t = ConsoleView::Town)]
    pub console_view: ConsoleView,

    /// Public boards (`/ws/board`).
    #[arg(long)]
    pub boards: Option<usize>,

    /// Measured time, after the warm-up.
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,

    /// Warm-up: everything runs, nothing is counted in the histograms.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub warmup: Duration,

    /// After the measured time: no new tickets, fixes go on, offers still on their way
    /// are waited for this long before a ticket without one counts as lost.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub drain: Duration,

    /// Time a crew spends on site before filing the on-site record and heading off.
    #[arg(long, default_value = "20s", value_parser = parse_duration)]
    pub onsite: Duration,

    /// Routine tickets taken in before the run (as fast as the engine takes them), so
    /// that the run sees a store and registry with that many open tickets.
    #[arg(long, default_value_t = 0)]
    pub open_tickets: usize,

    /// Local loopback addresses the sockets are bound to, round robin (each address pair
    /// has ~28,000 ephemeral ports).
    #[arg(long, value_delimiter = ',', default_value = "127.0.0.1")]
    pub addresses: Vec<IpAddr>,

    /// Load processes: this one and `procs - 1` children that take a share of the
    /// vehicle sockets (a process may hold 20,000 descriptors).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=32))]
    pub procs: u16,

    /// Prefix of the squad, vehicle and ticket ids of this run.
    #[arg(long, default_value = "sim")]
    pub id_prefix: String,

    /// Process id of the engine: its RSS and CPU are sampled from /proc.
    #[arg(long)]
    pub server_pid: Option<u32>,

    /// Sampling interval of rates and of the engine's memory and CPU.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub sample: Duration,

    /// Directory for report.json, report.md and the PNG charts.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Seed of paths, sites and bodies; defaults to one derived from the clock.
    #[arg(long)]
    pub seed: Option<u64>,

    /// Admin requests in flight while registering.
    #[arg(long, default_value_t = 32)]
    pub register_concurrency: usize,

    /// Sockets being opened at once.
    #[arg(long, default_value_t = 200)]
    pub connect_concurrency: usize,

    /// Intakes in flight at most (open loop: when the engine is slower, the excess is
    /// counted as `intake_backlog` and not sent).
    #[arg(long, default_value_t = 512)]
    pub max_inflight: usize,

    /// Do not draw the progress bar.
    #[arg(long)]
    pub no_progress: bool,

    /// Run even though the engine's store holds real squads or vehicles (any not marked
    /// `simulated`). Without it the run refuses such a store before registering anything:
    /// its squads, vehicles and tickets would sit beside a working command centre's.
    #[arg(long)]
    pub allow_real_store: bool,
}

/// The defaults of one scenario.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    pub name: &'static str,
    pub vehicles: usize,
    pub gateway_vehicles: usize,
    pub tickets: f64,
    pub consoles: usize,
    pub boards: usize,
    pub duration: Duration,
}

pub const DISPATCH: Preset = Preset {
    name: "dispatch",
    vehicles: 1000,
    gateway_vehicles: 0,
    tickets: 20.0,
    consoles: 0,
    boards: 0,
    duration: Duration::from_secs(30),
};
pub const FANOUT: Preset = Preset {
    name: "fanout",
    vehicles: 1000,
    gateway_vehicles: 0,
    tickets: 5.0,
    consoles: 50,
    boards: 50,
    duration: Duration::from_secs(30),
};
pub const MIXED: Preset = Preset {
    name: "mixed",
    vehicles: 1000,
    gateway_vehicles: 0,
    tickets: 20.0,
    consoles: 10,
    boards: 10,
    duration: Duration::from_secs(30),
};
pub const SOAK: Preset = Preset {
    name: "soak",
    vehicles: 1000,
    gateway_vehicles: 0,
    tickets: 10.0,
    consoles: 5,
    boards: 5,
    duration: Duration::from_secs(600),
};

/// What a simulated console watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ConsoleView {
    Town,
    Everything,
}

/// The options with every default filled in and checked.
#[derive(Debug, Clone)]
pub struct Plan {
    pub scenario: &'static str,
    pub args: SimArgs,
    pub admin_token: String,
    pub vehicles: usize,
    pub gateway_vehicles: usize,
    pub tickets: f64,
    pub consoles: usize,
    pub boards: usize,
    pub duration: Duration,
}

impl Plan {
    pub fn new(preset: Preset, args: SimArgs) -> Result<Self, String> {
        let admin_token = args
            .admin_token
            .clone()
            .filter(|t| !t.trim().is_empty())
            .ok_or("an admin token is needed: set LOADTEST_ADMIN_TOKEN or pass --admin-token")?;
        let plan = Self {
            scenario: preset.name,
            vehicles: args.vehicles.unwrap_or(preset.vehicles),
            gateway_vehicles: args.gateway_vehicles.unwrap_or(preset.gateway_vehicles),
            tickets: args.tickets.unwrap_or(preset.tickets),
            consoles: args.consoles.unwrap_or(preset.consoles),
            boards: args.boards.unwrap_or(preset.boards),
            duration: args.duration.unwrap_or(preset.duration),
            admin_token,
            args,
        };
        plan.check()?;
        Ok(plan)
    }

    fn check(&self) -> Result<(), String> {
        let a = &self.args;
        if !(0.01..=100.0).contains(&a.rate) {
            return Err(format!("--rate {} is not 0.01 to 100 fixes/s", a.rate));
        }
        if !(0.0..=10_000.0).contains(&self.tickets) {
            return Err(format!(
                "--tickets {} is not 0 to 10000 a second",
                self.tickets
            ));
        }
        if !(0.0..=1.0).contains(&a.urgent_share) {
            return Err("--urgent-share is a share, 0 to 1".into());
        }
        if self.vehicles > 200_000 || self.gateway_vehicles > 1_000_000 {
            return Err("at most 200,000 socket and 1,000,000 gateway vehicles".into());
        }
        let per_proc = self.vehicles.div_ceil(usize::from(a.procs));
        if per_proc + self.consoles + self.boards > MAX_SOCKETS_PER_PROC {
            return Err(format!(
                "{per_proc} sockets in one process is too many: raise --procs"
            ));
        }
        if a.addresses.is_empty() || a.addresses.iter().any(|ip| !ip.is_loopback()) {
            return Err("--addresses: loopback addresses only".into());
        }
        let prefix_ok = !a.id_prefix.is_empty()
            && a.id_prefix.len() <= 32
            && a.id_prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !prefix_ok {
            return Err("--id-prefix is 1 to 32 letters, digits, '-' or '_'".into());
        }
        if self.duration.is_zero() || a.sample < Duration::from_millis(100) {
            return Err("--duration must be positive and --sample at least 100ms".into());
        }
        Ok(())
    }

    /// Socket vehicles run by process `k` of `procs` (the first ones take the remainder).
    pub fn vehicles_of(&self, k: usize) -> std::ops::Range<usize> {
        let procs = usize::from(self.args.procs);
        let base = self.vehicles / procs;
        let extra = self.vehicles % procs;
        let start = k * base + k.min(extra);
        start..start + base + usize::from(k < extra)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn plan(args: &[&str]) -> Result<Plan, String> {
        let mut all = vec!["loadtest", "dispatch", "--admin-token", "t"];
        all.extend_from_slice(args);
        match Cli::try_parse_from(all).map_err(|e| e.to_string())?.command {
            Some(Command::Dispatch(a)) => Plan::new(DISPATCH, a),
            _ => Err("not dispatch".into()),
        }
    }

    #[test]
    fn defaults_come_from_the_preset() {
        let p = plan(&[]).expect("plan");
        assert_eq!((p.vehicles, p.consoles, p.tickets), (1000, 0, 20.0));
        let p = plan(&["--consoles", "3", "--vehicles", "7"]).expect("plan");
        assert_eq!((p.vehicles, p.consoles), (7, 3));
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(plan(&["--rate", "0"]).is_err());
        assert!(plan(&["--urgent-share", "2"]).is_err());
        assert!(plan(&["--vehicles", "30000"]).is_err());
        assert!(plan(&["--vehicles", "30000", "--procs", "2"]).is_ok());
        assert!(plan(&["--addresses", "10.0.0.1"]).is_err());
        assert!(plan(&["--id-prefix", "a b"]).is_err());
    }

    #[test]
    fn vehicles_split_over_processes() {
        let p = plan(&["--vehicles", "10", "--procs", "3"]).expect("plan");
        let parts: Vec<_> = (0..3).map(|k| p.vehicles_of(k)).collect();
        assert_eq!(parts, vec![0..4, 4..7, 7..10]);
    }
}
