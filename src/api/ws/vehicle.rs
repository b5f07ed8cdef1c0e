//! The vehicle app's socket, `/ws/vehicle`: a field token bound to the vehicle (or to a
//! member of its crew). Fixes, status, offer answers and arrival come in; offers, offer
//! cancellations and answers, ticket changes and the crew's group frames go out. A bad
//! frame gets an `error` frame and the connection stays up; the vehicle holds one session
//! per principal (its own token, each crew member's phone): a second connection of the
//! same principal replaces the first, others stay side by side, and only the session the
//! vehicle actor names reports positions (`hello.reports_positions`, then `reporting`
//! frames); a silent connection is closed after the configured timeout.
//!
//! Input is bounded. One task per socket reads a frame and handles it before reading the
//! next (actix-ws: actix-web-actors' session reads all the bytes waiting on the connection
//! into a private buffer every time it is polled, so a session that waits for its work
//! buffers a flood without bound). Fixes do not hold the socket up, though: at most one
//! `ReportFixes` is in the vehicle actor's mailbox per socket, and fixes that come while it
//! is being taken wait behind it, latest frame wins (the replaced ones are counted in
//! `hotline_fixes_thinned_total{stage="socket"}`; a fix only says where the vehicle is
//! now). So an engine under load thins an honest device's fixes instead of reading its
//! socket late: its pings are answered, its pushes and group frames go out, and its silence
//! is judged on time ([`Hearing`]: an engine that was itself late does not count that
//! against the device). A [`Budget`] still cuts off a device that keeps sending faster than
//! `fleet.max_fixes_per_s` beyond a backlog of `fleet.max_fix_burst` fixes (close 1008; its
//! fixes are counted as refused): memory per socket stays one frame waiting. Writes are
//! bounded too: a device that stops reading is closed once a write has waited
//! `fleet.socket_timeout_s`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_web::{HttpRequest, HttpResponse, get, web};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason};
use tokio::sync::{broadcast, mpsc};

use super::budget::{Budget, Hearing};
use super::hub::{Audience, FieldIdentity, Join, Joined};
use super::protocol::{
    ClientFrame, FixDto, OFFER_RECEIPTS, RejectedFix, ServerFrame, parse_fixes, rejected,
};
use crate::actors::dispatch::{
    AnswerOffer, AnswerOfferFrom, DispatchError, DispatcherActor, ReportArrival,
};
use crate::actors::fleet::VehicleActor;
use crate::actors::fleet::messages::{
    ChangeStatus, Connect, DeclareCapabilities, Disconnect, FixReport, NotReporter, OfferReceived,
    OfferWritten, SessionFixes, ToVehicle,
};
use crate::api::auth::Caller;
use crate::api::error::ApiError;
use crate::domain::error_code::ErrorCode;
use crate::domain::fleet::Fix;
use crate::domain::ids::{OfferId, VehicleId};
use crate::domain::role::Subject;
use crate::engine::Engine;

static SESSIONS: AtomicU64 = AtomicU64::new(1);

/// Pushes (offers, cancellations, ticket changes) that may wait for one socket; past it
/// the socket is closed and the app reconnects (its `hello` brings the open offer back,
/// unless the app confirms offers and had not confirmed it: then it went to the next
/// vehicle).
const PUSH_BACKLOG: usize = 256;

/// A `SessionFixes` on its way to the vehicle actor.
type Reporting = std::pin::Pin<Box<actix::dev::Request<VehicleActor, SessionFixes>>>;

/// A heartbeat tick later than this says the engine itself was behind (see [`Hearing`]).
const LATE_TICK: Duration = Duration::from_secs(1);

/// Why a vehicle socket ends, and the close frame that says so.
#[derive(Debug)]
enum Ending {
    /// The device closed, or the connection dropped.
    Gone,
    /// The token was revoked (or its holder taken out of service).
    Revoked,
    /// Sending faster than the budget allows.
    Flooding { refused: u32 },
    /// A frame over `fleet.max_frame_bytes`, or bytes that are not WebSocket frames.
    Protocol(actix_ws::ProtocolError),
    /// Nothing heard within the timeout.
    Silent,
    /// Not reading what the engine sends.
    Stalled,
    /// Pushes or group frames piled up past their bound.
    Lagging,
    /// The vehicle actor closed it (a newer connection of the same principal took over,
    /// or the principal left the crew).
    Closed(String),
}

