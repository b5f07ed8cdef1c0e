//! Making, answering, expiring and cancelling offers. Each handler does its checks and
//! reservations synchronously (the actor is the only one deciding), then runs the ticket
//! command through the ticket's actor and updates the vehicle once the event is durable.

use std::sync::Arc;

use actix::prelude::*;
use time::Duration;

use super::messages::*;
use super::{DispatcherActor, OpenOffer};
use crate::actors::fleet::messages::{
    GetVehicle, HoldOffer, OfferNotice, OfferOutcome, OfferUndelivered, ReleaseOffer,
};
use crate::actors::grid::FindNearest;
use crate::actors::ticket::{CommandError, Executed};
use crate::domain::error_code::ErrorCode;
use crate::domain::fleet::{ActiveTicket, HeldOffer, VehicleStatus};
use crate::domain::grid::NearestQuery;
use crate::domain::ids::{OfferId, TicketId, VehicleId};
use crate::domain::role::{Principal, Role, Subject};
use crate::domain::ticket::steps;
use crate::domain::ticket::{Command, EventKind, Rejection, Ticket};

/// The vehicle chosen for an offer, with what the offer tells it.
pub(super) struct Chosen {
    pub vehicle_id: VehicleId,
    pub distance_m: Option<f64>,
}

/// A search for the vehicle to offer a ticket to.
pub(super) type Search =
    futures_util::future::LocalBoxFuture<'static, Result<Chosen, DispatchError>>;

/// The offer of a ticket to `chosen`, with its squad and crew from the registry.
pub(super) fn first_offer(
    deps: &super::DispatchDeps,
    chosen: &Chosen,
    timeout: Duration,
    manual: bool,
) -> Result<steps::Offer, DispatchError> {
    let record = deps
        .roster
        .vehicle(&chosen.vehicle_id)
        .map_err(CommandError::from)?
        .ok_or_else(|| DispatchError::UnknownVehicle(chosen.vehicle_id.clone()))?;
    Ok(steps::Offer {
        offer_id: OfferId::generate(),
        vehicle: record.id,
        team: record.team_id,
        crew: record.crew,
        expires_at: deps.clock.now() + timeout,
        distance_m: chosen.distance_m,
        manual,
    })
}

impl DispatcherActor {
    fn ticket(&self, id: &TicketId) -> Result<Ticket, DispatchError> {
        self.deps
            .store
            .ticket(id)
            .map_err(CommandError::from)?
            .ok_or(DispatchError::Command(CommandError::NotFound))
    }

    fn query(&self, ticket: &Ticket, site: crate::domain::geo::LatLng) -> NearestQuery {
        let s = &self.deps.settings;
        // Held vehicles are not here: the grid keeps them out of its ready index (`holds.rs`).
        let mut exclude = ticket.passed_over();
        exclude.extend(self.out_of_service.keys().cloned());
        NearestQuery {
            origin: site,
            limit: 1,
            max_radius_m: Some(self.deps.area.search_radius_m(s.max_offer_km, site)),
            department: ticket.department,
            team: None,
            only_available: true,
            max_fix_age: Some(Duration::seconds(s.max_fix_age_s as i64)),
            include_stale: false,
            now: self.deps.clock.now(),
            exclude,
        }
    }

    /// Whether the ticket's position lies outside the service area and its margin, judged
    /// against the area the engine runs with now.
    pub(super) fn outside_area(&self, ticket: &Ticket) -> bool {
        ticket
            .location
            .position
            .is_some_and(|p| self.deps.area.locate(p).is_outside())
    }

    /// The squad of the market inspector responsible for the ticket's retailer, if known.
    fn own_team(&self, ticket: &Ticket) -> Option<crate::domain::ids::TeamId> {
        let licence = ticket.location.retailer_licence.as_deref()?;
        let inspector = self
            .deps
            .retailers
            .get(licence)?
            .market_inspector()?
            .clone();
        self.deps.roster.staff(&inspector).ok().flatten()?.team_id
    }

    pub(super) fn release(&self, vehicle: &VehicleId, offer_id: OfferId, outcome: OfferOutcome) {
        self.release_answered(vehicle, offer_id, outcome, None);
    }

