//! The engine: the offer never reached the vehicle's app.

use super::*;

/// The engine: the app of the vehicle holding offer `offer_id` declared that it confirms
/// offers, and this one was not confirmed in time (no receipt, its socket closed, or it
/// could not take the push). The offer is withdrawn and the ticket goes to the next
/// vehicle at once rather than waiting out the answer time.
#[derive(Clone, Debug, PartialEq)]
pub struct UndeliverOffer {
    pub offer_id: OfferId,
    /// What kept it from the app.
    pub reason: String,
}

impl Step for UndeliverOffer {
    const INFO: StepInfo = StepInfo {
        name: "offer.undeliver",
        verb: "withdraw an undelivered offer for",
        roles: &[],
        summary: "The engine: the offer never reached the vehicle's app; the next vehicle gets it.",
    };

    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection> {
        let Self { offer_id, reason } = self;
        let t = cx.ticket;
        let offer = t.answerable(offer_id, None)?;
        Ok((
            EventKind::OfferUndelivered {
                offer_id: *offer_id,
                vehicle_id: offer.vehicle_id.clone(),
                reason: reason.clone(),
            },
            t.status,
        ))
    }
}