impl Ending {
    fn close_reason(&self) -> Option<CloseReason> {
        let (code, text) = match self {
            Self::Gone | Self::Stalled => return None,
            Self::Revoked => (
                CloseCode::Other(super::CLOSE_REVOKED),
                "token revoked: signed out".to_owned(),
            ),
            Self::Flooding { refused } => (
                CloseCode::Policy,
                format!("flooding: {refused} fix(es) refused; keep to the socket's fix rate"),
            ),
            Self::Protocol(actix_ws::ProtocolError::Overflow) => {
                (CloseCode::Size, "frame too large".to_owned())
            }
            Self::Protocol(e) => (CloseCode::Protocol, e.to_string()),
            Self::Silent => (CloseCode::Away, "heartbeat timeout".to_owned()),
            Self::Lagging => (
                CloseCode::Again,
                "lagging: reconnect to get the open offer again".to_owned(),
            ),
            Self::Closed(reason) => (CloseCode::Policy, reason.clone()),
        };
        Some(CloseReason {
            code,
            description: Some(text),
        })
    }
}

/// The vehicle actor's way to push to this socket: `Connect` takes a `Recipient`, and this
/// forwards into the session's bounded queue. A full queue stops the forwarder, which the
/// session sees as its queue ending.
struct Pushes(mpsc::Sender<ToVehicle>);

impl Actor for Pushes {
    type Context = Context<Self>;
    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(PUSH_BACKLOG);
    }
}

impl Handler<ToVehicle> for Pushes {
    type Result = ();
    fn handle(&mut self, msg: ToVehicle, ctx: &mut Self::Context) {
        if self.0.try_send(msg).is_err() {
            ctx.stop();
        }
    }
}

/// One vehicle socket: what it speaks for and the bounds it keeps.
struct VehicleSession {
    id: u64,
    vehicle_id: VehicleId,
    /// Whose token opened it (the vehicle's, or a crew member's): one session each.
    principal: Subject,
    /// This session reports the vehicle's positions, as its app was last told (`hello`,
    /// then `reporting` frames); the others' `position` frames are refused.
    reports_positions: bool,
    vehicle: Addr<VehicleActor>,
    dispatcher: Addr<DispatcherActor>,
    engine: web::Data<Engine>,
    token_id: Option<String>,
    budget: Budget,
    max_batch: usize,
    heartbeat: Duration,
    timeout: Duration,
    /// The fixes the vehicle actor is taking now (one message in its mailbox at most).
    reporting: Option<Reporting>,
    /// The latest frame's fixes, waiting for the ones being taken (latest wins).
    waiting: Option<Vec<Fix>>,
    /// Answers to fixes, taken while a later frame waited for them, not yet sent.
    owed: Vec<ServerFrame>,
}

/// The socket's writing half: every write waits at most the socket timeout.
struct Writer {
    session: actix_ws::Session,
    timeout: Duration,
}

impl Writer {
    async fn text(&mut self, text: impl Into<bytestring::ByteString>) -> Result<(), Ending> {
        match tokio::time::timeout(self.timeout, self.session.text(text)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Ending::Gone),
            Err(_) => Err(Ending::Stalled),
        }
    }

    async fn frame(&mut self, frame: &ServerFrame) -> Result<(), Ending> {
        self.text(frame.to_text()).await
    }

    async fn push(&mut self, push: ToVehicle) -> Result<(), Ending> {
        let frame = match push {
            ToVehicle::Offer(n) => ServerFrame::offer(&n),
            ToVehicle::OfferCancelled {
                offer_id,
                ticket_id,
                reason,
            } => ServerFrame::OfferCancelled {
                offer_id: offer_id.to_string(),
                ticket_id: ticket_id.to_string(),
                reason,
            },
            ToVehicle::OfferAnswered {
                offer_id,
                ticket_id,
                accepted,
            } => ServerFrame::OfferAnswered {
                offer_id: offer_id.to_string(),
                ticket_id: ticket_id.to_string(),
                accepted,
            },
            ToVehicle::TicketUpdated(n) => ServerFrame::ticket_updated(&n),
            ToVehicle::Reporting(reports_positions) => ServerFrame::Reporting { reports_positions },
            ToVehicle::Close { reason } => return Err(Ending::Closed(reason)),
        };
        self.frame(&frame).await
    }

    async fn control(&mut self, ping: bool, payload: &[u8]) -> Result<(), Ending> {
        let sent = if ping {
            tokio::time::timeout(self.timeout, self.session.ping(payload)).await
        } else {
            tokio::time::timeout(self.timeout, self.session.pong(payload)).await
        };
        match sent {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Ending::Gone),
            Err(_) => Err(Ending::Stalled),
        }
    }
}

