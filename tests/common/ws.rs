//! A real WebSocket client for the vehicle socket.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct WsClient {
    socket: Socket,
    /// Frames read but not yet asked for.
    pending: Vec<Value>,
}

/// How long a test waits for a frame before failing (a bound, not a sleep).
pub const WAIT: Duration = Duration::from_secs(10);

impl WsClient {
    pub async fn connect(base: &str, path: &str, token: &str) -> WsClient {
        let url = format!("{}{path}?token={token}", base.replacen("http", "ws", 1));
        let (socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("socket opens");
        WsClient {
            socket,
            pending: Vec::new(),
        }
    }

    pub async fn send(&mut self, frame: Value) {
        self.socket
            .send(Message::text(frame.to_string()))
            .await
            .expect("frame sent");
    }

    pub async fn send_text(&mut self, text: &str) {
        self.socket
            .send(Message::text(text.to_owned()))
            .await
            .expect("frame sent");
    }

    /// The next text frame as JSON; `None` when the socket closed.
    pub async fn next_any(&mut self) -> Option<Value> {
        if !self.pending.is_empty() {
            return Some(self.pending.remove(0));
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .expect("a frame within the wait")?;
            match msg {
                Ok(Message::Text(t)) => return Some(serde_json::from_str(&t).expect("JSON frame")),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    /// The next frame of type `kind`, keeping the others for later.
    pub async fn next_of(&mut self, kind: &str) -> Value {
        if let Some(i) = self.pending.iter().position(|f| f["type"] == kind) {
            return self.pending.remove(i);
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "no `{kind}` frame within the wait; pending {:?}",
                        self.pending
                    )
                })
                .unwrap_or_else(|| panic!("socket closed waiting for `{kind}`"));
            if let Ok(Message::Text(t)) = msg {
                let frame: Value = serde_json::from_str(&t).expect("JSON frame");
                if frame["type"] == kind {
                    return frame;
                }
                self.pending.push(frame);
            } else if let Ok(Message::Close(_)) | Err(_) = msg {
                panic!("socket closed waiting for `{kind}`");
            }
        }
    }

    /// The next `ticket.updated` frame saying the ticket is now `status`.
    pub async fn next_update(&mut self, status: &str) -> Value {
        loop {
            let frame = self.next_of("ticket.updated").await;
            if frame["status"] == status {
                return frame;
            }
        }
    }

    /// Whether the server closes this socket within the wait.
    pub async fn closed(&mut self) -> bool {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => return false,
                Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => return true,
                Ok(Some(Ok(Message::Text(t)))) => self
                    .pending
                    .push(serde_json::from_str(&t).unwrap_or(Value::Null)),
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    /// Whether a frame of type `kind` was read and is waiting to be asked for.
    pub fn pending_has(&self, kind: &str) -> bool {
        self.pending.iter().any(|f| f["type"] == kind)
    }

    /// The code the server closes this socket with, and when it arrived; `None` when the
    /// socket dropped without a close frame or stayed open for the whole wait.
    pub async fn close_code(&mut self) -> Option<(u16, tokio::time::Instant)> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Ok(Some(Ok(Message::Close(Some(frame))))) => {
                    return Some((frame.code.into(), tokio::time::Instant::now()));
                }
                Err(_) | Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(None)))) => {
                    return None;
                }
                Ok(Some(Ok(Message::Text(t)))) => self
                    .pending
                    .push(serde_json::from_str(&t).unwrap_or(Value::Null)),
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    /// Sends a fix (server time) and waits until the server has handled it (ping/pong).
    pub async fn at(&mut self, lat: f64, lng: f64) {
        self.send(json!({ "type": "position", "lat": lat, "lng": lng }))
            .await;
        self.sync().await;
    }

    /// Round trip: everything sent before has been handled.
    pub async fn sync(&mut self) {
        self.send(json!({ "type": "ping" })).await;
        self.next_of("pong").await;
    }
}
