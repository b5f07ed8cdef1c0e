//! Offer receipts: an app that says in its `hello` that it confirms offers
//! (`offer.received`) and does not confirm one in time — it never reads, or its socket
//! closes mid-offer — loses it at once: `offer.cancelled`, `offer.undelivered` in the
//! timeline, a late accept refused, and the ticket offered to the next vehicle, long
//! before the answer time. An app that confirms keeps its offer; one that never declared
//! the capability keeps today's timeout.

#![allow(clippy::unwrap_used, reason = "tests")]

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{SITE, fleet, lead, on_duty};
use crate::common::ws::WsClient;
use crate::common::{TestApp, spawn_app_with};

/// Receipts within 1 s; answers within 60 s (the default), so an offer withdrawn within
/// seconds was withdrawn for want of a receipt.
async fn app() -> TestApp {
    spawn_app_with(&[("APP__DISPATCH__OFFER_RECEIPT_S", "1")]).await
}

/// Says, as a modern app does, that it confirms offers.
async fn declare(ws: &mut WsClient) {
    ws.send(json!({ "type": "hello", "capabilities": ["offer.received"] }))
        .await;
    let ack = ws.next_of("ack").await;
    assert_eq!(ack["request"], "hello");
}

/// A dispatcher's token, and V-1 (nearest) and V-2 (farther) on duty, both apps
/// confirming offers.
async fn two_confirming(app: &TestApp) -> (String, WsClient, WsClient) {
    let tokens = fleet(app, 2).await;
    let d = app.token("dispatcher", None).await;
    let mut v1 = on_duty(app, &tokens[0], SITE.0 + 0.001, SITE.1).await;
    declare(&mut v1).await;
    let mut v2 = on_duty(app, &tokens[1], SITE.0 + 0.03, SITE.1).await;
    declare(&mut v2).await;
    (d, v1, v2)
}

/// Files a grade I lead at the site (offered at intake); its id.
async fn file(app: &TestApp, token: &str, ext: &str) -> String {
    let (s, t) = app
        .post("/tickets", token, lead(ext, "unlicensed_transport"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    t["id"].as_str().unwrap().to_owned()
}

/// Ticket `id`'s timeline, in order.
async fn events(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    let (s, events) = app.get(&format!("/tickets/{id}/events"), token).await;
    assert_eq!(s, StatusCode::OK, "{events}");
    events.as_array().unwrap().clone()
}

/// The kinds of ticket `id`'s timeline, in order.
async fn timeline(app: &TestApp, token: &str, id: &str) -> Vec<String> {
    let events = events(app, token, id).await;
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

/// V-1 (nearest, confirms offers) never confirms; V-2 gets the ticket within seconds.
#[actix_web::test]
async fn an_offer_never_confirmed_goes_to_the_next_vehicle_at_once() {
    let app = app().await;
    let (d, mut v1, mut v2) = two_confirming(&app).await;
    let started = Instant::now();
    let id = file(&app, &d, "RC-1").await;

    // V-1 sees the offer but says nothing.
    let first = v1.next_of("offer").await;
    assert_eq!(first["ticket"]["id"], id.as_str());
    let cancelled = v1.next_of("offer.cancelled").await;
    assert_eq!(cancelled["offer_id"], first["offer_id"]);
    assert!(
        cancelled["reason"]
            .as_str()
            .unwrap()
            .starts_with("undelivered:"),
        "{cancelled}"
    );
    // The next vehicle has it, well before the 60 s answer time.
    let second = v2.next_of("offer").await;
    assert_eq!(second["ticket"]["id"], id.as_str());
    assert_ne!(second["offer_id"], first["offer_id"]);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    // V-1's late accept is refused; V-2 confirms and accepts.
    v1.send(json!({ "type": "offer.accept", "offer_id": first["offer_id"] }))
        .await;
    assert_eq!(v1.next_of("error").await["code"], "offer_not_open");
    v2.send(json!({ "type": "offer.received", "offer_id": second["offer_id"] }))
        .await;
    v2.send(json!({ "type": "offer.accept", "offer_id": second["offer_id"] }))
        .await;
    assert_eq!(v2.next_of("ack").await["request"], "offer.accept");

    let kinds = timeline(&app, &d, &id).await;
    let offers: Vec<&str> = kinds
        .iter()
        .map(String::as_str)
        .filter(|k| k.starts_with("offer."))
        .collect();
    assert_eq!(
        offers,
        [
            "offer.sent",
            "offer.undelivered",
            "offer.sent",
            "offer.accepted"
        ],
        "{kinds:?}"
    );
    let (_, ticket) = app.get(&format!("/tickets/{id}"), &d).await;
    assert_eq!(ticket["status"], "en_route");
    assert_eq!(ticket["assignment"]["vehicle_id"], "V-2");
    app.stop().await;
}

/// V-1's socket closes while its offer waits for the receipt: undelivered at once, V-2
/// gets it.
#[actix_web::test]
async fn a_socket_closed_mid_offer_sends_the_ticket_on_at_once() {
    let app = app().await;
    let (d, mut v1, mut v2) = two_confirming(&app).await;
    let id = file(&app, &d, "RC-2").await;
    let first = v1.next_of("offer").await;
    assert_eq!(first["ticket"]["id"], id.as_str());
    drop(v1);
    let second = v2.next_of("offer").await;
    assert_eq!(second["ticket"]["id"], id.as_str());
    let events = events(&app, &d, &id).await;
    let undelivered: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "offer.undelivered")
        .collect();
    assert_eq!(undelivered.len(), 1, "{events:?}");
    assert_eq!(undelivered[0]["data"]["vehicle_id"], "V-1", "{events:?}");
    app.stop().await;
}

/// An app that confirms keeps its offer past the receipt time; one that never declared
/// the capability keeps it too (today's answer time).
#[actix_web::test]
async fn a_confirmed_offer_and_an_old_apps_offer_stay_open() {
    let app = app().await;
    let tokens = fleet(&app, 2).await;
    let d = app.token("dispatcher", None).await;
    let mut v1 = on_duty(&app, &tokens[0], SITE.0 + 0.001, SITE.1).await;
    declare(&mut v1).await;
    let id = file(&app, &d, "RC-3").await;
    let offer = v1.next_of("offer").await;
    v1.send(json!({ "type": "offer.received", "offer_id": offer["offer_id"] }))
        .await;
    // Well past the receipt time: still open, and accepted.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    v1.send(json!({ "type": "offer.accept", "offer_id": offer["offer_id"] }))
        .await;
    assert_eq!(v1.next_of("ack").await["request"], "offer.accept");
    assert!(
        !timeline(&app, &d, &id)
            .await
            .contains(&"offer.undelivered".to_owned())
    );

    // V-2 never says hello: its offer is not withdrawn for want of a receipt.
    let mut v2 = on_duty(&app, &tokens[1], SITE.0 + 0.03, SITE.1).await;
    let id = file(&app, &d, "RC-4").await;
    let offer = v2.next_of("offer").await;
    assert_eq!(offer["ticket"]["id"], id.as_str());
    tokio::time::sleep(Duration::from_millis(2500)).await;
    v2.send(json!({ "type": "offer.accept", "offer_id": offer["offer_id"] }))
        .await;
    assert_eq!(v2.next_of("ack").await["request"], "offer.accept");
    assert!(
        !timeline(&app, &d, &id)
            .await
            .contains(&"offer.undelivered".to_owned())
    );
    app.stop().await;
}
