//! Time limits of one urgency grade: hours allowed per stage and from intake to the reply,
//! used globally (`[sla.<grade>]`) and by categories that differ (`[category.sla.<grade>]`).

use serde::{Deserialize, Serialize};
use time::Duration;

use super::Urgency;
use crate::domain::ticket::Stage;

/// Hours allowed per stage for one grade.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageLimits {
    pub intake: f64,
    pub on_site: f64,
    pub report: f64,
    pub review: f64,
    pub approval: f64,
    pub reply: f64,
    pub return_visit: f64,
    /// From intake to the reply to the citizen.
    pub total: f64,
}

impl StageLimits {
    pub(super) fn hours(&self, stage: Stage) -> Option<f64> {
        Some(match stage {
            Stage::Intake => self.intake,
            Stage::OnSite => self.on_site,
            Stage::Report => self.report,
            Stage::Review => self.review,
            Stage::Approval => self.approval,
            Stage::Reply => self.reply,
            Stage::ReturnVisit => self.return_visit,
            Stage::Closed => return None,
        })
    }

    pub(super) fn all(&self) -> [(&'static str, f64); 8] {
        [
            ("intake", self.intake),
            ("on_site", self.on_site),
            ("report", self.report),
            ("review", self.review),
            ("approval", self.approval),
            ("reply", self.reply),
            ("return_visit", self.return_visit),
            ("total", self.total),
        ]
    }

    /// Every limit must be a positive, finite number of hours.
    pub(super) fn check(&self, grade: Urgency) -> Result<(), String> {
        for (stage, h) in self.all() {
            if !h.is_finite() || h <= 0.0 {
                return Err(format!(
                    "grade {} {stage}: {h} is not a positive number of hours",
                    grade.as_str()
                ));
            }
        }
        Ok(())
    }
}

/// `h` hours as a duration.
pub(super) fn hours(h: f64) -> Duration {
    Duration::seconds_f64(h * 3600.0)
}