    /// Lets the vehicle go of its offer; `answered_by` is the socket session whose answer
    /// ended it (the vehicle's other sessions are told).
    fn release_answered(
        &self,
        vehicle: &VehicleId,
        offer_id: OfferId,
        outcome: OfferOutcome,
        answered_by: Option<u64>,
    ) {
        if let Some(addr) = self.deps.fleet.live_vehicle(vehicle) {
            addr.do_send(ReleaseOffer {
                offer_id,
                outcome,
                answered_by,
            });
        }
    }

    fn eta_s(&self, distance_m: Option<f64>) -> Option<f64> {
        distance_m.map(|d| d / (self.deps.settings.travel_speed_kmh / 3.6))
    }

    /// What the vehicle is shown of an offer: the ticket without the reporter.
    pub(super) fn notice(
        &self,
        t: &Ticket,
        offer_id: OfferId,
        distance_m: Option<f64>,
        expires_at: crate::domain::Timestamp,
    ) -> OfferNotice {
        OfferNotice {
            offer_id,
            ticket_id: t.id,
            number: t.number.clone(),
            kind: t.kind,
            category: t.category.clone(),
            category_name: t
                .category
                .as_deref()
                .and_then(|c| self.deps.catalog.get(c))
                .map(|c| c.name_zh.clone()),
            urgency: t.urgency,
            // A field device: the reporter's identity masked out of the citizen's words.
            description: crate::domain::redact::mask_reporter(&t.description, t.reporter.as_ref()),
            town: self.town(t),
            location: crate::domain::ticket::Location {
                address_text: t
                    .location
                    .address_text
                    .as_deref()
                    .map(|a| crate::domain::redact::mask_reporter(a, t.reporter.as_ref())),
                ..t.location.clone()
            },
            distance_m,
            eta_s: self.eta_s(distance_m),
            expires_at,
            stage_due_at: t.deadlines(&self.deps.catalog).stage_due_at,
        }
    }

    /// The town of the ticket's site as the public board names it: the registry shop's
    /// town, else the town named in the address, else the nearest town.
    fn town(&self, t: &Ticket) -> Option<String> {
        let shop = t
            .location
            .retailer_licence
            .as_deref()
            .and_then(|l| self.deps.retailers.get(l));
        crate::domain::board::town_of(t, shop.as_ref().map(|r| r.town().name()))
    }

    /// The nearest eligible, online vehicle for `ticket` at `site`, found by the grid (and
    /// checked with the vehicle itself), or why there is none. Not reserved: the caller
    /// reserves it back in the actor, where a pick raced by another offer is seen.
    pub(super) fn search(&self, ticket: &Ticket, site: crate::domain::geo::LatLng) -> Search {
        let query = self.query(ticket, site);
        let own_team = self.own_team(ticket);
        let s = &self.deps.settings;
        let margin_m = s.own_team_margin_s as f64 * s.travel_speed_kmh / 3.6;
        let grid = self.deps.grid.clone();
        let fleet = self.deps.fleet.clone();
        let radius = query.max_radius_m;
        Box::pin(async move {
            let mut query = query;
            // The grid hears of a device going offline a moment after the vehicle does:
            // the pick is checked with the vehicle itself, and an offline one is left out
            // of the next search.
            for _ in 0..OFFLINE_RETRIES {
                let pick = nearest(&grid, &query, own_team.clone(), margin_m).await?;
                let Some(pick) = pick else { break };
                let online = match fleet.live_vehicle(&pick.id) {
                    Some(addr) => addr.send(GetVehicle).await.is_ok_and(|v| v.online),
                    None => false,
                };
                if online {
                    return Ok(Chosen {
                        vehicle_id: pick.id,
                        distance_m: Some(pick.distance_m),
                    });
                }
                query.exclude.push(pick.id);
            }
            Err(DispatchError::NoCandidate(
                radius
                    .map(|r| format!(" within {:.1} km", r / 1000.0))
                    .unwrap_or_default(),
            ))
        })
    }

