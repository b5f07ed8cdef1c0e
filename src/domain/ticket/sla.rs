//! SLA supervision (督办) as pure rules. Two clocks run on a ticket: its current stage's
//! (the guide's limit for the stage and the grade) and the whole ticket's, from intake to
//! the reply (the guide's `total`). At 80% of a limit the ticket is warned, at 100% it is
//! overdue; each happens once per clock, as an event, so a restart neither repeats nor
//! forgets them. The stage clock starts again with every stage; the total clock runs until
//! the citizen has the reply, so a ticket late overall stays in the overdue queue however
//! it moves on.
//!
//! Deadlines are fixed in the ticket's state when a stage is entered (and when its category
//! or grade changes), so a guide edited later never moves an open ticket's deadline; each
//! stage's span keeps the deadline it had once the stage is over. The intake stage starts
//! when the platform received the call (at registration only if the platform's clock runs
//! ahead), so a ticket forwarded late is not given extra time. The
//! event that fixed them carries them too ([`FixedDeadlines`]), so folding the timeline
//! again gives the same ticket whatever the guide says by then. Snapshots written before
//! deadlines were kept have none: those are computed from the guide until the ticket's
//! next event fixes them.

use serde::{Deserialize, Serialize};

use super::{EventKind, Rejection, Stage, Status, Ticket};
use crate::domain::Timestamp;
use crate::domain::catalog::Catalog;
use crate::domain::error_code::ErrorCode;

/// Share of a limit after which the ticket is warned.
pub const WARNING_SHARE: f64 = 0.8;

/// How far along a clock the ticket is.
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

/// Which clock an SLA event is about.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
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
pub enum SlaScope {
    /// The current stage's limit (events stored before scopes existed are all this).
    #[default]
    Stage,
    /// The limit from intake to the reply to the citizen.
    Total,
}

impl SlaScope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stage => "stage",
            Self::Total => "total",
        }
    }
}

/// The stage clock's marks and deadline; cleared when the stage changes. The total clock's
/// are kept across stages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaMarks {
    /// 80% of the current stage's limit has passed.
    pub warned: bool,
    /// The current stage's limit has passed.
    pub overdue: bool,
    /// The current stage's deadline, fixed when the stage was entered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage_due_at: Option<Timestamp>,
    /// The intake-to-reply clock.
    #[serde(default)]
    pub total: TotalMarks,
}

/// The intake-to-reply clock: its deadline and what was raised on it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotalMarks {
    pub warned: bool,
    pub overdue: bool,
    /// Fixed when the grade became known (and when the category or grade changed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<Timestamp>,
}

impl SlaMarks {
    /// A new stage starts a new stage clock; the total clock runs on.
    pub(super) fn enter_stage(&mut self) {
        self.warned = false;
        self.overdue = false;
        self.stage_due_at = None;
    }

    pub(super) fn raise(&mut self, scope: SlaScope, level: SlaLevel, due_at: Timestamp) {
        let (warned, overdue, due) = match scope {
            SlaScope::Stage => (&mut self.warned, &mut self.overdue, &mut self.stage_due_at),
            SlaScope::Total => (
                &mut self.total.warned,
                &mut self.total.overdue,
                &mut self.total.due_at,
            ),
        };
        match level {
            SlaLevel::Warning => *warned = true,
            SlaLevel::Overdue => *overdue = true,
        }
        // A snapshot from before deadlines were kept learns it from the event.
        due.get_or_insert(due_at);
    }
}

/// The deadlines one step fixed, kept on its event record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedDeadlines {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage_due_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_due_at: Option<Timestamp>,
}

/// A point on one of the ticket's clocks not raised yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub at: Timestamp,
    pub level: SlaLevel,
    pub scope: SlaScope,
    /// The stage the ticket is in.
    pub stage: Stage,
    pub due_at: Timestamp,
}

impl Ticket {
    /// The SLA checkpoints still ahead on both clocks.
    pub fn sla_checkpoints(&self, catalog: &Catalog) -> Vec<Checkpoint> {
        if self.status.is_closed() {
            return Vec::new();
        }
        let stage = self.stage();
        let d = self.deadlines(catalog);
        let mut out = Vec::with_capacity(4);
        let mut clock =
            |scope, start: Timestamp, due_at: Timestamp, warned: bool, overdue: bool| {
                let warn_at = start + (due_at.inner() - start.inner()) * WARNING_SHARE;
                if !warned && !overdue {
                    out.push(Checkpoint {
                        at: warn_at,
                        level: SlaLevel::Warning,
                        scope,
                        stage,
                        due_at,
                    });
                }
                if !overdue {
                    out.push(Checkpoint {
                        at: due_at,
                        level: SlaLevel::Overdue,
                        scope,
                        stage,
                        due_at,
                    });
                }
            };
        if let (Some(due), Some(span)) = (d.stage_due_at, self.stages.last()) {
            clock(
                SlaScope::Stage,
                span.entered_at,
                due,
                self.sla.warned,
                self.sla.overdue,
            );
        }
        if self.total_clock_runs()
            && let Some(due) = d.reply_due_at
        {
            let total = self.sla.total;
            clock(
                SlaScope::Total,
                self.received_at,
                due,
                total.warned,
                total.overdue,
            );
        }
        out
    }

    /// The intake-to-reply clock runs while the ticket is open and has no reply (a reopen
    /// takes the reply back, and the clock counts again from intake).
    fn total_clock_runs(&self) -> bool {
        !self.status.is_closed() && self.reply.is_none()
    }

    /// Past the intake-to-reply limit with no reply yet.
    pub fn is_overdue_overall(&self) -> bool {
        self.sla.total.overdue && self.total_clock_runs()
    }

