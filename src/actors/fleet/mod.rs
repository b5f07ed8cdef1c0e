//! The live fleet: vehicle actors, team actors and the directory that finds them.

mod directory;
pub mod messages;
mod receipts;
mod sessions;
mod silence;
mod team;
mod vehicle;

pub use directory::{FleetDirectory, GatewayTaken};
pub use silence::GatewaySilence;
pub use team::{GetTeam, TeamActor, TeamTicket, TeamView};
pub use vehicle::{FleetDeps, VehicleActor};
