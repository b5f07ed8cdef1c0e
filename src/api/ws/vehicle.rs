//! The vehicle app's socket, `/ws/vehicle`: a field token bound to the vehicle (or to a
//! member of its crew). Fixes, status, offer answers and arrival come in; offers, offer
//! cancellations and ticket changes go out. A bad frame gets an `error` frame and the
//! connection stays up; a second connection for the same vehicle replaces the first; a
//! silent connection is closed after the configured timeout.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_web::{HttpRequest, HttpResponse, get, web};
use actix_web_actors::ws;

use super::frames::Frame;
use super::hub::{Audience, FieldIdentity, Join, Joined};
use super::protocol::{ClientFrame, FixDto, RejectedFix, ServerFrame};
use crate::actors::dispatch::{AnswerOffer, DispatchError, DispatcherActor, ReportArrival};
use crate::actors::fleet::VehicleActor;
use crate::actors::fleet::messages::{
    ChangeStatus, Connect, Disconnect, FixReport, ReportFixes, ToVehicle,
};
use crate::api::auth::Caller;
use crate::api::error::ApiError;
use crate::domain::Timestamp;
use crate::domain::fleet::Fix;
use crate::domain::geo::LatLng;
use crate::domain::ids::{OfferId, VehicleId};
use crate::domain::registry::Vehicle;
use crate::domain::role::{Role, Subject};
use crate::engine::Engine;

static SESSIONS: AtomicU64 = AtomicU64::new(1);

/// Parses fixes from the wire; the first bad one names its index.
pub fn parse_fixes(dtos: Vec<FixDto>, now: Timestamp) -> Result<Vec<Fix>, (usize, String)> {
    dtos.into_iter()
        .enumerate()
        .map(|(i, f)| {
            let position = LatLng::new(f.lat, f.lng).map_err(|m| (i, m))?;
            Ok(Fix {
                position,
                at: f.ts.unwrap_or(now),
                speed_kmh: f.speed_kmh,
                heading: f.heading,
            })
        })
        .collect()
}

pub fn rejected(report: &FixReport) -> Vec<RejectedFix> {
    report
        .rejected
        .iter()
        .map(|(i, why)| RejectedFix {
            index: *i,
            code: why.code(),
            message: why.to_string(),
        })
        .collect()
}

/// The vehicle a field principal speaks for: its own, or the one whose crew it is in.
pub fn vehicle_of(engine: &Engine, caller: &Caller) -> Result<Vehicle, ApiError> {
    caller.require(&[Role::Field])?;
    let unbound = || ApiError::forbidden("this token is bound to no vehicle");
    match &caller.principal().subject {
        Some(Subject::Vehicle(v)) => engine.roster.vehicle(v)?.ok_or_else(unbound),
        Some(Subject::Staff(s)) => engine
            .roster
            .list::<Vehicle>()?
            .into_iter()
            .find(|v| v.crew.contains(s))
            .ok_or_else(|| ApiError::forbidden("this staff member is in no vehicle's crew")),
        _ => Err(unbound()),
    }
}

pub struct VehicleSession {
    id: u64,
    vehicle_id: VehicleId,
    vehicle: Addr<VehicleActor>,
    dispatcher: Addr<DispatcherActor>,
    heard: Instant,
    heartbeat: Duration,
    timeout: Duration,
    max_batch: usize,
    clock: std::sync::Arc<dyn crate::domain::clock::Clock>,
    /// The crew's collaboration-group frames, from the stream hub.
    groups: Option<Joined>,
}

impl VehicleSession {
    fn send(ctx: &mut ws::WebsocketContext<Self>, frame: &ServerFrame) {
        ctx.text(frame.to_text());
    }

