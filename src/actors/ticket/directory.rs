//! The directory of ticket actors: one actor per ticket in use over a few arbiters, found
//! by id and rebuilt from the store when its mailbox has closed (the generic
//! [`Directory`](crate::actors::directory::Directory) does the finding). A ticket's actor
//! starts with its first command and is passivated once the ticket goes a period
//! (`tickets.passivate_after_s`) unused: its state stays in the store, so a province's
//! open tickets are not all held in memory. A closed ticket is woken only by a command that
//! can act on it (reopen). Intake (a new ticket's actor files it), commands and merges go
//! through here.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use actix::prelude::SendError;
use actix::{Addr, ArbiterHandle, Recipient};
use parking_lot::Mutex;
use tokio::sync::oneshot;

use super::actor::{Filing, TicketActor, TicketDeps};
use super::messages::{
    CommandError, Execute, Executed, FirstOfferFiled, Passivate, PlanFirstOffer,
};
use crate::actors::directory::Directory;
use crate::domain::catalog::Urgency;
use crate::domain::duplicates;
use crate::domain::error_code::ErrorCode;
use crate::domain::ids::{TicketId, TicketNumber};
use crate::domain::role::Principal;
use crate::domain::ticket::steps;
use crate::domain::ticket::{Command, NewTicket, Rejection, Status, Ticket};
use crate::store::{StoreError, TicketQuery};

/// The answer to an intake: the ticket, and whether this call created it.
#[derive(Debug)]
pub struct Intake {
    pub ticket: Ticket,
    pub created: bool,
}

/// Who plans a fast-track ticket's first offer (the dispatcher), set once it has started.
#[derive(Clone)]
pub struct OfferPlanner {
    pub plan: Recipient<PlanFirstOffer>,
    pub filed: Recipient<FirstOfferFiled>,
    /// How long an intake waits for the plan before it is filed alone (the fast track then
    /// follows the intake as usual): a busy dispatcher never holds intake up longer.
    pub wait: std::time::Duration,
}

pub struct TicketDirectory {
    actors: Directory<TicketId, TicketActor>,
    deps: Arc<TicketDeps>,
    planner: OnceLock<OfferPlanner>,
    ownership: OnceLock<crate::cluster::ownership::Ownership>,
    /// Which tickets are in use: their actors are kept.
    usage: Mutex<Usage>,
    /// Commands sent to ticket actors and not yet answered: their mailboxes' depth and the
    /// writes in flight (actix does not show a mailbox's length). Read at scrape.
    in_flight: AtomicUsize,
    /// Intakes taken and not yet answered: the stream hub defers consoles' moves while
    /// many are, so that intake is shed last.
    intakes_in_flight: AtomicUsize,
}

/// Which tickets are in use: used since the last passivation sweep, or waiting on a
/// command or filing not yet answered.
#[derive(Default)]
struct Usage {
    used: HashSet<TicketId>,
    busy: HashMap<TicketId, usize>,
}

/// Marks a ticket in use from a command's send to its answer.
struct InUse<'a> {
    usage: &'a Mutex<Usage>,
    id: TicketId,
}

impl<'a> InUse<'a> {
    fn begin(usage: &'a Mutex<Usage>, id: TicketId) -> Self {
        let mut u = usage.lock();
        u.used.insert(id);
        *u.busy.entry(id).or_default() += 1;
        Self { usage, id }
    }
}

impl Drop for InUse<'_> {
    fn drop(&mut self) {
        let mut u = self.usage.lock();
        if let Some(n) = u.busy.get_mut(&self.id) {
            *n -= 1;
            if *n == 0 {
                u.busy.remove(&self.id);
            }
        }
    }
}

