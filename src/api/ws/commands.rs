//! Console command frames: the HTTP lifecycle actions sent over the console socket. Each
//! runs exactly as its route does (`lifecycle::perform`), with the same roles, checks and
//! errors, and is answered with a `result` frame (HTTP status and body) or an `error`
//! frame (HTTP status, code, message, details). A console may have only so many commands
//! in flight; more are answered `busy` at once.

use actix::prelude::*;
use actix_web::{ResponseError, web};
use actix_web_actors::ws;
use serde::Deserialize;
use serde_json::Value;

use super::frames::StreamFrame;
use super::stream::StreamSession;
use crate::api::error::ApiError;
use crate::api::tickets::lifecycle;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CommandFrame {
    #[serde(rename = "type")]
    _type: String,
    request_id: Option<String>,
    action: String,
    ticket_id: String,
    #[serde(default)]
    body: Option<Value>,
}

fn error_frame(request_id: Option<String>, e: &ApiError) -> StreamFrame<'static> {
    StreamFrame::Error {
        request_id,
        status: Some(e.status_code().as_u16()),
        code: e.code().to_owned(),
        message: e.message().to_owned(),
        details: e.details().cloned(),
    }
}

impl StreamSession {
    pub(super) fn on_command(&mut self, value: Value, ctx: &mut ws::WebsocketContext<Self>) {
        let request_id = value
            .get("request_id")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let frame: CommandFrame = match serde_json::from_value(value) {
            Ok(f) => f,
            Err(e) => {
                let e = ApiError::malformed(format!("invalid command frame: {e}"));
                return Self::send(ctx, &error_frame(request_id, &e));
            }
        };
        if self.in_flight >= self.engine().settings.streams.max_commands_in_flight {
            let e = ApiError::new(
                actix_web::http::StatusCode::TOO_MANY_REQUESTS,
                "busy",
                "too many commands in flight on this socket; wait for their answers",
            );
            return Self::send(ctx, &error_frame(frame.request_id, &e));
        }
        let body = match &frame.body {
            None | Some(Value::Null) => web::Bytes::new(),
            Some(b) => web::Bytes::from(b.to_string()),
        };
        let limit = self.engine().settings.server.max_body_bytes;
        if body.len() > limit {
            return Self::send(
                ctx,
                &error_frame(frame.request_id, &ApiError::too_large(limit)),
            );
        }
        self.in_flight += 1;
        let run = lifecycle::perform(
            frame.action,
            self.engine().clone(),
            self.caller().clone(),
            frame.ticket_id,
            body,
        );
        let request_id = frame.request_id;
        ctx.spawn(
            async move {
                match run.await {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let bytes = actix_web::body::to_bytes(response.into_body())
                            .await
                            .unwrap_or_default();
                        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                        Ok((status, body))
                    }
                    Err(e) => Err(e),
                }
            }
            .into_actor(self)
            .map(move |outcome, act, ctx| {
                act.in_flight -= 1;
                match outcome {
                    Ok((status, body)) => Self::send(
                        ctx,
                        &StreamFrame::Result {
                            request_id,
                            status,
                            body,
                        },
                    ),
                    Err(e) => Self::send(ctx, &error_frame(request_id, &e)),
                }
            }),
        );
    }
}
