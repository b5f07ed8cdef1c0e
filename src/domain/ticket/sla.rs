//! SLA supervision (督办) as pure rules: each stage has a time limit from the handling guide
//! and the ticket's grade; at 80% of it the ticket is warned, at 100% it is overdue. Each
//! happens once per stage entry, as an event, so a restart neither repeats nor forgets them.

use serde::{Deserialize, Serialize};

use super::{EventKind, Rejection, Stage, Status, Ticket};
use crate::domain::Timestamp;
use crate::domain::catalog::Catalog;

/// Share of a stage's limit after which the ticket is warned.
pub const WARNING_SHARE: f64 = 0.8;

/// How far along its current stage's clock the ticket is.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SlaLevel {
    Warning,
    Overdue,
}

/// What was raised in the current stage; cleared when the stage changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaMarks {
    pub warned: bool,
    pub overdue: bool,
}

/// When the current stage will be warned and overdue (those not raised yet).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub at: Timestamp,
    pub level: SlaLevel,
    pub stage: Stage,
    pub due_at: Timestamp,
}

impl Ticket {
    /// The SLA checkpoints still ahead of the current stage.
    pub fn sla_checkpoints(&self, catalog: &Catalog) -> Vec<Checkpoint> {
        let stage = self.stage();
        let (Some(grade), Some(span)) = (self.urgency, self.stages.last()) else {
            return Vec::new();
        };
        if self.status.is_closed() {
            return Vec::new();
        }
        let Some(limit) = catalog.stage_limit_for(self.category.as_deref(), grade, stage) else {
            return Vec::new();
        };
        let due_at = span.entered_at + limit;
        let warn_at = span.entered_at + limit * WARNING_SHARE;
        let mut out = Vec::with_capacity(2);
        if !self.sla.warned && !self.sla.overdue {
            out.push(Checkpoint {
                at: warn_at,
                level: SlaLevel::Warning,
                stage,
                due_at,
            });
        }
        if !self.sla.overdue {
            out.push(Checkpoint {
                at: due_at,
                level: SlaLevel::Overdue,
                stage,
                due_at,
            });
        }
        out
    }

    /// Whether the current stage is past its limit.
    pub fn is_overdue(&self) -> bool {
        self.sla.overdue
    }

    pub(super) fn decide_sla(
        &self,
        level: SlaLevel,
        stage: Stage,
        now: Timestamp,
        catalog: &Catalog,
    ) -> Result<(EventKind, Status), Rejection> {
        let stale = || {
            Rejection::rule(
                "sla_stale",
                "the ticket has left that stage or it was already raised",
            )
        };
        let point = self
            .sla_checkpoints(catalog)
            .into_iter()
            .find(|c| c.level == level && c.stage == stage)
            .ok_or_else(stale)?;
        if now < point.at {
            return Err(Rejection::rule(
                "sla_not_due",
                format!("not due before {}", point.at),
            ));
        }
        let kind = match level {
            SlaLevel::Warning => EventKind::SlaWarning {
                stage,
                due_at: point.due_at,
            },
            SlaLevel::Overdue => EventKind::SlaOverdue {
                stage,
                due_at: point.due_at,
            },
        };
        Ok((kind, self.status))
    }
}
