//! Ticket actors and the registry that owns them.

mod actor;
mod messages;
mod registry;

pub use actor::{TicketActor, TicketDeps};
pub use messages::{CommandError, Execute, Executed};
pub use registry::{Intake, TicketRegistry};
