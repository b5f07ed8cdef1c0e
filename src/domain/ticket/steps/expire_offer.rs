//! The engine: nobody answered the offer in time.

use super::*;

/// The engine: nobody answered in time.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpireOffer {
    pub offer_id: OfferId,
}

impl Step for ExpireOffer {
    const INFO: StepInfo = StepInfo {
        name: "offer.expire",
        verb: "expire an offer for",
        roles: &[],
        summary: "The engine: nobody answered the offer in time.",
    };

    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection> {
        let Self { offer_id } = self;
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
}
