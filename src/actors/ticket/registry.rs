//! The registry of ticket actors. It spawns one actor per open ticket over a few arbiters,
//! finds it by id, and is the watchdog actix lacks: when an actor's mailbox has closed (a
//! panic drops the actor; actix's Supervisor would not restart it) the next message rebuilds
//! it from the store. Closed tickets are passivated: their actor is dropped, their state
//! stays in the store, and a command that can act on them (reopen) reactivates them.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use actix::prelude::SendError;
use actix::{Actor, Addr, ArbiterHandle};
use parking_lot::Mutex;
use tokio::sync::oneshot;

use super::actor::{TicketActor, TicketDeps};
use super::messages::{CommandError, Execute, Executed};
use crate::domain::duplicates::OpenCases;
use crate::domain::ids::{TicketId, TicketNumber};
use crate::domain::role::Principal;
use crate::domain::ticket::{Command, NewTicket, Rejection, Ticket};
use crate::store::{StoreError, Write, Written};

/// The answer to an intake: the ticket, and whether this call created it.
#[derive(Debug)]
pub struct Intake {
    pub ticket: Ticket,
    pub created: bool,
}

pub struct TicketRegistry {
    actors: Mutex<HashMap<TicketId, Addr<TicketActor>>>,
    /// Open tickets indexed for the duplicate check at intake.
    open_cases: Mutex<OpenCases>,
    arbiters: Vec<ArbiterHandle>,
    deps: Arc<TicketDeps>,
}

impl TicketRegistry {
    /// `arbiters` run the ticket actors; at least one is required.
    pub fn new(deps: Arc<TicketDeps>, arbiters: Vec<ArbiterHandle>) -> Self {
        assert!(!arbiters.is_empty(), "ticket actors need an arbiter");
        Self {
            actors: Mutex::default(),
            open_cases: Mutex::default(),
            arbiters,
            deps,
        }
    }

    pub fn deps(&self) -> &TicketDeps {
        &self.deps
    }

    /// Starts an actor for every open ticket in the store; returns how many.
    pub fn recover(&self) -> Result<usize, StoreError> {
        let ids = self.deps.store.open_ticket_ids()?;
        let mut actors = self.actors.lock();
        let mut cases = self.open_cases.lock();
        for id in &ids {
            if let Some(ticket) = self.deps.store.ticket(id)? {
                cases.track(&ticket);
                actors.insert(*id, self.spawn(ticket));
            }
        }
        Ok(ids.len())
    }

    /// Number of live ticket actors.
    pub fn live(&self) -> usize {
        self.actors
            .lock()
            .values()
            .filter(|a| a.connected())
            .count()
    }

