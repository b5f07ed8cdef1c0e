//! The sockets of one vehicle: one session per principal — the vehicle's own token, and each
//! crew member's phone — so the crew's phones see offers and the ticket side by side
//! instead of evicting each other. A new connection of the same principal replaces that
//! principal's session (and keeps its place); crews hold at most 20, which bounds them.
//!
//! One session reports the vehicle's positions: the vehicle's own, if connected, else the
//! crew session whose principal connected first. Two phones in one car must not both move
//! it; when the role moves, each session whose role changed is told (`reporting`).
//!
//! Pushes (offers, cancellations, answers, ticket changes) go to every session; one too slow
//! to take a push is closed without touching the others.

use actix::prelude::*;

use super::messages::ToVehicle;
use super::vehicle::VehicleActor;
use crate::domain::ids::OfferId;
use crate::domain::role::Subject;

/// One socket attached to the vehicle.
pub(super) struct Session {
    pub(super) id: u64,
    /// Whose token opened it: at most one session per principal.
    principal: Subject,
    recipient: Recipient<ToVehicle>,
    /// The app said in its `hello` that it confirms offers (`offer.received`).
    pub(super) receipts: bool,
    /// The last offer this app confirmed.
    pub(super) confirmed: Option<OfferId>,
}

/// The vehicle's sessions and which one reports positions.
#[derive(Default)]
pub(super) struct Sessions {
    /// In the order their principals connected (a reconnect keeps its principal's place, so
    /// a phone that reconnects after a gap keeps reporting).
    list: Vec<Session>,
    /// The session reporting positions, as its app was last told.
    reporter: Option<u64>,
}

impl Sessions {
    pub(super) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub(super) fn get_mut(&mut self, id: u64) -> Option<&mut Session> {
        self.list.iter_mut().find(|s| s.id == id)
    }

    /// The session reporting positions now.
    pub(super) fn reporter(&self) -> Option<u64> {
        self.reporter
    }

    /// Every connected app confirms offers (none connected: false).
    pub(super) fn all_confirm_offers(&self) -> bool {
        !self.list.is_empty() && self.list.iter().all(|s| s.receipts)
    }

    /// Some connected app confirmed `offer`.
    pub(super) fn confirmed(&self, offer: OfferId) -> bool {
        self.list.iter().any(|s| s.confirmed == Some(offer))
    }

    /// Attaches a session; the one it replaces (same principal), if any.
    fn attach(&mut self, new: Session) -> Option<Session> {
        match self.list.iter_mut().find(|s| s.principal == new.principal) {
            Some(slot) => Some(std::mem::replace(slot, new)),
            None => {
                self.list.push(new);
                None
            }
        }
    }

    fn remove(&mut self, id: u64) -> Option<Session> {
        let at = self.list.iter().position(|s| s.id == id)?;
        Some(self.list.remove(at))
    }

    /// Who should report positions: the vehicle's own session, else the first crew session.
    fn choose_reporter(&self) -> Option<u64> {
        self.list
            .iter()
            .find(|s| matches!(s.principal, Subject::Vehicle(_)))
            .or(self.list.first())
            .map(|s| s.id)
    }
}

impl VehicleActor {
    /// Attaches session `id` of `principal`: an earlier session of the same principal is
    /// closed (1008 "replaced by a newer connection"). Whether it reports positions is told
    /// in its `hello`, not pushed; the sessions whose role changes are told.
    pub(super) fn attach_session(
        &mut self,
        id: u64,
        principal: Subject,
        recipient: Recipient<ToVehicle>,
        ctx: &mut Context<Self>,
    ) -> bool {
        let session = Session {
            id,
            principal,
            recipient,
            receipts: false,
            confirmed: None,
        };
        if let Some(old) = self.sessions.attach(session) {
            let _ = old.recipient.try_send(ToVehicle::Close {
                reason: "replaced by a newer connection".into(),
            });
        }
        // A new app says for itself whether it confirms offers: until it does, the held
        // offer waits for no receipt (an earlier wait ends without withdrawing it).
        self.receipts = self.sessions.all_confirm_offers();
        self.settle_receipt(ctx);
        self.follow_reporter(Some(id), ctx);
        self.refresh_online();
        self.sessions.reporter() == Some(id)
    }

