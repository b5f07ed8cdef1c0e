//! The service area at intake and dispatch: a position outside it is flagged, shown to the
//! dispatcher and never offered to a vehicle by the engine; a dispatcher may still send one
//! by name; triage that moves the site inside lifts the flag and the offer follows; with
//! `dispatch.max_offer_km = 0` the search reaches as far as the area does, never the planet.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{SITE, fleet, lead, on_duty};
use crate::common::ws::WsClient;
use crate::common::{TestApp, spawn_app, spawn_app_with};

/// A grade I lead (an unlicensed transport) at (`lat`, `lng`).
fn lead_at(ext: &str, lat: f64, lng: f64) -> Value {
    let mut body = lead(ext, "unlicensed_transport");
    body["location"] = json!({ "lat": lat, "lng": lng });
    body
}

/// A dispatcher's console stream, past its hello and snapshot.
async fn console(app: &TestApp, token: &str) -> WsClient {
    let mut ws = WsClient::connect(&app.base, "/ws/console", token).await;
    ws.next_of("snapshot").await;
    ws
}

/// The reason of the next `alert` frame of ticket `id` whose reason starts with `prefix`;
/// panics (after the wait) when none comes. Offers of that ticket seen on the way fail.
async fn alert(ws: &mut WsClient, id: &str, prefix: &str) -> String {
    loop {
        let frame = ws.next_any().await.expect("the console stays open");
        if frame["ticket_id"] != id {
            continue;
        }
        assert_ne!(frame["type"], "offer.sent", "never offered: {frame}");
        if frame["type"] == "alert" {
            let reason = frame["event"]["data"]["reason"]
                .as_str()
                .expect("reason")
                .to_owned();
            if reason.starts_with(prefix) {
                return reason;
            }
        }
    }
}

#[actix_web::test]
async fn a_grade_one_lead_outside_the_area_is_flagged_and_only_sent_by_name() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 1).await;
    let d = app.token("dispatcher", None).await;
    let mut v1 = on_duty(&app, &tokens[0], SITE.0, SITE.1).await;
    let mut ws = console(&app, &d).await;

    // (0, 0), some 12,400 km from the county and its only vehicle.
    let (s, t) = app.post("/tickets", &d, lead_at("OUT-1", 0.0, 0.0)).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["location"]["outside_area"], true, "{t}");
    assert!(t["location"]["area_code"].is_null(), "{t}");
    let id = t["id"].as_str().expect("id").to_owned();
    let created = ws.next_of("ticket.created").await;
    assert_eq!(created["ticket"]["location"]["outside_area"], true);

    // No fast track: an alert tells the dispatcher why.
    let reason = alert(&mut ws, &id, "grade I lead outside the service area").await;
    assert!(reason.contains("send a vehicle by name"), "{reason}");

    // "Offer to the nearest" is refused with a code of its own...
    let (s, b) = app
        .post(&format!("/tickets/{id}/dispatch"), &d, json!({}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["code"], "outside_service_area", "{b}");
    // ... but a vehicle named by the dispatcher is offered it (no other offer is open).
    let (s, b) = app
        .post(
            &format!("/tickets/{id}/dispatch"),
            &d,
            json!({ "vehicle_id": "V-1" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let offer = v1.next_of("offer").await;
    assert_eq!(offer["ticket"]["id"], id.as_str());

    // The flag is on the ticket as read and as listed.
    let (_, t) = app.get(&format!("/tickets/{id}"), &d).await;
    assert_eq!(t["location"]["outside_area"], true, "{t}");
    let (_, page) = app.get("/tickets", &d).await;
    let listed = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == id.as_str())
        .expect("listed")
        .clone();
    assert_eq!(listed["location"]["outside_area"], true);
    let (_, events) = app.get(&format!("/tickets/{id}/events"), &d).await;
    let kinds: Vec<&str> = events
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(kinds, ["ticket.received", "alert", "offer.sent"]);

    // A ticket inside the county carries its area's code and is not flagged.
    let (_, inside) = app
        .post("/tickets", &d, lead_at("IN-1", SITE.0, SITE.1))
        .await;
    assert_eq!(inside["location"]["outside_area"], false, "{inside}");
    assert_eq!(inside["location"]["area_code"], "421182", "{inside}");
    app.stop().await;
}

#[actix_web::test]
async fn triage_that_moves_the_site_inside_lifts_the_flag_and_the_offer_follows() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 1).await;
    let d = app.token("dispatcher", None).await;
    let mut v1 = on_duty(&app, &tokens[0], SITE.0 + 0.01, SITE.1).await;
    let mut ws = console(&app, &d).await;
    // A mistyped position: latitude and longitude swapped, in the Southern Ocean.
    let (s, t) = app
        .post("/tickets", &d, lead_at("SWAP-1", -60.0, 115.585))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["location"]["outside_area"], true);
    let id = t["id"].as_str().expect("id").to_owned();
    alert(&mut ws, &id, "grade I lead outside the service area").await;

    let (s, t) = app
        .post(
            &format!("/tickets/{id}/triage"),
            &d,
            json!({ "location": { "lat": SITE.0, "lng": SITE.1 } }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["location"]["outside_area"], false, "{t}");
    assert_eq!(t["location"]["area_code"], "421182", "{t}");
    // Grade I is offered automatically once triaged (the test settings' auto grades).
    let offer = v1.next_of("offer").await;
    assert_eq!(offer["ticket"]["id"], id.as_str());

    // And back out: a triage moving it outside again sets the flag again.
    let (_, t) = app
        .post(
            &format!("/tickets/{id}/triage"),
            &d,
            json!({ "location": { "lat": 31.5, "lng": 117.0 } }),
        )
        .await;
    assert_eq!(t["location"]["outside_area"], true, "{t}");
    assert!(t["location"]["area_code"].is_null(), "{t}");
    app.stop().await;
}

