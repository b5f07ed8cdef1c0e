//! The handling guide at work: SLA supervision driven by the manual clock, duplicates.

mod duplicates;
mod location;
mod sla;
mod stats;
