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
pub mod fleet;
pub mod gateway;
pub mod peer;
pub mod report;
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
