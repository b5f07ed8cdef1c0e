//! The fleet scenarios: `ingest` (a simulated fleet streaming GPS fixes over vehicle
//! sockets while the engine's CPU, memory and accepted-fix counter are watched) and
//! `nearest` (one dispatcher timing nearest-vehicle queries beside redis GEOSEARCH).
//! `path` makes the movements, `register` the vehicles and tokens, `socket` drives one
//! vehicle app, `probe` reads `/proc` and `/metrics`, `report` prints the ingest table.

pub mod args;
pub mod ingest;
pub mod nearest;
pub mod path;
pub mod probe;
pub mod register;
pub mod report;
pub mod socket;
