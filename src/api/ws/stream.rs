//! One console, field or board client: sends what it was prepared with (hello, then a
//! snapshot or the replay of what it missed), then the hub's frames as they come. The
//! hub decides the cut-off (see `hub`): when the queue it fills for this session ends
//! because the client lagged, the session closes with code 1013 and the `seq` to resume
//! from. Console sessions also carry command frames (`commands`). A session whose token is
//! revoked closes at once with [`CLOSE_REVOKED`](super::CLOSE_REVOKED), and every frame a
//! client sends is checked against a live token first.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_web::web;
use actix_web_actors::ws;
use tokio::sync::mpsc;

use super::frames::{ClientFrame, Frame, StreamFrame, to_text};
use super::hub::viewport::SharedView;
use crate::api::auth::Caller;
use crate::domain::error_code::ErrorCode;
use crate::domain::ids::TicketId;
use crate::engine::Engine;
use crate::service::Error;

/// What a session starts with.
pub struct Prepared {
    /// Sent first, in order: hello, then the snapshot or the replayed events.
    pub prelude: Vec<String>,
    /// Ticket frames at or below this `seq` are already in the prelude.
    pub covered_upto: u64,
    /// Per-ticket seq a snapshot holds: later frames at or below it are already in.
    pub snapshot_seqs: HashMap<TicketId, u64>,
    /// The `seq` the client is current to once the prelude is sent.
    pub seq: u64,
}

pub struct StreamSession {
    engine: web::Data<Engine>,
    /// A console's view (`viewport` frames), shared with the hub.
    view: Option<SharedView>,
    caller: Caller,
    prepared: Option<Prepared>,
    frames: Option<mpsc::Receiver<Frame>>,
    lagged: Arc<AtomicBool>,
    covered_upto: u64,
    snapshot_seqs: HashMap<TicketId, u64>,
    /// The highest `seq` sent: what the client resumes from.
    last_seq: u64,
    heard: Instant,
    /// Whether this client may send command frames (consoles).
    accepts_commands: bool,
    pub(super) in_flight: usize,
    unread: Unread,
}

/// The hub's frames this session wrote that the client has not yet read. Their bytes stay
/// in the hub's count of the session's backlog until the client answers a ping sent after
/// them: its pong comes back only once it has read everything before (one TCP stream, read
/// in order). Counting them only until the socket took them would miss what waits in the
/// session's write buffer, where a lagging client's frames piled up uncounted.
#[derive(Default)]
struct Unread {
    /// The hub's count of this session's bytes, shared with the hub.
    queued: Option<Arc<AtomicUsize>>,
    /// Bytes of hub frames written.
    sent: u64,
    /// Of those, the bytes the client has read (the last pong's payload).
    read: u64,
    /// A ping carrying `sent` is out and not yet answered.
    asking: bool,
}

impl Unread {
    /// Counts a written frame; the payload of a ping to send when no receipt is asked yet.
    fn wrote(&mut self, frame: &Frame) -> Option<[u8; 8]> {
        if self.queued.is_none() {
            self.queued.clone_from(&frame.queued);
        }
        self.sent += frame.text.len() as u64;
        self.ask()
    }

    fn ask(&mut self) -> Option<[u8; 8]> {
        if self.asking || self.sent <= self.read {
            return None;
        }
        self.asking = true;
        Some(self.sent.to_be_bytes())
    }

    /// A pong: a receipt for the bytes its ping carried (other pongs answer heartbeats).
    /// Gives those bytes back to the hub's count; the next ping to send, if more were
    /// written since.
    fn pong(&mut self, payload: &[u8]) -> Option<[u8; 8]> {
        let bytes = <[u8; 8]>::try_from(payload).ok()?;
        let upto = u64::from_be_bytes(bytes).min(self.sent);
        if upto > self.read {
            if let Some(q) = &self.queued {
                let read = usize::try_from(upto - self.read).unwrap_or(usize::MAX);
                q.fetch_sub(read, Ordering::AcqRel);
            }
            self.read = upto;
        }
        self.asking = false;
        self.ask()
    }
}

impl StreamSession {
    pub fn new(
        engine: web::Data<Engine>,
        caller: Caller,
        prepared: Prepared,
        frames: mpsc::Receiver<Frame>,
        lagged: Arc<AtomicBool>,
        view: Option<SharedView>,
        accepts_commands: bool,
    ) -> Self {
        Self {
            view,
            engine,
            caller,
            covered_upto: prepared.covered_upto,
            last_seq: prepared.seq,
            prepared: Some(prepared),
            snapshot_seqs: HashMap::new(),
            frames: Some(frames),
            lagged,
            heard: Instant::now(),
            accepts_commands,
            in_flight: 0,
            unread: Unread::default(),
        }
    }

