//! The engine: a time limit reached a checkpoint.

use super::*;

/// The engine: a clock (the current stage's, or intake to reply) reached a checkpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct FlagSla {
    pub level: crate::domain::ticket::SlaLevel,
    pub scope: crate::domain::ticket::SlaScope,
    pub stage: crate::domain::ticket::Stage,
    pub now: Timestamp,
}

impl Step for FlagSla {
    const INFO: StepInfo = StepInfo {
        name: "sla.flag",
        verb: "flag the time limit of",
        roles: &[],
        summary: "The engine: a time limit reached a checkpoint.",
    };

    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection> {
        let Self { level, scope, stage, now } = self;
        cx.ticket
            .decide_sla(*level, *scope, *stage, *now, cx.catalog)
    }
}