    /// Holds `vehicle` for `ticket_id`'s offer from the moment it is picked, so two offers
    /// searched at once never go to one vehicle; a vehicle taken meanwhile is refused (the
    /// engine's own offers search again).
    pub(super) fn reserve(
        &mut self,
        ticket_id: TicketId,
        vehicle: &VehicleId,
    ) -> Result<(), DispatchError> {
        if self.reserved.get(vehicle).is_some_and(|t| t != ticket_id) {
            return Err(DispatchError::VehicleBusy(
                vehicle.clone(),
                "holding an offer",
            ));
        }
        self.reserved.insert(vehicle.clone(), ticket_id);
        Ok(())
    }

    /// Lets go of `vehicle` if it is held for `ticket_id` (and not for another ticket's
    /// offer made meanwhile).
    pub(super) fn release_hold(&mut self, vehicle: &VehicleId, ticket_id: TicketId) {
        if self.reserved.get(vehicle) == Some(ticket_id) {
            self.reserved.remove(vehicle);
        }
    }

    /// Lets go of the vehicles held for `ticket_id`'s offer that was not made.
    pub(super) fn unreserve(&mut self, ticket_id: TicketId) {
        if !self.open.contains_key(&ticket_id) {
            self.reserved.retain(|t| *t != ticket_id);
        }
    }

    /// Whether an offer of `ticket_id` is open, being made, or planned with its filing.
    pub(super) fn offering(&self, ticket_id: &TicketId) -> bool {
        self.in_flight.contains(ticket_id)
            || self.open.contains_key(ticket_id)
            || self.planning.contains_key(ticket_id)
    }

    /// Offers `ticket_id` to `choice` (or the nearest eligible vehicle).
    fn make_offer(
        &mut self,
        ticket_id: TicketId,
        choice: Option<VehicleId>,
        by: Principal,
        override_busy: bool,
    ) -> ResponseActFuture<Self, Result<Executed, DispatchError>> {
        let ticket = match self.ticket(&ticket_id) {
            Ok(t) => t,
            Err(e) => return Box::pin(fut::ready(Err(e))),
        };
        if self.offering(&ticket_id) {
            let busy = Rejection::rule(
                ErrorCode::OfferOpen,
                "this ticket already has an offer waiting for an answer",
            );
            return Box::pin(fut::ready(Err(CommandError::Rejected(busy).into())));
        }
        // A dispatcher's dispatch of a ticket still `received` confirms its triage first
        // (after the vehicle is found, so a refused offer changes nothing).
        let confirm = match super::confirm::needs_confirmation(&ticket, &by, &self.deps.catalog) {
            Ok(c) => c,
            Err(r) => return Box::pin(fut::ready(Err(CommandError::Rejected(r).into()))),
        };
        if !ticket.awaits_vehicle() && !confirm {
            let illegal = Rejection::IllegalTransition {
                action: "offer",
                status: ticket.status,
            };
            return Box::pin(fut::ready(Err(CommandError::Rejected(illegal).into())));
        }
        let site = ticket.location.position;
        let deps = self.deps.clone();
        let nearest = choice.is_none();
        let find = match choice {
            None => {
                let Some(site) = site else {
                    return Box::pin(fut::ready(Err(DispatchError::NoSite)));
                };
                // "The nearest" of a place outside the area is no one: the engine's own
                // offers and a dispatcher's "offer to the nearest" alike. A vehicle named
                // by a dispatcher may still be sent.
                if self.outside_area(&ticket) {
                    let margin_km = self.deps.area.margin_m() / 1000.0;
                    return Box::pin(fut::ready(Err(DispatchError::OutsideArea(margin_km))));
                }
                self.search(&ticket, site)
            }
            Some(vehicle_id) => {
                // Not even with `override`: nobody can answer for it.
                if self.out_of_service.contains_key(&vehicle_id) {
                    return Box::pin(fut::ready(Err(DispatchError::OutOfService(vehicle_id))));
                }
                if !override_busy && self.reserved.contains(&vehicle_id) {
                    return Box::pin(fut::ready(Err(DispatchError::VehicleBusy(
                        vehicle_id,
                        "holding an offer",
                    ))));
                }
                let addr = match deps.fleet.vehicle(&vehicle_id, &deps.roster) {
                    Ok(Some(a)) => a,
                    Ok(None) => {
                        return Box::pin(fut::ready(Err(DispatchError::UnknownVehicle(
                            vehicle_id,
                        ))));
                    }
                    Err(e) => return Box::pin(fut::ready(Err(CommandError::from(e).into()))),
                };
                Box::pin(async move {
                    let view = addr
                        .send(GetVehicle)
                        .await
                        .map_err(|_| DispatchError::Busy)?;
                    // Not even with `override`: nobody would see the offer.
                    if !view.online {
                        return Err(DispatchError::Offline(vehicle_id));
                    }
                    let busy = !matches!(
                        view.status,
                        VehicleStatus::Available | VehicleStatus::Returning
                    );
                    if busy && !override_busy {
                        return Err(DispatchError::VehicleBusy(vehicle_id, view.status.as_str()));
                    }
                    let distance_m = match (view.last_fix, site) {
                        (Some(f), Some(s)) => Some(f.position.distance_m(s)),
                        _ => None,
                    };
                    Ok(Chosen {
                        vehicle_id,
                        distance_m,
                    })
                }) as Search
            }
        };
        self.in_flight.insert(ticket_id);
        let manual = by.role != Role::System;
        let timeout = Duration::seconds(self.deps.settings.offer_timeout_s as i64);
        let write = move |chosen: Result<Chosen, DispatchError>| async move {
            let chosen = chosen?;
            if confirm {
                super::confirm::confirm_triage(&deps.tickets, &ticket, by.clone()).await?;
            }
            let offer = first_offer(&deps, &chosen, timeout, manual && override_busy)?;
            let (offer_id, expires_at) = (offer.offer_id, offer.expires_at);
            let done = deps
                .tickets
                .execute(ticket_id, Command::Offer(offer), by)
                .await?;
            Ok::<_, DispatchError>((done, chosen, offer_id, expires_at))
        };
        let run = find
            .into_actor(self)
            .then(move |chosen, act: &mut Self, _| {
                // The vehicle is held from its pick, the nearest or one a dispatcher names;
                // one sent with `override` despite another offer takes the hold when its
                // offer is written.
                let chosen = match chosen {
                    Ok(c) if nearest || !override_busy => {
                        act.reserve(ticket_id, &c.vehicle_id).map(|()| c)
                    }
                    other => other,
                };
                write(chosen).into_actor(act)
            });
        Box::pin(run.map(move |result, act, ctx| {
            act.in_flight.remove(&ticket_id);
            let (done, chosen, offer_id, expires_at) = match result {
                Ok(made) => made,
                Err(e) => {
                    act.unreserve(ticket_id);
                    return Err(e);
                }
            };
            act.offer_made(
                &done.ticket,
                &chosen.vehicle_id,
                offer_id,
                chosen.distance_m,
                expires_at,
                ctx,
            );
            Ok(done)
        }))
    }

