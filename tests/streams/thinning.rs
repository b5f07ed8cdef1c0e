//! A console that falls behind is thinned before it is cut off: with a tiny receive buffer
//! and no reads, its queue passes half its backlog and its moves are held back, the latest
//! per vehicle, while a steady stream of moves goes on — it is not cut off, and once it
//! reads again it gets the ticket frame published meanwhile and every vehicle at its last
//! place, in far fewer moves than were published. A console reading at full speed gets
//! the last round meanwhile. (A console that never reads while ticket frames keep coming is
//! cut off: `isolation.rs`.)

use std::collections::HashMap;

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::{canary_intake, connect};
use crate::common::spawn_app_with;
use crate::dispatch::{SITE, fleet};

/// Vehicles on the gateway, and rounds of one fix each: enough bytes (up to about 20 KB a
/// frame) to pass what loopback buffers hold, then half the 64-frame backlog.
const VEHICLES: usize = 100;
/// Vehicles brought online at a time, well under the 64-frame backlog.
const ONLINE_BATCH: usize = 10;
/// Rounds published at most before the slow console must be thinned.
const MAX_ROUNDS: usize = 4000;
/// Rounds published once it is.
const MORE: usize = 100;
/// Where the last round puts every vehicle.
const FINAL: f64 = SITE.0 + 0.5;

fn lat_of(round: usize) -> f64 {
    SITE.0 + 0.00001 * round as f64
}

#[actix_web::test]
async fn a_console_that_falls_behind_is_thinned_not_cut_off() {
    let app = spawn_app_with(&[
        ("APP__STREAMS__MAX_BACKLOG", "64"),
        ("APP__STREAMS__TICK_MS", "10"),
        ("APP__STREAMS__IDLE_TICK_MS", "10"),
        // The slow console answers no ping while it does not read.
        ("APP__STREAMS__HEARTBEAT_S", "300"),
        ("APP__STREAMS__SOCKET_TIMEOUT_S", "600"),
    ])
    .await;
    fleet(&app, VEHICLES).await;
    let gateway = app.token("platform", Some("gps-gateway")).await;
    let d = app.token("dispatcher", None).await;

    // The gateway's vehicles come online first (a status frame each, which is never
    // thinned), a batch well under the backlog at a time so that the probe keeps up however
    // slowly this machine runs it: a console that saw a batch's last first move has had the
    // batch.
    let mut probe = connect(&app, "/ws/console", &d).await;
    let ids: Vec<usize> = (1..=VEHICLES).collect();
    for batch in ids.chunks(ONLINE_BATCH) {
        let fixes: Vec<Value> = batch
            .iter()
            .map(|i| json!({ "vehicle_id": format!("V-{i}"), "lat": lat_of(0), "lng": SITE.1 }))
            .collect();
        let (s, b) = app.post("/positions", &gateway, json!(fixes)).await;
        assert!(s.is_success() && b["accepted"] == batch.len(), "{b}");
        let last_of_batch = format!("V-{}", batch[batch.len() - 1]);
        loop {
            let f = probe.next_of("vehicle.moved").await;
            let moves = f["moves"].as_array().expect("moves");
            if moves
                .iter()
                .any(|m| m["vehicle_id"] == last_of_batch.as_str())
            {
                break;
            }
        }
    }
    let last = format!("V-{VEHICLES}");
    drop(probe);

    // The slow console: a receive buffer of about a kilobyte, and no reads for now.
    let addr = app.base.trim_start_matches("http://").to_owned();
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(1024).expect("small buffer");
    let stream = socket
        .connect(addr.parse().expect("address"))
        .await
        .expect("connect");
    let url = format!("ws://{addr}/ws/console?token={d}");
    let (mut slow, _) = tokio_tungstenite::client_async(url, stream)
        .await
        .expect("handshake");
    let mut fast = connect(&app, "/ws/console", &d).await;
    fast.next_of("snapshot").await;

    // Rounds of moves, published back to back while the fast console reads them all,
    // until the slow console is being thinned and for `MORE` rounds after; then the last
    // round puts every vehicle at `FINAL`.
    let thinned = || app.metric("hotline_stream_moves_thinned_total");
    let before = thinned().await;
    let round_of = |lat: f64| -> Value {
        let fixes: Vec<Value> = (1..=VEHICLES)
            .map(|i| json!({ "vehicle_id": format!("V-{i}"), "lat": lat, "lng": SITE.1 }))
            .collect();
        json!(fixes)
    };
    let publish = async {
        let mut thinning_since = None;
        for round in 1..=MAX_ROUNDS {
            let (s, b) = app
                .post("/positions", &gateway, round_of(lat_of(round)))
                .await;
            assert!(s.is_success() && b["accepted"] == VEHICLES, "{b}");
            if thinning_since.is_none() && round % 20 == 0 && thinned().await > before {
                thinning_since = Some(round);
            }
            if thinning_since.is_some_and(|r| round >= r + MORE) {
                break;
            }
        }
        assert!(thinning_since.is_some(), "thinned frames are counted");
        let (s, b) = app.post("/positions", &gateway, round_of(FINAL)).await;
        assert!(s.is_success(), "{b}");
    };
    let read_all = async {
        let mut moves = 0usize;
        loop {
            let f = fast.next_of("vehicle.moved").await;
            let list = f["moves"].as_array().expect("moves");
            moves += list.len();
            if list.iter().any(|m| {
                m["vehicle_id"] == last.as_str() && m["position"]["lat"].as_f64() == Some(FINAL)
            }) {
                return moves;
            }
        }
    };
    let ((), fast_moves) = futures_util::join!(publish, read_all);
    // A ticket frame meanwhile is never thinned away.
    let (s, t) = app
        .post("/tickets", &d, canary_intake("THIN-1", "counterfeit"))
        .await;
    assert!(s.is_success(), "{t}");
    let number = t["number"].as_str().expect("number").to_owned();

    // Reading again: no close frame; the ticket, and every vehicle at its last place.
    let mut latest: HashMap<String, f64> = HashMap::new();
    let (mut moves, mut ticket) = (0usize, false);
    while !(ticket && latest.len() == VEHICLES && latest.values().all(|lat| *lat == FINAL)) {
        let msg = tokio::time::timeout(crate::common::ws::WAIT, slow.next())
            .await
            .expect("the slow console gets what it was held");
        let text = match msg {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Close(c))) => panic!("the slow console was cut off: {c:?}"),
            Some(Ok(_)) => continue,
            other => panic!("the slow console's socket failed: {other:?}"),
        };
        let f: Value = serde_json::from_str(&text).expect("JSON");
        match f["type"].as_str() {
            Some("vehicle.moved") => {
                for m in f["moves"].as_array().expect("moves") {
                    moves += 1;
                    let lat = m["position"]["lat"].as_f64().expect("lat");
                    latest.insert(m["vehicle_id"].as_str().expect("id").to_owned(), lat);
                }
            }
            Some("ticket.created") => {
                ticket |= f["number"] == number.as_str();
            }
            _ => {}
        }
    }
    assert!(
        moves < fast_moves,
        "the slow console got its moves thinned ({moves}; the fast one {fast_moves})"
    );
    app.stop().await;
}

