//! A zoomed-out console (a `viewport` frame with `zoom` below 12) gets the vehicles that
//! are off duty or known only through a GPS gateway as counts per H3 cell
//! (`vehicle.cells`), never their moves one by one, while a vehicle with its app connected
//! still moves one by one; a console without a view gets every move; zoomed in again the
//! counts are cleared and every vehicle in the view comes at its place; a shown vehicle that
//! goes off duty is taken off (`hidden`) and counted.

use serde_json::{Value, json};

use super::connect;
use crate::common::spawn_app_with;
use crate::common::ws::WsClient;
use crate::dispatch::{SITE, fleet, on_duty};

/// A box of about 9 km around the site.
const BOX: [f64; 4] = [SITE.1 - 0.05, SITE.0 - 0.04, SITE.1 + 0.05, SITE.0 + 0.04];

/// Reads `vehicle.moved` frames until one moves `vehicle` to latitude `lat`; the vehicles
/// of every move read on the way.
async fn moves_until(console: &mut WsClient, vehicle: &str, lat: f64) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let f = console.next_of("vehicle.moved").await;
        let mut done = false;
        for m in f["moves"].as_array().expect("moves") {
            let id = m["vehicle_id"].as_str().expect("id");
            done |= id == vehicle && m["position"]["lat"].as_f64() == Some(lat);
            seen.push(id.to_owned());
        }
        if done {
            return seen;
        }
    }
}

/// Off-duty and gateway counts summed over a `vehicle.cells` frame's cells.
fn totals(f: &Value) -> (u64, u64) {
    f["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .fold((0, 0), |(o, g), c| {
            (
                o + c["off_duty"].as_u64().expect("off_duty"),
                g + c["gateway"].as_u64().expect("gateway"),
            )
        })
}

/// Reads `vehicle.cells` frames until one satisfies `pred`.
async fn cells_until(console: &mut WsClient, pred: impl Fn(&Value) -> bool) -> Value {
    loop {
        let f = console.next_of("vehicle.cells").await;
        if pred(&f) {
            return f;
        }
    }
}

#[actix_web::test]
async fn a_zoomed_out_console_gets_counts_per_cell_instead_of_idle_moves() {
    let app = spawn_app_with(&[("APP__STREAMS__IDLE_TICK_MS", "300")]).await;
    let tokens = fleet(&app, 3).await;
    let gateway = app.token("platform", Some("gps-gateway")).await;
    let d = app.token("dispatcher", None).await;
    let mut zoomed_out = connect(&app, "/ws/console", &d).await;
    let mut everything = connect(&app, "/ws/console", &d).await;

    // A zoom level out of range is refused.
    zoomed_out
        .send(json!({ "type": "viewport", "bbox": BOX, "zoom": 40 }))
        .await;
    assert_eq!(zoomed_out.next_of("error").await["code"], "bad_frame");
    zoomed_out
        .send(json!({ "type": "viewport", "bbox": BOX, "zoom": 10 }))
        .await;
    // Nothing is counted yet: the first counts, due at once, are empty.
    let first = zoomed_out.next_of("vehicle.cells").await;
    assert_eq!(first["res"], 7);
    assert_eq!(totals(&first), (0, 0), "{first}");

    // V-1 has its app and is available; V-2 and V-3 are off duty, known by a gateway, in
    // the same cell.
    let mut v1 = on_duty(&app, &tokens[0], SITE.0, SITE.1).await;
    let fixes = json!([
        { "vehicle_id": "V-2", "lat": SITE.0 + 0.001, "lng": SITE.1 },
        { "vehicle_id": "V-3", "lat": SITE.0 + 0.0012, "lng": SITE.1 },
    ]);
    let (s, b) = app.post("/positions", &gateway, fixes).await;
    assert!(s.is_success(), "{b}");
    let counts = cells_until(&mut zoomed_out, |f| totals(f) == (2, 0)).await;
    let cells = counts["cells"].as_array().expect("cells");
    assert_eq!(cells.len(), 1, "both in one cell: {counts}");
    assert!(cells[0]["cell"].as_str().is_some_and(|c| c.len() == 15));
    assert!(cells[0]["center"]["lat"].is_number());

    // V-1 moves last: by its move every console has had the gateway's fixes; the zoomed-out
    // one saw none of them one by one, the other both.
    let lat = SITE.0 + 0.002;
    let mut seen = Vec::new();
    for step in 1..=3 {
        let lat = SITE.0 + 0.0005 * f64::from(step);
        v1.at(lat, SITE.1).await;
        seen.extend(moves_until(&mut zoomed_out, "V-1", lat).await);
    }
    assert!(
        seen.iter().all(|v| v == "V-1"),
        "no move of a counted vehicle: {seen:?}"
    );
    let all = moves_until(&mut everything, "V-1", SITE.0 + 0.0015).await;
    assert!(
        all.contains(&"V-2".to_owned()) && all.contains(&"V-3".to_owned()),
        "a console without a view gets every move: {all:?}"
    );
    // More gateway fixes change the counts, never the moves.
    let (s, b) = app
        .post(
            "/positions",
            &gateway,
            json!([{ "vehicle_id": "V-3", "lat": SITE.0 + 0.03, "lng": SITE.1 + 0.04 }]),
        )
        .await;
    assert!(s.is_success(), "{b}");
    let moved = cells_until(&mut zoomed_out, |f| {
        f["cells"].as_array().is_some_and(|c| c.len() == 2)
    })
    .await;
    assert_eq!(totals(&moved), (2, 0));
    v1.at(lat, SITE.1).await;
    let seen = moves_until(&mut zoomed_out, "V-1", lat).await;
    assert!(seen.iter().all(|v| v == "V-1"), "{seen:?}");

    // V-1 goes off duty: the status change still comes, and at its next move it is taken
    // off the map and counted.
    v1.send(json!({ "type": "status", "status": "off_duty" }))
        .await;
    v1.next_of("ack").await;
    loop {
        let s = zoomed_out.next_of("vehicle.status").await;
        if s["vehicle_id"] == "V-1" && s["status"] == "off_duty" {
            break;
        }
    }
    v1.at(SITE.0 + 0.0025, SITE.1).await;
    let hidden = cells_until(&mut zoomed_out, |f| totals(f) == (3, 0)).await;
    assert_eq!(hidden["hidden"], json!(["V-1"]), "{hidden}");

    // Zoomed in: the counts are cleared and every vehicle in the view comes one by one.
    zoomed_out
        .send(json!({ "type": "viewport", "bbox": BOX, "zoom": 14 }))
        .await;
    let cleared = cells_until(&mut zoomed_out, |f| totals(f) == (0, 0)).await;
    assert_eq!(cleared["cells"], json!([]));
    let ids = loop {
        let f = zoomed_out.next_of("vehicle.moved").await;
        let ids: Vec<String> = f["moves"]
            .as_array()
            .expect("moves")
            .iter()
            .map(|m| m["vehicle_id"].as_str().expect("id").to_owned())
            .collect();
        if ids.iter().any(|v| v == "V-2") {
            break ids;
        }
    };
    for v in ["V-1", "V-2", "V-3"] {
        assert!(ids.contains(&v.to_owned()), "{v} in {ids:?}");
    }
    app.stop().await;
}