    /// An offer is durable: track it, and hand it to its vehicle (whose app is shown it).
    pub(super) fn offer_made(
        &mut self,
        ticket: &Ticket,
        vehicle_id: &VehicleId,
        offer_id: OfferId,
        distance_m: Option<f64>,
        expires_at: crate::domain::Timestamp,
        ctx: &mut Context<Self>,
    ) {
        let ticket_id = ticket.id;
        // Taken out of service while the offer was being written: withdraw it at once
        // (the ticket goes to the next vehicle) instead of showing it.
        if let Some(reason) = self.out_of_service.get(vehicle_id) {
            ctx.notify(WithdrawVehicle {
                vehicle_id: vehicle_id.clone(),
                reason: reason.clone(),
                tickets: vec![ticket_id],
            });
        }
        self.alerted.remove(&ticket_id);
        let open = OpenOffer {
            offer_id,
            vehicle_id: vehicle_id.clone(),
            expires_at,
        };
        self.open.insert(ticket_id, open);
        self.reserved.insert(vehicle_id.clone(), ticket_id);
        let notice = Arc::new(self.notice(ticket, offer_id, distance_m, expires_at));
        let held = HeldOffer {
            ticket_id,
            offer_id,
            expires_at,
        };
        match self.deps.fleet.live_vehicle(vehicle_id) {
            Some(addr) => addr.do_send(HoldOffer { held, notice }),
            None => tracing::warn!(%vehicle_id, "offered vehicle has no live actor"),
        }
        tracing::info!(%ticket_id, %vehicle_id, %offer_id, "offer sent");
    }