    pub(super) fn send(ctx: &mut ws::WebsocketContext<Self>, frame: &StreamFrame<'_>) {
        ctx.text(to_text(frame));
    }

    pub(super) fn engine(&self) -> &web::Data<Engine> {
        &self.engine
    }

    pub(super) fn caller(&self) -> &Caller {
        &self.caller
    }

    /// Closes the socket as signed out: its token was revoked.
    fn signed_out(ctx: &mut ws::WebsocketContext<Self>) {
        ctx.close(Some(ws::CloseReason {
            code: ws::CloseCode::Other(super::CLOSE_REVOKED),
            description: Some("token revoked: signed out".into()),
        }));
        ctx.stop();
    }

    fn on_text(&mut self, text: &str, ctx: &mut ws::WebsocketContext<Self>) {
        if !self.engine.tokens.is_live(self.caller.token_id()) {
            return Self::signed_out(ctx);
        }
        match serde_json::from_str::<ClientFrame>(text) {
            Ok(ClientFrame::Ping {}) => Self::send(ctx, &StreamFrame::Pong {}),
            Ok(ClientFrame::Command(frame)) if self.accepts_commands => {
                self.on_command(frame, text.len(), ctx)
            }
            Ok(ClientFrame::Command(_)) => Self::send(ctx, &not_taken("command")),
            Ok(ClientFrame::Viewport(frame)) => match (&self.view, Option::try_from(frame)) {
                (Some(view), Ok(set)) => view.set(set),
                (Some(_), Err(why)) => {
                    Self::send(ctx, &StreamFrame::error(ErrorCode::BadFrame.as_str(), why))
                }
                (None, _) => Self::send(ctx, &not_taken("viewport")),
            },
            Err(e) if e.is_syntax() || e.is_eof() => Self::send(
                ctx,
                &StreamFrame::error(ErrorCode::BadFrame.as_str(), format!("not JSON: {e}")),
            ),
            Err(e) => self.refuse(text, &e, ctx),
        }
    }

    /// Explains a JSON frame that is not one this socket takes. Only refused frames are
    /// looked at again, for their `type` and `request_id`.
    fn refuse(&self, text: &str, e: &serde_json::Error, ctx: &mut ws::WebsocketContext<Self>) {
        #[derive(serde::Deserialize)]
        struct Seen {
            #[serde(rename = "type")]
            kind: Option<serde_json::Value>,
            request_id: Option<serde_json::Value>,
        }
        let seen = serde_json::from_str::<Seen>(text).ok();
        let (kind, request_id) = seen.map_or((None, None), |s| {
            let text = |v: Option<serde_json::Value>| v.and_then(|v| v.as_str().map(str::to_owned));
            (text(s.kind), text(s.request_id))
        });
        let frame = match kind.as_deref() {
            Some("command") if self.accepts_commands => {
                let e = Error::malformed(format!("invalid command frame: {e}"));
                super::commands::error_frame(request_id, &e)
            }
            Some(other) => not_taken(other),
            None => StreamFrame::error(ErrorCode::BadFrame.as_str(), "a frame needs a `type`"),
        };
        Self::send(ctx, &frame);
    }
}

fn not_taken(kind: &str) -> StreamFrame<'static> {
    StreamFrame::error(
        ErrorCode::BadFrame.as_str(),
        format!("`{kind}` is not a frame this socket takes"),
    )
}

