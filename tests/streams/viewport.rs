//! A console's view: after a `viewport` frame its `vehicle.moved` frames hold only the
//! moves inside the box (and of the squads, departments and statuses it names) and the
//! move that takes a vehicle out, while a console without a view gets every move; a new
//! view brings its vehicles at their current places; status changes reach every console;
//! a bad box is refused and changes nothing; an empty frame shows everything again.

use serde_json::{Value, json};

use super::connect;
use crate::common::spawn_app;
use crate::common::ws::WsClient;
use crate::dispatch::{SITE, fleet, on_duty};

/// A box around the site; V-1 moves inside it, V-2 about 10 km east, outside.
const BOX: [f64; 4] = [SITE.1 - 0.02, SITE.0 - 0.02, SITE.1 + 0.02, SITE.0 + 0.02];

/// Reads `vehicle.moved` frames until one moves `vehicle` to latitude `lat`; the
/// vehicles of every move read on the way.
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

/// Waits for the answer to a ping: every frame sent before it was handled.
async fn settled(console: &mut WsClient) {
    console.send(json!({ "type": "ping" })).await;
    console.next_of("pong").await;
}

#[actix_web::test]
async fn a_console_gets_the_moves_inside_its_view_and_every_status_change() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 2).await;
    let d = app.token("dispatcher", None).await;
    let mut viewing = connect(&app, "/ws/console", &d).await;
    let mut everything = connect(&app, "/ws/console", &d).await;

    // A bad box is refused and leaves the console as it was.
    viewing
        .send(json!({ "type": "viewport", "bbox": [BOX[2], BOX[1], BOX[0], BOX[3]] }))
        .await;
    assert_eq!(viewing.next_of("error").await["code"], "bad_frame");
    viewing
        .send(json!({ "type": "viewport", "bbox": BOX }))
        .await;
    settled(&mut viewing).await;

    let mut v1 = on_duty(&app, &tokens[0], SITE.0, SITE.1).await;
    let mut v2 = on_duty(&app, &tokens[1], SITE.0, SITE.1 + 0.1).await;
    // Both move again, V-1 last: by its move, every console has had V-2's.
    v2.at(SITE.0 + 0.001, SITE.1 + 0.1).await;
    v1.at(SITE.0 + 0.001, SITE.1).await;
    let all = moves_until(&mut everything, "V-1", SITE.0 + 0.001).await;
    assert!(
        all.contains(&"V-2".to_owned()),
        "the other console sees V-2: {all:?}"
    );
    let seen = moves_until(&mut viewing, "V-1", SITE.0 + 0.001).await;
    assert!(
        seen.iter().all(|v| v == "V-1"),
        "only moves inside the view: {seen:?}"
    );
    // V-2's status change reaches the viewing console all the same.
    v2.send(json!({ "type": "status", "status": "returning" }))
        .await;
    v2.next_of("ack").await;
    loop {
        let s: Value = viewing.next_of("vehicle.status").await;
        if s["vehicle_id"] == "V-2" && s["status"] == "returning" {
            break;
        }
    }

    // V-1 drives out of the box: the move that takes it out still comes (the console
    // drops it from its map).
    v1.at(SITE.0 + 0.0015, SITE.1 + 0.05).await;
    moves_until(&mut viewing, "V-1", SITE.0 + 0.0015).await;
    // A new view around V-2 brings it at its current place, though it has not moved.
    let around_v2 = [SITE.1 + 0.08, SITE.0 - 0.02, SITE.1 + 0.12, SITE.0 + 0.02];
    viewing
        .send(json!({ "type": "viewport", "bbox": around_v2 }))
        .await;
    moves_until(&mut viewing, "V-2", SITE.0 + 0.001).await;

    // A view by department: nothing of V-1 (another department's squad) while it holds.
    viewing
        .send(json!({ "type": "viewport", "departments": ["marketing"] }))
        .await;
    settled(&mut viewing).await;
    v1.at(SITE.0 + 0.002, SITE.1).await;
    moves_until(&mut everything, "V-1", SITE.0 + 0.002).await;
    // An empty frame shows everything again, each vehicle at its current place: the first
    // frame naming V-1 is that one, with V-2 in it too.
    viewing.send(json!({ "type": "viewport" })).await;
    let ids = loop {
        let f = viewing.next_of("vehicle.moved").await;
        let ids: Vec<String> = f["moves"]
            .as_array()
            .expect("moves")
            .iter()
            .map(|m| m["vehicle_id"].as_str().expect("id").to_owned())
            .collect();
        if ids.iter().any(|v| v == "V-1") {
            break ids;
        }
    };
    assert!(
        ids.contains(&"V-2".to_owned()),
        "the whole map again, not V-1's filtered move: {ids:?}"
    );
    app.stop().await;
}

