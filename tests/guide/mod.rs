//! The handling guide at work: SLA supervision driven by the manual clock (stage and
//! intake-to-reply limits, also across a restart and an edited guide), duplicates,
//! location, returned reports and analytics.

mod duplicates;
mod intake_clock;
mod location;
mod own_team;
mod returns;
mod sla;
mod sla_total;
mod stats;