/// Counts one command from its send to its answer (or its refusal).
struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    fn new(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Self(count)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl TicketDirectory {
    /// `arbiters` run the ticket actors; at least one is required.
    pub fn new(deps: Arc<TicketDeps>, arbiters: Vec<ArbiterHandle>) -> Self {
        Self {
            actors: Directory::new("ticket", "hotline_ticket_actor_rebuilds_total", arbiters),
            deps,
            planner: OnceLock::new(),
            ownership: OnceLock::new(),
            usage: Mutex::default(),
            in_flight: AtomicUsize::new(0),
            intakes_in_flight: AtomicUsize::new(0),
        }
    }

    /// Lets the dispatcher decide fast-track tickets' first offers before they are filed;
    /// set once, when it has started.
    pub fn set_planner(&self, planner: OfferPlanner) {
        if self.planner.set(planner).is_err() {
            tracing::warn!("the offer planner was set twice; the first stays");
        }
    }

    /// Cluster mode: what this node owns, for [`Self::writes_here`]; set once at start.
    pub fn set_ownership(&self, ownership: crate::cluster::ownership::Ownership) {
        let _ = self.ownership.set(ownership);
    }

    /// Whether this node writes ticket `id`: always on one node; in cluster mode, when it
    /// holds the lease of the ticket's partition. The engine's own steps (offers, alerts,
    /// SLA marks) are taken only there; the other nodes see them as followed events.
    pub fn writes_here(&self, id: &TicketId) -> bool {
        let Some(ownership) = self.ownership.get() else {
            return true;
        };
        match self.deps.store.ticket_partition(id) {
            Ok(Some(p)) => ownership.lease(&p).is_some(),
            _ => false,
        }
    }

    /// Commands sent to ticket actors and not yet answered.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Intakes taken and not yet answered.
    pub fn intakes_in_flight(&self) -> usize {
        self.intakes_in_flight.load(Ordering::Relaxed)
    }

    pub fn deps(&self) -> &TicketDeps {
        &self.deps
    }

    /// Indexes the open tickets in the store, with the tickets closed but received within
    /// the duplicate window, for the duplicate check; returns how many tickets are open.
    /// No actor starts here: a ticket's actor starts with its first command.
    pub fn recover(&self) -> Result<usize, StoreError> {
        let store = &self.deps.store;
        let now = self.deps.clock.now();
        let ids = store.open_ticket_ids()?;
        let mut cases = self.deps.cases.lock();
        for id in &ids {
            if let Some(ticket) = store.ticket(id)? {
                cases.track(&ticket, now);
            }
        }
        // Merged tickets are left out of the index, so only these closed statuses.
        for status in [Status::Archived, Status::Transferred] {
            let mut after = None;
            loop {
                let page = store.list_tickets(&TicketQuery {
                    status: Some(status),
                    from: Some(now + -duplicates::WINDOW),
                    after,
                    limit: 500,
                    ..Default::default()
                })?;
                for t in &page.items {
                    cases.track(t, now);
                }
                match page.next_cursor {
                    Some(c) => after = Some(c),
                    None => break,
                }
            }
        }
        Ok(ids.len())
    }

    /// Number of live ticket actors.
    pub fn live(&self) -> usize {
        self.actors.live()
    }

    /// Registers a new ticket, or returns the one already filed under its external id.
    pub async fn intake(&self, new: NewTicket, by: Principal) -> Result<Intake, CommandError> {
        let _in_flight = InFlight::new(&self.intakes_in_flight);
        #[cfg(feature = "fault-injection")]
        if new.description == crate::api::FAULT_SLOW_INTAKE {
            let ms = crate::api::FAULT_SLOW_INTAKE_MS;
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
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
        new.location.place(&self.deps.area);
        new.possible_duplicate_of = self.deps.cases.lock().find(
            None,
            new.location.shop_key(),
            new.category.as_deref(),
            new.location.position,
            new.received_at.unwrap_or(now),
        );
        // The writer numbers the ticket; this placeholder never reaches the store.
        let placeholder = TicketNumber::new("", now.centre_local().year(), 0);
        let (ticket, event) = Ticket::receive(
            new,
            TicketId::generate(),
            placeholder,
            &self.deps.catalog,
            now,
        )?;
        let id = ticket.id;
        let planner = self
            .planner
            .get()
            .filter(|_| ticket.urgency == Some(Urgency::I) && ticket.awaits_vehicle())
            .cloned();
        // The new ticket's own actor files it, so its first write is serialised with the
        // commands that follow (a listener woken by the intake finds this actor).
        let (reply, filed) = oneshot::channel();
        let filing = Filing {
            event,
            by,
            planner: planner.clone(),
            reply,
            command: crate::cluster::command_id(),
        };
        let deps = self.deps.clone();
        let _in_use = InUse::begin(&self.usage, id);
        self.actors
            .start(&id, move || TicketActor::filing(ticket, filing, deps));
        let filed = filed.await;
        if let (Some(p), Err(_)) = (planner, &filed) {
            // The actor died filing it, so it told no one: the dispatcher hands the offer to
            // its vehicle or lets the vehicle go by what the store holds (a plan still
            // pending is let go either way).
            p.filed.do_send(FirstOfferFiled {
                ticket_id: id,
                filed: store.ticket(&id).ok().flatten().map(Arc::new),
            });
        }
        let Ok(filed) = filed else {
            // The actor died filing it: the write may or may not have gone through. What
            // the store holds decides, so a retry never files the ticket twice.
            self.actors.forget(&id);
            return match store.ticket(&id)? {
                Some(ticket) => {
                    self.deps.cases.lock().track(&ticket, now);
                    Ok(Intake {
                        ticket,
                        created: true,
                    })
                }
                None => Err(CommandError::ActorFailed),
            };
        };
        match filed {
            Ok(ticket) => {
                self.deps.cases.lock().track(&ticket, now);
                Ok(Intake {
                    ticket: *ticket,
                    created: true,
                })
            }
            Err(
                StoreError::DuplicateExternal(existing)
                | StoreError::Repeated {
                    ticket: existing, ..
                },
            ) => {
                self.actors.forget(&id);
                let ticket = store.ticket(&existing)?.ok_or(CommandError::NotFound)?;
                Ok(Intake {
                    ticket,
                    created: false,
                })
            }
            Err(e) => {
                self.actors.forget(&id);
                Err(e.into())
            }
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
        let (reply, answer) = oneshot::channel();
        let mut msg = Execute {
            command,
            by,
            reply,
            command_id: crate::cluster::command_id(),
        };
        let _in_flight = InFlight::new(&self.in_flight);
        let _in_use = InUse::begin(&self.usage, id);
        // A second try only if the actor died between the lookup and the send: the lookup
        // then finds its mailbox closed and rebuilds it.
        for attempt in 0..2 {
            let sent = self
                .actors
                .send(
                    &id,
                    msg,
                    |m| self.wake(&id, m),
                    |addr, m| addr.try_send(m).map_err(Box::new),
                )?
                .ok_or(CommandError::NotFound)?;
            match sent.map_err(|e| *e) {
                Ok(()) => break,
                Err(SendError::Full(_)) => return Err(CommandError::Busy),
                Err(SendError::Closed(_)) if attempt == 1 => return Err(CommandError::Busy),
                Err(SendError::Closed(back)) => msg = back,
            }
        }
        match answer.await {
            Ok(result) => {
                if let Ok(done) = &result {
                    let now = self.deps.clock.now();
                    self.deps.cases.lock().track(&done.ticket, now);
                }
                match result {
                    // A retried command (cluster mode) answers as the first did: with the
                    // ticket as it is, and its last event.
                    Err(CommandError::Store(StoreError::Repeated { ticket, .. })) => {
                        let store = &self.deps.store;
                        let now = store.ticket(&ticket)?.ok_or(CommandError::NotFound)?;
                        let event = store
                            .timeline(&ticket)?
                            .pop()
                            .ok_or(CommandError::NotFound)?;
                        Ok(Executed {
                            ticket: Box::new(now),
                            event: Arc::new(event),
                        })
                    }
                    other => other,
                }
            }
            Err(_) => {
                // The actor dropped the command: it panicked (a retired actor is never
                // sent one). Rebuild it now so the ticket answers the next request; this
                // one changed nothing durable.
                self.rebuild(&id)?;
                Err(CommandError::ActorFailed)
            }
        }
    }

    /// Cluster mode: stops the actors of tickets another node changed (followed entries),
    /// so that the next command here starts from the store, never from a stale copy.
    pub fn followed(&self, ids: &[TicketId]) -> usize {
        let changed: HashSet<TicketId> = ids.iter().copied().collect();
        self.actors.retire(
            || move |id: &TicketId| changed.contains(id),
            |addr| addr.do_send(Passivate),
        )
    }

    /// Stops the actors of tickets no command or intake used since the last call and none
    /// is waiting on, so that only tickets in use are held in memory; a passivated ticket's
    /// next command starts its actor again from the store. Called every
    /// `tickets.passivate_after_s`, so an actor lives between one and two periods past its
    /// last use. Returns how many stopped.
    pub fn passivate_idle(&self) -> usize {
        // Read with the directory locked. A command marks its ticket before it is sent under
        // the same lock, so an actor with a command on its way is kept; and one whose
        // command is still unanswered (its write not yet durable) is kept too, so the next
        // actor never starts from a store about to change.
        let idle = || {
            let mut usage = self.usage.lock();
            let used = std::mem::take(&mut usage.used);
            let busy: HashSet<TicketId> = usage.busy.keys().copied().collect();
            move |id: &TicketId| !used.contains(id) && !busy.contains(id)
        };
        let stopped = self.actors.retire(idle, |addr| addr.do_send(Passivate));
        metrics::counter!("hotline_ticket_actors_passivated_total").increment(stopped as u64);
        stopped
    }

    /// Folds `duplicate` into `target`: the target records it, then the duplicate closes
    /// as merged; both timelines are kept. Both tickets are checked first, so a refused
    /// merge changes nothing.
    ///
    /// Two tickets are two actors and two durable writes; the store cannot make them one.
    /// So the step that closes nothing goes first: the target records the duplicate. If
    /// closing the duplicate then fails (it changed in the meantime, its mailbox was full,
    /// the store failed), the target releases it again with `ticket.duplicate_released`,
    /// so its record never claims a merge that did not happen. An undo was chosen over
    /// retrying the second step because the duplicate may have closed some other way and
    /// can then never be merged. Only if the release fails as well does the claim stay;
    /// that is logged as an error.
    pub async fn merge(
        &self,
        target: TicketId,
        duplicate: TicketId,
        by: Principal,
    ) -> Result<Executed, CommandError> {
        let store = &self.deps.store;
        let t = store.ticket(&target)?.ok_or(CommandError::NotFound)?;
        let d = store.ticket(&duplicate)?.ok_or_else(|| {
            Rejection::rule(ErrorCode::UnknownTicket, format!("no ticket `{duplicate}`"))
        })?;
        let absorb = Command::AbsorbDuplicate(steps::AbsorbDuplicate {
            duplicate,
            duplicate_number: d.number.clone(),
        });
        t.decide(&absorb, &by, &self.deps.catalog)?;
        let merge_into = Command::MergeInto(steps::MergeInto {
            target,
            target_number: t.number.clone(),
        });
        d.decide(&merge_into, &by, &self.deps.catalog)?;
        let absorbed = self.execute(target, absorb, by.clone()).await?;
        match self.execute(duplicate, merge_into, by).await {
            Ok(_) => Ok(absorbed),
            Err(e) => {
                // Whatever failed, the store tells whether the duplicate did close.
                let closed = store
                    .ticket(&duplicate)
                    .ok()
                    .flatten()
                    .is_some_and(|d| d.merged_into == Some(target));
                if closed {
                    return Ok(absorbed);
                }
                self.release(target, duplicate, d.number, &e).await;
                Err(e)
            }
        }
    }

    /// Finds the merges a stop cut in half — an open ticket listing a duplicate that never
    /// closed into it (the engine stopped between the two steps, or the undo failed) — and
    /// undoes the target's record, as the merge itself would have. Run once after
    /// [`Self::recover`]; returns how many were repaired.
    pub async fn repair_merges(&self) -> Result<usize, StoreError> {
        let store = &self.deps.store;
        let mut half = Vec::new();
        for id in store.open_ticket_ids()? {
            let Some(target) = store.ticket(&id)? else {
                continue;
            };
            for dup in &target.duplicates {
                let Some(d) = store.ticket(dup)? else {
                    continue;
                };
                if d.merged_into != Some(target.id) {
                    half.push((target.id, d.id, d.number));
                }
            }
        }
        let why = CommandError::from(Rejection::rule(
            ErrorCode::MergeInterrupted,
            "the engine stopped before the duplicate closed",
        ));
        for (target, duplicate, number) in &half {
            tracing::warn!(ticket_id = %target, duplicate_id = %duplicate, "undoing a merge cut in half");
            self.release(*target, *duplicate, number.clone(), &why)
                .await;
        }
        Ok(half.len())
    }

    /// Undoes the target's record of a merge that did not go through; a full mailbox or a
    /// failed actor is retried a few times.
    async fn release(
        &self,
        target: TicketId,
        duplicate: TicketId,
        number: TicketNumber,
        why: &CommandError,
    ) {
        let release = Command::ReleaseDuplicate(steps::ReleaseDuplicate {
            duplicate,
            duplicate_number: number,
            reason: format!("the merge did not go through: {why}"),
        });
        let mut tries = 0;
        loop {
            tries += 1;
            match self
                .execute(target, release.clone(), Principal::system())
                .await
            {
                Ok(_) => return,
                Err(CommandError::Busy | CommandError::ActorFailed) if tries < 5 => {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Err(e) => {
                    tracing::error!(ticket_id = %target, duplicate_id = %duplicate, error = %e,
                        "a half-done merge could not be undone: the ticket lists a duplicate that is still open");
                    metrics::counter!("hotline_merge_undo_failures_total").increment(1);
                    return;
                }
            }
        }
    }

    /// Test-only: makes the actor of `id` panic; true once it is gone (its mailbox closed).
    #[cfg(feature = "fault-injection")]
    pub async fn inject_panic(&self, id: &TicketId) -> bool {
        self.actors.inject_panic(id).await
    }

    /// Replaces the actor of `id`, which dropped a command, with one rebuilt from the store.
    fn rebuild(&self, id: &TicketId) -> Result<Option<Addr<TicketActor>>, CommandError> {
        self.actors.rebuild(id, || {
            let ticket = self.deps.store.ticket(id)?;
            Ok(ticket.map(|t| self.make(t)))
        })
    }

    /// What starts the actor of ticket `id` for `msg` (read from the store): a closed
    /// ticket is only woken for a command it can accept; `None` when the ticket is unknown.
    #[allow(
        clippy::type_complexity,
        reason = "the maker the generic directory takes"
    )]
    fn wake(
        &self,
        id: &TicketId,
        msg: &Execute,
    ) -> Result<Option<impl FnOnce() -> TicketActor + Send + use<>>, CommandError> {
        let Some(ticket) = self.deps.store.ticket(id)? else {
            return Ok(None);
        };
        if ticket.status.is_closed() {
            ticket.decide(&msg.command, &msg.by, &self.deps.catalog)?;
        }
        Ok(Some(self.make(ticket)))
    }

    /// What starts the actor of `ticket` on its arbiter.
    fn make(&self, ticket: Ticket) -> impl FnOnce() -> TicketActor + Send + use<> {
        let deps = self.deps.clone();
        move || TicketActor::new(ticket, deps)
    }
}
