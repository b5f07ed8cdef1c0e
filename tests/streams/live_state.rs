//! Live-state frames and `seq`: a `vehicle.status` frame carries the position the stream is
//! at — the `seq` of the ticket event before it, not a number of its own — so a client
//! must apply it even though that `seq` is not above the last it saw (`docs/protocol.md`).
//! Every status change goes out once, in order after the event that caused it; a resume
//! from that `seq` replays no ticket frame at or below it and ends with every vehicle's
//! current status.

use serde_json::{Value, json};

use super::connect;
use crate::common::spawn_app;
use crate::common::ws::WsClient;
use crate::dispatch::{SITE, fleet, lead, on_duty};

/// Reads console frames until a `vehicle.status` of V-1 with `status`; returns it and the
/// ticket frames seen before it.
async fn until_status(console: &mut WsClient, status: &str) -> (Value, Vec<Value>) {
    let mut before = Vec::new();
    loop {
        let f = console.next_any().await.expect("the stream stays open");
        if f["type"] == "vehicle.status" && f["vehicle_id"] == "V-1" && f["status"] == status {
            return (f, before);
        }
        if f.get("event").is_some() {
            before.push(f);
        }
    }
}

#[actix_web::test]
async fn vehicle_status_frames_share_the_seq_of_the_event_before_them_and_resume_exactly() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 1).await;
    let d = app.token("dispatcher", None).await;
    let mut console = connect(&app, "/ws/console", &d).await;
    console.next_of("snapshot").await;
    let mut v1 = on_duty(&app, &tokens[0], SITE.0 + 0.01, SITE.1).await;
    until_status(&mut console, "available").await;

    // A grade I lead: offered at intake, accepted, the crew arrives.
    let (_, t) = app
        .post("/tickets", &d, lead("LS-1", "unlicensed_transport"))
        .await;
    let offer = v1.next_of("offer").await;
    assert_eq!(offer["ticket"]["id"], t["id"]);
    v1.send(json!({ "type": "offer.accept", "offer_id": offer["offer_id"] }))
        .await;
    let (en_route, before) = until_status(&mut console, "en_route").await;
    let accepted = before
        .iter()
        .rfind(|f| f["type"] == "offer.accepted")
        .expect("offer.accepted before the status");
    // The same seq: a client deduplicating every frame by seq would drop this one.
    assert_eq!(
        en_route["seq"], accepted["seq"],
        "{en_route} after {accepted}"
    );
    assert_eq!(en_route["ticket_id"], t["id"]);
    v1.send(json!({ "type": "arrived" })).await;
    let (on_site, before) = until_status(&mut console, "on_site").await;
    let arrived = before.last().expect("the arrival event first");
    assert_eq!(arrived["event"]["type"], "ticket.arrived");
    assert_eq!(on_site["seq"], arrived["seq"]);
    let since = on_site["seq"].as_u64().expect("seq");
    drop(console);

    // A resume from that seq: no ticket frame at or below it, then every vehicle's state.
    let mut resumed = connect(&app, &format!("/ws/console?since={since}"), &d).await;
    let hello = resumed.next_any().await.expect("hello");
    assert_eq!(hello["resumed"], true, "{hello}");
    let last = app.engine.store.last_event_id();
    let mut replayed = Vec::new();
    let now = loop {
        let f = resumed.next_any().await.expect("frames");
        if f["type"] == "vehicle.moved" {
            break f;
        }
        replayed.push(f["seq"].as_u64().expect("seq"));
    };
    assert_eq!(
        replayed,
        ((since + 1)..=last).collect::<Vec<_>>(),
        "exactly the events after since"
    );
    let v = now["moves"]
        .as_array()
        .and_then(|m| m.iter().find(|v| v["vehicle_id"] == "V-1"))
        .expect("V-1 in the state that ends the resume");
    assert_eq!(v["status"], "on_site", "{v}");
    assert_eq!(v["ticket_id"], t["id"]);
}
