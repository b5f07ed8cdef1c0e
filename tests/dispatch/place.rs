//! A ticket that names only a town (or a street the registry's addresses hold) gets an
//! approximate position with its precision: it is on the map and its nearest vehicles can
//! be listed, but the engine never sends a vehicle to it on its own; a triage that
//! confirms the shop lifts the hold and the offer follows.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{fleet, on_duty};
use crate::common::ws::WsClient;
use crate::common::{ADMIN, TestApp, send, spawn_app};

/// 梅川镇's centre in the area file.
const MEICHUAN: (f64, f64) = (30.020, 115.585);
/// A shop of the demo registry on 梅川镇广济路.
const SHOP: &str = "421182105005";

async fn import_registry(app: &TestApp) {
    let csv = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/demo/retailers.csv"
    ))
    .expect("the demo registry");
    let req = app
        .client
        .post(app.url("/retailers/import"))
        .bearer_auth(ADMIN)
        .header("content-type", "text/csv; charset=utf-8")
        .body(csv);
    let (s, b) = send(&app.client, req).await;
    assert!(s.is_success(), "{b}");
}

/// The words, as the platform sends them: no position, no licence.
fn vague(ext: &str, description: &str, urgency: Option<&str>) -> Value {
    json!({
        "source": "12313", "external_id": ext, "kind": "report",
        "category": "counterfeit", "urgency": urgency,
        "description": description,
        "reporter": { "name": "CANARY-NAME-王五", "phone": "13866660000" },
    })
}

#[actix_web::test]
async fn a_ticket_naming_its_town_is_placed_there_and_its_nearest_vehicles_are_listed() {
    let app = spawn_app().await;
    import_registry(&app).await;
    let tokens = fleet(&app, 1).await;
    let d = app.token("dispatcher", None).await;
    let _v1 = on_duty(&app, &tokens[0], MEICHUAN.0 + 0.01, MEICHUAN.1).await;
    let mut ws = WsClient::connect(&app.base, "/ws/console", &d).await;
    ws.next_of("snapshot").await;

    let (s, t) = app
        .post(
            "/tickets",
            &d,
            vague("TOWN-1", "梅川镇菜市场旁边那家烟酒店卖假烟", None),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let loc = &t["location"];
    assert_eq!(loc["precision"], "town", "{t}");
    assert_eq!(loc["approximate_place"], "梅川镇", "{t}");
    assert_eq!(
        loc["position"],
        json!({ "lat": MEICHUAN.0, "lng": MEICHUAN.1 })
    );
    assert_eq!(loc["area_code"], "421182", "{t}");
    // No shop is taken for it: the dispatcher confirms one.
    assert!(loc["retailer_licence"].is_null(), "{t}");
    let created = ws.next_of("ticket.created").await;
    assert_eq!(created["ticket"]["location"]["precision"], "town");

    // The console lists the nearest vehicles around it.
    let (s, near) = app
        .get(
            &format!(
                "/dispatch/nearest?lat={}&lng={}",
                loc["position"]["lat"], loc["position"]["lng"]
            ),
            &d,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{near}");
    assert_eq!(near[0]["vehicle_id"], "V-1", "{near}");

    // A street the registry's addresses hold places it finer: among that street's shops.
    let (_, t) = app
        .post(
            "/tickets",
            &d,
            vague("STREET-1", "梅川镇广济路上那家烟酒店卖假烟", None),
        )
        .await;
    assert_eq!(t["location"]["precision"], "street", "{t}");
    assert_eq!(t["location"]["approximate_place"], "梅川镇广济路", "{t}");
    let p = &t["location"]["position"];
    let (lat, lng) = (
        p["lat"].as_f64().expect("lat"),
        p["lng"].as_f64().expect("lng"),
    );
    assert!(
        (lat - 30.03).abs() < 0.03 && (lng - 115.59).abs() < 0.03,
        "{p}"
    );

    // Coordinates sent by the platform are `given`; a registry licence places it at the shop.
    let mut given = vague("GIVEN-1", "梅川镇有人卖假烟", None);
    given["location"] = json!({ "lat": 30.03, "lng": 115.6 });
    let (_, t) = app.post("/tickets", &d, given).await;
    assert_eq!(t["location"]["precision"], "given", "{t}");
    let mut shop = vague("SHOP-1", "有人卖假烟", None);
    shop["retailer_licence"] = json!(SHOP);
    let (_, t) = app.post("/tickets", &d, shop).await;
    assert_eq!(t["location"]["precision"], "shop", "{t}");
    app.stop().await;
}

#[actix_web::test]
async fn a_grade_one_lead_placed_only_by_its_town_waits_for_the_shop_to_be_confirmed() {
    let app = spawn_app().await;
    import_registry(&app).await;
    let tokens = fleet(&app, 1).await;
    let d = app.token("dispatcher", None).await;
    let mut v1 = on_duty(&app, &tokens[0], MEICHUAN.0 + 0.01, MEICHUAN.1).await;
    let mut ws = WsClient::connect(&app.base, "/ws/console", &d).await;
    ws.next_of("snapshot").await;

    let (s, t) = app
        .post(
            "/tickets",
            &d,
            vague("TOWN-I", "梅川镇菜市场旁边那家烟酒店卖假烟", Some("I")),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["location"]["precision"], "town", "{t}");
    let id = t["id"].as_str().expect("id").to_owned();

    // No fast track: an alert asks for the place, and no offer is made.
    let reason = loop {
        let frame = ws.next_any().await.expect("the console stays open");
        if frame["ticket_id"] != id.as_str() {
            continue;
        }
        assert_ne!(frame["type"], "offer.sent", "never offered: {frame}");
        if frame["type"] == "alert" {
            break frame["event"]["data"]["reason"]
                .as_str()
                .expect("reason")
                .to_owned();
        }
    };
    assert!(
        reason.starts_with("grade I lead placed only approximately (梅川镇 (town))"),
        "{reason}"
    );
    let (_, events) = app.get(&format!("/tickets/{id}/events"), &d).await;
    let kinds: Vec<&str> = events
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(kinds, ["ticket.received", "alert"]);
    let (_, t) = app.get(&format!("/tickets/{id}"), &d).await;
    assert_eq!(t["status"], "received", "{t}");

    // The dispatcher confirms the shop: the position is the shop's, the offer follows.
    let (s, t) = app
        .post(
            &format!("/tickets/{id}/triage"),
            &d,
            json!({ "retailer_licence": SHOP }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["location"]["precision"], "shop", "{t}");
    assert!(t["location"]["approximate_place"].is_null(), "{t}");
    let offer = v1.next_of("offer").await;
    assert_eq!(offer["ticket"]["id"], id.as_str());
    assert!(offer["location"]["precision"].is_null(), "{offer}");
    app.stop().await;
}
