//! The DispatcherActor: the one place offers are made and answered, so a vehicle never
//! holds two offers and a ticket is never offered twice at once. It listens to the bus to
//! fast-track grade-I intakes, offer auto grades when triaged, keep vehicles and squads in
//! step with their tickets, and push ticket changes to the vehicles on them — and, after
//! the on-site record, to the vehicle whose crew worked the ticket (`crew_news.rs`). Offer expiry
//! is checked against the injected clock on a short tick, so tests drive it by advancing a
//! manual clock. A vehicle taken out of service is withdrawn here too (`withdraw.rs`):
//! its offer cancelled, its tickets called off, and never offered work until it is back.

pub mod confirm;
mod crew_news;
mod fast_track;
mod holds;
pub mod messages;
mod offers;
mod withdraw;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use actix::prelude::*;

pub use messages::*;

use crate::actors::fleet::messages::{HoldOffer, TicketNotice, TicketProgress};
use crate::actors::fleet::{FleetDirectory, TeamTicket};
use crate::actors::grid::HexGridActor;
use crate::actors::ticket::TicketDirectory;
use crate::bus::{Committed, EventBus, TicketFollower, TicketUpdate, follow_tickets};
use crate::config::DispatchSettings;
use crate::domain::Timestamp;
use crate::domain::catalog::{Catalog, HandlingPath, Urgency};
use crate::domain::clock::Clock;
use crate::domain::fleet::{ActiveTicket, HeldOffer};
use crate::domain::ids::{OfferId, TeamId, TicketId, VehicleId};
use crate::domain::role::Principal;
use crate::domain::ticket::steps;
use crate::domain::ticket::{Command, EventKind, EventRecord, Status, Ticket};
use crate::roster::Roster;
use crate::store::Store;

/// What the dispatcher works with.
pub struct DispatchDeps {
    pub tickets: Arc<TicketDirectory>,
    pub fleet: Arc<FleetDirectory>,
    pub roster: Arc<Roster>,
    pub store: Arc<dyn Store>,
    pub catalog: Arc<Catalog>,
    pub clock: Arc<dyn Clock>,
    pub grid: Addr<HexGridActor>,
    pub bus: Arc<EventBus>,
    pub retailers: Arc<crate::retailers::RetailerBook>,
    /// The service area: sites outside it are never offered automatically, and it bounds
    /// the search when `max_offer_km` is 0.
    pub area: Arc<crate::domain::area::ServiceArea>,
    pub settings: DispatchSettings,
}

#[derive(Clone, Debug)]
struct OpenOffer {
    offer_id: OfferId,
    vehicle_id: VehicleId,
    expires_at: Timestamp,
}

/// Cluster mode: this node took partitions over; take up their open offers and field work.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Recover;

impl Handler<Recover> for DispatcherActor {
    type Result = ();

    fn handle(&mut self, _: Recover, _: &mut Self::Context) {
        self.recover();
    }
}

pub struct DispatcherActor {
    deps: Arc<DispatchDeps>,
    open: HashMap<TicketId, OpenOffer>,
    /// Vehicles holding an offer, or being offered one right now (mirrored in the grid).
    reserved: holds::Holds,
    /// Tickets with an offer being made right now.
    in_flight: HashSet<TicketId>,
    /// Fast-track tickets being filed with their first offer (`fast_track.rs`): the offer
    /// once planned.
    planning: HashMap<TicketId, Option<fast_track::Planned>>,
    /// Offers whose end (expiry, non-delivery) is being written.
    ending: HashSet<OfferId>,
    /// Tickets with a vehicle on the way or on site.
    active: HashMap<TicketId, VehicleId>,
    team_of: HashMap<TicketId, TeamId>,
    /// Tickets for which "no vehicle" was already raised.
    alerted: HashSet<TicketId>,
    /// Vehicles out of service, with the reason: never offered work, their answers refused.
    /// Kept here (from the roster at start) so the check is synchronous, whatever the grid
    /// has heard yet.
    out_of_service: HashMap<VehicleId, String>,
}

impl DispatcherActor {
    pub fn new(deps: Arc<DispatchDeps>) -> Self {
        Self {
            reserved: holds::Holds::new(deps.grid.clone()),
            deps,
            open: HashMap::new(),
            in_flight: HashSet::new(),
            planning: HashMap::new(),
            ending: HashSet::new(),
            active: HashMap::new(),
            team_of: HashMap::new(),
            alerted: HashSet::new(),
            out_of_service: HashMap::new(),
        }
    }

