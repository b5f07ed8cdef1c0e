//! A vehicle taken out of service, as the dispatcher sees it. From the moment the message
//! arrives the vehicle is never offered work (the nearest search excludes it, a named offer
//! is refused even with `override`, its answers to offers are refused). Each ticket it held
//! an offer of, or is on, gets `Command::WithdrawVehicle(steps::WithdrawVehicle)` (named by the vehicle, so it
//! never touches another vehicle's offer or dispatch):
//!
//! - an open offer is cancelled (`offer.cancelled` with the reason) and the ticket goes to
//!   the next eligible vehicle at once, as after a decline;
//! - a ticket it accepted (on its way or on site) is called off (`ticket.dispatch_cancelled`
//!   with the reason, back to `triaged`, or `received` for a fast track not yet triaged) and
//!   is offered again at once when its grade is one the engine offers by itself (grade I,
//!   or `dispatch.auto_offer_grades`); otherwise an alert tells the dispatchers it waits
//!   for another vehicle, as a dispatcher sending by hand would want.
//!
//! The vehicle's own status follows its roster record (`out_of_service`); the bus event of
//! the call-off tells the vehicle actor to let go of the ticket, as for any call-off.

use actix::prelude::*;
use futures_util::future::join_all;

use super::DispatcherActor;
use super::messages::*;
use crate::actors::fleet::messages::OfferOutcome;
use crate::actors::ticket::{CommandError, Executed};
use crate::domain::catalog::Urgency;
use crate::domain::ids::{TicketId, VehicleId};
use crate::domain::role::Principal;
use crate::domain::roster::Vehicle;
use crate::domain::ticket::steps;
use crate::domain::ticket::{Command, EventKind};

impl DispatcherActor {
    /// The vehicles out of service, from the roster (at start and after a lost
    /// subscription).
    pub(super) fn recover_service(&mut self) {
        match self.deps.roster.list::<Vehicle>() {
            Ok(all) => {
                self.out_of_service = all
                    .into_iter()
                    .filter(|v| !v.in_service())
                    .map(|v| {
                        let reason = v
                            .service
                            .changed
                            .and_then(|c| c.reason)
                            .unwrap_or_else(|| "out of service".into());
                        (v.id, reason)
                    })
                    .collect();
            }
            Err(e) => tracing::error!(error = %e, "dispatcher cannot read the vehicles"),
        }
    }

    /// Whether the engine offers this ticket again by itself once its vehicle is gone.
    fn offers_by_itself(&self, done: &Executed) -> bool {
        let t = &done.ticket;
        t.awaits_vehicle()
            && t.urgency.is_some_and(|g| {
                g == Urgency::I || self.deps.settings.auto_offer_grades.contains(&g)
            })
    }

    /// Settles the dispatcher's books after a withdrawal step became durable.
    fn withdrawn(
        &mut self,
        vehicle: &VehicleId,
        reason: &str,
        done: &Executed,
        ctx: &mut Context<Self>,
    ) -> Withdrawn {
        let ticket_id = done.ticket.id;
        let (event, reoffered) = match &done.event.kind {
            EventKind::OfferCancelled { offer_id, .. } => {
                if self
                    .open
                    .get(&ticket_id)
                    .is_some_and(|o| o.offer_id == *offer_id)
                {
                    self.open.remove(&ticket_id);
                }
                if self.reserved.get(vehicle) == Some(ticket_id) {
                    self.reserved.remove(vehicle);
                }
                self.release(
                    vehicle,
                    *offer_id,
                    OfferOutcome::Cancelled(format!("the vehicle is out of service: {reason}")),
                );
                ctx.notify(AutoOffer(ticket_id));
                ("offer.cancelled", true)
            }
            _ => {
                let again = self.offers_by_itself(done);
                if again {
                    ctx.notify(AutoOffer(ticket_id));
                } else {
                    self.raise_alert(
                        ticket_id,
                        format!(
                            "vehicle {vehicle} was taken out of service ({reason}) and called off: the ticket waits for another vehicle"
                        ),
                        ctx,
                    );
                }
                ("ticket.dispatch_cancelled", again)
            }
        };
        tracing::info!(%ticket_id, vehicle_id = %vehicle, event, "vehicle out of service withdrawn from a ticket");
        Withdrawn {
            ticket_id,
            number: done.ticket.number.clone(),
            event,
            reoffered,
        }
    }
}

impl Handler<WithdrawVehicle> for DispatcherActor {
    type Result = ResponseActFuture<Self, Result<Vec<Withdrawn>, DispatchError>>;

    fn handle(&mut self, msg: WithdrawVehicle, _: &mut Self::Context) -> Self::Result {
        let WithdrawVehicle {
            vehicle_id,
            reason,
            tickets,
        } = msg;
        self.out_of_service
            .insert(vehicle_id.clone(), reason.clone());
        let mut targets: Vec<TicketId> = tickets;
        targets.extend(self.reserved.get(&vehicle_id));
        targets.extend(
            self.active
                .iter()
                .filter(|(_, v)| **v == vehicle_id)
                .map(|(t, _)| *t),
        );
        targets.sort();
        targets.dedup();
        let tickets = self.deps.tickets.clone();
        let command = Command::WithdrawVehicle(steps::WithdrawVehicle {
            vehicle: vehicle_id.clone(),
            reason: reason.clone(),
        });
        let run = async move {
            let steps = targets.into_iter().map(|id| {
                let (tickets, command) = (tickets.clone(), command.clone());
                async move { tickets.execute(id, command, Principal::system()).await }
            });
            join_all(steps).await
        };
        Box::pin(run.into_actor(self).map(move |results, act, ctx| {
            let mut done = Vec::new();
            let mut failed = None;
            for result in results {
                match result {
                    Ok(executed) => done.push(act.withdrawn(&vehicle_id, &reason, &executed, ctx)),
                    // Not on it (any more): answered, expired, moved on or closed meanwhile.
                    Err(CommandError::Rejected(_) | CommandError::NotFound) => {}
                    Err(e) => {
                        tracing::warn!(vehicle_id = %vehicle_id, error = %e, "vehicle not withdrawn from a ticket");
                        failed.get_or_insert(e);
                    }
                }
            }
            match failed {
                // Retrying is safe: what was done is not done twice.
                Some(e) => Err(e.into()),
                None => Ok(done),
            }
        }))
    }
}

impl Handler<VehicleInService> for DispatcherActor {
    type Result = ();

    fn handle(&mut self, msg: VehicleInService, _: &mut Self::Context) {
        self.out_of_service.remove(&msg.0);
    }
}
