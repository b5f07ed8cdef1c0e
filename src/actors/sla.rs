//! The SLA supervisor: watches every open ticket's two clocks (its current stage's, and
//! intake to reply) and raises `sla.warning` at 80% of a limit and `sla.overdue` at 100%
//! (alerting supervisors), with the clock as the event's `scope`. Checkpoints come from the
//! tickets themselves (the deadlines fixed in their state), so after a restart they are
//! rebuilt from the store and re-armed; the domain refuses a checkpoint already raised, so
//! nothing is raised twice. Due checkpoints are found on a short tick against the injected
//! clock, so tests drive them by advancing a manual clock.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use actix::prelude::*;

use crate::actors::ticket::TicketDirectory;
use crate::bus::{EventBus, TicketFollower, TicketUpdate, follow_tickets};
use crate::domain::Timestamp;
use crate::domain::catalog::Catalog;
use crate::domain::clock::Clock;
use crate::domain::ids::TicketId;
use crate::domain::role::Principal;
use crate::domain::ticket::steps;
use crate::domain::ticket::{Checkpoint, Command, SlaLevel, SlaScope, Stage, Ticket};
use crate::store::Store;

pub struct SlaDeps {
    pub tickets: Arc<TicketDirectory>,
    pub store: Arc<dyn Store>,
    pub catalog: Arc<Catalog>,
    pub clock: Arc<dyn Clock>,
    pub bus: Arc<EventBus>,
}

type Key = (Timestamp, TicketId, SlaLevel, SlaScope, Stage);

pub struct SlaSupervisor {
    deps: Arc<SlaDeps>,
    due: BTreeSet<Key>,
    by_ticket: HashMap<TicketId, Vec<Key>>,
    /// Checkpoints being written.
    raising: BTreeSet<Key>,
}

impl SlaSupervisor {
    pub fn new(deps: Arc<SlaDeps>) -> Self {
        Self {
            deps,
            due: BTreeSet::new(),
            by_ticket: HashMap::new(),
            raising: BTreeSet::new(),
        }
    }

    /// Re-arms one ticket's checkpoints from its committed state.
    fn arm(&mut self, t: &Ticket) {
        let id = t.id;
        for key in self.by_ticket.remove(&id).unwrap_or_default() {
            self.due.remove(&key);
        }
        let keys: Vec<Key> = t
            .sla_checkpoints(&self.deps.catalog)
            .into_iter()
            .map(
                |Checkpoint {
                     at,
                     level,
                     scope,
                     stage,
                     ..
                 }| (at, id, level, scope, stage),
            )
            .collect();
        self.due.extend(keys.iter().copied());
        if !keys.is_empty() {
            self.by_ticket.insert(id, keys);
        }
    }

    fn recover(&mut self) {
        match self.deps.store.open_ticket_ids() {
            Ok(ids) => {
                for id in ids {
                    if let Ok(Some(t)) = self.deps.store.ticket(&id) {
                        self.arm(&t);
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "SLA supervisor cannot read open tickets"),
        }
        tracing::info!(checkpoints = self.due.len(), "SLA supervisor armed");
    }

    fn raise_due(&mut self, ctx: &mut Context<Self>) {
        let now = self.deps.clock.now();
        // One checkpoint per ticket and clock at a time, earliest first: when a jump of the
        // clock passes both the warning and the deadline, the warning is raised first (the
        // deadline would make it stale) and the deadline on the next tick.
        let mut busy: HashSet<(TicketId, SlaScope)> =
            self.raising.iter().map(|k| (k.1, k.3)).collect();
        let ready: Vec<Key> = self
            .due
            .iter()
            .take_while(|k| k.0 <= now)
            .filter(|k| busy.insert((k.1, k.3)))
            .copied()
            .collect();
        // Cluster mode: a checkpoint is marked by the node that writes its ticket; here the
        // mark comes as a followed event. Dropped here, it is armed again by the ticket's
        // next change, and all are when this node takes partitions over ([`Recover`]).
        let (ready, elsewhere): (Vec<Key>, Vec<Key>) = ready
            .into_iter()
            .partition(|k| self.deps.tickets.writes_here(&k.1));
        for key in elsewhere {
            self.due.remove(&key);
        }
        for key in ready {
            let (_, id, level, scope, stage) = key;
            self.raising.insert(key);
            let tickets = self.deps.tickets.clone();
            let run = async move {
                tickets
                    .execute(
                        id,
                        Command::FlagSla(steps::FlagSla {
                            level,
                            scope,
                            stage,
                            now,
                        }),
                        Principal::system(),
                    )
                    .await
            };
            ctx.spawn(run.into_actor(self).map(move |result, act, _| {
                act.raising.remove(&key);
                match result {
                    Ok(_) => {
                        if level == SlaLevel::Overdue {
                            tracing::warn!(ticket_id = %id, stage = %stage, scope = scope.as_str(), "ticket overdue");
                        }
                    }
                    // Moved on meanwhile, or already raised: forget this checkpoint.
                    Err(crate::actors::ticket::CommandError::Rejected(_)) | Err(crate::actors::ticket::CommandError::NotFound) => {
                        act.due.remove(&key);
                    }
                    Err(e) => tracing::warn!(ticket_id = %id, error = %e, "SLA checkpoint not written; retrying"),
                }
            }));
        }
    }
}

impl Actor for SlaSupervisor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.recover();
        follow_tickets(&self.deps.bus, ctx);
        ctx.run_interval(StdDuration::from_millis(250), |act, ctx| act.raise_due(ctx));
    }
}

/// Cluster mode: this node took partitions over; arm their checkpoints again.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Recover;

impl Handler<Recover> for SlaSupervisor {
    type Result = ();

    fn handle(&mut self, _: Recover, _: &mut Self::Context) {
        self.due.clear();
        self.by_ticket.clear();
        self.recover();
    }
}

impl TicketFollower for SlaSupervisor {
    const NAME: &'static str = "SLA supervisor";

    fn on_ticket(&mut self, update: TicketUpdate, _: &mut Self::Context) {
        // Every change may move the clock (a new stage, a new grade, a raised mark).
        self.arm(&update.ticket);
    }

    fn resync(&mut self, ctx: &mut Self::Context) {
        self.due.clear();
        self.by_ticket.clear();
        self.recover();
        follow_tickets(&self.deps.bus, ctx);
    }
}
