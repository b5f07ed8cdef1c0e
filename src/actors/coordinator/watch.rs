//! GroupWatch follows the bus for collaboration groups: it forms a group by itself when a
//! ticket is triaged (or fast-tracked to a vehicle, or reopened) and the handling guide names
//! assisting departments for its category; it dissolves the active group when the ticket
//! closes (archived, transferred, merged); when a vehicle is sent to a ticket whose group
//! lead is not aboard (or the engine formed the group as it was being sent), it hands the
//! lead to the crew (`domain::ticket::group::crew`); and it forwards every event of a ticket
//! with a live coordinator to it. At start it looks over the tail of the event log for steps a crash
//! may have cut short (a ticket closed with its group still active, a triage with no group).

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use actix::prelude::*;

use super::directory::CoordinatorDirectory;
use super::messages::GroupError;
use crate::actors::ticket::CommandError;
use crate::bus::{EventBus, TicketFollower, TicketUpdate, follow_tickets};
use crate::domain::catalog::Catalog;
use crate::domain::ids::TicketId;
use crate::domain::role::Principal;
use crate::domain::roster::{Staff, Team};
use crate::domain::ticket::group::GroupFormed;
use crate::domain::ticket::group::plan::{ShopContacts, plan};
use crate::domain::ticket::{EventKind, GroupCommand, Ticket};
use crate::retailers::RetailerBook;
use crate::roster::Roster;
use crate::store::Store;

/// How far back the start-up check looks, in events.
const RECOVERY_TAIL: u64 = 10_000;

pub struct GroupWatchDeps {
    pub groups: Arc<CoordinatorDirectory>,
    pub store: Arc<dyn Store>,
    pub roster: Arc<Roster>,
    pub retailers: Arc<RetailerBook>,
    pub catalog: Arc<Catalog>,
    pub bus: Arc<EventBus>,
}

pub struct GroupWatch {
    deps: Arc<GroupWatchDeps>,
    /// Tickets whose automatic group is being formed.
    forming: HashSet<TicketId>,
    /// Tickets whose group is being dissolved.
    dissolving: HashSet<TicketId>,
    /// Tickets whose group lead is being handed to the crew sent.
    handing: HashSet<TicketId>,
}

/// An event after which the guide's group should exist.
fn calls_for_group(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Triaged { .. }
            | EventKind::Reopened { .. }
            | EventKind::ReturnVisited { reopened: true, .. }
            | EventKind::Dispatched {
                fast_track: true,
                ..
            }
            | EventKind::OfferAccepted {
                fast_track: true,
                ..
            }
    )
}

/// An event after which the crew of the vehicle sent should lead the active group: the
/// vehicle is sent, or the engine formed the group (it may have planned it before the
/// vehicle was sent). A group a dispatcher formed or changed keeps the lead they chose.
fn crew_should_lead(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Dispatched { .. }
            | EventKind::OfferAccepted { .. }
            | EventKind::GroupFormed(GroupFormed { auto: true, .. })
    )
}

fn is_group_event(kind: &EventKind) -> bool {
    kind.name().starts_with("group.")
}

/// Why a closing event ends the group.
fn closing_reason(kind: &EventKind) -> String {
    match kind {
        EventKind::Archived { .. } => "the ticket was archived".into(),
        EventKind::Transferred { .. } => "the ticket was transferred out of this unit".into(),
        EventKind::Merged { into_number, .. } => {
            format!("the ticket was merged into {into_number}")
        }
        _ => "the ticket was closed".into(),
    }
}

impl GroupWatch {
    pub fn new(deps: Arc<GroupWatchDeps>) -> Self {
        Self {
            deps,
            forming: HashSet::new(),
            dissolving: HashSet::new(),
            handing: HashSet::new(),
        }
    }

