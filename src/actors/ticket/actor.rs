//! The actor of one open ticket. It serialises every write on its ticket, the first one
//! (filing it at intake) included: check with the domain, write the event through the
//! store, and answer only once the event is durable. No other message is handled while a
//! write is in flight (the context waits on it), so the per-ticket sequence never races.

use std::sync::Arc;

use actix::prelude::*;
use parking_lot::Mutex;

use tokio::sync::oneshot;

use super::directory::OfferPlanner;
use super::messages::{Execute, Executed, FirstOfferFiled, Passivate, PlanFirstOffer};
use crate::domain::catalog::Catalog;
use crate::domain::clock::Clock;
use crate::domain::duplicates::CaseIndex;
use crate::domain::role::Principal;
use crate::domain::ticket::steps;
use crate::domain::ticket::{Command, EventKind, Ticket};
use crate::store::{Change, Store, StoreError, Write, Written};

/// What every ticket actor shares.
pub struct TicketDeps {
    pub store: Arc<dyn Store>,
    pub catalog: Arc<Catalog>,
    /// The service area: where a ticket's position lies is recorded on its location.
    pub area: Arc<crate::domain::area::ServiceArea>,
    pub clock: Arc<dyn Clock>,
    /// Open and recently closed tickets, for the duplicate check at intake (the directory)
    /// and at triage (the ticket's own actor, against its current state).
    pub cases: Mutex<CaseIndex>,
}

pub struct TicketActor {
    ticket: Ticket,
    deps: Arc<TicketDeps>,
    /// A new ticket's first write, made when the actor starts, before any command.
    filing: Option<Filing>,
}

/// A received ticket's first event, with whom to tell once it is durable (the numbered
/// ticket) or refused (the actor then stops; nothing was written).
pub struct Filing {
    pub event: EventKind,
    pub by: Principal,
    /// Asked for a fast-track ticket's first offer before the filing, which then commits
    /// both in one batch (intake → offer costs one flush), and told how the filing went
    /// (it holds the vehicle until then). Asked and told by this actor, so an intake whose
    /// caller has left still completes the exchange.
    pub planner: Option<OfferPlanner>,
    pub reply: oneshot::Sender<Result<Box<Ticket>, StoreError>>,
    /// A forwarded intake's command id (cluster mode), logged with the ticket.
    pub command: Option<String>,
}

impl TicketActor {
    /// The actor of a ticket already in the store.
    pub fn new(ticket: Ticket, deps: Arc<TicketDeps>) -> Self {
        Self {
            ticket,
            deps,
            filing: None,
        }
    }

    /// The actor of a ticket just received, which it files first.
    pub fn filing(ticket: Ticket, filing: Filing, deps: Arc<TicketDeps>) -> Self {
        Self {
            ticket,
            deps,
            filing: Some(filing),
        }
    }

    /// Asks for the first offer, if a planner is given, then files the ticket with it; the
    /// mailbox waits throughout.
    fn plan_and_file(&mut self, filing: Filing, ctx: &mut Context<Self>) {
        let Some(p) = filing.planner.clone() else {
            return self.file(filing, None, ctx);
        };
        let plan = p.plan.send(PlanFirstOffer(Arc::new(self.ticket.clone())));
        // Past the wait the ticket is filed alone; the dispatcher lets the vehicle of a
        // plan finished too late go when it is told.
        let planned = async move {
            tokio::time::timeout(p.wait, plan)
                .await
                .ok()
                .and_then(Result::ok)
                .flatten()
        };
        ctx.wait(
            fut::wrap_future(planned)
                .map(move |offer, act: &mut Self, ctx| act.file(filing, offer, ctx)),
        );
    }

    /// Writes the received ticket (with its first offer); the mailbox waits until it is
    /// durable.
    fn file(&mut self, filing: Filing, offer: Option<steps::Offer>, ctx: &mut Context<Self>) {
        let Filing {
            event,
            by,
            planner,
            reply,
            command,
        } = filing;
        let then = offer.and_then(|offer| self.first_offer(offer));
        let pending = self.deps.store.submit(Write::CreateTicket {
            ticket: Box::new(self.ticket.clone()),
            event,
            by,
            then,
            command,
        });
        ctx.wait(
            fut::wrap_future(pending).map(move |written, act: &mut Self, ctx| {
                let result = match written {
                    Ok(Written::Ticket { ticket, .. }) => {
                        act.ticket = (*ticket).clone();
                        Ok(ticket)
                    }
                    Ok(Written::Record | Written::Followed { .. }) => {
                        Err(StoreError::Corrupt("an intake answered as a record".into()))
                    }
                    Err(e) => Err(e),
                };
                if result.is_err() {
                    // Nothing was filed: there is no ticket for this actor to hold.
                    ctx.stop();
                }
                if let Some(planner) = planner {
                    planner.filed.do_send(FirstOfferFiled {
                        ticket_id: act.ticket.id,
                        filed: result.as_ref().ok().map(|t| Arc::new((**t).clone())),
                    });
                }
                let _ = reply.send(result);
            }),
        );
    }