    /// Registers a new ticket, or returns the one already filed under its external id.
    pub async fn intake(&self, new: NewTicket, by: Principal) -> Result<Intake, CommandError> {
        let store = &self.deps.store;
        if let Some(ext) = &new.external_id
            && let Some(ticket) = store.ticket_by_external(new.source, ext)?
        {
            return Ok(Intake {
                ticket,
                created: false,
            });
        }
        let now = self.deps.clock.now();
        let mut new = new;
        new.possible_duplicate_of = self.open_cases.lock().find(
            new.location.retailer_licence.as_deref(),
            new.category.as_deref(),
            new.location.position,
            new.received_at.unwrap_or(now),
        );
        // The writer numbers the ticket; this placeholder never reaches the store.
        let placeholder = TicketNumber::new("", now.year(), 0);
        let (ticket, event) = Ticket::receive(
            new,
            TicketId::generate(),
            placeholder,
            &self.deps.catalog,
            now,
        )?;
        let write = Write::CreateTicket {
            ticket: Box::new(ticket),
            event,
            by,
        };
        match store.submit(write).await {
            Ok(Written::Ticket { ticket, .. }) => {
                // The intake is on the bus already: a listener may have woken the actor
                // from the store in the meantime. Keep that one; never run two.
                let mut actors = self.actors.lock();
                if !actors.get(&ticket.id).is_some_and(|a| a.connected()) {
                    actors.insert(ticket.id, self.spawn((*ticket).clone()));
                }
                drop(actors);
                self.open_cases.lock().track(&ticket);
                Ok(Intake {
                    ticket: *ticket,
                    created: true,
                })
            }
            Ok(Written::Record) => {
                Err(StoreError::Corrupt("an intake answered as a record".into()).into())
            }
            Err(StoreError::DuplicateExternal(id)) => {
                let ticket = store.ticket(&id)?.ok_or(CommandError::NotFound)?;
                Ok(Intake {
                    ticket,
                    created: false,
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Runs `command` on ticket `id` through its actor; answers once durable. A full
    /// mailbox is refused at once (`Busy`) rather than queued.
    pub async fn execute(
        &self,
        id: TicketId,
        command: Command,
        by: Principal,
    ) -> Result<Executed, CommandError> {
        let addr = self
            .activate(&id, &command, &by)?
            .ok_or(CommandError::NotFound)?;
        let (reply, answer) = oneshot::channel();
        let msg = Execute { command, by, reply };
        match addr.try_send(msg) {
            Ok(()) => {}
            Err(SendError::Full(_)) => return Err(CommandError::Busy),
            Err(SendError::Closed(msg)) => {
                // Died between lookup and send: rebuild once and deliver there.
                let addr = self.rebuild(&id)?.ok_or(CommandError::NotFound)?;
                addr.try_send(msg).map_err(|_| CommandError::Busy)?;
            }
        }
        match answer.await {
            Ok(result) => {
                if let Ok(done) = &result {
                    self.open_cases.lock().track(&done.ticket);
                }
                result
            }
            Err(_) => {
                // The actor dropped the command: it panicked. Rebuild it now so the
                // ticket answers the next request; this one changed nothing durable.
                self.rebuild(&id)?;
                Err(CommandError::ActorFailed)
            }
        }
    }

    /// Folds `duplicate` into `target`: the duplicate closes as merged, the target records
    /// it; both timelines are kept. The target is checked first so a refused merge changes
    /// nothing.
    pub async fn merge(
        &self,
        target: TicketId,
        duplicate: TicketId,
        by: Principal,
    ) -> Result<Executed, CommandError> {
        let store = &self.deps.store;
        let t = store.ticket(&target)?.ok_or(CommandError::NotFound)?;
        let d = store
            .ticket(&duplicate)?
            .ok_or_else(|| Rejection::rule("unknown_ticket", format!("no ticket `{duplicate}`")))?;
        let absorb = Command::AbsorbDuplicate {
            duplicate,
            duplicate_number: d.number.clone(),
        };
        t.decide(&absorb, &by, &self.deps.catalog)?;
        let merge_into = Command::MergeInto {
            target,
            target_number: t.number.clone(),
        };
        d.decide(&merge_into, &by, &self.deps.catalog)?;
        self.execute(duplicate, merge_into, by.clone()).await?;
        self.execute(target, absorb, by).await
    }

    /// Test-only: makes the actor of `id` panic; true once it is gone (its mailbox closed).
    #[cfg(feature = "fault-injection")]
    pub async fn inject_panic(&self, id: &TicketId) -> bool {
        let addr = self.actors.lock().get(id).cloned();
        let Some(addr) = addr else { return false };
        if addr.send(super::messages::InjectPanic).await.is_ok() {
            return false;
        }
        // The reply is dropped while unwinding; the mailbox closes a moment later.
        for _ in 0..1000 {
            if !addr.connected() {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        false
    }

    fn rebuild(&self, id: &TicketId) -> Result<Option<Addr<TicketActor>>, CommandError> {
        tracing::warn!(ticket_id = %id, "ticket actor gone; rebuilding from the store");
        metrics::counter!("hotline_ticket_actor_rebuilds_total").increment(1);
        let Some(ticket) = self.deps.store.ticket(id)? else {
            return Ok(None);
        };
        let addr = self.spawn(ticket);
        self.actors.lock().insert(*id, addr.clone());
        Ok(Some(addr))
    }

    /// The live actor of `id`, rebuilding it from the store if its mailbox closed. A closed
    /// ticket is only woken for a command it can accept; `None` when the ticket is unknown.
    fn activate(
        &self,
        id: &TicketId,
        command: &Command,
        by: &Principal,
    ) -> Result<Option<Addr<TicketActor>>, CommandError> {
        let mut actors = self.actors.lock();
        if let Some(addr) = actors.get(id) {
            if addr.connected() {
                return Ok(Some(addr.clone()));
            }
            tracing::warn!(ticket_id = %id, "ticket actor gone; rebuilding from the store");
            metrics::counter!("hotline_ticket_actor_rebuilds_total").increment(1);
            actors.remove(id);
        }
        let Some(ticket) = self.deps.store.ticket(id)? else {
            return Ok(None);
        };
        if ticket.status.is_closed() {
            ticket.decide(command, by, &self.deps.catalog)?;
        }
        let addr = self.spawn(ticket);
        actors.insert(*id, addr.clone());
        Ok(Some(addr))
    }

    fn spawn(&self, ticket: Ticket) -> Addr<TicketActor> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        ticket.id.hash(&mut h);
        let arbiter = &self.arbiters[(h.finish() as usize) % self.arbiters.len()];
        let deps = self.deps.clone();
        TicketActor::start_in_arbiter(arbiter, move |_| TicketActor::new(ticket, deps))
    }
}