impl Actor for StreamSession {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        if let Some(prepared) = self.prepared.take() {
            for text in prepared.prelude {
                ctx.text(text);
            }
            self.snapshot_seqs = prepared.snapshot_seqs;
        }
        if let Some(rx) = self.frames.take() {
            ctx.add_stream(futures_util::stream::unfold(rx, |mut rx| async move {
                rx.recv().await.map(|f| (f, rx))
            }));
        }
        if let Some(token) = self.caller.token_id().map(str::to_owned) {
            let rx = self.engine.tokens.revocations();
            let engine = self.engine.clone();
            ctx.add_stream(futures_util::stream::unfold(rx, move |mut rx| {
                let (engine, token) = (engine.clone(), token.clone());
                async move {
                    loop {
                        match rx.recv().await {
                            Ok(id) if id == token => return Some((Revoked, rx)),
                            Ok(_) => {}
                            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                                if !engine.tokens.is_live(Some(&token)) {
                                    return Some((Revoked, rx));
                                }
                            }
                            Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                        }
                    }
                }
            }));
        }
        let s = &self.engine.settings.streams;
        let (heartbeat, timeout) = (
            Duration::from_secs(s.heartbeat_s),
            Duration::from_secs(s.socket_timeout_s),
        );
        ctx.run_interval(heartbeat, move |act, ctx| {
            if act.heard.elapsed() > timeout {
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
}

/// This session's token was revoked.
struct Revoked;

impl StreamHandler<Revoked> for StreamSession {
    fn handle(&mut self, _: Revoked, ctx: &mut Self::Context) {
        Self::signed_out(ctx);
    }

    /// The engine stops: nothing more will be revoked.
    fn finished(&mut self, _: &mut Self::Context) {}
}

impl StreamHandler<Frame> for StreamSession {
    fn handle(&mut self, frame: Frame, ctx: &mut Self::Context) {
        if let Some((ticket, ticket_seq)) = frame.ticket
            && (frame.seq <= self.covered_upto
                || self
                    .snapshot_seqs
                    .get(&ticket)
                    .is_some_and(|held| ticket_seq <= *held))
        {
            frame.release();
            return;
        }
        self.last_seq = self.last_seq.max(frame.seq);
        ctx.text(&*frame.text);
        if let Some(ping) = self.unread.wrote(&frame) {
            ctx.ping(&ping);
        }
    }

    /// The hub dropped this session: it lagged (resume with `since`), or the engine stops.
    fn finished(&mut self, ctx: &mut Self::Context) {
        let reason = if self.lagged.load(Ordering::Acquire) {
            ws::CloseReason {
                code: ws::CloseCode::Again,
                description: Some(format!("lagging: resume with since={}", self.last_seq)),
            }
        } else {
            ws::CloseReason {
                code: ws::CloseCode::Restart,
                description: Some(format!("stream ended: resume with since={}", self.last_seq)),
            }
        };
        ctx.close(Some(reason));
        ctx.stop();
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for StreamSession {
    fn handle(&mut self, msg: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        self.heard = Instant::now();
        match msg {
            Ok(ws::Message::Text(text)) => self.on_text(&text, ctx),
            Ok(ws::Message::Binary(_)) => Self::send(
                ctx,
                &StreamFrame::error(ErrorCode::BadFrame.as_str(), "send JSON text frames"),
            ),
            Ok(ws::Message::Ping(p)) => ctx.pong(&p),
            Ok(ws::Message::Pong(p)) => {
                if let Some(ping) = self.unread.pong(&p) {
                    ctx.ping(&ping);
                }
            }
            Ok(ws::Message::Continuation(_)) | Ok(ws::Message::Nop) => {}
            Ok(ws::Message::Close(reason)) => {
                ctx.close(reason);
                ctx.stop();
            }
            Err(e) => {
                Self::send(
                    ctx,
                    &StreamFrame::error(ErrorCode::BadFrame.as_str(), e.to_string()),
                );
                ctx.stop();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(len: usize, queued: &Arc<AtomicUsize>) -> Frame {
        queued.fetch_add(len, Ordering::AcqRel);
        Frame {
            seq: 1,
            ticket: None,
            text: "x".repeat(len).into(),
            queued: Some(queued.clone()),
        }
    }

    #[test]
    fn written_bytes_count_until_the_client_has_read_them() {
        let queued = Arc::new(AtomicUsize::new(0));
        let mut unread = Unread::default();
        let first = unread.wrote(&frame(100, &queued));
        assert_eq!(first, Some(100u64.to_be_bytes()), "a receipt is asked");
        assert_eq!(
            unread.wrote(&frame(50, &queued)),
            None,
            "one ping at a time"
        );
        assert_eq!(queued.load(Ordering::Acquire), 150, "written is not read");
        assert_eq!(unread.pong(b""), None, "a heartbeat's pong is no receipt");
        assert_eq!(queued.load(Ordering::Acquire), 150);
        let next = unread.pong(&100u64.to_be_bytes());
        assert_eq!(
            queued.load(Ordering::Acquire),
            50,
            "the first frame was read"
        );
        assert_eq!(
            next,
            Some(150u64.to_be_bytes()),
            "then a receipt for the rest"
        );
        assert_eq!(
            unread.pong(&999u64.to_be_bytes()),
            None,
            "never more than written"
        );
        assert_eq!(queued.load(Ordering::Acquire), 0);
    }
}