    /// Rebuilds offers, field work and squads from the open tickets in the store, and the
    /// vehicles out of service from the roster. Run at start, and in cluster mode each
    /// time this node takes partitions over ([`Recover`]): the offers their old owner
    /// made are timed here from then on, and pushed again to their vehicles (same ids).
    fn recover(&mut self) {
        self.recover_service();
        let ids = match self.deps.store.open_ticket_ids() {
            Ok(ids) => ids,
            Err(e) => {
                tracing::error!(error = %e, "dispatcher cannot read open tickets");
                return;
            }
        };
        for id in ids {
            let Ok(Some(t)) = self.deps.store.ticket(&id) else {
                continue;
            };
            if let Some(o) = t.open_offer() {
                self.open.insert(
                    id,
                    OpenOffer {
                        offer_id: o.id,
                        vehicle_id: o.vehicle_id.clone(),
                        expires_at: o.expires_at,
                    },
                );
                self.reserved.insert(o.vehicle_id.clone(), id);
                // The vehicle shows it again to a reconnecting device.
                let notice = Arc::new(self.notice(&t, o.id, o.distance_m, o.expires_at));
                let held = HeldOffer {
                    ticket_id: id,
                    offer_id: o.id,
                    expires_at: o.expires_at,
                };
                if let Some(addr) = self.deps.fleet.live_vehicle(&o.vehicle_id) {
                    addr.do_send(HoldOffer { held, notice });
                }
            }

            if let (Some(v), Status::EnRoute | Status::OnSite) =
                (&t.assignment.vehicle_id, t.status)
            {
                self.active.insert(id, v.clone());
            }
            self.follow_team(&t);
        }
        tracing::info!(
            open_offers = self.open.len(),
            in_field = self.active.len(),
            "dispatcher recovered"
        );
    }

    /// Keeps the ticket's squad informed of where the ticket stands.
    fn follow_team(&mut self, t: &Ticket) {
        let team = t.assignment.team_id.clone();
        let previous = self.team_of.get(&t.id).cloned();
        if let Some(prev) = previous.as_ref().filter(|p| Some(*p) != team.as_ref()) {
            if let Some(addr) = self.deps.fleet.team(prev) {
                addr.do_send(TeamTicket::Left(t.id));
            }
            self.team_of.remove(&t.id);
        }
        let Some(team) = team else { return };
        let msg = if t.status.is_closed() {
            self.team_of.remove(&t.id);
            TeamTicket::Closed(t.id)
        } else {
            self.team_of.insert(t.id, team.clone());
            match t.status {
                Status::EnRoute | Status::OnSite => TeamTicket::InField(t.id),
                _ => TeamTicket::Open(t.id),
            }
        };
        if let Some(addr) = self.deps.fleet.team(&team) {
            addr.do_send(msg);
        }
    }

    fn on_ticket_event(&mut self, e: &Committed, ctx: &mut Context<Self>) {
        let snapshot = Some(e.ticket.as_ref());
        // Cluster mode: alerts and first offers are the writing node's to make.
        let writes_here = self.deps.tickets.writes_here(&e.ticket_id);
        match &e.kind {
            EventKind::Received { .. } | EventKind::Triaged { .. } if !writes_here => {}
            EventKind::Received {
                urgency: Some(Urgency::I),
                ..
            } => {
                let fast = snapshot.is_some_and(|t| t.awaits_vehicle());
                let outside = snapshot.is_some_and(|t| self.outside_area(t));
                if fast && outside {
                    // Never sent on the engine's own: the place may be mistyped, or not
                    // this unit's. A dispatcher checks it and sends a vehicle by name, or
                    // corrects the location at triage (then the offer goes out as usual).
                    self.raise_alert(
                        e.ticket_id,
                        "grade I lead outside the service area: not offered automatically; \
                         check the location, or send a vehicle by name"
                            .into(),
                        ctx,
                    );
                } else if let Some(place) = snapshot
                    .as_ref()
                    .filter(|_| fast)
                    .and_then(|t| approximate_place(t))
                {
                    // Only a town or street is known: the fast track waits for the place.
                    let message = format!(
                        "grade I lead placed only approximately ({place}): not offered \
                         automatically; confirm the shop or the position at triage"
                    );
                    self.raise_alert(e.ticket_id, message, ctx);
                } else if fast {
                    self.raise_alert(
                        e.ticket_id,
                        "grade I lead: fast track, offered to the nearest vehicle".into(),
                        ctx,
                    );
                    ctx.notify(AutoOffer(e.ticket_id));
                } else {
                    // No site visit for its category: still grade I, so the console is told
                    // at once and a dispatcher takes it up first.
                    self.raise_alert(
                        e.ticket_id,
                        "grade I: handle at once (no site visit for this category)".into(),
                        ctx,
                    );
                }
            }
            EventKind::Triaged {
                urgency,
                path: HandlingPath::Full,
                ..
            } if e.status == Status::Triaged
                && self.deps.settings.auto_offer_grades.contains(urgency) =>
            {
                ctx.notify(AutoOffer(e.ticket_id));
            }
            EventKind::Dispatched { vehicle_id, .. }
            | EventKind::OfferAccepted { vehicle_id, .. } => {
                self.active.insert(e.ticket_id, vehicle_id.clone());
                let active = snapshot.map(ActiveTicket::of);
                self.tell_vehicle(vehicle_id, e, active);
            }
            _ => {}
        }
        self.tell_crew(e, snapshot);
        let assigned_now = matches!(
            e.kind,
            EventKind::Dispatched { .. } | EventKind::OfferAccepted { .. }
        );
        if !assigned_now && let Some(v) = self.active.get(&e.ticket_id).cloned() {
            self.tell_vehicle(&v, e, None);
            let still_in_field = matches!(e.status, Status::EnRoute | Status::OnSite);
            if !still_in_field {
                self.active.remove(&e.ticket_id);
            }
        }
        if e.status.is_closed() {
            if let Some(offer) = self.open.remove(&e.ticket_id) {
                self.release_hold(&offer.vehicle_id, e.ticket_id);
                self.release(
                    &offer.vehicle_id,
                    offer.offer_id,
                    crate::actors::fleet::messages::OfferOutcome::Cancelled(
                        "the ticket was closed".into(),
                    ),
                );
            }
            self.alerted.remove(&e.ticket_id);
        }
        if let Some(t) = snapshot {
            self.follow_team(t);
        }
    }