/// A view as the `view` parameter of `/ws/console`: the viewport object, URL-encoded.
fn view_param(view: Value) -> String {
    format!("view={}", crate::common::url_encode(&view.to_string()))
}

fn vehicle_ids(list: &Value) -> Vec<String> {
    let mut ids: Vec<String> = list
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v["vehicle_id"].as_str().expect("id").to_owned())
        .collect();
    ids.sort();
    ids
}

#[actix_web::test]
async fn a_console_opened_with_a_view_is_sent_only_what_it_shows_from_its_snapshot_on() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 2).await;
    let d = app.token("dispatcher", None).await;
    let mut everything = connect(&app, "/ws/console", &d).await;
    let mut v1 = on_duty(&app, &tokens[0], SITE.0, SITE.1).await;
    let mut v2 = on_duty(&app, &tokens[1], SITE.0, SITE.1 + 0.1).await;
    moves_until(&mut everything, "V-2", SITE.0).await;

    // A view that is not one is refused at the handshake, naming what is wrong.
    let bad = format!(
        "{}/ws/console?token={d}&{}",
        app.base.replacen("http", "ws", 1),
        view_param(json!({ "bbox": [BOX[2], BOX[1], BOX[0], BOX[3]] }))
    );
    match tokio_tungstenite::connect_async(bad).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            assert_eq!(res.status().as_u16(), 400);
            let body = String::from_utf8(res.into_body().unwrap_or_default()).expect("text");
            assert!(
                body.contains("malformed") && body.contains("bbox"),
                "{body}"
            );
        }
        other => panic!("a bad view is refused: {:?}", other.map(|_| ())),
    }

    // Opened with a box around the site: the snapshot lists V-1 only, and no frame
    // re-sends the view's vehicles (the snapshot was that).
    let url = format!(
        "/ws/console?{}",
        view_param(json!({ "bbox": BOX, "zoom": 14 }))
    );
    let mut viewing = connect(&app, &url, &d).await;
    let snapshot = viewing.next_of("snapshot").await;
    assert_eq!(vehicle_ids(&snapshot["vehicles"]), ["V-1"]);
    v2.at(SITE.0 + 0.001, SITE.1 + 0.1).await;
    v1.at(SITE.0 + 0.001, SITE.1).await;
    let seen = moves_until(&mut viewing, "V-1", SITE.0 + 0.001).await;
    assert_eq!(seen, ["V-1"], "only V-1's own move: no whole view, no V-2");
    // V-1 drives out: the move that takes it out still comes.
    v1.at(SITE.0 + 0.0015, SITE.1 + 0.05).await;
    moves_until(&mut viewing, "V-1", SITE.0 + 0.0015).await;
    let since = snapshot["seq"].as_u64().expect("seq");
    drop(viewing);

    // Resumed with the view around V-2: the latest positions are those of the view.
    let around_v2 = [SITE.1 + 0.08, SITE.0 - 0.02, SITE.1 + 0.12, SITE.0 + 0.02];
    let url = format!(
        "/ws/console?since={since}&{}",
        view_param(json!({ "bbox": around_v2 }))
    );
    let mut resumed = connect(&app, &url, &d).await;
    assert_eq!(resumed.next_of("hello").await["resumed"], true);
    let now = resumed.next_of("vehicle.moved").await;
    assert_eq!(vehicle_ids(&now["moves"]), ["V-2"]);
    app.stop().await;
}
