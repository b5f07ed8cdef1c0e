//! The actors: one [`ticket::TicketActor`] per open ticket, found and rebuilt by the
//! [`ticket::TicketRegistry`]; one [`coordinator::CoordinatorActor`] per active
//! collaboration group.

pub mod coordinator;
pub mod dispatch;
pub mod fleet;
pub mod grid;
pub mod retention;
pub mod sla;
pub mod ticket;
