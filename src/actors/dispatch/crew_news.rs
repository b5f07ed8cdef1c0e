//! The crew hears what becomes of its work. Once the on-site record is done the vehicle is
//! off the ticket (`returning`, free for the next one), but its crew still writes the report,
//! and a review or approval return, a reopen, the archive are news it must have on the device
//! it works with. So every such event of a ticket this vehicle worked on is pushed to its
//! socket as `ticket.updated` (the vehicle's own status does not change). The vehicle is the
//! one the ticket records as sent; a reopen back to intake has called it off, so there it is
//! the last vehicle sent (and not called off) in the ticket's timeline.

use super::DispatcherActor;
use crate::domain::ids::VehicleId;
use crate::domain::ticket::{EventKind, EventRecord, Ticket};

/// Events after the field work that the crew of the vehicle sent is told of.
fn tells_crew(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::ReportSubmitted { .. }
            | EventKind::Reviewed { .. }
            | EventKind::ApprovalDecided { .. }
            | EventKind::Replied { .. }
            | EventKind::ReturnVisited { .. }
            | EventKind::Archived { .. }
            | EventKind::Reopened { .. }
            | EventKind::Supervised { .. }
            | EventKind::Transferred { .. }
            | EventKind::Merged { .. }
    )
}

/// The last vehicle sent to the ticket and not called off, from its timeline.
fn last_sent(timeline: &[EventRecord]) -> Option<VehicleId> {
    let mut sent = None;
    for e in timeline {
        match &e.kind {
            EventKind::Dispatched { vehicle_id, .. }
            | EventKind::OfferAccepted { vehicle_id, .. } => sent = Some(vehicle_id.clone()),
            EventKind::DispatchCancelled { vehicle_id, .. }
                if sent.as_ref() == Some(vehicle_id) =>
            {
                sent = None
            }
            _ => {}
        }
    }
    sent
}

impl DispatcherActor {
    /// Pushes event `e` to the vehicle whose crew worked on its ticket, unless that vehicle
    /// is on the ticket now (it hears every event then). Call before `active` follows `e`.
    pub(super) fn tell_crew(&self, e: &EventRecord, snapshot: Option<&Ticket>) {
        if !tells_crew(&e.kind) || self.active.contains_key(&e.ticket_id) {
            return;
        }
        let recorded = snapshot.and_then(|t| t.assignment.vehicle_id.clone());
        let vehicle = recorded.or_else(|| {
            let reopened = matches!(
                e.kind,
                EventKind::Reopened { .. } | EventKind::ReturnVisited { reopened: true, .. }
            );
            if !reopened {
                return None;
            }
            match self.deps.store.timeline(&e.ticket_id) {
                Ok(timeline) => last_sent(&timeline),
                Err(err) => {
                    tracing::warn!(ticket_id = %e.ticket_id, error = %err, "cannot read the timeline to tell the crew");
                    None
                }
            }
        });
        if let Some(v) = vehicle {
            self.tell_vehicle(&v, e, None);
        }
    }
}
