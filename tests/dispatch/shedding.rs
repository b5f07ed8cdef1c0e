//! Load is shed in the right order, through the real binary: a flood of GPS fixes (vehicle
//! sockets sending open-loop and GPS gateways posting batch after batch for the same
//! vehicles) is thinned — the latest fix per vehicle wins, counted in
//! `hotline_fixes_thinned_total` — while every intake sent meanwhile is acknowledged and
//! kept, and the grid ends with each vehicle's latest position. A device sending one fix a
//! second keeps its socket while another device floods its own and is cut off (1008).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::common::ws::WsClient;
use crate::common::{ADMIN, ChildEngine, intake, send, temp_store};

/// Vehicles in the flood, each with a socket and in every gateway batch.
const VEHICLES: usize = 12;
/// Position frames each socket sends open-loop.
const SOCKET_FRAMES: usize = 300;
/// Gateway posters at once, and the batches each posts.
const POSTERS: usize = 6;
const BATCHES: usize = 30;
/// Intakes sent while the fixes flood in.
const INTAKES: usize = 30;

async fn post(
    http: &reqwest::Client,
    e: &ChildEngine,
    path: &str,
    token: &str,
    body: Value,
) -> (StatusCode, Value) {
    send(http, http.post(e.url(path)).bearer_auth(token).json(&body)).await
}

async fn get(
    http: &reqwest::Client,
    e: &ChildEngine,
    path: &str,
    token: &str,
) -> (StatusCode, Value) {
    send(http, http.get(e.url(path)).bearer_auth(token)).await
}