    fn on_frame(&mut self, text: &str, ctx: &mut ws::WebsocketContext<Self>) {
        let frame: ClientFrame = match serde_json::from_str(text) {
            Ok(f) => f,
            Err(e) => {
                return Self::send(
                    ctx,
                    &ServerFrame::error(
                        "bad_frame",
                        format!("not a frame this socket understands: {e}"),
                    ),
                );
            }
        };
        match frame {
            ClientFrame::Ping {} => Self::send(ctx, &ServerFrame::Pong {}),
            ClientFrame::Position {
                lat,
                lng,
                ts,
                speed_kmh,
                heading,
                fixes,
            } => {
                let dtos = match (fixes, lat, lng) {
                    (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                        return Self::send(
                            ctx,
                            &ServerFrame::error("bad_frame", "send one fix or `fixes`, not both"),
                        );
                    }
                    (Some(list), None, None) => list,
                    (None, Some(lat), Some(lng)) => vec![FixDto {
                        lat,
                        lng,
                        ts,
                        speed_kmh,
                        heading,
                    }],
                    _ => {
                        return Self::send(
                            ctx,
                            &ServerFrame::error(
                                "bad_frame",
                                "a position needs `lat` and `lng`, or `fixes`",
                            ),
                        );
                    }
                };
                if dtos.is_empty() || dtos.len() > self.max_batch {
                    let msg = format!("a batch holds 1 to {} fixes", self.max_batch);
                    return Self::send(ctx, &ServerFrame::error("bad_batch", msg));
                }
                let fixes = match parse_fixes(dtos, self.clock.now()) {
                    Ok(f) => f,
                    Err((index, message)) => {
                        metrics::counter!("hotline_fixes_rejected_total", "reason" => "bad_position").increment(1);
                        let rejected = vec![RejectedFix {
                            index,
                            code: "bad_position",
                            message: message.clone(),
                        }];
                        let frame = ServerFrame::Error {
                            code: "bad_position".into(),
                            message,
                            rejected: Some(rejected),
                        };
                        return Self::send(ctx, &frame);
                    }
                };
                // Waiting here holds this socket only: per-client backpressure.
                ctx.wait(self.vehicle.send(ReportFixes(fixes)).into_actor(self).map(
                    |res, _, ctx| match res {
                        Ok(report) if report.rejected.is_empty() => {}
                        Ok(report) => {
                            let frame = ServerFrame::Error {
                                code: "fix_rejected".into(),
                                message: format!("{} fix(es) refused", report.rejected.len()),
                                rejected: Some(rejected(&report)),
                            };
                            Self::send(ctx, &frame);
                        }
                        Err(_) => Self::send(
                            ctx,
                            &ServerFrame::error("unavailable", "the vehicle is restarting; resend"),
                        ),
                    },
                ));
            }
            ClientFrame::Status { status } => {
                ctx.wait(
                    self.vehicle
                        .send(ChangeStatus(status))
                        .into_actor(self)
                        .map(|res, _, ctx| match res {
                            Ok(Ok(view)) => Self::send(
                                ctx,
                                &ServerFrame::Ack {
                                    request: "status",
                                    status: Some(view.status),
                                },
                            ),
                            Ok(Err(refused)) => Self::send(
                                ctx,
                                &ServerFrame::error("status_refused", refused.to_string()),
                            ),
                            Err(_) => Self::send(
                                ctx,
                                &ServerFrame::error(
                                    "unavailable",
                                    "the vehicle is restarting; resend",
                                ),
                            ),
                        }),
                );
            }
            ClientFrame::Accept { offer_id } => self.answer(&offer_id, true, None, ctx),
            ClientFrame::Decline { offer_id, reason } => self.answer(&offer_id, false, reason, ctx),
            ClientFrame::Arrived {} => {
                let msg = ReportArrival {
                    vehicle_id: self.vehicle_id.clone(),
                };
                ctx.wait(
                    self.dispatcher
                        .send(msg)
                        .into_actor(self)
                        .map(|res, _, ctx| {
                            Self::reply(ctx, "arrived", res);
                        }),
                );
            }
        }
    }

    fn answer(
        &mut self,
        offer_id: &str,
        accept: bool,
        reason: Option<String>,
        ctx: &mut ws::WebsocketContext<Self>,
    ) {
        let Ok(offer_id) = offer_id.parse::<OfferId>() else {
            return Self::send(
                ctx,
                &ServerFrame::error("bad_frame", "`offer_id` is not an offer id"),
            );
        };
        if reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
            return Self::send(
                ctx,
                &ServerFrame::error("too_long", "`reason` holds at most 500 characters"),
            );
        }
        let msg = AnswerOffer {
            vehicle_id: self.vehicle_id.clone(),
            offer_id,
            accept,
            reason,
        };
        let request = if accept {
            "offer.accept"
        } else {
            "offer.decline"
        };
        ctx.wait(
            self.dispatcher
                .send(msg)
                .into_actor(self)
                .map(move |res, _, ctx| {
                    Self::reply(ctx, request, res);
                }),
        );
    }

    fn reply(
        ctx: &mut ws::WebsocketContext<Self>,
        request: &'static str,
        res: Result<Result<(), DispatchError>, MailboxError>,
    ) {
        match res {
            Ok(Ok(())) => Self::send(
                ctx,
                &ServerFrame::Ack {
                    request,
                    status: None,
                },
            ),
            Ok(Err(e)) => {
                let api = ApiError::from(e);
                Self::send(ctx, &ServerFrame::error(api.code(), api.message()));
            }
            Err(_) => Self::send(
                ctx,
                &ServerFrame::error("unavailable", "the dispatcher is busy; resend"),
            ),
        }
    }
}