/// Load is shed in order: while intake is pressed (here one intake in flight, held for
/// two seconds), consoles' moves wait, the latest per vehicle, and status frames do not;
/// once the intake is answered the moves go out with each vehicle's latest place only.
#[actix_web::test]
async fn moves_wait_while_intake_is_pressed_and_status_frames_do_not() {
    let app = spawn_app_with(&[
        ("APP__STREAMS__DEFER_MOVES_AT_INTAKES", "1"),
        ("APP__STREAMS__DEFER_MOVES_MAX_MS", "10000"),
    ])
    .await;
    fleet(&app, 2).await;
    let gateway = app.token("platform", Some("gps-gateway")).await;
    let d = app.token("dispatcher", None).await;
    let fix = |id: &str, lat: f64| json!([{ "vehicle_id": id, "lat": lat, "lng": SITE.1 }]);
    let mut console = connect(&app, "/ws/console", &d).await;
    console.next_of("snapshot").await;
    let (s, b) = app
        .post("/positions", &gateway, fix("V-1", lat_of(1)))
        .await;
    assert!(s.is_success(), "{b}");
    let first = console.next_of("vehicle.moved").await;
    assert_eq!(
        first["moves"][0]["vehicle_id"], "V-1",
        "moves flow: {first}"
    );

    let mut slow = canary_intake("P-1", "counterfeit");
    slow["description"] = json!(hotline_dispatch::api::FAULT_SLOW_INTAKE);
    let pressed = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        for round in 2..=5 {
            let (s, b) = app
                .post("/positions", &gateway, fix("V-1", lat_of(round)))
                .await;
            assert!(s.is_success(), "{b}");
        }
        // V-2's first fix puts it online: a status frame.
        let (s, b) = app.post("/positions", &gateway, fix("V-2", SITE.0)).await;
        assert!(s.is_success(), "{b}");
        let mut seen = Vec::new();
        let until = tokio::time::Instant::now() + std::time::Duration::from_millis(1000);
        while let Ok(Some(f)) = tokio::time::timeout_at(until, console.next_any()).await {
            seen.push(f);
        }
        seen
    };
    let (taken, seen) = tokio::join!(app.post("/tickets", &d, slow), pressed);
    assert!(taken.0.is_success(), "{}", taken.1);
    assert!(
        !seen.iter().any(|f| f["type"] == "vehicle.moved"),
        "no moves while intake is pressed: {seen:?}"
    );
    assert!(
        seen.iter()
            .any(|f| f["type"] == "vehicle.status" && f["vehicle_id"] == "V-2"),
        "status frames do not wait: {seen:?}"
    );

    // The intake is answered: the moves go out, V-1 at its latest place only.
    let mut v1 = Vec::new();
    while v1.is_empty() {
        let f = console.next_of("vehicle.moved").await;
        v1 = f["moves"]
            .as_array()
            .expect("moves")
            .iter()
            .filter(|m| m["vehicle_id"] == "V-1")
            .map(|m| m["position"]["lat"].as_f64().expect("lat"))
            .collect();
    }
    assert_eq!(v1, [lat_of(5)], "the rounds in between were thinned");
}
