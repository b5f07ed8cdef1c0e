//! The CoordinatorActor: one per active collaboration group ("工单 No. X 协作受理小组"). It
//! checks each group step against the group it holds (membership, tasks), persists it
//! through the ticket's own actor — so chat, tasks and membership are in the ticket's
//! timeline — and keeps the live group with its latest messages for `GET /groups/{id}`.
//! It is rebuilt from the store and the timeline when started (at engine start, or when its
//! mailbox closed), follows its ticket's events from the bus, and stops once the group is
//! dissolved. [`directory::CoordinatorDirectory`] starts and finds coordinators;
//! [`watch::GroupWatch`] forms groups from the guide and dissolves them when tickets close.

pub mod directory;
pub mod messages;
pub mod watch;

use std::collections::VecDeque;
use std::sync::Arc;

use actix::prelude::*;

pub use directory::{CoordinatorDeps, CoordinatorDirectory};
pub use messages::{GetGroup, GroupError, GroupView, Observe, RecentMessage, RunGroupCommand};

use crate::actors::ticket::CommandError;
use crate::domain::ticket::{Command, EventKind, EventRecord, GroupCommand, Ticket};

/// Messages kept in memory for the group view (the timeline has them all).
pub const RECENT_MESSAGES: usize = 100;

/// Most steps waiting for one group; more are refused (429).
const MAILBOX: usize = 64;

pub struct CoordinatorActor {
    /// The ticket as of the last event seen; it holds the group.
    ticket: Ticket,
    /// The latest messages of the current group, oldest first.
    recent: VecDeque<RecentMessage>,
    /// The last global event id taken in (from a step's answer or the bus).
    last_event_id: u64,
    deps: Arc<CoordinatorDeps>,
}

impl CoordinatorActor {
    /// A coordinator for `ticket`'s group, with the messages of its generation from the
    /// ticket's timeline.
    pub fn rebuild(ticket: Ticket, timeline: &[EventRecord], deps: Arc<CoordinatorDeps>) -> Self {
        let generation = ticket.group.as_ref().map_or(0, |g| g.generation);
        let recent = recent_messages(timeline, generation, RECENT_MESSAGES).into();
        let last_event_id = timeline.last().map_or(0, |e| e.event_id);
        Self {
            ticket,
            recent,
            last_event_id,
            deps,
        }
    }

    /// Takes in a committed event and the ticket after it.
    fn absorb(&mut self, ticket: Option<Ticket>, event: &EventRecord, ctx: &mut Context<Self>) {
        if let Some(t) = ticket.filter(|t| t.seq > self.ticket.seq) {
            self.ticket = t;
        }
        if event.event_id <= self.last_event_id {
            return;
        }
        self.last_event_id = event.event_id;
        let generation = self.ticket.group.as_ref().map_or(0, |g| g.generation);
        if let Some(m) = RecentMessage::of(event, generation) {
            if self.recent.len() == RECENT_MESSAGES {
                self.recent.pop_front();
            }
            self.recent.push_back(m);
        }
        if let EventKind::GroupFormed(f) = &event.kind {
            // A new generation: the previous group's chat is history.
            self.recent.retain(|m| m.event_id > event.event_id);
            tracing::debug!(ticket_id = %event.ticket_id, generation = f.generation, "group formed");
        }
        if self.ticket.active_group().is_none() {
            tracing::info!(ticket_id = %self.ticket.id, "collaboration group dissolved; coordinator stops");
            ctx.stop();
        }
    }

    fn precheck(
        &self,
        command: &GroupCommand,
        by: &crate::domain::role::Principal,
    ) -> Result<(), GroupError> {
        let group = self.ticket.active_group().ok_or(GroupError::NoGroup)?;
        if let GroupCommand::CompleteTask { task_id, .. } = command
            && group.task_holder(*task_id).is_none()
        {
            return Err(GroupError::UnknownTask(*task_id));
        }
        let step = Command::Group(command.clone());
        self.ticket
            .decide(&step, by, &self.deps.catalog)
            .map(|_| ())
            .map_err(|r| GroupError::Command(CommandError::Rejected(r)))
    }
}

/// The last `limit` messages of generation `generation` in a timeline, oldest first.
pub fn recent_messages(
    timeline: &[EventRecord],
    generation: u32,
    limit: usize,
) -> Vec<RecentMessage> {
    let mut out: Vec<RecentMessage> = timeline
        .iter()
        .rev()
        .filter_map(|e| RecentMessage::of(e, generation))
        .take(limit)
        .collect();
    out.reverse();
    out
}

impl Actor for CoordinatorActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(MAILBOX);
        metrics::gauge!("hotline_group_coordinators").increment(1.0);
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        metrics::gauge!("hotline_group_coordinators").decrement(1.0);
    }
}

impl Handler<RunGroupCommand> for CoordinatorActor {
    type Result = ();

    fn handle(&mut self, msg: RunGroupCommand, ctx: &mut Self::Context) {
        let RunGroupCommand { command, by, reply } = msg;
        if let Err(e) = self.precheck(&command, &by) {
            let _ = reply.send(Err(e));
            return;
        }
        let tickets = self.deps.tickets.clone();
        let id = self.ticket.id;
        let run = async move { tickets.execute(id, Command::Group(command), by).await };
        // `wait` holds the mailbox until the step is durable: steps never interleave, and
        // each is checked against the group as the previous one left it.
        ctx.wait(run.into_actor(self).map(move |result, act, ctx| {
            if let Ok(done) = &result {
                act.absorb(Some((*done.ticket).clone()), &done.event, ctx);
            }
            let _ = reply.send(result.map_err(GroupError::from));
        }));
    }
}

impl Handler<GetGroup> for CoordinatorActor {
    type Result = ();

    fn handle(&mut self, msg: GetGroup, _: &mut Self::Context) {
        let _ = msg.reply.send(GroupView {
            ticket: self.ticket.clone(),
            messages: self.recent.iter().cloned().collect(),
        });
    }
}

impl Handler<Observe> for CoordinatorActor {
    type Result = ();

    fn handle(&mut self, Observe(event): Observe, ctx: &mut Self::Context) {
        if event.event_id <= self.last_event_id {
            return;
        }
        self.absorb(Some((*event.ticket).clone()), &event, ctx);
    }
}

#[cfg(feature = "fault-injection")]
impl Handler<crate::actors::directory::InjectPanic> for CoordinatorActor {
    type Result = ();

    #[allow(
        clippy::panic,
        reason = "fault injection for the panic-containment test"
    )]
    fn handle(&mut self, _msg: crate::actors::directory::InjectPanic, _ctx: &mut Self::Context) {
        panic!("injected fault in the coordinator of {}", self.ticket.id);
    }
}
