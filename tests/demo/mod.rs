//! `serve --demo`, the real binary as a child process: the synthetic registry (at least
//! 2,000 retailers across all 12 towns) is loaded and served, the printed tokens work, and
//! the printed console URL serves the console and its assets.

use std::collections::{BTreeSet, HashSet};

use hotline_dispatch::domain::retailer::Town;
use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{ChildEngine, send, temp_store};

/// The county's box (west, south, east, north) split at 115.6° E into two halves, each
/// holding fewer retailers than one map answer lists, so nothing is cut off.
const HALVES: [&str; 2] = ["115.30,29.75,115.60,30.30", "115.60,29.75,115.90,30.30"];

/// The token printed for `role` in the demo banner (`  dispatcher   <token>`).
fn printed_token(engine: &ChildEngine, role: &str) -> String {
    let line = engine
        .printed_line(&format!("  {role} "))
        .unwrap_or_else(|| {
            panic!(
                "no {role} token printed: {}",
                engine.stdout.lock().expect("out")
            )
        });
    line.split_whitespace().last().expect("token").to_owned()
}

#[actix_web::test]
async fn serve_demo_loads_the_synthetic_registry_and_prints_a_working_console_url() {
    let (_dir, store) = temp_store();
    let engine = ChildEngine::start_args(&store, &["serve", "--demo"], &[]);
    let client = reqwest::Client::new();
    let out = engine.stdout.lock().expect("out").clone();
    assert!(out.contains("synthetic Wuxue demo data"), "{out}");
    let dispatcher = printed_token(&engine, "dispatcher");
    let field = engine
        .printed_line("  field      ")
        .expect("the field page is printed");
    assert!(field.contains("/field"), "{field}");
    // The crews' tokens: a second phone on V-01, and a staff member in no vehicle.
    for (label, vehicle) in [
        ("field (crew S-002, V-01)", Some("V-01")),
        ("field (staff S-006)", None),
    ] {
        let token = printed_token(&engine, label);
        let (s, me) = send(&client, client.get(engine.url("/me")).bearer_auth(&token)).await;
        assert_eq!(s, StatusCode::OK, "{me}");
        assert_eq!(me["vehicle"]["id"].as_str(), vehicle, "{label}: {me}");
    }

    let mut licences = HashSet::new();
    let mut towns = BTreeSet::new();
    for bbox in HALVES {
        let req = client
            .get(engine.url(&format!("/map/retailers?bbox={bbox}&limit=2000")))
            .bearer_auth(&dispatcher);
        let (s, page) = send(&client, req).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert_eq!(page["truncated"], false, "{bbox}: {}", page["total"]);
        for r in page["items"].as_array().expect("items") {
            licences.insert(r["licence"].as_str().expect("licence").to_owned());
            towns.insert(r["town"].as_str().expect("town").to_owned());
        }
    }
    assert!(licences.len() >= 2000, "{} retailers", licences.len());
    let all: BTreeSet<String> = Town::ALL.iter().map(|t| t.name().to_owned()).collect();
    assert_eq!(towns, all);

    // A shop is found by name, with its synthetic registry fields.
    let req = client
        .get(engine.url("/retailers/search?q=%E6%A2%85%E5%B7%9D&limit=3"))
        .bearer_auth(&dispatcher);
    let (s, found) = send(&client, req).await;
    assert_eq!(s, StatusCode::OK, "{found}");
    assert!(
        found["hits"].as_array().is_some_and(|h| !h.is_empty()),
        "{found}"
    );

    // The console URL as printed serves the page, and the page's own assets load.
    let line = engine
        .printed_line("  console")
        .expect("console URL printed");
    let url = line.split_whitespace().last().expect("url").to_owned();
    assert!(url.starts_with(&engine.base), "{line}");
    let res = client.get(&url).send().await.expect("console");
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("html");
    assert!(html.contains("/assets/js/console.js"), "{html}");
    for asset in ["/assets/js/console.js", "/assets/css/console.css"] {
        let res = client
            .get(format!("{}{asset}", engine.base))
            .send()
            .await
            .expect("asset");
        assert_eq!(res.status(), StatusCode::OK, "{asset}");
    }
    // And the API behind it answers the printed token.
    let req = client
        .get(engine.url("/tickets?limit=1"))
        .bearer_auth(&dispatcher);
    let (s, page): (StatusCode, Value) = send(&client, req).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(
        page["items"].as_array().is_some_and(|i| !i.is_empty()),
        "demo tickets are there: {page}"
    );
    // The demo registry's inspectors and account managers are all on the demo roster.
    assert!(
        !engine.log().contains("demo registry names staff"),
        "{}",
        engine.log()
    );
    let status = engine.terminate();
    assert!(status.success(), "{status:?}");
}

/// GETs `path` with `token`, expecting 200.
async fn get_ok(client: &reqwest::Client, engine: &ChildEngine, path: &str, token: &str) -> Value {
    let (s, body) = send(client, client.get(engine.url(path)).bearer_auth(token)).await;
    assert_eq!(s, StatusCode::OK, "GET {path}: {body}");
    body
}