    /// Offers that ran out of time go to the next candidate.
    pub(super) fn expire_due(&mut self, ctx: &mut Context<Self>) {
        let now = self.deps.clock.now();
        let due: Vec<(TicketId, OpenOffer)> = self
            .open
            .iter()
            .filter(|(_, o)| o.expires_at <= now && !self.ending.contains(&o.offer_id))
            .map(|(t, o)| (*t, o.clone()))
            .collect();
        for (ticket_id, offer) in due {
            let command = Command::ExpireOffer(steps::ExpireOffer {
                offer_id: offer.offer_id,
            });
            self.end_offer(ticket_id, offer, command, OfferOutcome::Expired, ctx);
        }
    }

    /// Ends `offer` of `ticket_id` with `command` (written by the engine), frees its vehicle
    /// with `outcome`, and offers the ticket to the next vehicle.
    fn end_offer(
        &mut self,
        ticket_id: TicketId,
        offer: OpenOffer,
        command: Command,
        outcome: OfferOutcome,
        ctx: &mut Context<Self>,
    ) {
        self.ending.insert(offer.offer_id);
        let tickets = self.deps.tickets.clone();
        let run = async move {
            tickets
                .execute(ticket_id, command, Principal::system())
                .await
        };
        ctx.spawn(run.into_actor(self).map(move |result, act, ctx| {
            act.ending.remove(&offer.offer_id);
            match result {
                Ok(_) | Err(CommandError::Rejected(_)) => {
                    // Ended now, or already answered/closed: either way it is over.
                    if act
                        .open
                        .get(&ticket_id)
                        .is_some_and(|o| o.offer_id == offer.offer_id)
                    {
                        act.open.remove(&ticket_id);
                        act.release_hold(&offer.vehicle_id, ticket_id);
                        act.release(&offer.vehicle_id, offer.offer_id, outcome);
                    }
                    if result.is_ok() {
                        ctx.notify(AutoOffer(ticket_id));
                    }
                }
                Err(e) => {
                    // Ended by the next tick as expired (an expiry is retried there).
                    tracing::warn!(%ticket_id, error = %e, "offer's end not written; retrying");
                    if let Some(open) = act.open.get_mut(&ticket_id)
                        && open.offer_id == offer.offer_id
                    {
                        open.expires_at = open.expires_at.min(act.deps.clock.now());
                    }
                }
            }
        }));
    }
}

/// The vehicle's app never confirmed the offer: withdrawn at once, and the ticket goes to
/// the next vehicle (the app is told `offer.cancelled`; a late accept is refused).
impl Handler<OfferUndelivered> for DispatcherActor {
    type Result = ();
    fn handle(&mut self, msg: OfferUndelivered, ctx: &mut Self::Context) {
        let Some(offer) = self
            .open
            .get(&msg.ticket_id)
            .filter(|o| o.offer_id == msg.offer_id && !self.ending.contains(&o.offer_id))
            .cloned()
        else {
            return; // answered, expired or withdrawn meanwhile
        };
        let command = Command::UndeliverOffer(steps::UndeliverOffer {
            offer_id: msg.offer_id,
            reason: msg.reason.clone(),
        });
        let outcome = OfferOutcome::Cancelled(format!("undelivered: {}", msg.reason));
        self.end_offer(msg.ticket_id, offer, command, outcome, ctx);
    }
}

/// A pick found by the grid offline when asked; after this many the search gives up.
const OFFLINE_RETRIES: usize = 4;