    /// The received ticket's first offer as a change on it, checked by the domain like
    /// any offer the engine makes.
    fn first_offer(&self, offer: steps::Offer) -> Option<Box<Change>> {
        let mut after = self.ticket.clone();
        let now = self.deps.clock.now();
        let by = Principal::system();
        match after.execute(&Command::Offer(offer), &by, &self.deps.catalog, now) {
            Ok(decision) => Some(Box::new(Change {
                after: Box::new(after),
                event: decision.kind,
                deadlines: decision.deadlines,
                by,
            })),
            Err(rejection) => {
                tracing::warn!(ticket_id = %self.ticket.id, %rejection, "first offer refused; filed without it");
                None
            }
        }
    }

    /// Fills a triage's `duplicate_of` with the case its retailer, place and category
    /// repeat. Looked up here, in the actor that serialises the ticket's commands, so the
    /// check sees the state the triage is decided on; the domain records it only when the
    /// triage changed what the rule looks at and no duplicate is named yet.
    fn spot_duplicate(&self, mut command: Command) -> Command {
        let t = &self.ticket;
        if let Command::Triage(steps::Triage {
            category,
            position,
            retailer_licence,
            duplicate_of: hint @ None,
            ..
        }) = &mut command
            && t.possible_duplicate_of.is_none()
        {
            let retailer = retailer_licence.as_deref().or(t.location.shop_key());
            let category = category.as_ref().or(t.category.as_ref());
            *hint = self.deps.cases.lock().find(
                Some(t.id),
                retailer,
                category.map(String::as_str),
                position.or(t.location.position),
                t.received_at,
            );
        }
        command
    }
}

impl Actor for TicketActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // Bounded: a flood of commands on one ticket is refused, not queued without end.
        ctx.set_mailbox_capacity(64);
        if let Some(filing) = self.filing.take() {
            self.plan_and_file(filing, ctx);
        }
    }
}

impl Handler<Execute> for TicketActor {
    type Result = ();

    fn handle(&mut self, msg: Execute, ctx: &mut Self::Context) {
        let Execute {
            command,
            by,
            reply,
            command_id,
        } = msg;
        let command = self.spot_duplicate(command);
        let mut next = self.ticket.clone();
        let now = self.deps.clock.now();
        let mut decision = match next.execute(&command, &by, &self.deps.catalog, now) {
            Ok(d) => d,
            Err(rejection) => {
                let _ = reply.send(Err(rejection.into()));
                return;
            }
        };
        // Triage sets the location: where it lies in the service area goes with it, in the
        // event and the state alike.
        if let EventKind::Triaged { location, .. } = &mut decision.kind {
            location.place(&self.deps.area);
            next.location.area_code = location.area_code.clone();
            next.location.outside_area = location.outside_area;
        }
        let pending = self.deps.store.submit(Write::UpdateTicket {
            before: Box::new(self.ticket.clone()),
            after: Box::new(next),
            event: decision.kind,
            deadlines: decision.deadlines,
            by,
            command: command_id,
        });
        // `wait` holds the mailbox until the write is durable.
        ctx.wait(
            fut::wrap_future(pending).map(move |written, act: &mut Self, ctx| {
                let result = match written {
                    Ok(Written::Ticket { ticket, event }) => {
                        act.ticket = (*ticket).clone();
                        Ok(Executed { ticket, event })
                    }
                    Ok(Written::Record | Written::Followed { .. }) => Err(StoreError::Corrupt(
                        "a ticket write answered as a record".into(),
                    )
                    .into()),
                    Err(e @ StoreError::Conflict(_)) => {
                        // This actor's copy is stale: stop, so the next command rebuilds it.
                        tracing::warn!(ticket_id = %act.ticket.id, seq = act.ticket.seq, error = %e, "ticket actor's copy was stale; it stops");
                        ctx.stop();
                        Err(e.into())
                    }
                    Err(e @ StoreError::NotOwner(_)) => {
                        // Cluster mode: another node writes this ticket now; when this one
                        // does again, its actor starts from the store.
                        tracing::debug!(ticket_id = %act.ticket.id, error = %e, "ticket written by another node; its actor here stops");
                        ctx.stop();
                        Err(e.into())
                    }
                    Err(e) => Err(e.into()),
                };
                let _ = reply.send(result);
            }),
        );
    }
}

impl Handler<Passivate> for TicketActor {
    type Result = ();

    fn handle(&mut self, _: Passivate, ctx: &mut Self::Context) {
        ctx.stop();
    }
}

#[cfg(feature = "fault-injection")]
impl Handler<crate::actors::directory::InjectPanic> for TicketActor {
    type Result = ();

    #[allow(
        clippy::panic,
        reason = "fault injection for the panic-containment test"
    )]
    fn handle(&mut self, _msg: crate::actors::directory::InjectPanic, _ctx: &mut Self::Context) {
        panic!("injected fault in ticket {}", self.ticket.id);
    }
}
