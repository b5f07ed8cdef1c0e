//! Dispatch prefers the retailer's own market inspector's squad: that squad's nearest
//! eligible vehicle is offered the ticket when it is within the ETA margin of the nearest
//! (300 s at 40 km/h, about 3.3 km), however many other vehicles are closer; outside the
//! margin the nearest is offered.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::ws::WsClient;
use crate::common::{ADMIN, TestApp, send, spawn_app};
use crate::dispatch::on_duty;

/// The shop, at 梅川镇; its market inspector is S-OWN of squad T-OWN.
const SHOP: (f64, f64) = (30.02, 115.585);
const CSV: &str = "licence,name,owner,address,town,lat,lng,market_inspector,account_manager
421182100001,梅川镇老李烟酒店,李某甲,梅川镇正街18号,梅川镇,30.0200,115.5850,S-OWN,
";

/// Metres per degree of latitude, near enough for placing test vehicles.
const M_PER_DEG: f64 = 111_195.0;

/// Registers `team` (once), the inspector `staff` in it and the enforcement vehicle
/// `vehicle` crewed by them, and puts the vehicle on duty `km` north of the shop.
async fn vehicle_at(app: &TestApp, team: &str, staff: &str, vehicle: &str, km: f64) -> WsClient {
    app.post(
        "/teams",
        ADMIN,
        json!({ "id": team, "name": team, "department": "enforcement" }),
    )
    .await;
    let (s, b) = app.post("/staff", ADMIN, json!({ "id": staff, "name": "市管员", "role": "inspector", "department": "enforcement", "team_id": team, "badge": staff })).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = app.post("/vehicles", ADMIN, json!({ "id": vehicle, "plate": vehicle, "team_id": team, "department": "enforcement", "crew": [staff] })).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let token = app.token("field", Some(vehicle)).await;
    on_duty(app, &token, SHOP.0 + km * 1000.0 / M_PER_DEG, SHOP.1).await
}

async fn import_registry(app: &TestApp) {
    let import = app
        .client
        .post(app.url("/retailers/import"))
        .bearer_auth(ADMIN)
        .header("content-type", "text/csv")
        .body(CSV);
    let (s, b) = send(&app.client, import).await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

/// Files a report naming the shop's licence, confirms it and asks for the nearest
/// eligible vehicle; returns the vehicle the offer went to.
async fn offered_vehicle(app: &TestApp) -> String {
    let d = app.token("dispatcher", None).await;
    let body = json!({ "source": "12313", "external_id": "OWN-1", "kind": "report",
        "category": "counterfeit", "retailer_licence": "421182100001",
        "description": "老李烟酒店卖假烟，包装粗糙" });
    let (s, t) = app.post("/tickets", &d, body).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["location"]["position"]["lat"], SHOP.0, "{t}");
    let id = t["id"].as_str().expect("id").to_owned();
    let (s, b) = app
        .post(&format!("/tickets/{id}/triage"), &d, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = app
        .post(&format!("/tickets/{id}/dispatch"), &d, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, events) = app.get(&format!("/tickets/{id}/events"), &d).await;
    let sent: Vec<&Value> = events
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["type"] == "offer.sent")
        .collect();
    assert_eq!(sent.len(), 1, "{events}");
    sent[0]["data"]["vehicle_id"]
        .as_str()
        .expect("vehicle")
        .to_owned()
}

/// The vehicles nearest the shop, nearest first (up to 20).
async fn ranking(app: &TestApp) -> Vec<String> {
    let d = app.token("dispatcher", None).await;
    let (s, list) = app
        .get(
            &format!("/dispatch/nearest?lat={}&lng={}&limit=20", SHOP.0, SHOP.1),
            &d,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    list.as_array()
        .expect("list")
        .iter()
        .filter_map(|v| v["vehicle_id"].as_str().map(str::to_owned))
        .collect()
}

#[actix_web::test]
async fn the_inspectors_squad_wins_within_the_margin_even_behind_nine_closer_vehicles() {
    let app = spawn_app().await;
    import_registry(&app).await;
    // Nine vehicles of another squad 1.0 to 1.8 km away, the inspector's squad's at 2.5 km:
    // 1.5 km (135 s) farther than the nearest, within the 300 s margin.
    let mut sockets = Vec::new();
    for i in 0..9 {
        let km = 1.0 + 0.1 * i as f64;
        let (staff, vehicle) = (format!("S-N{i}"), format!("V-N{i}"));
        sockets.push(vehicle_at(&app, "T-NEAR", &staff, &vehicle, km).await);
    }
    sockets.push(vehicle_at(&app, "T-OWN", "S-OWN", "V-OWN", 2.5).await);
    let ranked = ranking(&app).await;
    assert_eq!(ranked.len(), 10, "{ranked:?}");
    assert_eq!(ranked[0], "V-N0");
    assert_eq!(ranked[9], "V-OWN", "ranked tenth, beyond the eight nearest");

    assert_eq!(offered_vehicle(&app).await, "V-OWN");
    app.stop().await;
}

#[actix_web::test]
async fn outside_the_margin_the_nearest_vehicle_wins() {
    let app = spawn_app().await;
    import_registry(&app).await;
    // The inspector's squad's vehicle is 4.0 km (360 s) farther than the nearest.
    let _near = vehicle_at(&app, "T-NEAR", "S-N0", "V-N0", 1.0).await;
    let _own = vehicle_at(&app, "T-OWN", "S-OWN", "V-OWN", 5.0).await;
    assert_eq!(ranking(&app).await, ["V-N0", "V-OWN"]);

    assert_eq!(offered_vehicle(&app).await, "V-N0");
    app.stop().await;
}
