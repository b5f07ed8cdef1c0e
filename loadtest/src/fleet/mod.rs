//! The fleet scenarios: `ingest` (a simulated fleet streaming GPS fixes over vehicle
//! sockets while the engine's CPU, memory and accepted-fix counter are watched) and
//! `nearest` (one dispatcher timing nearest-vehicle queries beside redis GEOSEARCH,
//! whose side is in `redis_peer`).
//! `path` makes the movements, `register` the vehicles and tokens, `socket` drives one
//! vehicle app, `phase` runs one measured phase, `probe` reads `/proc` and `/metrics`,
//! `report` prints the ingest table.

pub mod args;
pub mod ingest;
pub mod nearest;
pub mod path;
pub mod phase;
pub mod probe;
pub mod redis_peer;
pub mod register;
pub mod report;
pub mod socket;