#[actix_web::test]
async fn demo_vehicles_hold_what_their_tickets_say_and_one_en_route_is_offered_nothing() {
    use crate::common::ws::WsClient;
    use serde_json::json;
    use std::collections::HashMap;

    let (_dir, store) = temp_store();
    let engine = ChildEngine::start_args(&store, &["serve", "--demo"], &[]);
    let client = reqwest::Client::new();
    let dispatcher = printed_token(&engine, "dispatcher");
    let admin = printed_token(&engine, "admin");
    let platform = printed_token(&engine, "platform");
    let field_v01 = printed_token(&engine, "field (vehicle V-01)");

    // Tickets with a vehicle on the way or on site, by vehicle.
    let page = get_ok(&client, &engine, "/tickets?limit=100", &dispatcher).await;
    let tickets = page["items"].as_array().expect("items").clone();
    let mut claimed: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for t in &tickets {
        let status = t["status"].as_str().expect("status");
        if matches!(status, "en_route" | "on_site") {
            let v = t["assignment"]["vehicle_id"]
                .as_str()
                .unwrap_or_else(|| panic!("{status} without a vehicle: {t}"));
            claimed
                .entry(v.to_owned())
                .or_default()
                .push((t["id"].as_str().expect("id").to_owned(), status.to_owned()));
        }
    }
    let statuses: Vec<&str> = tickets
        .iter()
        .filter_map(|t| t["status"].as_str())
        .collect();
    for stage in [
        "received",
        "triaged",
        "en_route",
        "on_site",
        "in_review",
        "awaiting_visit",
        "archived",
    ] {
        assert!(
            statuses.contains(&stage),
            "no demo ticket {stage}: {statuses:?}"
        );
    }

    // Every vehicle: its live state agrees with the tickets that name it.
    let vehicles = get_ok(&client, &engine, "/vehicles", &dispatcher).await;
    let ids: Vec<String> = vehicles
        .as_array()
        .expect("vehicles")
        .iter()
        .map(|v| v["id"].as_str().expect("id").to_owned())
        .collect();
    assert!(ids.len() >= 4, "{vehicles}");
    let mut lives = HashMap::new();
    for v in &ids {
        let live = get_ok(
            &client,
            &engine,
            &format!("/vehicles/{v}/live"),
            &dispatcher,
        )
        .await;
        assert!(
            live["position"]["lat"].is_f64(),
            "{v} has no position: {live}"
        );
        let status = live["status"].as_str().expect("status").to_owned();
        let mine = claimed.get(v).cloned().unwrap_or_default();
        match status.as_str() {
            "en_route" | "on_site" => {
                assert_eq!(
                    mine.len(),
                    1,
                    "{v} is {status}; tickets naming it: {mine:?}"
                );
                assert_eq!(live["ticket_id"], mine[0].0.as_str(), "{v}: {live}");
                assert_eq!(mine[0].1, status, "{v}: {live}");
            }
            "available" | "off_duty" | "returning" => {
                assert!(
                    mine.is_empty(),
                    "{v} is {status} yet tickets name it: {mine:?}"
                );
                assert!(live["ticket_id"].is_null(), "{v}: {live}");
            }
            other => panic!("{v} is {other}: {live}"),
        }
        if status == "on_site" {
            let d = live["distance_to_site_m"].as_f64().expect("distance");
            assert!(d <= 100.0, "{v} on site {d} m away: {live}");
        }
        lives.insert(v.clone(), live);
    }
    // No ticket claims a vehicle that does not claim it.
    for (v, mine) in &claimed {
        assert!(
            lives.contains_key(v),
            "tickets name unknown vehicle {v}: {mine:?}"
        );
    }
    assert!(
        lives.values().any(|l| l["status"] == "en_route")
            && lives.values().any(|l| l["status"] == "on_site"),
        "the demo has a vehicle en route and one on site: {lives:?}"
    );

    // V-01 (the printed field token) is on its way to the grade I lead: its crew cannot say
    // it is available, and a new lead right beside it goes to another vehicle.
    let v01 = lives["V-01"].clone();
    assert_eq!(v01["status"], "en_route", "{v01}");
    let mut car = WsClient::connect(&engine.base, "/ws/vehicle", &field_v01).await;
    car.send(json!({ "type": "status", "status": "available" }))
        .await;
    let refused = car.next_of("error").await;
    assert_eq!(refused["code"], "status_refused", "{refused}");

    // Another enforcement vehicle, far away (大法寺镇), free.
    let (s, body) = send(
        &client,
        client
            .post(engine.url("/vehicles"))
            .bearer_auth(&admin)
            .json(
                &json!({ "id": "V-09", "plate": "鄂J·Z0009", "team_id": "T-ENF-2",
                           "department": "enforcement", "crew": [] }),
            ),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, issued) = send(
        &client,
        client
            .post(engine.url("/tokens"))
            .bearer_auth(&admin)
            .json(&json!({ "role": "field", "subject": "V-09" })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{issued}");
    let mut far = WsClient::connect(
        &engine.base,
        "/ws/vehicle",
        issued["token"].as_str().expect("token"),
    )
    .await;
    far.at(30.125, 115.520).await;
    far.send(json!({ "type": "status", "status": "available" }))
        .await;
    far.sync().await;

    let here = &v01["position"];
    let (s, lead) = send(
        &client,
        client
            .post(engine.url("/tickets"))
            .bearer_auth(&platform)
            .json(&json!({
                "source": "12313", "external_id": "DEMO-TEST-1", "kind": "report",
                "category": "unlicensed_transport", "urgency": "I",
                "description": "（测试）路边一辆货车正在卸运大量卷烟",
                "location": { "lat": here["lat"], "lng": here["lng"] },
            })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{lead}");
    let offer = far.next_of("offer").await;
    assert_eq!(offer["ticket"]["id"], lead["id"], "{offer}");
    let after = get_ok(&client, &engine, "/vehicles/V-01/live", &dispatcher).await;
    assert_eq!(after["status"], "en_route", "{after}");
    assert_eq!(after["ticket_id"], v01["ticket_id"], "{after}");
    assert!(after["offer_id"].is_null(), "{after}");
    assert!(!car.pending_has("offer"), "V-01 was offered the new lead");

    let status = engine.terminate();
    assert!(status.success(), "{status:?}");
}