fn unavailable(what: &str) -> ServerFrame {
    ServerFrame::error(ErrorCode::Unavailable.as_str(), format!("{what}; resend"))
}

/// A `position` frame from a session that does not report the vehicle's positions.
fn not_reporter() -> ServerFrame {
    let code = ErrorCode::NotPositionReporter;
    ServerFrame::error(code.as_str(), code.default_message())
}

/// The vehicle actor's answer to fixes a session sent.
type Reported = Result<Result<FixReport, NotReporter>, MailboxError>;

impl VehicleSession {
    /// Handles one text frame to the end; the answer to send, if any.
    async fn on_text(&mut self, text: &str) -> Result<Option<ServerFrame>, Ending> {
        if !self.engine.tokens.is_live(self.token_id.as_deref()) {
            return Err(Ending::Revoked);
        }
        let frame: ClientFrame = match serde_json::from_str(text) {
            Ok(f) => f,
            Err(e) => {
                self.spend(1)?;
                return Ok(Some(ServerFrame::error(
                    ErrorCode::BadFrame.as_str(),
                    format!("not a frame this socket understands: {e}"),
                )));
            }
        };
        if !matches!(
            frame,
            ClientFrame::Position { .. } | ClientFrame::OfferReceived { .. }
        ) {
            // Any other frame (a `ping` is the app's round trip) sees the fixes sent before
            // it taken, and their answers go out before its own.
            self.settle().await;
        }
        let answer = match frame {
            ClientFrame::Ping {} => {
                self.spend(1)?;
                ServerFrame::Pong {}
            }
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
                        self.spend(1)?;
                        return Ok(Some(ServerFrame::error(
                            ErrorCode::BadFrame.as_str(),
                            "send one fix or `fixes`, not both",
                        )));
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
                        self.spend(1)?;
                        return Ok(Some(ServerFrame::error(
                            ErrorCode::BadFrame.as_str(),
                            "a position needs `lat` and `lng`, or `fixes`",
                        )));
                    }
                };
                self.spend(u32::try_from(dtos.len()).unwrap_or(u32::MAX).max(1))?;
                if !self.reports_positions {
                    return Ok(Some(not_reporter()));
                }
                return self.position(dtos).await;
            }
            ClientFrame::Status { status } => {
                self.spend(1)?;
                match self.vehicle.send(ChangeStatus(status)).await {
                    Ok(Ok(view)) => ServerFrame::Ack {
                        request: "status",
                        status: Some(view.status),
                    },
                    Ok(Err(refused)) => {
                        ServerFrame::error(ErrorCode::StatusRefused.as_str(), refused.to_string())
                    }
                    Err(_) => unavailable("the vehicle is restarting"),
                }
            }
            ClientFrame::Accept { offer_id } => {
                self.spend(1)?;
                self.answer(&offer_id, true, None).await
            }
            ClientFrame::Decline { offer_id, reason } => {
                self.spend(1)?;
                self.answer(&offer_id, false, reason).await
            }
            ClientFrame::Hello { capabilities } => {
                self.spend(1)?;
                if capabilities.len() > 32 {
                    return Ok(Some(ServerFrame::error(
                        ErrorCode::BadFrame.as_str(),
                        "at most 32 capabilities",
                    )));
                }
                let offer_receipts = capabilities.iter().any(|c| c == OFFER_RECEIPTS);
                let declared = self.vehicle.try_send(DeclareCapabilities {
                    session: self.id,
                    offer_receipts,
                });
                match declared {
                    Ok(()) => ServerFrame::Ack {
                        request: "hello",
                        status: None,
                    },
                    Err(_) => unavailable("the vehicle is busy"),
                }
            }
            ClientFrame::OfferReceived { offer_id } => {
                self.spend(1)?;
                let Ok(offer_id) = offer_id.parse() else {
                    return Ok(Some(ServerFrame::error(
                        ErrorCode::BadFrame.as_str(),
                        format!("`{offer_id}` is not an offer id"),
                    )));
                };
                // Unanswered when taken (a receipt for an offer no longer held is dropped);
                // a vehicle too busy to take it says so, and the app sends it again.
                let received = OfferReceived {
                    session: self.id,
                    offer_id,
                };
                return Ok(match self.vehicle.try_send(received) {
                    Ok(()) => None,
                    Err(_) => Some(unavailable("the vehicle is busy")),
                });
            }
            ClientFrame::Arrived {} => {
                self.spend(1)?;
                let msg = ReportArrival {
                    vehicle_id: self.vehicle_id.clone(),
                };
                reply("arrived", self.dispatcher.send(msg).await)
            }
        };
        Ok(Some(answer))
    }

    /// Takes `cost` fixes from the budget, or ends the socket as flooding.
    fn spend(&mut self, cost: u32) -> Result<(), Ending> {
        if self.budget.take(cost, Instant::now()) {
            return Ok(());
        }
        metrics::counter!("hotline_fixes_rejected_total", "reason" => "flooding")
            .increment(u64::from(cost));
        tracing::warn!(
            vehicle_id = %self.vehicle_id,
            session = self.id,
            refused = cost,
            "vehicle socket flooding: cut off"
        );
        Err(Ending::Flooding { refused: cost })
    }

    async fn position(&mut self, dtos: Vec<FixDto>) -> Result<Option<ServerFrame>, Ending> {
        if dtos.is_empty() || dtos.len() > self.max_batch {
            let msg = format!("a batch holds 1 to {} fixes", self.max_batch);
            return Ok(Some(ServerFrame::error(ErrorCode::BadBatch.as_str(), msg)));
        }
        let fixes = match parse_fixes(dtos, self.engine.clock.now()) {
            Ok(f) => f,
            Err((index, message)) => {
                metrics::counter!("hotline_fixes_rejected_total", "reason" => ErrorCode::BadPosition.as_str())
                    .increment(1);
                let rejected = vec![RejectedFix {
                    index,
                    code: ErrorCode::BadPosition.as_str(),
                    message: message.clone(),
                }];
                return Ok(Some(ServerFrame::Error {
                    code: ErrorCode::BadPosition.as_str().into(),
                    message,
                    rejected: Some(rejected),
                }));
            }
        };
        // Not awaited: the socket goes on reading; the answer comes when they are taken.
        if self.reporting.is_none() {
            self.reporting = Some(self.report_fixes(fixes));
        } else if let Some(replaced) = self.waiting.replace(fixes) {
            metrics::counter!("hotline_fixes_thinned_total", "stage" => "socket")
                .increment(replaced.len() as u64);
        }
        Ok(None)
    }

    /// Waits until every fix sent so far is taken; their answers are owed to the device.
    async fn settle(&mut self) {
        while let Some(r) = self.reporting.as_mut() {
            let report = r.as_mut().await;
            if let Some(answer) = self.reported(report) {
                self.owed.push(answer);
            }
        }
    }

    fn report_fixes(&self, fixes: Vec<Fix>) -> Reporting {
        Box::pin(self.vehicle.send(SessionFixes {
            session: self.id,
            fixes,
        }))
    }

    /// The vehicle actor took the fixes being reported: sends the waiting ones, if any, and
    /// says what was refused.
    fn reported(&mut self, report: Reported) -> Option<ServerFrame> {
        self.reporting = self.waiting.take().map(|fixes| self.report_fixes(fixes));
        match report {
            Ok(Ok(report)) if report.rejected.is_empty() => None,
            Ok(Ok(report)) => Some(ServerFrame::Error {
                code: ErrorCode::FixRejected.as_str().into(),
                message: format!("{} fix(es) refused", report.rejected.len()),
                rejected: Some(rejected(&report)),
            }),
            // The role moved while these were on their way: nothing taken.
            Ok(Err(NotReporter)) => Some(not_reporter()),
            Err(_) => Some(unavailable("the vehicle is restarting")),
        }
    }

    async fn answer(
        &mut self,
        offer_id: &str,
        accept: bool,
        reason: Option<String>,
    ) -> ServerFrame {
        let Ok(offer_id) = offer_id.parse::<OfferId>() else {
            return ServerFrame::error(
                ErrorCode::BadFrame.as_str(),
                "`offer_id` is not an offer id",
            );
        };
        if reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
            return ServerFrame::error(
                ErrorCode::TooLong.as_str(),
                "`reason` holds at most 500 characters",
            );
        }
        let msg = AnswerOfferFrom {
            session: self.id,
            answer: AnswerOffer {
                vehicle_id: self.vehicle_id.clone(),
                offer_id,
                accept,
                reason,
            },
        };
        let request = if accept {
            "offer.accept"
        } else {
            "offer.decline"
        };
        reply(request, self.dispatcher.send(msg).await)
    }
}

