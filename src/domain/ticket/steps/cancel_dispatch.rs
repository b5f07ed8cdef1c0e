//! Call off the open offer, or the vehicle on its way.

use super::*;

/// Call off the open offer, or the vehicle already on its way.
#[derive(Clone, Debug, PartialEq)]
pub struct CancelDispatch {
    pub reason: String,
}

impl Step for CancelDispatch {
    const INFO: StepInfo = StepInfo {
        name: "dispatch.cancel",
        verb: "cancel the dispatch of",
        roles: &[Role::Dispatcher],
        summary: "Call off the open offer, or the vehicle on its way.",
    };

    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection> {
        let Self { reason } = self;
        let t = cx.ticket;
        let status = t.status;
        use Status::*;
        require_text(reason, ErrorCode::ReasonRequired, "the reason")?;
        Ok(if let Some(offer) = t.open_offer() {
            let kind = EventKind::OfferCancelled {
                offer_id: offer.id,
                vehicle_id: offer.vehicle_id.clone(),
                reason: reason.to_owned(),
            };
            (kind, status)
        } else if status == EnRoute {
            let vehicle_id = t
                .assignment
                .vehicle_id
                .clone()
                .ok_or_else(|| cx.illegal())?;
            let back = if t.triage.confirmed {
                Triaged
            } else {
                Received
            };
            (
                EventKind::DispatchCancelled {
                    vehicle_id,
                    reason: reason.to_owned(),
                },
                back,
            )
        } else {
            return Err(cx.illegal());
        })
    }
}
