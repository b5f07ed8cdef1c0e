//! The actors: one [`ticket::TicketActor`] per open ticket, found and rebuilt by the
//! [`ticket::TicketDirectory`]; one [`coordinator::CoordinatorActor`] per active
//! collaboration group; one [`fleet::VehicleActor`] per vehicle. All three directories are
//! a [`directory::Directory`].

pub mod coordinator;
pub mod directory;
pub mod dispatch;
pub mod fleet;
pub mod grid;
pub mod probe;
pub mod retention;
pub mod sla;
pub mod ticket;
