//! The demo's crews at work, through the same messages as real work: a vehicle's fixes go
//! to its actor as a GPS gateway's do, its crew sets its status as the vehicle socket does,
//! offers are made by the DispatcherActor (the engine's own, or one a dispatcher names) and
//! answered by the vehicle (`AnswerOffer`), and arrival is detected from its fix at the
//! site. Every step waits until the vehicle shows its outcome, so the demo's vehicles hold
//! what their tickets say (one ticket each, en route or on site, or none).

use std::time::Duration;

use super::{DemoError, err};
use crate::actors::dispatch::{AnswerOffer, DispatchError, ListOpenOffers, OfferTicket};
use crate::actors::fleet::messages::{ChangeStatus, GatewayFixes, GetVehicle, VehicleView};
use crate::actors::ticket::CommandError;
use crate::domain::error_code::ErrorCode;
use crate::domain::fleet::{Fix, VehicleStatus};
use crate::domain::geo::LatLng;
use crate::domain::ids::{TicketId, VehicleId};
use crate::domain::role::{Principal, Role, Subject};
use crate::domain::ticket::{Rejection, Status, Ticket};
use crate::engine::Engine;

/// How long one step may take before the demo gives up (the engine is idle and local).
const STEP: Duration = Duration::from_secs(15);
/// How often a step looks again.
const POLL: Duration = Duration::from_millis(20);

/// The demo's crews and its dispatcher.
pub(super) struct Crews<'a> {
    pub engine: &'a Engine,
}