/// The built-in area plus a small one around (0, 0), in a file of its own.
fn two_areas() -> (tempfile::TempDir, String) {
    let builtin = std::fs::read_to_string("config/area.toml").expect("the area file");
    let text = format!(
        "{builtin}\n[[area]]\ncode = \"990000\"\nname = \"零点岛\"\nname_en = \"Null Island\"\n\
         outline = [[-0.1, -0.1], [0.1, -0.1], [0.1, 0.1], [-0.1, 0.1]]\n"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("area.toml");
    std::fs::write(&path, text).expect("written");
    (dir, path.display().to_string())
}

#[actix_web::test]
async fn with_no_radius_set_a_grade_one_lead_is_never_offered_to_a_vehicle_a_continent_away() {
    let (_dir, path) = two_areas();
    // The test settings leave `dispatch.max_offer_km` at 0.
    let app = spawn_app_with(&[("APP__AREA__PATH", &path)]).await;
    assert_eq!(app.engine.settings.dispatch.max_offer_km, 0.0);
    let tokens = fleet(&app, 1).await;
    let d = app.token("dispatcher", None).await;
    let mut v1 = on_duty(&app, &tokens[0], SITE.0, SITE.1).await;
    let mut ws = console(&app, &d).await;

    // The maps draw both areas, from the same file.
    let (s, grid) = app.get("/map/grid?res=5", &d).await;
    assert_eq!(s, StatusCode::OK);
    let codes: Vec<&str> = grid["features"]
        .as_array()
        .expect("features")
        .iter()
        .filter(|f| f["properties"]["kind"] == "county")
        .filter_map(|f| f["properties"]["code"].as_str())
        .collect();
    assert_eq!(codes, ["421182", "990000"]);

    // The nearest route without `max_km` looks as far as the area reaches: not 12,400 km.
    let (s, near) = app.get("/dispatch/nearest?lat=0&lng=0", &d).await;
    assert_eq!(s, StatusCode::OK, "{near}");
    assert_eq!(near, json!([]));
    let (_, far) = app
        .get("/dispatch/nearest?lat=0&lng=0&max_km=20000", &d)
        .await;
    assert_eq!(
        far[0]["vehicle_id"], "V-1",
        "an explicit radius is honoured"
    );

    // A grade I lead at (0, 0), inside the small area: no vehicle within its reach.
    let (s, t) = app.post("/tickets", &d, lead_at("NULL-1", 0.0, 0.0)).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["location"]["area_code"], "990000", "{t}");
    assert_eq!(t["location"]["outside_area"], false, "{t}");
    let id = t["id"].as_str().expect("id").to_owned();
    let reason = alert(&mut ws, &id, "no vehicle sent").await;
    assert!(reason.contains("within"), "{reason}");
    let (_, t) = app.get(&format!("/tickets/{id}"), &d).await;
    assert_eq!(t["status"], "received");
    let (_, events) = app.get(&format!("/tickets/{id}/events"), &d).await;
    assert!(
        events
            .as_array()
            .expect("events")
            .iter()
            .all(|e| e["type"] != "offer.sent"),
        "{events}"
    );

    // The same vehicle is offered a lead in its own county at once.
    let (_, t) = app
        .post("/tickets", &d, lead_at("WX-1", SITE.0 + 0.02, SITE.1))
        .await;
    let offer = v1.next_of("offer").await;
    assert_eq!(offer["ticket"]["id"], t["id"]);
    app.stop().await;
}
