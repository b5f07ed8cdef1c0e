//! The handling guide at work: SLA supervision driven by the manual clock (also across a
//! restart), duplicates, location, returned reports and analytics.

mod duplicates;
mod location;
mod returns;
mod sla;
mod stats;