impl Actor for VehicleSession {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        if let Some(joined) = self.groups.take() {
            let lagged = joined.lagged;
            ctx.add_stream(futures_util::stream::unfold(
                (joined.frames, lagged),
                |(mut rx, lagged)| async move {
                    match rx.recv().await {
                        Some(f) => Some((GroupFrame::Frame(f), (rx, lagged))),
                        // Cut off for lagging: say so once, then end.
                        None if lagged.swap(false, std::sync::atomic::Ordering::AcqRel) => {
                            Some((GroupFrame::Lagged, (rx, lagged)))
                        }
                        None => None,
                    }
                },
            ));
        }
        let connect = Connect {
            session: self.id,
            recipient: ctx.address().recipient(),
        };
        ctx.wait(
            self.vehicle
                .send(connect)
                .into_actor(self)
                .map(|res, _, ctx| match res {
                    Ok(view) => {
                        Self::send(ctx, &ServerFrame::hello(&view));
                        if let Some(notice) = &view.offer_notice {
                            Self::send(ctx, &ServerFrame::offer(notice));
                        }
                    }
                    Err(_) => ctx.stop(),
                }),
        );
        ctx.run_interval(self.heartbeat, |act, ctx| {
            if act.heard.elapsed() > act.timeout {
                ctx.close(Some(ws::CloseReason {
                    code: ws::CloseCode::Away,
                    description: Some("heartbeat timeout".into()),
                }));
                ctx.stop();
            } else {
                ctx.ping(b"");
            }
        });
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.vehicle.do_send(Disconnect { session: self.id });
    }
}

impl Handler<ToVehicle> for VehicleSession {
    type Result = ();
    fn handle(&mut self, msg: ToVehicle, ctx: &mut Self::Context) {
        match msg {
            ToVehicle::Offer(n) => Self::send(ctx, &ServerFrame::offer(&n)),
            ToVehicle::OfferCancelled {
                offer_id,
                ticket_id,
                reason,
            } => Self::send(
                ctx,
                &ServerFrame::OfferCancelled {
                    offer_id: offer_id.to_string(),
                    ticket_id: ticket_id.to_string(),
                    reason,
                },
            ),
            ToVehicle::TicketUpdated(n) => Self::send(ctx, &ServerFrame::ticket_updated(&n)),
            ToVehicle::Close { reason } => {
                ctx.close(Some(ws::CloseReason {
                    code: ws::CloseCode::Policy,
                    description: Some(reason),
                }));
                ctx.stop();
            }
        }
    }
}

/// What the hub sends this socket: a group frame, or word that it was cut off.
enum GroupFrame {
    Frame(Frame),
    Lagged,
}

impl StreamHandler<GroupFrame> for VehicleSession {
    fn handle(&mut self, item: GroupFrame, ctx: &mut Self::Context) {
        match item {
            GroupFrame::Frame(f) => ctx.text(&*f.text),
            GroupFrame::Lagged => {
                ctx.close(Some(ws::CloseReason {
                    code: ws::CloseCode::Again,
                    description: Some("lagging: reconnect".into()),
                }));
                ctx.stop();
            }
        }
    }

    /// The hub's queue ended: the socket itself stays up (fixes and offers go on).
    fn finished(&mut self, _: &mut Self::Context) {}
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for VehicleSession {
    fn handle(&mut self, msg: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        self.heard = Instant::now();
        match msg {
            Ok(ws::Message::Text(text)) => self.on_frame(&text, ctx),
            Ok(ws::Message::Binary(_)) => Self::send(
                ctx,
                &ServerFrame::error("bad_frame", "send JSON text frames"),
            ),
            Ok(ws::Message::Ping(p)) => ctx.pong(&p),
            Ok(ws::Message::Pong(_)) => {}
            Ok(ws::Message::Close(reason)) => {
                ctx.close(reason);
                ctx.stop();
            }
            Ok(ws::Message::Continuation(_)) | Ok(ws::Message::Nop) => {}
            Err(e) => {
                // Oversized or broken frames: say so, then drop the connection (the
                // stream cannot be resynchronised).
                Self::send(ctx, &ServerFrame::error("bad_frame", e.to_string()));
                ctx.stop();
            }
        }
    }
}

/// Opens a vehicle socket. Token: `Authorization: Bearer` or `?token=`.
#[get("/ws/vehicle")]
pub async fn vehicle_socket(
    engine: web::Data<Engine>,
    hub: super::streams::Hub,
    caller: Caller,
    req: HttpRequest,
    stream: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    let vehicle = vehicle_of(&engine, &caller)?;
    let crew = FieldIdentity {
        staff: vehicle.crew.clone(),
        vehicles: vec![vehicle.id.clone()],
        groups_only: true,
    };
    // Without the hub the socket still works for fixes and offers.
    let groups = hub.send(Join(Audience::Field(crew))).await.ok();
    let addr = engine
        .fleet
        .vehicle(&vehicle.id, &engine.roster)
        .map_err(ApiError::from)?
        .ok_or_else(|| ApiError::not_found(format!("vehicle `{}`", vehicle.id)))?;
    let fleet = &engine.settings.fleet;
    let session = VehicleSession {
        id: SESSIONS.fetch_add(1, Ordering::Relaxed),
        vehicle_id: vehicle.id,
        vehicle: addr,
        dispatcher: engine.dispatcher.clone(),
        heard: Instant::now(),
        heartbeat: Duration::from_secs(fleet.heartbeat_s),
        timeout: Duration::from_secs(fleet.socket_timeout_s),
        max_batch: fleet.max_batch_fixes,
        clock: engine.clock.clone(),
        groups,
    };
    ws::WsResponseBuilder::new(session, &req, stream)
        .frame_size(fleet.max_frame_bytes)
        .start()
}
