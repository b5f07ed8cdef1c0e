//! The vehicle socket and the gateway: bad input gets a clear error and changes nothing,
//! a reconnect replaces the old session, and a restart recovers the fleet and open offers.

use reqwest::StatusCode;
use serde_json::json;

use super::{SITE, fleet, lead, on_duty};
use crate::common::ws::WsClient;
use crate::common::{ADMIN, ChildEngine, send, spawn_app, spawn_app_with, temp_store};

#[actix_web::test]
async fn bad_frames_get_error_frames_and_change_nothing() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 1).await;
    let d = app.token("dispatcher", None).await;
    let mut v = on_duty(&app, &tokens[0], SITE.0, SITE.1).await;
    let bad = [
        ("not json", "bad_frame"),
        (r#"{"type":"teleport"}"#, "bad_frame"),
        (
            r#"{"type":"position","lat":95,"lng":115.5}"#,
            "bad_position",
        ),
        (r#"{"type":"position","lat":"x","lng":115.5}"#, "bad_frame"),
        (r#"{"type":"position","fixes":[]}"#, "bad_batch"),
        (r#"{"type":"position","lat":30.0}"#, "bad_frame"),
        (
            r#"{"type":"position","lat":30.0,"lng":115.5,"ts":"2027-01-01T00:00:00Z"}"#,
            "fix_rejected",
        ),
        (
            r#"{"type":"position","lat":30.0,"lng":115.5,"ts":"2020-01-01T00:00:00Z"}"#,
            "fix_rejected",
        ),
        (r#"{"type":"status","status":"en_route"}"#, "status_refused"),
        (r#"{"type":"offer.accept","offer_id":"nope"}"#, "bad_frame"),
        (
            r#"{"type":"offer.accept","offer_id":"01900000-0000-7000-8000-000000000000"}"#,
            "offer_not_open",
        ),
        (r#"{"type":"arrived"}"#, "no_active_ticket"),
    ];
    for (frame, code) in bad {
        v.send_text(frame).await;
        let err = v.next_of("error").await;
        assert_eq!(err["code"], code, "{frame}: {err}");
        assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // The connection is still up and nothing moved.
    v.sync().await;
    let (_, live) = app.get("/vehicles/V-1/live", &d).await;
    assert_eq!(live["status"], "available");
    assert_eq!(live["position"]["lat"], SITE.0);
    // Out of range never reaches the vehicle (refused at the socket); future and old do.
    assert_eq!(live["fixes_rejected"], 2);
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("hotline_fixes_rejected_total"),
        "rejected fixes are counted"
    );
    // A batch: the good fixes are taken, the bad one is named by index.
    let batch = json!({ "type": "position", "fixes": [
        { "lat": 30.03, "lng": 115.585 },
        { "lat": 30.04, "lng": 115.585, "ts": "2020-01-01T00:00:00Z" },
        { "lat": 30.05, "lng": 115.585 },
    ] });
    v.send(batch).await;
    let err = v.next_of("error").await;
    assert_eq!(err["rejected"][0]["index"], 1);
    v.sync().await;
    let (_, live) = app.get("/vehicles/V-1/live", &d).await;
    assert_eq!(live["position"]["lat"], 30.05);
    app.stop().await;
}

#[actix_web::test]
async fn hello_states_the_sockets_input_bound_as_configured() {
    let app = spawn_app_with(&[
        ("APP__FLEET__MAX_FIXES_PER_S", "7"),
        ("APP__FLEET__MAX_FIX_BURST", "300"),
        ("APP__FLEET__MAX_BATCH_FIXES", "50"),
    ])
    .await;
    let tokens = fleet(&app, 1).await;
    let mut v = WsClient::connect(&app.base, "/ws/vehicle", &tokens[0]).await;
    let hello = v.next_of("hello").await;
    assert_eq!(
        hello["limits"],
        json!({ "max_fixes_per_s": 7, "max_fix_burst": 300, "max_batch_fixes": 50 }),
        "{hello}"
    );
    app.stop().await;
}

#[actix_web::test]
async fn a_second_connection_replaces_the_first_and_tokens_are_checked() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 2).await;
    let mut first = on_duty(&app, &tokens[0], SITE.0, SITE.1).await;
    // A crew member's token speaks for the vehicle too, in a session of its own.
    let crew = app.token("field", Some("S-1")).await;
    let mut phone = WsClient::connect(&app.base, "/ws/vehicle", &crew).await;
    let hello = phone.next_of("hello").await;
    assert_eq!(hello["vehicle_id"], "V-1");
    assert_eq!(hello["status"], "available");
    // The vehicle's own token connecting again replaces its own first session.
    let mut second = WsClient::connect(&app.base, "/ws/vehicle", &tokens[0]).await;
    second.next_of("hello").await;
    assert!(first.closed().await, "the first session is closed");
    second.sync().await;
    phone.sync().await;
    // Offers go to the new session.
    let d = app.token("dispatcher", None).await;
    app.post("/tickets", &d, lead("R-1", "unlicensed_transport"))
        .await;
    assert!(second.next_of("offer").await["offer_id"].is_string());
    // No token, or a token that is not a field device's, is refused before the upgrade.
    let url = format!("{}/ws/vehicle", app.base.replacen("http", "ws", 1));
    assert!(tokio_tungstenite::connect_async(url.clone()).await.is_err());
    assert!(
        tokio_tungstenite::connect_async(format!("{url}?token={d}"))
            .await
            .is_err()
    );
    app.stop().await;
}

#[actix_web::test]
async fn gateway_batches_report_each_refused_fix() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 2).await;
    let gateway = app.token("platform", Some("gps-gateway")).await;
    let batch = json!([
        { "vehicle_id": "V-1", "lat": 30.0, "lng": 115.5 },
        { "vehicle_id": "V-2", "lat": 30.1, "lng": 115.6, "speed_kmh": 35.0, "heading": 90.0 },
        { "vehicle_id": "V-404", "lat": 30.1, "lng": 115.6 },
        { "vehicle_id": "V-1", "lat": f64::NAN.to_string(), "lng": 115.6 },
        { "vehicle_id": "V-1", "lat": 30.0, "lng": 200.0 },
        { "vehicle_id": "V-2", "lat": 30.1, "lng": 115.6, "ts": "2030-01-01T00:00:00Z" },
        { "vehicle_id": "V-2", "lat": 30.2, "lng": 115.6, "speed_kmh": -3 },
    ]);
    let (s, b) = app.post("/positions", &gateway, batch).await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "a string latitude is malformed: {b}"
    );
    let batch = json!([
        { "vehicle_id": "V-1", "lat": 30.0, "lng": 115.5 },
        { "vehicle_id": "V-2", "lat": 30.1, "lng": 115.6, "speed_kmh": 35.0, "heading": 90.0 },
        { "vehicle_id": "V-404", "lat": 30.1, "lng": 115.6 },
        { "vehicle_id": "V-1", "lat": 30.0, "lng": 200.0 },
        { "vehicle_id": "V-2", "lat": 30.1, "lng": 115.6, "ts": "2030-01-01T00:00:00Z" },
        { "vehicle_id": "V-2", "lat": 30.2, "lng": 115.6, "speed_kmh": -3 },
    ]);
    let (s, b) = app.post("/positions", &gateway, batch).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["accepted"], 2, "{b}");
    let codes: Vec<(u64, &str)> = b["rejected"]
        .as_array()
        .expect("rejected")
        .iter()
        .map(|r| {
            (
                r["index"].as_u64().unwrap_or(99),
                r["code"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        codes,
        vec![
            (2, "unknown_vehicle"),
            (3, "bad_position"),
            (4, "fix_in_future"),
            (5, "bad_speed")
        ]
    );
    // A field token may only send its own vehicle's fixes.
    let (s, b) = app
        .post(
            "/positions",
            &tokens[0],
            json!([{ "vehicle_id": "V-2", "lat": 30.0, "lng": 115.5 }]),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["rejected"][0]["code"], "not_your_vehicle");
    // Over the batch limit is refused whole.
    let many: Vec<_> = (0..1001)
        .map(|_| json!({ "vehicle_id": "V-1", "lat": 30.0, "lng": 115.5 }))
        .collect();
    let (s, _) = app.post("/positions", &gateway, json!(many)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let d = app.token("dispatcher", None).await;
    let (_, live) = app.get("/vehicles/V-2/live", &d).await;
    assert_eq!(live["position"]["lat"], 30.1);
    assert_eq!(live["speed_kmh"], 35.0);
    app.stop().await;
}

#[actix_web::test]
async fn a_restart_recovers_the_fleet_and_open_offers() {
    let (_dir, store) = temp_store();
    let engine = ChildEngine::start(&store);
    let client = reqwest::Client::new();
    let post = |path: &str, token: &str, body: serde_json::Value| {
        client
            .post(format!("{}/api/v1{path}", engine.base))
            .bearer_auth(token.to_owned())
            .json(&body)
    };
    for (path, body) in [
        (
            "/teams",
            json!({ "id": "T-1", "name": "一中队", "department": "enforcement" }),
        ),
        (
            "/staff",
            json!({ "id": "S-1", "name": "市管员", "role": "inspector", "department": "enforcement", "team_id": "T-1", "badge": "ZM-1" }),
        ),
        (
            "/vehicles",
            json!({ "id": "V-1", "plate": "鄂J·Z0001", "team_id": "T-1", "department": "enforcement", "crew": ["S-1"] }),
        ),
    ] {
        let (s, b) = send(&client, post(path, ADMIN, body)).await;
        assert!(s.is_success(), "{path}: {b}");
    }
    let (_, field) = send(
        &client,
        post(
            "/tokens",
            ADMIN,
            json!({ "role": "field", "subject": "V-1" }),
        ),
    )
    .await;
    let field = field["token"].as_str().expect("token").to_owned();
    let (_, disp) = send(
        &client,
        post("/tokens", ADMIN, json!({ "role": "dispatcher" })),
    )
    .await;
    let disp = disp["token"].as_str().expect("token").to_owned();

    let mut v = WsClient::connect(&engine.base, "/ws/vehicle", &field).await;
    v.next_of("hello").await;
    v.send(json!({ "type": "status", "status": "available" }))
        .await;
    v.next_of("ack").await;
    v.at(SITE.0 + 0.01, SITE.1).await;
    let (s, t) = send(
        &client,
        post("/tickets", &disp, lead("RS-1", "unlicensed_transport")),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let id = t["id"].as_str().expect("id").to_owned();
    let offer = v.next_of("offer").await;
    drop(v);
    engine.kill9();

    let engine = ChildEngine::start(&store);
    let live = client
        .get(format!("{}/api/v1/vehicles/V-1/live", engine.base))
        .bearer_auth(&disp)
        .send()
        .await
        .expect("live");
    let live: serde_json::Value = live.json().await.expect("json");
    assert_eq!(live["status"], "offered");
    assert_eq!(live["offer_id"], offer["offer_id"]);
    assert_eq!(live["position"]["lat"], SITE.0 + 0.01);
    // The reconnecting device is shown its offer again and can accept it.
    let mut v = WsClient::connect(&engine.base, "/ws/vehicle", &field).await;
    let hello = v.next_of("hello").await;
    assert_eq!(hello["status"], "offered");
    let again = v.next_of("offer").await;
    assert_eq!(again["offer_id"], offer["offer_id"]);
    v.send(json!({ "type": "offer.accept", "offer_id": offer["offer_id"] }))
        .await;
    assert_eq!(v.next_of("ack").await["request"], "offer.accept");
    let t = client
        .get(format!("{}/api/v1/tickets/{id}", engine.base))
        .bearer_auth(&disp)
        .send()
        .await
        .expect("ticket");
    let t: serde_json::Value = t.json().await.expect("json");
    assert_eq!(t["status"], "en_route");
    assert_eq!(engine.terminate().code(), Some(0));
}