fn reply(
    request: &'static str,
    res: Result<Result<(), DispatchError>, MailboxError>,
) -> ServerFrame {
    match res {
        Ok(Ok(())) => ServerFrame::Ack {
            request,
            status: None,
        },
        Ok(Err(e)) => {
            let api = ApiError::from(e);
            ServerFrame::error(api.code(), api.message())
        }
        Err(_) => unavailable("the dispatcher is busy"),
    }
}

/// Whether a revocation concerns this socket's token.
fn revoked(
    heard: Result<String, broadcast::error::RecvError>,
    engine: &Engine,
    token_id: Option<&str>,
) -> bool {
    match heard {
        Ok(id) => token_id == Some(id.as_str()),
        // Missed some: look the token up instead.
        Err(broadcast::error::RecvError::Lagged(_)) => !engine.tokens.is_live(token_id),
        Err(broadcast::error::RecvError::Closed) => false,
    }
}

/// The answer to the fixes being reported.
async fn report(reporting: &mut Option<Reporting>) -> Reported {
    match reporting {
        Some(r) => r.as_mut().await,
        None => std::future::pending().await,
    }
}

/// The next group frame for the crew (`None` when the hub's queue ended).
async fn group_frame(groups: &mut Option<Joined>) -> Option<super::frames::Frame> {
    match groups {
        Some(g) => g.frames.recv().await,
        None => std::future::pending().await,
    }
}

