//! The live fleet: vehicle actors, team actors and their registry.

pub mod messages;
mod registry;
mod team;
mod vehicle;

pub use registry::FleetRegistry;
pub use team::{GetTeam, TeamActor, TeamTicket, TeamView};
pub use vehicle::{FleetDeps, VehicleActor};