async fn token(
    http: &reqwest::Client,
    e: &ChildEngine,
    role: &str,
    subject: Option<&str>,
) -> String {
    let (s, b) = post(
        http,
        e,
        "/tokens",
        ADMIN,
        json!({ "role": role, "subject": subject }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["token"].as_str().expect("token").to_owned()
}

/// Squad T-1 and vehicles V-1..V-n, each crewed by S-i; a field token per vehicle.
async fn register(http: &reqwest::Client, e: &ChildEngine, n: usize) -> Vec<String> {
    let team = json!({ "id": "T-1", "name": "一中队", "department": "enforcement" });
    let (s, b) = post(http, e, "/teams", ADMIN, team).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let mut tokens = Vec::new();
    for i in 1..=n {
        let staff = json!({ "id": format!("S-{i}"), "name": "市管员", "role": "inspector", "department": "enforcement", "team_id": "T-1", "badge": format!("ZM-{i}") });
        let (s, b) = post(http, e, "/staff", ADMIN, staff).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let v = json!({ "id": format!("V-{i}"), "plate": format!("鄂J·Z{i:04}"), "team_id": "T-1", "department": "enforcement", "crew": [format!("S-{i}")] });
        let (s, b) = post(http, e, "/vehicles", ADMIN, v).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        tokens.push(token(http, e, "field", Some(&format!("V-{i}"))).await);
    }
    tokens
}

/// Connects vehicle socket and puts it on duty.
async fn available(e: &ChildEngine, token: &str) -> WsClient {
    let mut ws = WsClient::connect(&e.base, "/ws/vehicle", token).await;
    ws.next_of("hello").await;
    ws.send(json!({ "type": "status", "status": "available" }))
        .await;
    assert_eq!(ws.next_of("ack").await["status"], "available");
    ws
}

/// A counter's total over all its labels, from the engine's `/metrics`.
async fn counter(http: &reqwest::Client, e: &ChildEngine, name: &str) -> f64 {
    let text = http
        .get(format!("{}/metrics", e.base))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .filter(|l| l.starts_with(name) && !l.starts_with('#'))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Somewhere in Wuxue for flood fix `k` of vehicle `i`.
fn somewhere(i: usize, k: usize) -> (f64, f64) {
    (29.95 + (k % 50) as f64 * 0.002, 115.45 + i as f64 * 0.003)
}

/// Where vehicle `i` ends: a kilometre apart from the others.
fn final_place(i: usize) -> (f64, f64) {
    (29.90 + i as f64 * 0.01, 115.60)
}

#[actix_web::test]
async fn a_flood_of_fixes_is_thinned_and_never_makes_intake_fail() {
    let (_dir, store) = temp_store();
    let e = ChildEngine::start(&store);
    let http = reqwest::Client::new();
    let field = register(&http, &e, VEHICLES).await;
    let gateway = token(&http, &e, "platform", None).await;
    let dispatcher = token(&http, &e, "dispatcher", None).await;
    let mut sockets = Vec::new();
    for t in &field {
        sockets.push(available(&e, t).await);
    }

    // The flood: every socket open-loop, gateways posting every vehicle again and again.
    let socket_floods: Vec<_> = sockets
        .into_iter()
        .enumerate()
        .map(|(i, mut ws)| {
            tokio::spawn(async move {
                for k in 0..SOCKET_FRAMES {
                    let (lat, lng) = somewhere(i, k);
                    ws.send(json!({ "type": "position", "lat": lat, "lng": lng }))
                        .await;
                }
                // Round trip: every fix sent before is in (or thinned).
                ws.sync().await;
                ws
            })
        })
        .collect();
    let posters: Vec<_> = (0..POSTERS)
        .map(|p| {
            let (http, gateway, url) = (http.clone(), gateway.clone(), e.url("/positions"));
            tokio::spawn(async move {
                for b in 0..BATCHES {
                    let batch: Vec<Value> = (1..=VEHICLES)
                        .map(|i| {
                            let (lat, lng) = somewhere(i, p * BATCHES + b);
                            json!({ "vehicle_id": format!("V-{i}"), "lat": lat, "lng": lng })
                        })
                        .collect();
                    let (s, body) =
                        send(&http, http.post(&url).bearer_auth(&gateway).json(&batch)).await;
                    assert_eq!(s, StatusCode::OK, "{body}");
                }
            })
        })
        .collect();
    let mut acknowledged = Vec::new();
    for n in 0..INTAKES {
        let (s, t) = post(
            &http,
            &e,
            "/tickets",
            &dispatcher,
            intake(&format!("FLOOD-{n}"), None, "report"),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "intake {n} during the flood: {t}");
        acknowledged.push(t["id"].as_str().expect("ticket id").to_owned());
    }
    let mut sockets = Vec::new();
    for f in socket_floods {
        sockets.push(f.await.expect("socket flood"));
    }
    for p in posters {
        p.await.expect("poster");
    }

    // Fixes were shed, intake was not: every intake acknowledged and kept.
    let thinned = counter(&http, &e, "hotline_fixes_thinned_total").await;
    eprintln!("{thinned} fixes thinned");
    assert!(thinned > 0.0, "no fix was thinned");
    assert_eq!(acknowledged.len(), INTAKES);
    for id in &acknowledged {
        let (s, t) = get(&http, &e, &format!("/tickets/{id}"), &dispatcher).await;
        assert_eq!(s, StatusCode::OK, "{t}");
    }
    assert_eq!(
        counter(
            &http,
            &e,
            "hotline_fixes_rejected_total{reason=\"flooding\""
        )
        .await,
        0.0
    );

    // Each vehicle's last fix (later than any of the flood's) is where the grid has it.
    let last = time::OffsetDateTime::now_utc() + time::Duration::seconds(20);
    let ts = last.format(&Rfc3339).expect("time");
    for (i, ws) in sockets.iter_mut().enumerate() {
        let (lat, lng) = final_place(i + 1);
        ws.send(json!({ "type": "position", "lat": lat, "lng": lng, "ts": ts }))
            .await;
        // (Flood fixes refused as out of order, socket and gateway fixes crossing, may
        // have been answered with `error` frames; the grid below says the last one won.)
        ws.sync().await;
    }
    for i in 1..=VEHICLES {
        let (lat, lng) = final_place(i);
        let path = format!(
            "/dispatch/nearest?lat={lat}&lng={lng}&limit=1&include_busy=true&include_stale=true"
        );
        let (s, near) = get(&http, &e, &path, &dispatcher).await;
        assert_eq!(s, StatusCode::OK, "{near}");
        let first = &near.as_array().expect("candidates")[0];
        assert_eq!(first["vehicle_id"], format!("V-{i}"), "{near}");
        assert!(
            first["distance_m"].as_f64().expect("distance") < 1.0,
            "{near}"
        );
    }
}

#[actix_web::test]
async fn an_honest_one_hertz_device_is_never_cut_off_while_another_floods() {
    let (_dir, store) = temp_store();
    // A small budget, so the flooder is past it within a few hundred frames; a short
    // heartbeat, so silence is judged many times while the engine is busy.
    let e = ChildEngine::start_with(
        &store,
        &[
            ("APP__FLEET__MAX_FIXES_PER_S", "5"),
            ("APP__FLEET__MAX_FIX_BURST", "200"),
            ("APP__FLEET__MAX_BATCH_FIXES", "100"),
            ("APP__FLEET__HEARTBEAT_S", "1"),
            ("APP__FLEET__SOCKET_TIMEOUT_S", "3"),
        ],
    );
    let http = reqwest::Client::new();
    let field = register(&http, &e, 2).await;
    let dispatcher = token(&http, &e, "dispatcher", None).await;
    let mut honest = available(&e, &field[0]).await;

    // V-2 floods open-loop, reading only to learn how it was closed.
    let url = format!(
        "{}/ws/vehicle?token={}",
        e.base.replacen("http", "ws", 1),
        field[1]
    );
    let (flooder, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("socket opens");
    let (mut sink, mut stream) = flooder.split();
    let flood = tokio::spawn(async move {
        let frame = json!({ "type": "position", "lat": 30.0, "lng": 115.5 }).to_string();
        let mut sent = 0u64;
        while sent < 1_000_000 && sink.send(Message::text(frame.clone())).await.is_ok() {
            sent += 1;
        }
        sent
    });
    let close = tokio::spawn(async move {
        while let Some(msg) = stream.next().await {
            match msg {
                Ok(Message::Close(Some(f))) => return Some(f.code),
                Ok(Message::Close(None)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
        None
    });

    // Meanwhile V-1 sends one fix a second, each taken.
    for k in 0..6 {
        let (lat, lng) = (30.0 + k as f64 * 0.001, 115.6);
        honest
            .send(json!({ "type": "position", "lat": lat, "lng": lng }))
            .await;
        honest.sync().await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let code = tokio::time::timeout(Duration::from_secs(30), close)
        .await
        .expect("the flooder is closed")
        .expect("reader");
    assert_eq!(
        code,
        Some(CloseCode::Policy),
        "the flooder is closed as flooding"
    );
    let sent = flood.await.expect("flood");
    assert!(sent > 200, "the flood went past the budget: {sent} frames");

    // V-1 is still connected, nothing of it refused, its last fix taken.
    honest.sync().await;
    assert!(!honest.pending_has("error"));
    let (s, live) = get(&http, &e, "/vehicles/V-1/live", &dispatcher).await;
    assert_eq!(s, StatusCode::OK, "{live}");
    assert_eq!(live["connected"], true);
    assert_eq!(live["fixes_rejected"], 0);
    assert!(
        (live["position"]["lat"].as_f64().expect("lat") - 30.005).abs() < 1e-9,
        "{live}"
    );
    let flooding = counter(
        &http,
        &e,
        "hotline_fixes_rejected_total{reason=\"flooding\"",
    )
    .await;
    assert!(flooding >= 1.0, "the flooder's refused fixes are counted");
}