impl Crews<'_> {
    async fn view(&self, v: &VehicleId) -> Result<VehicleView, DemoError> {
        let addr = self
            .engine
            .fleet
            .vehicle(v, &self.engine.roster)
            .map_err(err)?
            .ok_or_else(|| DemoError(format!("no demo vehicle {v}")))?;
        addr.send(GetVehicle).await.map_err(err)
    }

    /// Waits until vehicle `v` shows `what`.
    pub async fn wait_vehicle(
        &self,
        v: &VehicleId,
        what: &str,
        done: impl Fn(&VehicleView) -> bool,
    ) -> Result<VehicleView, DemoError> {
        let until = std::time::Instant::now() + STEP;
        loop {
            let view = self.view(v).await?;
            if done(&view) {
                return Ok(view);
            }
            if std::time::Instant::now() > until {
                return Err(DemoError(format!(
                    "vehicle {v} never became {what} (it is {})",
                    view.status.as_str()
                )));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The ticket as committed.
    pub fn ticket(&self, id: TicketId) -> Result<Ticket, DemoError> {
        self.engine
            .store
            .ticket(&id)
            .map_err(err)?
            .ok_or_else(|| DemoError(format!("no demo ticket {id}")))
    }

    /// Waits until ticket `id` is in `status`.
    pub async fn wait_ticket(&self, id: TicketId, status: Status) -> Result<Ticket, DemoError> {
        let until = std::time::Instant::now() + STEP;
        loop {
            let t = self.ticket(id)?;
            if t.status == status {
                return Ok(t);
            }
            if std::time::Instant::now() > until {
                return Err(DemoError(format!(
                    "ticket {id} never became {} (it is {})",
                    status.as_str(),
                    t.status.as_str()
                )));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// A fix for vehicle `v` at `position`, now, as a GPS gateway sends it.
    pub async fn fix(&self, v: &VehicleId, position: LatLng) -> Result<(), DemoError> {
        let last = self.view(v).await?.last_fix.map(|f| f.at);
        let now = self.engine.clock.now();
        let fix = Fix {
            position,
            at: last.map_or(now, |l| l.max(now)),
            speed_kmh: Some(0.0),
            heading: None,
        };
        let addr = self
            .engine
            .fleet
            .live_vehicle(v)
            .ok_or_else(|| DemoError(format!("no live demo vehicle {v}")))?;
        let report = addr.send(GatewayFixes(vec![fix])).await.map_err(err)?;
        if report.accepted != 1 {
            return Err(DemoError(format!("the demo fix of {v} was refused")));
        }
        Ok(())
    }

    /// The crew says the vehicle is `status` (as its socket's `status` frame does).
    pub async fn set_status(&self, v: &VehicleId, status: VehicleStatus) -> Result<(), DemoError> {
        let addr = self
            .engine
            .fleet
            .live_vehicle(v)
            .ok_or_else(|| DemoError(format!("no live demo vehicle {v}")))?;
        addr.send(ChangeStatus(status))
            .await
            .map_err(err)?
            .map_err(err)?;
        Ok(())
    }

    /// Vehicle `v` is at `position` and its crew is ready for work.
    pub async fn ready_at(&self, v: &VehicleId, position: LatLng) -> Result<(), DemoError> {
        self.fix(v, position).await?;
        self.set_status(v, VehicleStatus::Available).await
    }

    /// Gets ticket `id` to vehicle `v`: the engine's own offer when it makes one (the fast
    /// track, an automatically offered grade), else a dispatcher's offer naming `v`; the
    /// crew accepts. Answers once the vehicle is en route to it.
    pub async fn send(&self, id: TicketId, v: &VehicleId) -> Result<(), DemoError> {
        let dispatcher = &self.engine.dispatcher;
        let until = std::time::Instant::now() + STEP;
        loop {
            if std::time::Instant::now() > until {
                return Err(DemoError(format!("ticket {id} was never offered to {v}")));
            }
            let open = dispatcher.send(ListOpenOffers).await.map_err(err)?;
            if let Some((_, offer_id, to)) = open.into_iter().find(|(t, _, _)| *t == id) {
                if to != *v {
                    return Err(DemoError(format!(
                        "ticket {id} was offered to {to}, not the demo's {v}"
                    )));
                }
                let answer = AnswerOffer {
                    vehicle_id: v.clone(),
                    offer_id,
                    accept: true,
                    reason: None,
                };
                dispatcher.send(answer).await.map_err(err)?.map_err(err)?;
                break;
            }
            let offer = OfferTicket {
                ticket_id: id,
                vehicle: Some(v.clone()),
                by: Principal::new(
                    Role::Dispatcher,
                    Some(Subject::Label("demo-dispatcher".into())),
                ),
                override_busy: false,
            };
            match dispatcher.send(offer).await.map_err(err)? {
                Ok(_) => {}
                // The engine's own offer is being made: answer it on the next look.
                Err(DispatchError::Command(CommandError::Rejected(Rejection::Rule {
                    code,
                    ..
                }))) if code == ErrorCode::OfferOpen.as_str() => tokio::time::sleep(POLL).await,
                Err(DispatchError::VehicleBusy(..)) => tokio::time::sleep(POLL).await,
                Err(e) => return Err(err(e)),
            }
        }
        self.wait_vehicle(v, "en route", |view| {
            view.status == VehicleStatus::EnRoute
                && view.active.as_ref().is_some_and(|a| a.ticket_id == id)
        })
        .await?;
        Ok(())
    }

    /// Vehicle `v` drives up to its ticket's site: arrival is detected from the fix.
    pub async fn arrive(&self, id: TicketId, v: &VehicleId) -> Result<(), DemoError> {
        let site = self
            .ticket(id)?
            .location
            .position
            .ok_or_else(|| DemoError(format!("demo ticket {id} has no site")))?;
        // A few metres off the site, parked.
        let parked = LatLng::new(site.lat() + 0.0002, site.lng()).map_err(DemoError)?;
        self.fix(v, parked).await?;
        self.wait_ticket(id, Status::OnSite).await?;
        self.wait_vehicle(v, "on site", |view| view.status == VehicleStatus::OnSite)
            .await?;
        Ok(())
    }

    /// After the on-site record the vehicle heads back, holding no ticket.
    pub async fn leave(&self, v: &VehicleId) -> Result<(), DemoError> {
        self.wait_vehicle(v, "returning", |view| {
            view.status == VehicleStatus::Returning && view.active.is_none()
        })
        .await?;
        Ok(())
    }
}
