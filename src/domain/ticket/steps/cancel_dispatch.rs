//! Call off the open offer, or the vehicle on its way.

use super::*;

/// Who may take this step.
pub const ROLES: &[Role] = &[Role::Dispatcher];

/// This step's row of [`STEPS`](super::STEPS).
pub const STEP: StepInfo = StepInfo {
    name: "dispatch.cancel",
    verb: "cancel the dispatch of",
    roles: ROLES,
    summary: "Call off the open offer, or the vehicle on its way.",
};

/// Checks the step against the ticket: the event it yields and the status it leads to.
pub(super) fn decide(cx: &Cx, reason: &str) -> Result<(EventKind, Status), Rejection> {
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
