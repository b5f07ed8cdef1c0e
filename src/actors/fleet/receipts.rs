//! Offer receipts: an app that says in its `hello` that it confirms offers
//! (`offer.received`) must confirm each one within `dispatch.offer_receipt_s`. Unconfirmed
//! — no receipt in time, or the socket closed, was replaced or could not take the push —
//! the offer is reported undelivered to the dispatcher, which withdraws it and offers the
//! ticket to the next vehicle at once.

use std::time::Duration as StdDuration;

use actix::prelude::*;

use super::messages::{DeclareCapabilities, OfferReceived, OfferUndelivered};
use super::vehicle::VehicleActor;
use crate::domain::fleet::HeldOffer;

impl VehicleActor {
    /// After the held offer was pushed: an app that confirms offers must confirm it within
    /// `dispatch.offer_receipt_s`; without a socket it is undelivered at once.
    pub(super) fn expect_receipt(&mut self, ctx: &mut Context<Self>) {
        let Some(held) = self.state.offer.clone() else {
            return;
        };
        if !self.receipts || self.confirmed == Some(held.offer_id) {
            return;
        }
        if self.session.is_none() {
            return self.undelivered(held, "the vehicle's socket closed");
        }
        self.receipt_waits += 1;
        let wait = self.receipt_waits;
        self.awaiting_receipt = Some((held, wait));
        // Wall time, like the socket's own timeouts: a receipt is a network round trip.
        let within = StdDuration::from_secs(self.deps.settings.offer_receipt_s);
        ctx.run_later(within, move |act, _| {
            if let Some((held, _)) = act.awaiting_receipt.take_if(|(_, w)| *w == wait) {
                act.undelivered(held, "no receipt from the app in time");
            }
        });
    }

    /// Whether `session` is the socket connected now (a message from a replaced one is
    /// stale).
    pub(super) fn is_current(&self, session: u64) -> bool {
        self.session.as_ref().is_some_and(|(id, _)| *id == session)
    }

    /// Tells the dispatcher the app never got `held`.
    pub(super) fn undelivered(&mut self, held: HeldOffer, reason: &str) {
        self.awaiting_receipt = None;
        tracing::info!(vehicle_id = %self.vehicle.id, offer_id = %held.offer_id, reason, "offer not delivered");
        metrics::counter!("hotline_offers_undelivered_total").increment(1);
        self.deps.undelivered.do_send(OfferUndelivered {
            vehicle_id: self.vehicle.id.clone(),
            ticket_id: held.ticket_id,
            offer_id: held.offer_id,
            reason: reason.to_owned(),
        });
    }

    /// The socket is gone: an offer still waiting for its receipt will not get one.
    pub(super) fn lost_socket(&mut self) {
        self.session = None;
        self.confirmed = None;
        if let Some((held, _)) = self.awaiting_receipt.take() {
            self.undelivered(
                held,
                "the vehicle's socket closed before the offer was confirmed",
            );
        }
        self.refresh_online();
    }
}

impl Handler<DeclareCapabilities> for VehicleActor {
    type Result = ();
    fn handle(&mut self, msg: DeclareCapabilities, ctx: &mut Self::Context) {
        if !self.is_current(msg.session) {
            return;
        }
        self.receipts = msg.offer_receipts;
        if !self.receipts {
            // An app that does not confirm offers keeps the plain answer time.
            self.awaiting_receipt = None;
        } else if self.awaiting_receipt.is_none() {
            // The open offer went out with the engine's `hello`: confirmed like any other.
            self.expect_receipt(ctx);
        }
    }
}

impl Handler<OfferReceived> for VehicleActor {
    type Result = ();
    fn handle(&mut self, msg: OfferReceived, _: &mut Self::Context) {
        if !self.is_current(msg.session) {
            return;
        }
        self.confirmed = Some(msg.offer_id);
        if self
            .awaiting_receipt
            .take_if(|(h, _)| h.offer_id == msg.offer_id)
            .is_some()
        {
            metrics::counter!("hotline_offer_receipts_total").increment(1);
        }
    }
}