/// The socket's life: hello, then frames in, pushes and group frames out, until it ends.
async fn run(
    mut s: VehicleSession,
    session: actix_ws::Session,
    mut input: actix_ws::AggregatedMessageStream,
    mut groups: Option<Joined>,
) {
    let mut out = Writer {
        session,
        timeout: s.timeout,
    };
    let (push_tx, mut pushes) = mpsc::channel(PUSH_BACKLOG);
    let recipient = Pushes(push_tx).start().recipient();
    let mut revocations = s.engine.tokens.revocations();
    let ending = async {
        let connected = s
            .vehicle
            .send(Connect {
                session: s.id,
                principal: s.principal.clone(),
                recipient,
            })
            .await
            .map_err(|_| Ending::Lagging)?;
        s.reports_positions = connected.reports_positions;
        out.frame(&ServerFrame::hello(&connected, &s.engine.settings.fleet))
            .await?;
        if let Some(notice) = &connected.view.offer_notice {
            out.frame(&ServerFrame::offer(notice)).await?;
            s.vehicle.do_send(OfferWritten {
                offer_id: notice.offer_id,
            });
        }
        let mut hearing = Hearing::new(s.timeout, LATE_TICK, Instant::now());
        let mut heartbeat = tokio::time::interval_at(
            tokio::time::Instant::now() + s.heartbeat,
            s.heartbeat,
        );
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                r = revocations.recv() => {
                    if revoked(r, &s.engine, s.token_id.as_deref()) {
                        return Err(Ending::Revoked);
                    }
                }
                push = pushes.recv() => match push {
                    Some(p) => {
                        // The app learns its role from this frame: from here on its
                        // fixes are taken, or refused.
                        if let ToVehicle::Reporting(reports) = &p {
                            s.reports_positions = *reports;
                        }
                        let offer = match &p {
                            ToVehicle::Offer(n) => Some(n.offer_id),
                            _ => None,
                        };
                        out.push(p).await?;
                        if let Some(offer_id) = offer {
                            s.vehicle.do_send(OfferWritten { offer_id });
                        }
                    }
                    None => return Err(Ending::Lagging),
                },
                frame = group_frame(&mut groups), if groups.is_some() => match frame {
                    Some(f) => {
                        f.release();
                        out.text(&*f.text).await?;
                    }
                    // Cut off for lagging: the crew reconnects.
                    None if groups.as_ref().is_some_and(|g| g.lagged.load(Ordering::Acquire)) => {
                        return Err(Ending::Lagging);
                    }
                    // The hub stopped: fixes and offers go on.
                    None => groups = None,
                },
                r = report(&mut s.reporting), if s.reporting.is_some() => {
                    if let Some(answer) = s.reported(r) {
                        out.frame(&answer).await?;
                    }
                }
                due = heartbeat.tick() => {
                    if hearing.silent(due.into_std(), Instant::now()) {
                        return Err(Ending::Silent);
                    }
                    out.control(true, b"").await?;
                }
                msg = input.recv() => {
                    hearing.heard(Instant::now());
                    match msg {
                        None => return Err(Ending::Gone),
                        Some(Err(e)) => return Err(Ending::Protocol(e)),
                        Some(Ok(AggregatedMessage::Text(text))) => {
                            let answer = s.on_text(&text).await?;
                            for owed in std::mem::take(&mut s.owed) {
                                out.frame(&owed).await?;
                            }
                            if let Some(answer) = answer {
                                out.frame(&answer).await?;
                            }
                        }
                        Some(Ok(AggregatedMessage::Binary(_))) => {
                            s.spend(1)?;
                            out.frame(&ServerFrame::error(ErrorCode::BadFrame.as_str(), "send JSON text frames")).await?;
                        }
                        Some(Ok(AggregatedMessage::Ping(p))) => {
                            s.spend(1)?;
                            out.control(false, &p).await?;
                        }
                        Some(Ok(AggregatedMessage::Pong(_))) => {}
                        Some(Ok(AggregatedMessage::Close(_))) => return Err(Ending::Gone),
                    }
                    // Time the engine spent on the frame is not the device's silence.
                    hearing.heard(Instant::now());
                }
            }
        }
    }
    .await;
    let ending: Ending = match ending {
        Err(e) => e,
        Ok(()) => Ending::Gone,
    };
    // The fixes read before the socket ended still count: the last one is where the
    // vehicle is. Bounded: a vehicle actor that cannot take them in time loses them.
    let _ = tokio::time::timeout(SETTLE_ON_CLOSE, s.settle()).await;
    s.vehicle.do_send(Disconnect { session: s.id });
    if let Ending::Protocol(e) = &ending {
        // Oversized or broken frames: say so before closing (the stream cannot be
        // resynchronised).
        let _ = out
            .frame(&ServerFrame::error(
                ErrorCode::BadFrame.as_str(),
                e.to_string(),
            ))
            .await;
    }
    tracing::debug!(vehicle_id = %s.vehicle_id, session = s.id, ?ending, "vehicle socket closed");
    let _ = tokio::time::timeout(s.timeout, out.session.close(ending.close_reason())).await;
}

