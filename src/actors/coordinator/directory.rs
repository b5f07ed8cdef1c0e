//! The directory of coordinators: one per active group, started when a group forms and at
//! engine start for every open ticket with an active group, found by ticket id, and rebuilt
//! from the store and the timeline when its mailbox has closed (the generic
//! [`Directory`](crate::actors::directory::Directory) does the finding). Steps are sent with `try_send` and carry their reply channel, so
//! a full mailbox is refused at once (429) instead of queued without bound.

use std::sync::Arc;

use actix::prelude::*;
use tokio::sync::oneshot;

use super::messages::{GetGroup, GroupError, GroupView, Observe, RunGroupCommand};
use super::{CoordinatorActor, RECENT_MESSAGES, recent_messages};
use crate::actors::directory::Directory;
use crate::actors::ticket::{Executed, TicketDirectory};
use crate::bus::TicketUpdate;
use crate::domain::catalog::Catalog;
use crate::domain::ids::TicketId;
use crate::domain::role::Principal;
use crate::domain::ticket::{Command, GroupCommand, NewMember};
use crate::store::{Store, StoreError};

/// What every coordinator shares.
pub struct CoordinatorDeps {
    pub tickets: Arc<TicketDirectory>,
    pub store: Arc<dyn Store>,
    pub catalog: Arc<Catalog>,
}

/// Counts coordinators rebuilt after their mailbox closed.
const REBUILDS: &str = "hotline_group_coordinator_rebuilds_total";

pub struct CoordinatorDirectory {
    actors: Directory<TicketId, CoordinatorActor>,
    deps: Arc<CoordinatorDeps>,
}

impl CoordinatorDirectory {
    /// Coordinators run on `arbiter`.
    pub fn new(deps: Arc<CoordinatorDeps>, arbiter: ArbiterHandle) -> Self {
        Self {
            actors: Directory::new("coordinator", REBUILDS, vec![arbiter]),
            deps,
        }
    }

    /// Starts a coordinator for every open ticket with an active group; returns how many.
    pub fn recover(&self) -> Result<usize, StoreError> {
        let mut n = 0;
        for id in self.deps.store.open_ticket_ids()? {
            if self.coordinator(&id)?.is_some() {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Number of live coordinators.
    pub fn live(&self) -> usize {
        self.actors.live()
    }

    /// Whether ticket `id` has a live coordinator (no rebuild; for forwarding bus events).
    pub fn observe(&self, event: &TicketUpdate) -> bool {
        match self.actors.find(&event.ticket_id) {
            Some(a) => {
                // Internal, from the bus (not network input): delivered even when busy so
                // the view never misses a change.
                a.do_send(Observe(event.clone()));
                true
            }
            None => false,
        }
    }

    /// The live coordinator of ticket `id`'s active group, started (or rebuilt) from the
    /// store if needed; `None` when the ticket has no active group.
    pub fn coordinator(&self, id: &TicketId) -> Result<Option<Addr<CoordinatorActor>>, StoreError> {
        self.actors.find_or_start(id, || self.make(id))
    }

    /// What starts the coordinator of ticket `id`'s active group, rebuilt from the store and
    /// the timeline; `None` when it has no active group.
    fn make(
        &self,
        id: &TicketId,
    ) -> Result<Option<impl FnOnce() -> CoordinatorActor + Send + 'static>, StoreError> {
        let Some(ticket) = self.deps.store.ticket(id)? else {
            return Ok(None);
        };
        if ticket.active_group().is_none() {
            return Ok(None);
        }
        let timeline = self.deps.store.timeline(id)?;
        let deps = self.deps.clone();
        Ok(Some(move || {
            CoordinatorActor::rebuild(ticket, &timeline, deps)
        }))
    }

    /// Forms ticket `id`'s group (through the ticket's actor) and starts its coordinator.
    pub async fn form(
        &self,
        id: TicketId,
        members: Vec<NewMember>,
        auto: bool,
        by: Principal,
    ) -> Result<Executed, GroupError> {
        let command = Command::Group(GroupCommand::Form { members, auto });
        let done = self.deps.tickets.execute(id, command, by).await?;
        self.coordinator(&id)?;
        tracing::info!(ticket_id = %id, number = %done.ticket.number, auto, "collaboration group formed");
        metrics::counter!("hotline_groups_formed_total", "auto" => auto.to_string()).increment(1);
        Ok(done)
    }

    /// Runs a step on ticket `id`'s active group through its coordinator; answers once it
    /// is durable.
    pub async fn execute(
        &self,
        id: TicketId,
        command: GroupCommand,
        by: Principal,
    ) -> Result<Executed, GroupError> {
        let addr = self.coordinator(&id)?.ok_or(GroupError::NoGroup)?;
        let (reply, answer) = oneshot::channel();
        let msg = RunGroupCommand { command, by, reply };
        match addr.try_send(msg) {
            Ok(()) => {}
            Err(SendError::Full(_)) => return Err(GroupError::Busy),
            Err(SendError::Closed(msg)) => {
                // Died between lookup and send: rebuild once and deliver there.
                let addr = self
                    .actors
                    .rebuild(&id, || self.make(&id))?
                    .ok_or(GroupError::NoGroup)?;
                addr.try_send(msg).map_err(|_| GroupError::Busy)?;
            }
        }
        match answer.await {
            Ok(result) => result,
            Err(_) => {
                self.actors.forget(&id);
                // A coordinator stops when its group is dissolved: a step that reached it
                // meanwhile finds no group, as it would a moment later.
                let active = self
                    .deps
                    .store
                    .ticket(&id)?
                    .is_some_and(|t| t.active_group().is_some());
                if !active {
                    return Err(GroupError::NoGroup);
                }
                tracing::warn!(ticket_id = %id, "coordinator dropped a step; it is rebuilt on the next one");
                metrics::counter!(REBUILDS).increment(1);
                Err(GroupError::Failed)
            }
        }
    }

    /// The group of ticket `id` — live from its coordinator, or, once dissolved, from the
    /// store and the timeline. `None` when the ticket is unknown or never had a group.
    pub async fn view(&self, id: &TicketId) -> Result<Option<GroupView>, GroupError> {
        if let Some(addr) = self.coordinator(id)? {
            let (reply, answer) = oneshot::channel();
            match addr.try_send(GetGroup { reply }) {
                Ok(()) => {
                    if let Ok(view) = answer.await {
                        return Ok(Some(view));
                    }
                }
                Err(SendError::Full(_)) => return Err(GroupError::Busy),
                // Gone meanwhile: read the store below.
                Err(SendError::Closed(_)) => {}
            }
        }
        let Some(ticket) = self.deps.store.ticket(id)? else {
            return Ok(None);
        };
        let Some(generation) = ticket.group.as_ref().map(|g| g.generation) else {
            return Ok(None);
        };
        let timeline = self.deps.store.timeline(id)?;
        let messages = recent_messages(&timeline, generation, RECENT_MESSAGES);
        Ok(Some(GroupView { ticket, messages }))
    }

    /// Test-only: makes the coordinator of `id` panic; true once it is gone (its mailbox
    /// closed).
    #[cfg(feature = "fault-injection")]
    pub async fn inject_panic(&self, id: &TicketId) -> bool {
        self.actors.inject_panic(id).await
    }
}
