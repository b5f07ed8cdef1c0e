//! The engine: nobody answered the offer in time.

use super::*;

/// Who may take this step.
pub const ROLES: &[Role] = &[];

/// This step's row of [`STEPS`](super::STEPS).
pub const STEP: StepInfo = StepInfo {
    name: "offer.expire",
    verb: "expire an offer for",
    roles: ROLES,
    summary: "The engine: nobody answered the offer in time.",
};

/// Checks the step against the ticket: the event it yields and the status it leads to.
pub(super) fn decide(cx: &Cx, offer_id: &OfferId) -> Result<(EventKind, Status), Rejection> {
    let t = cx.ticket;
    let status = t.status;
    let offer = t.answerable(offer_id, None)?;
    Ok((
        EventKind::OfferExpired {
            offer_id: *offer_id,
            vehicle_id: offer.vehicle_id.clone(),
        },
        status,
    ))
}
