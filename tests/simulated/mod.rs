//! Simulated data (a load test's squads, vehicles and tickets) stays off the public board
//! and out of the stats, beside a real squad doing the same work.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{ADMIN, TestApp, all_evidence, ok, spawn_app_with};

fn lead(source: &str, ext: &str, category: &str, lat: f64) -> Value {
    json!({
        "source": source, "external_id": ext, "kind": "report", "category": category,
        "description": "烟酒店疑似销售走私卷烟", "address_text": "梅川镇正街",
        "location": { "lat": lat, "lng": 115.585 },
    })
}

/// Registers squad `team` with vehicle `vehicle`, marked `simulated` or not.
async fn squad(app: &TestApp, team: &str, vehicle: &str, simulated: bool) {
    let t = json!({ "id": team, "name": format!("{team}队"), "department": "enforcement",
                    "simulated": simulated });
    let (s, b) = app.post("/teams", ADMIN, t).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["simulated"], simulated, "{b}");
    let v = json!({ "id": vehicle, "plate": format!("鄂J·{vehicle}"), "team_id": team,
                    "department": "enforcement", "crew": [], "simulated": simulated });
    let (s, b) = app.post("/vehicles", ADMIN, v).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (_, read) = app.get(&format!("/vehicles/{vehicle}"), ADMIN).await;
    assert_eq!(read["simulated"], simulated, "{read}");
}

/// Walks a new ticket from intake to archive with `vehicle`; returns its id.
async fn close_one(app: &TestApp, dispatcher: &str, supervisor: &str, vehicle: &str, ext: &str) {
    let field = app.token("field", Some(vehicle)).await;
    let (s, t) = app
        .post(
            "/tickets",
            dispatcher,
            lead("12313", ext, "smuggled", 30.02),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_str().expect("id").to_owned();
    let p = |step: &str| format!("/tickets/{id}/{step}");
    ok(app, &p("triage"), dispatcher, json!({})).await;
    let body = json!({ "vehicle_id": vehicle, "assign": true });
    ok(app, &p("dispatch"), dispatcher, body).await;
    ok(app, &p("arrive"), &field, json!(null)).await;
    let record = json!({ "findings": "查获走私烟", "actions": "登记保存", "evidence": [] });
    ok(app, &p("onsite-record"), &field, record).await;
    let report = json!({ "sections": {
        "facts": "举报属实", "onsite_findings": "查获走私烟 10 条", "handling": "先行登记保存",
        "legal_basis": "《烟草专卖法》", "conclusion": "立案查处" }, "evidence": all_evidence() });
    ok(app, &p("report"), &field, report).await;
    ok(app, &p("review"), dispatcher, json!({ "decision": "pass" })).await;
    let approve = json!({ "decision": "approve" });
    ok(app, &p("approval"), supervisor, approve).await;
    ok(
        app,
        &p("reply"),
        dispatcher,
        json!({ "text": "经查属实，已依法处理" }),
    )
    .await;
    let visit = json!({ "satisfaction": "satisfied" });
    ok(app, &p("return-visit"), dispatcher, visit).await;
    let done = ok(app, &p("archive"), dispatcher, json!(null)).await;
    assert_eq!(done["status"], "archived", "{done}");
}

#[actix_web::test]
async fn simulated_squads_and_their_tickets_stay_off_the_board_and_out_of_the_stats() {
    let app = spawn_app_with(&[("APP__BOARD__LEADERBOARD_EVERY_S", "1")]).await;
    let dispatcher = app.token("dispatcher", None).await;
    let supervisor = app.token("supervisor", None).await;
    let board = app.token("board", None).await;
    squad(&app, "T-REAL", "V-REAL", false).await;
    squad(&app, "T-SIM", "V-SIM", true).await;
    close_one(&app, &dispatcher, &supervisor, "V-REAL", "R-1").await;
    close_one(&app, &dispatcher, &supervisor, "V-SIM", "S-1").await;
    // Open ones the board may show: a real lead, and one the load tester submitted.
    let (s, real) = app
        .post(
            "/tickets",
            &dispatcher,
            lead("12313", "R-2", "sale_to_minors", 30.05),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{real}");
    let (s, sim) = app
        .post(
            "/tickets",
            &dispatcher,
            lead("loadtest", "S-2", "sale_to_minors", 29.90),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sim}");
    assert_eq!(sim["source"], "loadtest", "{sim}");

    // The board: only the real squad on the leaderboard, only the real open lead shown.
    let mut snapshot = Value::Null;
    for _ in 0..100 {
        let (s, b) = app.get("/board", &board).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        snapshot = b;
        let shown = snapshot["tickets"].as_array().map_or(0, Vec::len);
        if !snapshot["leaderboard"].as_array().is_none_or(Vec::is_empty) && shown > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let teams: Vec<&str> = snapshot["leaderboard"]
        .as_array()
        .expect("leaderboard")
        .iter()
        .filter_map(|s| s["team_id"].as_str())
        .collect();
    assert_eq!(teams, ["T-REAL"], "{snapshot}");
    assert_eq!(snapshot["leaderboard"][0]["closed"], 1, "{snapshot}");
    let rows: Vec<&str> = snapshot["tickets"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["progress"] != "done")
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(rows, [real["id"].as_str().expect("id")], "{snapshot}");
    // Archived tickets stay a while as done: the real squad's, never the simulated one's.
    let done: Vec<&str> = snapshot["tickets"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["progress"] == "done")
        .filter_map(|r| r["team_id"].as_str())
        .collect();
    assert_eq!(done, ["T-REAL"], "{snapshot}");

    // The stats: the real squad's ticket and the real open lead, nothing simulated.
    let (s, by_team) = app.get("/stats/teams", &dispatcher).await;
    assert_eq!(s, StatusCode::OK, "{by_team}");
    let keys: Vec<&str> = by_team
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["key"].as_str())
        .collect();
    assert!(keys.contains(&"T-REAL"), "{by_team}");
    assert!(!keys.contains(&"T-SIM"), "{by_team}");
    let (s, rates) = app.get("/stats/rates", &dispatcher).await;
    assert_eq!(s, StatusCode::OK, "{rates}");
    assert_eq!(rates["tickets"], 2, "{rates}");

    // Simulated tickets are handled like any other: listed for the dispatcher.
    let (_, list) = app.get("/tickets?limit=10", &dispatcher).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(4), "{list}");
    app.stop().await;
}
