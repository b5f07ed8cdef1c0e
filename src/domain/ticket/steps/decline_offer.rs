//! The offered vehicle turns the ticket down.

use super::*;

#[derive(Clone, Debug, PartialEq)]
pub struct DeclineOffer {
    pub offer_id: OfferId,
    pub reason: Option<String>,
}

impl Step for DeclineOffer {
    const INFO: StepInfo = StepInfo {
        name: "offer.decline",
        verb: "decline an offer for",
        roles: &[Role::Field],
        summary: "The offered vehicle turns the ticket down.",
    };

    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection> {
        let Self { offer_id, reason } = self;
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
}
