//! The offered vehicle takes the ticket and is on its way.

use super::*;

/// Who may take this step.
pub const ROLES: &[Role] = &[Role::Field];

/// This step's row of [`STEPS`](super::STEPS).
pub const STEP: StepInfo = StepInfo {
    name: "offer.accept",
    verb: "accept an offer for",
    roles: ROLES,
    summary: "The offered vehicle takes the ticket and is on its way.",
};

/// Checks the step against the ticket: the event it yields and the status it leads to.
pub(super) fn decide(cx: &Cx, offer_id: &OfferId) -> Result<(EventKind, Status), Rejection> {
    let t = cx.ticket;
    let status = t.status;
    use Status::*;
    let offer = t.answerable(offer_id, cx.answering)?;
    let kind = EventKind::OfferAccepted {
        offer_id: *offer_id,
        vehicle_id: offer.vehicle_id.clone(),
        team_id: offer.team_id.clone(),
        crew: offer.crew.clone(),
        fast_track: status == Received,
    };
    Ok((kind, EnRoute))
}