/// The nearest eligible vehicle for `query`, or the nearest of the shop's own squad when it
/// is within `margin_m` of that: the retailer's own inspector's squad knows the shop, so its
/// nearest eligible vehicle goes first however many other vehicles are closer (a second
/// search, filtered to that squad and bounded by the margin).
async fn nearest(
    grid: &Addr<crate::actors::grid::HexGridActor>,
    query: &NearestQuery,
    own_team: Option<crate::domain::ids::TeamId>,
    margin_m: f64,
) -> Result<Option<crate::domain::grid::Candidate>, DispatchError> {
    let found = grid
        .send(FindNearest(query.clone()))
        .await
        .map_err(|_| DispatchError::Busy)?;
    let Some(best) = found.into_iter().next() else {
        return Ok(None);
    };
    let Some(team) = own_team.filter(|t| *t != best.team) else {
        return Ok(Some(best));
    };
    let within = best.distance_m + margin_m;
    let own_query = NearestQuery {
        team: Some(team),
        max_radius_m: Some(query.max_radius_m.map_or(within, |r| r.min(within))),
        ..query.clone()
    };
    let own = grid
        .send(FindNearest(own_query))
        .await
        .map_err(|_| DispatchError::Busy)?;
    Ok(Some(own.into_iter().next().unwrap_or(best)))
}

impl Handler<AutoOffer> for DispatcherActor {
    type Result = ();
    fn handle(&mut self, msg: AutoOffer, ctx: &mut Self::Context) {
        let ticket_id = msg.0;
        // The engine never offers a place it knows only as a town or a street.
        let ticket = self.deps.store.ticket(&ticket_id).ok().flatten();
        if let Some(place) = ticket.as_ref().and_then(super::approximate_place) {
            let message = format!(
                "no vehicle sent: the position stands only for {place}; confirm the shop \
                 or the position at triage"
            );
            self.raise_alert(ticket_id, message, ctx);
            return;
        }
        let offer = self.make_offer(ticket_id, None, Principal::system(), false);
        ctx.spawn(offer.map(move |result, act, ctx| match result {
            Ok(_) => {}
            Err(e @ (DispatchError::NoCandidate(_) | DispatchError::NoSite)) => {
                if act.alerted.insert(ticket_id) {
                    act.raise_alert(ticket_id, format!("no vehicle sent: {e}"), ctx);
                }
            }
            // Each time the engine would have offered it (a triage, a decline or expiry
            // of a dispatcher's offer), the console is told why it did not.
            Err(e @ DispatchError::OutsideArea(_)) => {
                act.raise_alert(ticket_id, format!("no vehicle sent: {e}"), ctx);
            }
            // The nearest vehicle was taken by another offer meanwhile: the next search
            // leaves it out.
            Err(DispatchError::VehicleBusy(..)) => ctx.notify(AutoOffer(ticket_id)),
            Err(e) => tracing::debug!(%ticket_id, error = %e, "no automatic offer"),
        }));
    }
}

impl Handler<OfferTicket> for DispatcherActor {
    type Result = ResponseActFuture<Self, Result<Executed, DispatchError>>;
    fn handle(&mut self, msg: OfferTicket, _: &mut Self::Context) -> Self::Result {
        self.make_offer(msg.ticket_id, msg.vehicle, msg.by, msg.override_busy)
    }
}

impl Handler<AnswerOffer> for DispatcherActor {
    type Result = ResponseActFuture<Self, Result<(), DispatchError>>;
    fn handle(&mut self, msg: AnswerOffer, _: &mut Self::Context) -> Self::Result {
        self.answer(msg, None)
    }
}

impl Handler<AnswerOfferFrom> for DispatcherActor {
    type Result = ResponseActFuture<Self, Result<(), DispatchError>>;
    fn handle(&mut self, msg: AnswerOfferFrom, _: &mut Self::Context) -> Self::Result {
        self.answer(msg.answer, Some(msg.session))
    }
}

