//! The offered vehicle turns the ticket down.

use super::*;

/// Who may take this step.
pub const ROLES: &[Role] = &[Role::Field];

/// This step's row of [`STEPS`](super::STEPS).
pub const STEP: StepInfo = StepInfo {
    name: "offer.decline",
    verb: "decline an offer for",
    roles: ROLES,
    summary: "The offered vehicle turns the ticket down.",
};

/// Checks the step against the ticket: the event it yields and the status it leads to.
pub(super) fn decide(
    cx: &Cx,
    offer_id: &OfferId,
    reason: &Option<String>,
) -> Result<(EventKind, Status), Rejection> {
    let t = cx.ticket;
    let status = t.status;
    let offer = t.answerable(offer_id, cx.answering)?;
    let kind = EventKind::OfferDeclined {
        offer_id: *offer_id,
        vehicle_id: offer.vehicle_id.clone(),
        reason: reason.clone(),
    };
    Ok((kind, status))
}