    fn tell_vehicle(&self, vehicle: &VehicleId, e: &EventRecord, assigned: Option<ActiveTicket>) {
        let notice = Arc::new(TicketNotice {
            ticket_id: e.ticket_id,
            number: e.number.clone(),
            status: e.status,
            event: e.kind.name(),
            event_id: e.event_id,
        });
        if let Some(addr) = self.deps.fleet.live_vehicle(vehicle) {
            addr.do_send(TicketProgress(notice, assigned));
        }
    }

    /// Records an alert on the ticket (console and timeline).
    fn raise_alert(&mut self, ticket_id: TicketId, reason: String, ctx: &mut Context<Self>) {
        let tickets = self.deps.tickets.clone();
        let fut = async move {
            if let Err(e) = tickets
                .execute(
                    ticket_id,
                    Command::RaiseAlert(steps::RaiseAlert { reason }),
                    Principal::system(),
                )
                .await
            {
                tracing::warn!(%ticket_id, error = %e, "alert not recorded");
            }
        };
        ctx.spawn(fut.into_actor(self));
    }
}

impl Actor for DispatcherActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(4096);
        self.recover();
        follow_tickets(&self.deps.bus, ctx);
        ctx.run_interval(StdDuration::from_millis(200), |act, ctx| {
            act.expire_due(ctx)
        });
    }
}

impl TicketFollower for DispatcherActor {
    const NAME: &'static str = "dispatcher";

    fn on_ticket(&mut self, update: TicketUpdate, ctx: &mut Self::Context) {
        self.on_ticket_event(&update, ctx);
    }

    fn resync(&mut self, ctx: &mut Self::Context) {
        self.open.clear();
        // Holds of offers being made or planned stay (they are in no store yet); those of
        // open offers come back from the store.
        let (planning, in_flight) = (&self.planning, &self.in_flight);
        self.reserved
            .retain(|t| planning.contains_key(t) || in_flight.contains(t));
        self.active.clear();
        self.recover();
        follow_tickets(&self.deps.bus, ctx);
    }
}

impl Handler<ListOpenOffers> for DispatcherActor {
    type Result = MessageResult<ListOpenOffers>;
    fn handle(&mut self, _: ListOpenOffers, _: &mut Self::Context) -> Self::Result {
        MessageResult(
            self.open
                .iter()
                .map(|(t, o)| (*t, o.offer_id, o.vehicle_id.clone()))
                .collect(),
        )
    }
}

/// What the ticket's position stands for when it is only approximate (`梅川镇 (town)`):
/// the engine's own offers hold such a ticket (`Location::is_approximate`).
fn approximate_place(t: &Ticket) -> Option<String> {
    let l = &t.location;
    l.is_approximate().then(|| {
        let precision = l.precision.map_or("", |p| match p {
            crate::domain::place::Precision::Street => "street",
            _ => "town",
        });
        format!(
            "{} ({precision})",
            l.approximate_place.as_deref().unwrap_or("?")
        )
    })
}