impl DispatcherActor {
    /// Writes a vehicle's answer to its offer, from socket session `session` if any.
    fn answer(
        &mut self,
        msg: AnswerOffer,
        session: Option<u64>,
    ) -> ResponseActFuture<Self, Result<(), DispatchError>> {
        if self.out_of_service.contains_key(&msg.vehicle_id) {
            return Box::pin(fut::ready(Err(DispatchError::OutOfService(msg.vehicle_id))));
        }
        let held = self.reserved.get(&msg.vehicle_id);
        let Some(ticket_id) =
            held.filter(|t| self.open.get(t).is_some_and(|o| o.offer_id == msg.offer_id))
        else {
            return Box::pin(fut::ready(Err(DispatchError::NotOffered(
                msg.vehicle_id,
                msg.offer_id,
            ))));
        };
        let by = Principal::new(Role::Field, Some(Subject::Vehicle(msg.vehicle_id.clone())));
        let command = if msg.accept {
            Command::AcceptOffer(steps::AcceptOffer {
                offer_id: msg.offer_id,
            })
        } else {
            Command::DeclineOffer(steps::DeclineOffer {
                offer_id: msg.offer_id,
                reason: msg.reason,
            })
        };
        let tickets = self.deps.tickets.clone();
        let run = async move { tickets.execute(ticket_id, command, by).await };
        Box::pin(run.into_actor(self).map(move |result, act, ctx| {
            let done = result?;
            act.open.remove(&ticket_id);
            act.release_hold(&msg.vehicle_id, ticket_id);
            if let EventKind::OfferAccepted { .. } = done.event.kind {
                act.active.insert(ticket_id, msg.vehicle_id.clone());
                act.release_answered(
                    &msg.vehicle_id,
                    msg.offer_id,
                    OfferOutcome::Accepted(ActiveTicket::of(&done.ticket)),
                    session,
                );
            } else {
                let declined = OfferOutcome::Declined;
                act.release_answered(&msg.vehicle_id, msg.offer_id, declined, session);
                ctx.notify(AutoOffer(ticket_id));
            }
            Ok(())
        }))
    }
}

impl Handler<CancelDispatch> for DispatcherActor {
    type Result = ResponseActFuture<Self, Result<Executed, DispatchError>>;
    fn handle(&mut self, msg: CancelDispatch, _: &mut Self::Context) -> Self::Result {
        let tickets = self.deps.tickets.clone();
        let ticket_id = msg.ticket_id;
        let command = Command::CancelDispatch(steps::CancelDispatch { reason: msg.reason });
        let run = async move { tickets.execute(ticket_id, command, msg.by).await };
        Box::pin(run.into_actor(self).map(move |result, act, _| {
            let done = result?;
            if let EventKind::OfferCancelled {
                offer_id,
                vehicle_id,
                reason,
            } = &done.event.kind
            {
                act.open.remove(&ticket_id);
                act.release_hold(vehicle_id, ticket_id);
                act.release(
                    vehicle_id,
                    *offer_id,
                    OfferOutcome::Cancelled(reason.clone()),
                );
            }
            Ok(done)
        }))
    }
}

impl Handler<ReportArrival> for DispatcherActor {
    type Result = ResponseActFuture<Self, Result<(), DispatchError>>;
    fn handle(&mut self, msg: ReportArrival, _: &mut Self::Context) -> Self::Result {
        let ticket = self
            .active
            .iter()
            .find(|(_, v)| **v == msg.vehicle_id)
            .map(|(t, _)| *t);
        let Some(ticket_id) = ticket else {
            let none = Rejection::rule(
                ErrorCode::NoActiveTicket,
                "this vehicle is not on its way to a ticket",
            );
            return Box::pin(fut::ready(Err(CommandError::Rejected(none).into())));
        };
        let by = Principal::new(Role::Field, Some(Subject::Vehicle(msg.vehicle_id)));
        let tickets = self.deps.tickets.clone();
        let run = async move {
            tickets
                .execute(ticket_id, Command::Arrive(steps::Arrive), by)
                .await
                .map(|_| ())
        };
        Box::pin(run.into_actor(self).map(|r, _, _| r.map_err(Into::into)))
    }
}

impl Handler<crate::actors::fleet::messages::VehicleArrived> for DispatcherActor {
    type Result = ();
    fn handle(
        &mut self,
        msg: crate::actors::fleet::messages::VehicleArrived,
        ctx: &mut Self::Context,
    ) {
        let by = Principal::new(Role::Field, Some(Subject::Vehicle(msg.vehicle_id.clone())));
        let tickets = self.deps.tickets.clone();
        let ticket_id = msg.ticket_id;
        let run = async move {
            tickets
                .execute(ticket_id, Command::Arrive(steps::Arrive), by)
                .await
        };
        ctx.spawn(run.into_actor(self).map(move |r, _, _| {
            if let Err(e) = r {
                tracing::debug!(%ticket_id, error = %e, "arrival not recorded");
            }
        }));
    }
}
