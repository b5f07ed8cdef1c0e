//! The offered vehicle takes the ticket and is on its way.

use super::*;

#[derive(Clone, Debug, PartialEq)]
pub struct AcceptOffer {
    pub offer_id: OfferId,
}

impl Step for AcceptOffer {
    const INFO: StepInfo = StepInfo {
        name: "offer.accept",
        verb: "accept an offer for",
        roles: &[Role::Field],
        summary: "The offered vehicle takes the ticket and is on its way.",
    };

    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection> {
        let Self { offer_id } = self;
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
}
