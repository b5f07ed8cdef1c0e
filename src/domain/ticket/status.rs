//! The status table of DOMAIN.md and the stage each status belongs to.

use std::fmt;

use serde::{Deserialize, Serialize};

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
pub enum Status {
    /// Registered, not yet confirmed by a dispatcher.
    Received,
    /// Category, urgency and location confirmed; waiting for a vehicle.
    Triaged,
    /// A vehicle accepted and is travelling.
    EnRoute,
    /// Arrived; inspecting.
    OnSite,
    /// The report is being written.
    Reporting,
    InReview,
    InApproval,
    /// Approved; the answer to the citizen is due.
    Replying,
    /// Answered; the return visit is due.
    AwaitingVisit,
    Archived,
    /// Handed to another unit or back to the platform.
    Transferred,
    /// Folded into another ticket as a duplicate.
    Merged,
}

impl Status {
    pub const ALL: [Status; 12] = [
        Self::Received,
        Self::Triaged,
        Self::EnRoute,
        Self::OnSite,
        Self::Reporting,
        Self::InReview,
        Self::InApproval,
        Self::Replying,
        Self::AwaitingVisit,
        Self::Archived,
        Self::Transferred,
        Self::Merged,
    ];

    pub fn stage(self) -> Stage {
        match self {
            Self::Received | Self::Triaged => Stage::Intake,
            Self::EnRoute | Self::OnSite => Stage::OnSite,
            Self::Reporting => Stage::Report,
            Self::InReview => Stage::Review,
            Self::InApproval => Stage::Approval,
            Self::Replying => Stage::Reply,
            Self::AwaitingVisit => Stage::ReturnVisit,
            Self::Archived | Self::Transferred | Self::Merged => Stage::Closed,
        }
    }

    pub fn is_closed(self) -> bool {
        self.stage() == Stage::Closed
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Triaged => "triaged",
            Self::EnRoute => "en_route",
            Self::OnSite => "on_site",
            Self::Reporting => "reporting",
            Self::InReview => "in_review",
            Self::InApproval => "in_approval",
            Self::Replying => "replying",
            Self::AwaitingVisit => "awaiting_visit",
            Self::Archived => "archived",
            Self::Transferred => "transferred",
            Self::Merged => "merged",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The five tracked stages, then reply, return visit and the closed state.
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
pub enum Stage {
    Intake,
    OnSite,
    Report,
    Review,
    Approval,
    Reply,
    ReturnVisit,
    Closed,
}

impl Stage {
    pub const ALL: [Stage; 8] = [
        Self::Intake,
        Self::OnSite,
        Self::Report,
        Self::Review,
        Self::Approval,
        Self::Reply,
        Self::ReturnVisit,
        Self::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Intake => "intake",
            Self::OnSite => "on_site",
            Self::Report => "report",
            Self::Review => "review",
            Self::Approval => "approval",
            Self::Reply => "reply",
            Self::ReturnVisit => "return_visit",
            Self::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn statuses(self) -> impl Iterator<Item = Status> {
        Status::ALL.into_iter().filter(move |s| s.stage() == self)
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
