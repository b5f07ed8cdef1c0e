//! A vehicle socket cannot exhaust the engine: a device sending fixes open-loop and never
//! reading is held back by TCP (the engine reads no faster than it handles) and, past the
//! stated rate and backlog, cut off with 1008 and its fixes counted as refused. An honest
//! device replaying a backlog is never cut off.

use std::time::{Duration, Instant};

use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use super::{counter, issue, register_fleet, rss_kib};
use crate::common::ws::WsClient;
use crate::common::{ChildEngine, spawn_app, temp_store};

/// How long a flood runs at most (a bound: it stops earlier when the engine cuts it off).
const FLOOD: Duration = Duration::from_secs(4);

/// Memory the engine may gain under one flooding socket. Unbounded input grew it by about
/// 300 MB a second.
const MAX_GROWTH_KIB: u64 = 64 * 1024;

struct Flood {
    sent: u64,
    /// Whether the engine ended the connection before the bound.
    cut_off: bool,
    peak_growth_kib: u64,
}

/// Sends single-fix frames as fast as the socket takes them, never reading, for at most
/// [`FLOOD`]; samples the engine's memory meanwhile.
async fn flood(engine: &ChildEngine, token: &str) -> Flood {
    let url = format!(
        "{}/ws/vehicle?token={token}",
        engine.base.replacen("http", "ws", 1)
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("socket opens");
    let before = rss_kib(engine.pid());
    let frame = json!({ "type": "position", "lat": 30.0, "lng": 115.5 }).to_string();
    let started = Instant::now();
    let (mut sent, mut peak, mut cut_off) = (0u64, before, false);
    let mut sampled = Instant::now();
    while started.elapsed() < FLOOD {
        match tokio::time::timeout(
            Duration::from_millis(500),
            ws.send(Message::text(frame.clone())),
        )
        .await
        {
            Ok(Ok(())) => sent += 1,
            Ok(Err(_)) => {
                cut_off = true;
                eprintln!("cut off after {:?}", started.elapsed());
                break;
            }
            // TCP pushes back: the engine is not reading faster than it handles.
            Err(_) => {}
        }
        if sampled.elapsed() > Duration::from_millis(100) {
            peak = peak.max(rss_kib(engine.pid()));
            sampled = Instant::now();
        }
    }
    peak = peak.max(rss_kib(engine.pid()));
    Flood {
        sent,
        cut_off,
        peak_growth_kib: peak.saturating_sub(before),
    }
}

#[actix_web::test]
async fn a_device_flooding_its_socket_is_cut_off_and_its_fixes_refused() {
    let (_dir, store) = temp_store();
    let engine = ChildEngine::start(&store);
    let client = reqwest::Client::new();
    register_fleet(&client, &engine).await;
    let (_, token) = issue(&client, &engine, "field", Some("V-1")).await;

    let f = flood(&engine, &token).await;
    eprintln!(
        "flood (defaults): {} frames sent, cut off: {}, peak RSS growth {} KiB",
        f.sent, f.cut_off, f.peak_growth_kib
    );
    assert!(
        f.peak_growth_kib < MAX_GROWTH_KIB,
        "grew {} KiB",
        f.peak_growth_kib
    );
    let metrics = client
        .get(format!("{}/metrics", engine.base))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let refused = counter(
        &metrics,
        "hotline_fixes_rejected_total",
        "reason=\"flooding\"",
    );
    assert!(refused >= 1.0, "no fix counted as refused for flooding");
    assert!(
        engine.log().contains("vehicle socket flooding: cut off"),
        "the cut-off is logged"
    );
    // The device may reconnect: the cut-off is of that socket, not of the vehicle.
    let mut v = WsClient::connect(&engine.base, "/ws/vehicle", &token).await;
    v.next_of("hello").await;
    v.sync().await;
}

#[actix_web::test]
async fn a_device_that_never_reads_is_held_back_by_tcp_not_buffered() {
    let (_dir, store) = temp_store();
    // A budget no flood reaches: only the reading discipline bounds memory here.
    let engine = ChildEngine::start_with(
        &store,
        &[
            ("APP__FLEET__MAX_FIXES_PER_S", "1000000000"),
            ("APP__FLEET__MAX_FIX_BURST", "1000000000"),
        ],
    );
    let client = reqwest::Client::new();
    register_fleet(&client, &engine).await;
    let (_, token) = issue(&client, &engine, "field", Some("V-1")).await;

    let f = flood(&engine, &token).await;
    eprintln!(
        "flood (no budget): {} frames sent, cut off: {}, peak RSS growth {} KiB",
        f.sent, f.cut_off, f.peak_growth_kib
    );
    assert!(!f.cut_off, "nothing but TCP should hold this flood back");
    assert!(
        f.peak_growth_kib < MAX_GROWTH_KIB,
        "grew {} KiB",
        f.peak_growth_kib
    );
    let health = client
        .get(format!("{}/healthz", engine.base))
        .send()
        .await
        .expect("healthz");
    assert!(health.status().is_success());
}

#[actix_web::test]
async fn an_honest_device_replaying_a_backlog_is_not_cut_off() {
    let app = spawn_app().await;
    app.fleet().await;
    let token = app.token("field", Some("V-1")).await;
    let mut v = WsClient::connect(&app.base, "/ws/vehicle", &token).await;
    v.next_of("hello").await;
    // Two and a half hours at 1 Hz after a network gap, replayed in full batches: 9,000
    // fixes, within the stated backlog of 10,000.
    use hotline_dispatch::domain::clock::Clock;
    let start = app.clock.now().inner() - time::Duration::hours(3);
    for batch in 0..9i64 {
        let fixes: Vec<_> = (0..1000i64)
            .map(|i| {
                let at = start + time::Duration::seconds(batch * 1000 + i);
                json!({ "lat": 30.0 + (i as f64) * 1e-5, "lng": 115.5, "ts": at.format(&time::format_description::well_known::Rfc3339).expect("time") })
            })
            .collect();
        v.send(json!({ "type": "position", "fixes": fixes })).await;
    }
    // Then live, once a second (the clock is the engine's; the device's pace is its own).
    for _ in 0..5 {
        v.at(30.1, 115.6).await;
    }
    let d = app.token("dispatcher", None).await;
    let (_, live) = app.get("/vehicles/V-1/live", &d).await;
    assert_eq!(live["position"]["lat"], 30.1, "{live}");
    assert!(!v.pending_has("error"), "no fix of the replay was refused");
    app.stop().await;
}
