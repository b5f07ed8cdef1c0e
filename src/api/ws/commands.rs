//! Console command frames: the ticket steps sent over the console socket. A frame is parsed
//! once (`frames::ClientFrame`) and its step taken by `service::tickets::perform`, as the
//! HTTP route takes it, with the same roles, checks and errors; the outcome is rendered as
//! the route renders it (`lifecycle::answer`) into a `result` frame, or the error into an
//! `error` frame (status, code, message, details). A console may have only so many commands
//! in flight; more are answered `busy` at once.

use actix::prelude::*;
use actix_web_actors::ws;
use serde_json::Value;

use super::frames::{CommandFrame, StreamFrame};
use super::stream::StreamSession;
use crate::api::tickets::lifecycle;
use crate::service::Error;
use crate::service::tickets::{self, Action, Body};

/// A service error as a console `error` frame: the status, code, message and details the
/// HTTP route answers with.
pub(super) fn error_frame(request_id: Option<String>, e: &Error) -> StreamFrame<'static> {
    StreamFrame::Error {
        request_id,
        status: Some(e.status().as_u16()),
        code: e.code().to_owned(),
        message: e.message().to_owned(),
        details: e.details().cloned(),
    }
}

/// The size `body` has on the wire, compact as an HTTP body would send it.
fn body_len(body: &Option<Value>) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    match body {
        None | Some(Value::Null) => 0,
        Some(v) => {
            let mut count = Count(0);
            serde_json::to_writer(&mut count, v).map_or(usize::MAX, |()| count.0)
        }
    }
}

impl StreamSession {
    /// `frame_len` is the frame's size: a body is only measured when the frame is larger
    /// than the body limit.
    pub(super) fn on_command(
        &mut self,
        frame: CommandFrame,
        frame_len: usize,
        ctx: &mut ws::WebsocketContext<Self>,
    ) {
        let CommandFrame {
            request_id,
            action,
            ticket_id,
            body,
        } = frame;
        if self.in_flight >= self.engine().settings.streams.max_commands_in_flight {
            let e =
                Error::busy("too many commands in flight on this socket; wait for their answers");
            return Self::send(ctx, &error_frame(request_id, &e));
        }
        let limit = self.engine().settings.server.max_body_bytes;
        if frame_len > limit && body_len(&body) > limit {
            return Self::send(ctx, &error_frame(request_id, &Error::too_large(limit)));
        }
        let action: Action = match Action::for_console(&action) {
            Ok(a) => a,
            Err(e) => return Self::send(ctx, &error_frame(request_id, &e)),
        };
        self.in_flight += 1;
        let engine = self.engine().clone();
        let by = self.caller().principal().clone();
        ctx.spawn(
            async move {
                let outcome =
                    tickets::perform(&engine, &by, &ticket_id, action, Body::Json(body)).await?;
                lifecycle::answer(&engine, by.role, outcome)
            }
            .into_actor(self)
            .map(move |answer, act, ctx| {
                act.in_flight -= 1;
                match answer {
                    Ok((status, body)) => Self::send(
                        ctx,
                        &StreamFrame::Result {
                            request_id,
                            status: status.as_u16(),
                            body,
                        },
                    ),
                    Err(e) => Self::send(ctx, &error_frame(request_id, &e)),
                }
            }),
        );
    }
}