    /// In the overdue queue: the current stage or the whole ticket is past its limit.
    pub fn is_overdue(&self) -> bool {
        self.sla.overdue || self.is_overdue_overall()
    }

    /// The earliest deadline the ticket has missed and is still late on: the overdue
    /// queue's order. A snapshot from before deadlines were kept falls back to its stage's
    /// start.
    pub fn overdue_since(&self) -> Option<Timestamp> {
        let stage_start = self
            .stages
            .last()
            .map_or(self.received_at, |s| s.entered_at);
        let stage = self
            .sla
            .overdue
            .then(|| self.sla.stage_due_at.unwrap_or(stage_start));
        let total = self
            .is_overdue_overall()
            .then(|| self.sla.total.due_at.unwrap_or(self.received_at));
        stage.into_iter().chain(total).min()
    }

    /// The current stage's deadline from the guide as it is now.
    fn guide_stage_due(&self, catalog: &Catalog) -> Option<Timestamp> {
        let grade = self.urgency?;
        let entered = self
            .stages
            .last()
            .map_or(self.received_at, |s| s.entered_at);
        let limit = catalog.stage_limit_for(self.category.as_deref(), grade, self.stage())?;
        Some(entered + limit)
    }

    /// The intake-to-reply deadline from the guide as it is now.
    fn guide_total_due(&self, catalog: &Catalog) -> Option<Timestamp> {
        let limit = catalog.total_limit_for(self.category.as_deref(), self.urgency?)?;
        Some(self.received_at + limit)
    }

    /// The stage's deadline as kept, or (an old snapshot) as the guide gives it now.
    pub(super) fn stage_due(&self, catalog: &Catalog) -> Option<Timestamp> {
        self.sla
            .stage_due_at
            .or_else(|| self.guide_stage_due(catalog))
    }

    /// The intake-to-reply deadline as kept, or (an old snapshot) as the guide gives it now.
    pub(super) fn total_due(&self, catalog: &Catalog) -> Option<Timestamp> {
        self.sla
            .total
            .due_at
            .or_else(|| self.guide_total_due(catalog))
    }

    /// Fixes the deadlines after a change: the ones not fixed yet (a stage just entered, a
    /// grade just known, an old snapshot), and both when `rebased` (the category or grade
    /// changed, so the limits that apply are others). Returns them if any changed.
    pub(super) fn fix_deadlines(
        &mut self,
        catalog: &Catalog,
        rebased: bool,
    ) -> Option<FixedDeadlines> {
        let before = self.fixed_deadlines();
        let mut stage_due = self.sla.stage_due_at;
        let mut total_due = self.sla.total.due_at;
        if rebased || stage_due.is_none() {
            stage_due = self.guide_stage_due(catalog);
        }
        if rebased || total_due.is_none() {
            total_due = self.guide_total_due(catalog);
        }
        self.move_deadlines(FixedDeadlines {
            stage_due_at: stage_due,
            reply_due_at: total_due,
        });
        let after = self.fixed_deadlines();
        (after != before).then_some(after)
    }

    /// Sets the deadlines. A clock whose deadline moved (a new grade or category) is judged
    /// afresh: a warning or overdue raised against the old deadline no longer holds, and
    /// the supervisor raises it again if the new one has passed too.
    fn move_deadlines(&mut self, fixed: FixedDeadlines) {
        let sla = &mut self.sla;
        if sla.stage_due_at.is_some() && sla.stage_due_at != fixed.stage_due_at {
            sla.warned = false;
            sla.overdue = false;
        }
        if sla.total.due_at.is_some() && sla.total.due_at != fixed.reply_due_at {
            sla.total.warned = false;
            sla.total.overdue = false;
        }
        sla.stage_due_at = fixed.stage_due_at;
        sla.total.due_at = fixed.reply_due_at;
        self.keep_stage_due();
    }

    /// The deadlines as fixed now.
    pub fn fixed_deadlines(&self) -> FixedDeadlines {
        FixedDeadlines {
            stage_due_at: self.sla.stage_due_at,
            reply_due_at: self.sla.total.due_at,
        }
    }

    /// Puts back the deadlines an event record says its step fixed (folding a timeline).
    pub fn restore_deadlines(&mut self, fixed: FixedDeadlines) {
        self.move_deadlines(fixed);
    }

    /// The current stage's span keeps the stage clock's deadline, for after the stage.
    fn keep_stage_due(&mut self) {
        if let Some(span) = self.stages.last_mut() {
            span.due_at = self.sla.stage_due_at;
        }
    }

    pub(super) fn decide_sla(
        &self,
        level: SlaLevel,
        scope: SlaScope,
        stage: Stage,
        now: Timestamp,
        catalog: &Catalog,
    ) -> Result<(EventKind, Status), Rejection> {
        let stale = || {
            Rejection::rule(
                ErrorCode::SlaStale,
                "the ticket has left that stage or it was already raised",
            )
        };
        // The total clock does not care which stage the ticket is in.
        let point = self
            .sla_checkpoints(catalog)
            .into_iter()
            .find(|c| {
                c.level == level
                    && c.scope == scope
                    && (scope == SlaScope::Total || c.stage == stage)
            })
            .ok_or_else(stale)?;
        if now < point.at {
            return Err(Rejection::rule(
                ErrorCode::SlaNotDue,
                format!("not due before {}", point.at),
            ));
        }
        let (stage, due_at) = (point.stage, point.due_at);
        let kind = match level {
            SlaLevel::Warning => EventKind::SlaWarning {
                stage,
                due_at,
                scope,
            },
            SlaLevel::Overdue => EventKind::SlaOverdue {
                stage,
                due_at,
                scope,
            },
        };
        Ok((kind, self.status))
    }
}

#[cfg(test)]
mod tests;
