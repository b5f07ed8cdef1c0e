//! Ticket actors and the directory that finds them.

mod actor;
mod directory;
mod messages;

pub use actor::{TicketActor, TicketDeps};
pub use directory::{Intake, OfferPlanner, TicketDirectory};
pub use messages::{CommandError, Execute, Executed, FirstOfferFiled, PlanFirstOffer};