/// How long a closing socket waits for the vehicle actor to take the fixes it read last.
const SETTLE_ON_CLOSE: Duration = Duration::from_secs(2);

/// Opens a vehicle socket. Token: `Authorization: Bearer` or `?token=`.
#[get("/ws/vehicle")]
pub async fn vehicle_socket(
    engine: web::Data<Engine>,
    hub: super::streams::Hub,
    caller: Caller,
    req: HttpRequest,
    stream: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    super::origin::check(&req, &engine.settings.server.allowed_origins)?;
    let vehicle = crate::api::fleet::vehicle_of(&engine, &caller)?;
    // `vehicle_of` took a vehicle or a staff member's token only.
    let principal = caller
        .principal()
        .subject
        .clone()
        .ok_or_else(|| ApiError::forbidden("this token is bound to no vehicle"))?;
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
    let (response, session, input) = actix_ws::handle(&req, stream)?;
    let input = input
        .max_frame_size(fleet.max_frame_bytes)
        .aggregate_continuations()
        .max_continuation_size(fleet.max_frame_bytes);
    let s = VehicleSession {
        id: SESSIONS.fetch_add(1, Ordering::Relaxed),
        vehicle_id: vehicle.id,
        principal,
        reports_positions: false,
        vehicle: addr,
        dispatcher: engine.dispatcher.clone(),
        token_id: caller.token_id().map(str::to_owned),
        budget: Budget::new(fleet.max_fixes_per_s, fleet.max_fix_burst, Instant::now()),
        max_batch: fleet.max_batch_fixes,
        heartbeat: Duration::from_secs(fleet.heartbeat_s),
        timeout: Duration::from_secs(fleet.socket_timeout_s),
        engine: engine.clone(),
        reporting: None,
        waiting: None,
        owed: Vec::new(),
    };
    actix_web::rt::spawn(run(s, session, input, groups));
    Ok(response)
}
