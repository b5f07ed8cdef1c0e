//! Live dispatch with real WebSocket vehicle clients: offers, declines, expiry (driven by
//! the manual clock), acceptance, arrival, staleness, bad frames, reconnects, gateway
//! ingest, the nearest-vehicle route, and recovery across a restart.

mod area;
mod crew_news;
mod crew_phones;
mod fast_track;
mod offers;
mod online;
mod override_list;
mod place;
mod questions;
mod receipts;
mod shedding;
mod sockets;
mod triage_first;

use serde_json::json;

use crate::common::TestApp;
use crate::common::ws::WsClient;

/// The site every test dispatches to (梅川镇).
pub const SITE: (f64, f64) = (30.02, 115.585);

/// Registers squad T-1 and `n` enforcement vehicles V-1..V-n (each with one crew
/// member S-i); returns a field token per vehicle.
pub async fn fleet(app: &TestApp, n: usize) -> Vec<String> {
    let admin = crate::common::ADMIN;
    let (s, b) = app
        .post(
            "/teams",
            admin,
            json!({ "id": "T-1", "name": "一中队", "department": "enforcement" }),
        )
        .await;
    assert!(s.is_success(), "{b}");
    let mut tokens = Vec::new();
    for i in 1..=n {
        let staff = json!({ "id": format!("S-{i}"), "name": "市管员", "role": "inspector", "department": "enforcement", "team_id": "T-1", "badge": format!("ZM-{i}") });
        let (s, b) = app.post("/staff", admin, staff).await;
        assert!(s.is_success(), "{b}");
        let v = json!({ "id": format!("V-{i}"), "plate": format!("鄂J·Z000{i}"), "team_id": "T-1", "department": "enforcement", "crew": [format!("S-{i}")] });
        let (s, b) = app.post("/vehicles", admin, v).await;
        assert!(s.is_success(), "{b}");
        tokens.push(app.token("field", Some(&format!("V-{i}"))).await);
    }
    tokens
}

/// Connects a vehicle, puts it on duty at (`lat`, `lng`).
pub async fn on_duty(app: &TestApp, token: &str, lat: f64, lng: f64) -> WsClient {
    let mut ws = WsClient::connect(&app.base, "/ws/vehicle", token).await;
    let hello = ws.next_of("hello").await;
    assert!(hello["vehicle_id"].is_string());
    ws.send(json!({ "type": "status", "status": "available" }))
        .await;
    let ack = ws.next_of("ack").await;
    assert_eq!(ack["status"], "available");
    ws.at(lat, lng).await;
    ws
}

/// An intake at the site.
pub fn lead(ext: &str, category: &str) -> serde_json::Value {
    json!({
        "source": "12313", "external_id": ext, "kind": "report", "category": category,
        "description": "一辆面包车在梅川镇卸运大量卷烟",
        "reporter": { "name": "CANARY-NAME-李四", "phone": "13877770000" },
        "address_text": "梅川镇正街18号",
        "location": { "lat": SITE.0, "lng": SITE.1 },
    })
}
