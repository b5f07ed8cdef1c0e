//! A fast-track ticket's first offer, committed with its filing: the new ticket's actor
//! asks for it before the ticket is written ([`PlanFirstOffer`]), the vehicle is searched
//! for and held here, the actor writes the intake and the offer as one batch and says how
//! it went ([`FirstOfferFiled`]), and the vehicle is handed the offer once it is durable. Intake → offer
//! costs one flush; an offer is still pushed only once durable. Whatever is not planned
//! (no vehicle free, no precise place, a busy dispatcher) takes the usual fast track when
//! the intake is published.

use std::sync::Arc;

use actix::prelude::*;
use time::Duration;

use super::DispatchError;
use super::offers::{Chosen, first_offer};
use super::{AutoOffer, DispatcherActor, approximate_place};
use crate::actors::ticket::{FirstOfferFiled, PlanFirstOffer};
use crate::domain::catalog::Urgency;
use crate::domain::geo::LatLng;
use crate::domain::ids::{OfferId, TicketId, VehicleId};
use crate::domain::ticket::{Ticket, steps};

/// A first offer planned for a ticket being filed; its vehicle is held.
#[derive(Clone, Debug)]
pub(super) struct Planned {
    offer_id: OfferId,
    vehicle_id: VehicleId,
}

impl Handler<PlanFirstOffer> for DispatcherActor {
    type Result = ResponseActFuture<Self, Option<steps::Offer>>;

    fn handle(&mut self, msg: PlanFirstOffer, _: &mut Self::Context) -> Self::Result {
        let ticket = msg.0;
        let ticket_id = ticket.id;
        let plannable = ticket.urgency == Some(Urgency::I)
            && ticket.awaits_vehicle()
            && !self.outside_area(&ticket)
            && approximate_place(&ticket).is_none()
            && !self.offering(&ticket_id);
        let site = ticket.location.position.filter(|_| plannable);
        let Some(site) = site else {
            return Box::pin(fut::ready(None));
        };
        // Present while planned or being planned; a filing told first (the intake stopped
        // waiting) removes it, and the search's result is then let go.
        self.planning.insert(ticket_id, None);
        self.plan(ticket, site, RACED_RETRIES)
    }
}

/// Searches again this many times when the vehicle found was taken by another offer
/// meanwhile. Each search leaves out the vehicles held when it starts, so under a burst of
/// grade I intakes at one site (and the automatic offers of others) every concurrent search
/// can lose the same race once per rival: a few retries were seen to run out on a loaded
/// machine, filing a lead without its offer.
const RACED_RETRIES: usize = 8;

impl DispatcherActor {
    fn plan(
        &mut self,
        ticket: Arc<Ticket>,
        site: LatLng,
        retries: usize,
    ) -> ResponseActFuture<Self, Option<steps::Offer>> {
        let ticket_id = ticket.id;
        let timeout = Duration::seconds(self.deps.settings.offer_timeout_s as i64);
        let search = self.search(&ticket, site);
        Box::pin(search.into_actor(self).then(move |chosen, act, _| {
            match act.hold_pick(ticket_id, chosen, timeout) {
                Pick::Raced if retries > 0 => act.plan(ticket, site, retries - 1),
                Pick::Raced => Box::pin(fut::ready(None)),
                Pick::Planned(offer) => Box::pin(fut::ready(offer)),
            }
        }))
    }

    /// Holds the vehicle the search found for `ticket_id`, and makes its offer.
    fn hold_pick(
        &mut self,
        ticket_id: TicketId,
        chosen: Result<Chosen, DispatchError>,
        timeout: Duration,
    ) -> Pick {
        // No vehicle, or the intake stopped waiting (the filing was told first).
        let Some(chosen) = chosen
            .ok()
            .filter(|_| self.planning.contains_key(&ticket_id))
        else {
            return Pick::Planned(None);
        };
        if self.reserve(ticket_id, &chosen.vehicle_id).is_err() {
            return Pick::Raced;
        }
        match first_offer(&self.deps, &chosen, timeout, false) {
            Ok(offer) => {
                let planned = Planned {
                    offer_id: offer.offer_id,
                    vehicle_id: offer.vehicle.clone(),
                };
                self.planning.insert(ticket_id, Some(planned));
                Pick::Planned(Some(offer))
            }
            Err(e) => {
                tracing::warn!(%ticket_id, error = %e, "first offer not planned");
                self.unreserve(ticket_id);
                Pick::Planned(None)
            }
        }
    }
}

/// What became of a search's pick.
enum Pick {
    /// The offer to file, or none.
    Planned(Option<steps::Offer>),
    /// Taken by another offer while searched for.
    Raced,
}

impl Handler<FirstOfferFiled> for DispatcherActor {
    type Result = ();

    fn handle(&mut self, msg: FirstOfferFiled, ctx: &mut Self::Context) {
        let ticket_id = msg.ticket_id;
        let Some(planned) = self.planning.remove(&ticket_id) else {
            return; // never planned: the intake's event takes the usual fast track
        };
        let ticket = msg.filed.as_deref();
        let offer = planned.as_ref().and_then(|p| {
            let o = ticket?.open_offer().filter(|o| o.id == p.offer_id)?;
            Some((p, o))
        });
        match (ticket, offer) {
            // Already tracked when a resync read it from the store first.
            (Some(_), Some((p, _)))
                if self.open.get(&ticket_id).map(|o| o.offer_id) == Some(p.offer_id) => {}
            (Some(t), Some((p, o))) => {
                let (distance_m, expires_at) = (o.distance_m, o.expires_at);
                self.offer_made(t, &p.vehicle_id, p.offer_id, distance_m, expires_at, ctx);
            }
            // Filed without it: its vehicle is free again, and the usual fast track runs
            // (the intake's own event may have found the plan still pending).
            (Some(_), None) => {
                self.unreserve(ticket_id);
                ctx.notify(AutoOffer(ticket_id));
            }
            (None, _) => self.unreserve(ticket_id),
        }
    }
}
