//! The console, field and board streams with real WebSocket clients: snapshot then ordered
//! deltas, resume with `since`, command frames, privacy of the field and board views
//! (canary personal data), and the cut-off of a client that stops reading.

mod board;
mod cells;
mod console;
mod groups;
mod isolation;
mod live_state;
mod privacy;
mod resume;
mod thinning;
mod viewport;

use serde_json::{Value, json};

use crate::common::TestApp;
use crate::common::ws::WsClient;

/// Canary personal data: must never reach a field device, the board or the logs.
pub const CANARY_NAME: &str = "金丝雀甲";
pub const CANARY_PHONE: &str = "13912345678";
pub const CANARY_ADDRESS: &str = "金丝雀路77号";

/// An intake carrying the canaries (the name and phone also inside the description).
pub fn canary_intake(ext: &str, category: &str) -> Value {
    json!({
        "source": "12313", "external_id": ext, "kind": "report", "category": category,
        "description": format!("我是{CANARY_NAME}，电话{CANARY_PHONE}，梅川镇正街一家店卖假烟"),
        "reporter": { "name": CANARY_NAME, "phone": CANARY_PHONE, "address": CANARY_ADDRESS },
        "address_text": "梅川镇正街18号",
        "location": { "lat": 30.02, "lng": 115.585 },
    })
}

/// Connects to a stream socket (`path` may carry `?since=`).
pub async fn connect(app: &TestApp, path: &str, token: &str) -> WsClient {
    let (path, since) = path.split_once('?').unwrap_or((path, ""));
    let token = if since.is_empty() {
        token.to_owned()
    } else {
        format!("{token}&{since}")
    };
    WsClient::connect(&app.base, path, &token).await
}

/// Reads frames until `n` ticket-event frames (those with `event`) have come; returns them.
pub async fn ticket_frames(ws: &mut WsClient, n: usize) -> Vec<Value> {
    let mut out = Vec::new();
    while out.len() < n {
        let frame = ws.next_any().await.expect("the stream stays open");
        if frame.get("event").is_some() {
            out.push(frame);
        }
    }
    out
}

/// Asserts the frames' `seq` are strictly increasing.
pub fn assert_ordered(frames: &[Value]) {
    let seqs: Vec<u64> = frames
        .iter()
        .map(|f| f["seq"].as_u64().expect("seq"))
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "frames out of order: {seqs:?}"
    );
}
