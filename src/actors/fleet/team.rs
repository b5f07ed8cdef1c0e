//! The actor of one squad (小队): which tickets it holds open and which it is working in
//! the field, kept live from the dispatcher's view of ticket events.

use std::collections::HashSet;

use actix::prelude::*;

use crate::domain::ids::TicketId;
use crate::domain::roster::Team;

pub struct TeamActor {
    team: Team,
    /// Open tickets assigned to the squad.
    open: HashSet<TicketId>,
    /// Of those, the ones with a vehicle on the way or on site.
    in_field: HashSet<TicketId>,
}

impl TeamActor {
    pub fn new(team: Team) -> Self {
        Self {
            team,
            open: HashSet::new(),
            in_field: HashSet::new(),
        }
    }
}

impl Actor for TeamActor {
    type Context = Context<Self>;
}

/// Where a ticket of this squad stands now.
#[derive(Message, Clone, Copy, Debug)]
#[rtype(result = "()")]
pub enum TeamTicket {
    InField(TicketId),
    Open(TicketId),
    Closed(TicketId),
    /// The squad no longer holds it (dispatch cancelled).
    Left(TicketId),
}

#[derive(Message)]
#[rtype(result = "TeamView")]
pub struct GetTeam;

#[derive(Debug, Clone)]
pub struct TeamView {
    pub team: Team,
    pub open_tickets: usize,
    pub in_field_tickets: usize,
}

impl Handler<TeamTicket> for TeamActor {
    type Result = ();
    fn handle(&mut self, msg: TeamTicket, _: &mut Self::Context) {
        match msg {
            TeamTicket::InField(id) => {
                self.open.insert(id);
                self.in_field.insert(id);
            }
            TeamTicket::Open(id) => {
                self.open.insert(id);
                self.in_field.remove(&id);
            }
            TeamTicket::Closed(id) | TeamTicket::Left(id) => {
                self.open.remove(&id);
                self.in_field.remove(&id);
            }
        }
    }
}

impl Handler<GetTeam> for TeamActor {
    type Result = MessageResult<GetTeam>;
    fn handle(&mut self, _: GetTeam, _: &mut Self::Context) -> Self::Result {
        MessageResult(TeamView {
            team: self.team.clone(),
            open_tickets: self.open.len(),
            in_field_tickets: self.in_field.len(),
        })
    }
}
