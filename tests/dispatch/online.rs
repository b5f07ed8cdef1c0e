//! Online and offline vehicles: a vehicle whose socket closed is offline at once (its status
//! stays what the crew set), never offered work — not as the nearest, not by name — and
//! shown offline in `GET /vehicles/{id}/live` and the console stream; a GPS gateway's fix
//! keeps a vehicle without a socket online for `fleet.gateway_online_s`.

#![allow(clippy::unwrap_used, reason = "tests")]

use std::time::Duration as StdDuration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

use super::{SITE, fleet, lead, on_duty};
use crate::common::ws::WsClient;
use crate::common::{TestApp, spawn_app};

/// Polls the live view of `vehicle` until `online` is as wanted; a bound, not a sleep.
async fn until_online(app: &TestApp, token: &str, vehicle: &str, online: bool) -> Value {
    for _ in 0..200 {
        let (s, live) = app.get(&format!("/vehicles/{vehicle}/live"), token).await;
        assert_eq!(s, StatusCode::OK, "{live}");
        if live["online"] == online {
            return live;
        }
        tokio::time::sleep(StdDuration::from_millis(25)).await;
    }
    panic!("{vehicle} never became online={online}");
}

#[actix_web::test]
async fn a_vehicle_whose_socket_closed_is_offline_and_never_offered() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 2).await;
    let d = app.token("dispatcher", None).await;
    let mut console = WsClient::connect(&app.base, "/ws/console", &d).await;
    // V-1 is the nearest, V-2 farther; both available and connected.
    let v1 = on_duty(&app, &tokens[0], SITE.0 + 0.001, SITE.1).await;
    let mut v2 = on_duty(&app, &tokens[1], SITE.0 + 0.03, SITE.1).await;
    let live = until_online(&app, &d, "V-1", true).await;
    assert_eq!(live["connected"], true);

    // V-1's socket closes: offline at once, still `available` as its crew set it.
    drop(v1);
    let live = until_online(&app, &d, "V-1", false).await;
    assert_eq!(live["status"], "available");
    assert_eq!(live["connected"], false);
    loop {
        let f = console.next_of("vehicle.status").await;
        if f["vehicle_id"] == "V-1" && f["online"] == false {
            assert_eq!(f["status"], "available");
            break;
        }
    }
    // Not in the nearest list, not offered the grade I lead: V-2 is.
    let (_, near) = app
        .get(
            &format!("/dispatch/nearest?lat={}&lng={}", SITE.0, SITE.1),
            &d,
        )
        .await;
    let ids: Vec<&str> = near
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["vehicle_id"].as_str())
        .collect();
    assert_eq!(ids, ["V-2"], "{near}");
    let (s, t) = app
        .post("/tickets", &d, lead("ON-1", "unlicensed_transport"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_str().unwrap().to_owned();
    let offer = v2.next_of("offer").await;
    assert_eq!(offer["ticket"]["id"], id.as_str());
    v2.send(json!({ "type": "offer.decline", "offer_id": offer["offer_id"] }))
        .await;
    v2.next_of("ack").await;
    // Named by a dispatcher, even with `override`: refused, nothing written.
    for body in [
        json!({ "vehicle_id": "V-1" }),
        json!({ "vehicle_id": "V-1", "override": true }),
    ] {
        // Right after the decline the engine's own re-offer may still be looking for a
        // vehicle (`offer_open`); the answer that counts is the one after it gave up.
        let mut answer = app
            .post(&format!("/tickets/{id}/dispatch"), &d, body.clone())
            .await;
        for _ in 0..40 {
            if answer.1["code"] != "offer_open" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            answer = app
                .post(&format!("/tickets/{id}/dispatch"), &d, body.clone())
                .await;
        }
        let (s, e) = answer;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        assert_eq!(e["code"], "vehicle_offline", "{e}");
    }
    let (_, events) = app.get(&format!("/tickets/{id}/events"), &d).await;
    let to_v1 = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "offer.sent" && e["data"]["vehicle_id"] == "V-1")
        .count();
    assert_eq!(to_v1, 0, "{events}");

    // A reconnect brings it back online; the console snapshot says so.
    let mut again = WsClient::connect(&app.base, "/ws/vehicle", &tokens[0]).await;
    again.next_of("hello").await;
    until_online(&app, &d, "V-1", true).await;
    let mut fresh = WsClient::connect(&app.base, "/ws/console", &d).await;
    let snapshot = fresh.next_of("snapshot").await;
    let v1 = snapshot["vehicles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["vehicle_id"] == "V-1")
        .cloned()
        .unwrap();
    assert_eq!(v1["online"], true, "{v1}");
    app.stop().await;
}

#[actix_web::test]
async fn a_gateway_fix_keeps_a_vehicle_without_a_socket_online_for_a_while() {
    let app = spawn_app().await;
    fleet(&app, 1).await;
    let d = app.token("dispatcher", None).await;
    let gateway = app.token("platform", Some("gps-gateway")).await;
    let live = until_online(&app, &d, "V-1", false).await;
    assert_eq!(live["connected"], false);
    let fix = json!([{ "vehicle_id": "V-1", "lat": SITE.0, "lng": SITE.1 }]);
    let (s, b) = app.post("/positions", &gateway, fix).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let live = until_online(&app, &d, "V-1", true).await;
    assert_eq!(live["connected"], false);
    // The gateway falls silent past fleet.gateway_online_s (120 s): offline.
    app.clock.advance(Duration::seconds(121));
    until_online(&app, &d, "V-1", false).await;
    app.stop().await;
}