    fn ticket(&self, id: &TicketId) -> Option<Ticket> {
        match self.deps.store.ticket(id) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(ticket_id = %id, error = %e, "group watch cannot read a ticket");
                None
            }
        }
    }

    fn on_event(&mut self, e: &TicketUpdate, ctx: &mut Context<Self>) {
        let live = self.deps.groups.observe(e);
        if matches!(e.kind, EventKind::GroupFormed(_)) && !live {
            // Formed without the directory (or its coordinator died): start one.
            if let Err(err) = self.deps.groups.coordinator(&e.ticket_id) {
                tracing::warn!(ticket_id = %e.ticket_id, error = %err, "coordinator not started");
            }
        }
        if e.status.is_closed() {
            if !is_group_event(&e.kind) {
                self.dissolve(&e.ticket, closing_reason(&e.kind), ctx);
            }
        } else if calls_for_group(&e.kind) {
            self.auto_form(e.ticket_id, false, ctx);
        }
        if crew_should_lead(&e.kind) {
            self.crew_leads(e.ticket_id, ctx);
        }
    }

    /// Hands the lead of ticket `id`'s active group to the crew of the vehicle sent, when
    /// the lead is not aboard (see `domain::ticket::group::crew`).
    ///
    /// A decision on the ticket as it is now (a dispatcher may have changed the crew since
    /// the event), so it reads the current state rather than the event's.
    fn crew_leads(&mut self, id: TicketId, ctx: &mut Context<Self>) {
        if self.handing.contains(&id) {
            return;
        }
        let Some(ticket) = self.ticket(&id) else {
            return;
        };
        let Some(vehicle) = ticket.assignment.vehicle_id.clone() else {
            return;
        };
        let crew: Vec<Staff> = ticket
            .assignment
            .crew
            .iter()
            .filter_map(|s| self.deps.roster.staff(s).ok().flatten())
            .collect();
        let Some(command) = ticket.crew_takes_lead(&vehicle, &crew) else {
            return;
        };
        self.handing.insert(id);
        let groups = self.deps.groups.clone();
        let run = async move { groups.execute(id, command, Principal::system()).await };
        ctx.spawn(run.into_actor(self).map(move |result, act, _| {
            act.handing.remove(&id);
            match result {
                Ok(done) => {
                    tracing::info!(ticket_id = %id, event_id = done.event.event_id, "the crew sent leads the collaboration group")
                }
                Err(GroupError::NoGroup | GroupError::Command(CommandError::Rejected(_))) => {}
                Err(e) => tracing::warn!(ticket_id = %id, error = %e, "group lead not handed to the crew sent"),
            }
        }));
    }

    /// Forms the guide's group for ticket `id` unless it has one, or a dispatcher dissolved
    /// the last one (`only_if_never`: only if it never had one, for recovery).
    ///
    /// Reads the ticket as it is now: a dispatcher's dissolve committed since the event
    /// must stand.
    fn auto_form(&mut self, id: TicketId, only_if_never: bool, ctx: &mut Context<Self>) {
        if self.forming.contains(&id) {
            return;
        }
        let Some(ticket) = self.ticket(&id) else {
            return;
        };
        let wanted = match &ticket.group {
            None => true,
            Some(g) => !only_if_never && !g.is_active() && g.dissolved_on_close,
        };
        let Some(category) = ticket
            .category
            .as_deref()
            .and_then(|c| self.deps.catalog.get(c))
        else {
            return;
        };
        if !wanted || ticket.status.is_closed() || category.assist_departments.is_empty() {
            return;
        }
        let roster = (
            self.deps.roster.list::<Staff>(),
            self.deps.roster.list::<Team>(),
        );
        let (Ok(staff), Ok(teams)) = roster else {
            tracing::warn!(ticket_id = %id, "group watch cannot read the roster");
            return;
        };
        let shop = ticket
            .location
            .retailer_licence
            .as_deref()
            .and_then(|l| self.deps.retailers.get(l))
            .map(|r| ShopContacts {
                market_inspector: r.market_inspector().cloned(),
                account_manager: r.account_manager().cloned(),
                town: Some(r.town().name().to_owned()),
            })
            .unwrap_or_default();
        let Some(p) = plan(&ticket, category, &staff, &teams, &shop) else {
            tracing::info!(ticket_id = %id, category = %category.code, "no collaboration group formed: nobody to lead or assist");
            return;
        };
        if !p.unfilled.is_empty() {
            let unfilled: Vec<&str> = p.unfilled.iter().map(|d| d.as_str()).collect();
            tracing::warn!(ticket_id = %id, unfilled = ?unfilled, "collaboration group formed without some assisting departments");
        }
        self.forming.insert(id);
        let groups = self.deps.groups.clone();
        let run = async move { groups.form(id, p.members, true, Principal::system()).await };
        ctx.spawn(run.into_actor(self).map(move |result, act, _| {
            act.forming.remove(&id);
            match result {
                Ok(_) => {}
                // Formed meanwhile by a dispatcher, or the ticket moved on.
                Err(GroupError::Command(CommandError::Rejected(r))) => {
                    tracing::debug!(ticket_id = %id, reason = %r, "automatic group not formed")
                }
                Err(e) => tracing::warn!(ticket_id = %id, error = %e, "automatic group not formed"),
            }
        }));
    }

    /// Dissolves the active group of the closed ticket `id`; retried while busy.
    fn dissolve(&mut self, ticket: &Ticket, reason: String, ctx: &mut Context<Self>) {
        let id = ticket.id;
        if self.dissolving.contains(&id) || ticket.active_group().is_none() {
            return;
        }
        self.dissolving.insert(id);
        let groups = self.deps.groups.clone();
        let command = GroupCommand::Dissolve {
            reason: reason.clone(),
            on_close: true,
        };
        let run = async move { groups.execute(id, command, Principal::system()).await };
        ctx.spawn(run.into_actor(self).map(move |result, act, ctx| {
            act.dissolving.remove(&id);
            match result {
                Ok(_) => tracing::info!(ticket_id = %id, "collaboration group dissolved: ticket closed"),
                Err(GroupError::NoGroup | GroupError::Command(CommandError::Rejected(_))) => {}
                Err(e) => {
                    tracing::warn!(ticket_id = %id, error = %e, "group not dissolved yet; retrying");
                    ctx.run_later(StdDuration::from_millis(500), move |act, ctx| {
                        if let Some(t) = act.ticket(&id) {
                            act.dissolve(&t, reason, ctx);
                        }
                    });
                }
            }
        }));
    }

    /// Finishes what a crash may have cut short in the last events.
    fn recover(&mut self, ctx: &mut Context<Self>) {
        let after = self
            .deps
            .store
            .last_event_id()
            .saturating_sub(RECOVERY_TAIL);
        let events = match self.deps.store.events_since(after, RECOVERY_TAIL as usize) {
            Ok(events) => events,
            Err(e) => {
                tracing::error!(error = %e, "group watch cannot read the event log");
                return;
            }
        };
        let mut closed = BTreeSet::new();
        let mut called = BTreeSet::new();
        // Sent a vehicle with no membership change since (a dispatcher's later choice of
        // lead stands).
        let mut sent = BTreeSet::new();
        for e in &events {
            if e.status.is_closed() {
                closed.insert(e.ticket_id);
            } else if calls_for_group(&e.kind) {
                called.insert(e.ticket_id);
            }
            if crew_should_lead(&e.kind) {
                sent.insert(e.ticket_id);
            } else if matches!(
                e.kind,
                EventKind::GroupMembersChanged(_) | EventKind::GroupFormed(_)
            ) {
                sent.remove(&e.ticket_id);
            }
        }
        for id in closed {
            if let Some(t) = self.ticket(&id) {
                self.dissolve(&t, "the ticket was closed".into(), ctx);
            }
        }
        for id in called {
            self.auto_form(id, true, ctx);
        }
        for id in sent {
            self.crew_leads(id, ctx);
        }
    }
}

impl Actor for GroupWatch {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        follow_tickets(&self.deps.bus, ctx);
        self.recover(ctx);
    }
}

impl TicketFollower for GroupWatch {
    const NAME: &'static str = "group watch";

    fn on_ticket(&mut self, update: TicketUpdate, ctx: &mut Self::Context) {
        self.on_event(&update, ctx);
    }

    fn resync(&mut self, ctx: &mut Self::Context) {
        follow_tickets(&self.deps.bus, ctx);
        self.recover(ctx);
    }
}
