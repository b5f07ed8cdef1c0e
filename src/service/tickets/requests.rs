//! The bodies of the ticket steps, as HTTP routes and console command frames send them:
//! each is deserialised once, straight from the bytes or the frame, and checked by its step
//! in `steps.rs`. They are the OpenAPI request schemas of the lifecycle routes.

use std::collections::BTreeMap;

use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::tickets::dto::{EvidenceDto, LatLngDto};
use crate::api::tickets::returns::ReasonIn;
use crate::domain::catalog::Urgency;
use crate::domain::ticket::{ReviewDecision, Satisfaction, Status};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriageRequest {
    pub category: Option<String>,
    pub urgency: Option<Urgency>,
    pub location: Option<LatLngDto>,
    pub address_text: Option<String>,
    pub retailer_licence: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchRequest {
    /// The vehicle to offer the ticket to; the nearest eligible one when absent.
    pub vehicle_id: Option<String>,
    /// Send the named vehicle at once (already agreed by phone), without an offer.
    #[serde(default)]
    pub assign: bool,
    /// Send a vehicle that holds another offer or ticket, or that declined this one.
    #[serde(default, rename = "override")]
    pub override_busy: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelDispatchRequest {
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    pub staff_id: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnsiteRecordRequest {
    /// What was found.
    pub findings: String,
    /// What was done (seizure, notice served, ...).
    #[serde(default)]
    pub actions: String,
    #[serde(default)]
    pub evidence: Vec<EvidenceDto>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// Section name → text; the category's required sections must all be filled.
    pub sections: BTreeMap<String, String>,
    #[serde(default)]
    pub evidence: Vec<EvidenceDto>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    pub decision: ReviewDecision,
    /// Why it goes back (required with `return`): guide reason codes with notes, or text.
    #[serde(default)]
    pub reasons: Vec<ReasonIn>,
}

#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalVerdict {
    Approve,
    Return,
}

#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReturnTo {
    Reporting,
    InReview,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRequest {
    pub decision: ApprovalVerdict,
    /// Where a return goes: `reporting` (default) or `in_review`.
    pub return_to: Option<ReturnTo>,
    /// Why it goes back (required with `return`): guide reason codes with notes, or text.
    #[serde(default)]
    pub reasons: Vec<ReasonIn>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    /// The answer given to the citizen.
    pub text: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnVisitRequest {
    pub satisfaction: Satisfaction,
    pub comment: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveRequest {
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenRequest {
    pub reason: String,
    /// `triaged` or `reporting`; by default reporting (triaged for direct answers).
    pub to: Option<Status>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuperviseRequest {
    /// The supervision notice (督办).
    pub notice: String,
}

#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferTo {
    Enforcement,
    Marketing,
    Logistics,
    /// Back to the 12313 platform as outside this unit's remit.
    Platform,
    /// Another unit, named in `unit`.
    OtherUnit,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    pub to: TransferTo,
    /// The receiving unit, for `other_unit`.
    pub unit: Option<String>,
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The duplicate folded into this ticket; both timelines are kept.
    pub duplicate_id: String,
}
