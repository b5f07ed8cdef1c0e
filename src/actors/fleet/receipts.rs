//! Offer receipts: an app that says in its `hello` that it confirms offers
//! (`offer.received`) must confirm each one within `dispatch.offer_receipt_s`. Unconfirmed
//! — no receipt in time, or the socket closed or could not take the push — the offer is
//! reported undelivered to the dispatcher, which withdraws it and offers the ticket to the
//! next vehicle at once.
//!
//! The receipt time counts from when a socket wrote the offer to its app, not from when the
//! vehicle actor handed it over: an engine too busy to write it at once (its sockets'
//! tasks behind) must not withdraw an offer for its own delay. A wait whose offer no socket
//! has written yet goes on; the offer's own answer time still bounds it.
//!
//! With several sessions (crew phones), each says for itself whether it confirms offers.
//! An offer waits for a receipt only while every connected app confirms offers; a receipt
//! from any of them confirms it; a session closing mid-wait leaves the wait to the others,
//! and only when none remains is the offer undelivered. With no session at all, what the
//! last apps said decides.

use std::time::Duration as StdDuration;

use actix::prelude::*;

use super::messages::{DeclareCapabilities, OfferReceived, OfferUndelivered, OfferWritten};
use super::vehicle::VehicleActor;
use crate::domain::fleet::HeldOffer;

impl VehicleActor {
    /// After the held offer was pushed: apps that confirm offers must confirm it within
    /// `dispatch.offer_receipt_s`; with no socket, if the last apps confirmed offers, it is
    /// undelivered at once.
    pub(super) fn expect_receipt(&mut self, ctx: &mut Context<Self>) {
        let Some(held) = self.state.offer.clone() else {
            return;
        };
        if self.sessions.is_empty() {
            if self.receipts {
                self.undelivered(held, "the vehicle's socket closed");
            }
            return;
        }
        self.settle_receipt(ctx);
    }

    /// Starts, keeps or ends the wait for the held offer's receipt as the sessions stand
    /// now: a wait while every app confirms offers and none confirmed this one yet; with
    /// no session left, a wait under way ends with the offer undelivered.
    pub(super) fn settle_receipt(&mut self, ctx: &mut Context<Self>) {
        let Some(held) = self.state.offer.clone() else {
            self.awaiting_receipt = None;
            return;
        };
        if self.sessions.is_empty() {
            if let Some((held, _)) = self.awaiting_receipt.take() {
                self.undelivered(
                    held,
                    "the vehicle's socket closed before the offer was confirmed",
                );
            }
            return;
        }
        let wanted = self.sessions.all_confirm_offers() && !self.sessions.confirmed(held.offer_id);
        if !wanted {
            self.awaiting_receipt = None;
            return;
        }
        if self
            .awaiting_receipt
            .as_ref()
            .is_some_and(|(h, _)| h.offer_id == held.offer_id)
        {
            return; // the wait under way goes on
        }
        self.receipt_waits += 1;
        let wait = self.receipt_waits;
        self.awaiting_receipt = Some((held, wait));
        // Wall time, like the socket's own timeouts: a receipt is a network round trip.
        let within = StdDuration::from_secs(self.deps.settings.offer_receipt_s);
        self.check_receipt_after(wait, within, ctx);
    }

    /// In `delay`, ends wait `wait` with the offer undelivered if the receipt time has
    /// passed since a socket wrote the offer; checks again later if it has not.
    fn check_receipt_after(&mut self, wait: u64, delay: StdDuration, ctx: &mut Context<Self>) {
        ctx.run_later(delay, move |act, ctx| {
            let Some((held, _)) = act.awaiting_receipt.as_ref().filter(|(_, w)| *w == wait) else {
                return;
            };
            let within = StdDuration::from_secs(act.deps.settings.offer_receipt_s);
            let since_written = act
                .offer_written
                .filter(|(offer, _)| *offer == held.offer_id)
                .map(|(_, at)| at.elapsed());
            match since_written {
                Some(since) if since >= within => {
                    if let Some((held, _)) = act.awaiting_receipt.take() {
                        act.undelivered(held, "no receipt from the app in time");
                    }
                }
                Some(since) => act.check_receipt_after(wait, within - since, ctx),
                None => act.check_receipt_after(wait, within, ctx),
            }
        });
    }

    /// Tells the dispatcher the apps never got `held`.
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
}

impl Handler<DeclareCapabilities> for VehicleActor {
    type Result = ();
    fn handle(&mut self, msg: DeclareCapabilities, ctx: &mut Self::Context) {
        // A message from a session no longer held (replaced, closed) is stale.
        let Some(session) = self.sessions.get_mut(msg.session) else {
            return;
        };
        session.receipts = msg.offer_receipts;
        self.receipts = self.sessions.all_confirm_offers();
        // An app that does not confirm offers keeps the plain answer time for all; the last
        // one to say it does starts the wait (the open offer went out with the engine's
        // `hello`: confirmed like any other).
        self.settle_receipt(ctx);
    }
}

impl Handler<OfferWritten> for VehicleActor {
    type Result = ();
    fn handle(&mut self, msg: OfferWritten, _: &mut Self::Context) {
        // The first socket to write it starts the clock.
        if self
            .offer_written
            .is_none_or(|(offer, _)| offer != msg.offer_id)
        {
            self.offer_written = Some((msg.offer_id, std::time::Instant::now()));
        }
    }
}

impl Handler<OfferReceived> for VehicleActor {
    type Result = ();
    fn handle(&mut self, msg: OfferReceived, _: &mut Self::Context) {
        let Some(session) = self.sessions.get_mut(msg.session) else {
            return;
        };
        session.confirmed = Some(msg.offer_id);
        if self
            .awaiting_receipt
            .take_if(|(h, _)| h.offer_id == msg.offer_id)
            .is_some()
        {
            metrics::counter!("hotline_offer_receipts_total").increment(1);
        }
    }
}
