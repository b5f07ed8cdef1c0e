//! The engine: a time limit reached a checkpoint.

use super::*;
use crate::domain::ticket::{SlaLevel, SlaScope, Stage};

/// Who may take this step.
pub const ROLES: &[Role] = &[];

/// This step's row of [`STEPS`](super::STEPS).
pub const STEP: StepInfo = StepInfo {
    name: "sla.flag",
    verb: "flag the time limit of",
    roles: ROLES,
    summary: "The engine: a time limit reached a checkpoint.",
};

/// Checks the step against the ticket: the event it yields and the status it leads to.
pub(super) fn decide(
    cx: &Cx,
    level: &SlaLevel,
    scope: &SlaScope,
    stage: &Stage,
    now: &Timestamp,
) -> Result<(EventKind, Status), Rejection> {
    cx.ticket
        .decide_sla(*level, *scope, *stage, *now, cx.catalog)
}