    /// Session `id` is gone (closed, or too slow for a push): its role and its pending
    /// receipt move to the sessions that remain.
    pub(super) fn drop_session(&mut self, id: u64, ctx: &mut Context<Self>) {
        if self.sessions.remove(id).is_none() {
            return;
        }
        if !self.sessions.is_empty() {
            self.receipts = self.sessions.all_confirm_offers();
        }
        self.settle_receipt(ctx);
        self.follow_reporter(None, ctx);
        self.refresh_online();
    }

    /// Closes the sessions of staff no longer in the crew (their tokens no longer speak for
    /// this vehicle), which keeps the sessions bounded by the crew.
    pub(super) fn drop_former_crew(&mut self, ctx: &mut Context<Self>) {
        let crew = &self.vehicle.crew;
        let gone: Vec<u64> = self
            .sessions
            .list
            .iter()
            .filter(|s| matches!(&s.principal, Subject::Staff(staff) if !crew.contains(staff)))
            .map(|s| s.id)
            .collect();
        for id in gone {
            if let Some(s) = self.sessions.list.iter().find(|s| s.id == id) {
                let _ = s.recipient.try_send(ToVehicle::Close {
                    reason: "no longer in the vehicle's crew".into(),
                });
            }
            self.drop_session(id, ctx);
        }
    }

    /// Moves the reporting role as the sessions now stand, telling each session whose role
    /// changed (but `quiet`, a session about to hear it in its `hello`).
    fn follow_reporter(&mut self, quiet: Option<u64>, ctx: &mut Context<Self>) {
        let now = self.sessions.choose_reporter();
        let before = std::mem::replace(&mut self.sessions.reporter, now);
        if before == now {
            return;
        }
        let told = [(before, false), (now, true)];
        for (id, reports) in told {
            let Some(id) = id.filter(|id| Some(*id) != quiet) else {
                continue;
            };
            self.push_to(ToVehicle::Reporting(reports), |s| s.id == id, ctx);
        }
    }

    /// Pushes to every session without waiting.
    pub(super) fn push(&mut self, msg: ToVehicle, ctx: &mut Context<Self>) {
        self.push_to(msg, |_| true, ctx);
    }

    /// Pushes to the sessions `to` picks, without waiting. A socket too slow to take a push
    /// is closed rather than left to miss it (an offer must never vanish silently): the app
    /// reconnects and its `hello` brings the open offer back, or, for an app that confirms
    /// offers, an offer no app confirmed has gone on to the next vehicle (`receipts`).
    pub(super) fn push_to(
        &mut self,
        msg: ToVehicle,
        to: impl Fn(&Session) -> bool,
        ctx: &mut Context<Self>,
    ) {
        if self.sessions.is_empty() {
            tracing::debug!(vehicle_id = %self.vehicle.id, "no socket to push to");
            return;
        }
        let mut lost = Vec::new();
        for s in self.sessions.list.iter().filter(|s| to(s)) {
            if let Err(e) = s.recipient.try_send(msg.clone()) {
                if matches!(e, SendError::Full(_)) {
                    // Our own control message, not network input: it may pass the bound.
                    s.recipient.do_send(ToVehicle::Close {
                        reason: "lagging: reconnect to get the open offer again".into(),
                    });
                }
                lost.push(s.id);
            }
        }
        for id in lost {
            tracing::warn!(vehicle_id = %self.vehicle.id, session = id, "vehicle socket too slow for a push; closing it so the app reconnects");
            self.drop_session(id, ctx);
        }
    }
}
