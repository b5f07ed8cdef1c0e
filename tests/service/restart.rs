//! Out of service is durable: a restart keeps the record, the vehicle's status and the
//! refusals, and putting it back works after the restart.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::ADMIN;
use crate::common::restart::ThreadApp;
use hotline_dispatch::domain::{ManualClock, Timestamp};

#[actix_web::test]
async fn out_of_service_survives_a_restart_and_back_in_service_works_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let clock = ManualClock::new(Timestamp::parse("2026-11-27T08:00:00Z").unwrap());
    let app = ThreadApp::start(&store, &clock);
    let team = json!({ "id": "T-1", "name": "一中队", "department": "enforcement" });
    assert_eq!(app.post("/teams", ADMIN, team).await.0, StatusCode::CREATED);
    let staff = json!({ "id": "S-1", "name": "市管员", "role": "inspector",
                        "department": "enforcement", "team_id": "T-1", "badge": "ZM-1" });
    assert_eq!(
        app.post("/staff", ADMIN, staff).await.0,
        StatusCode::CREATED
    );
    let vehicle = json!({ "id": "V-1", "plate": "鄂J·Z0001", "team_id": "T-1",
                          "department": "enforcement", "crew": ["S-1"] });
    assert_eq!(
        app.post("/vehicles", ADMIN, vehicle).await.0,
        StatusCode::CREATED
    );
    for path in ["/vehicles/V-1", "/staff/S-1"] {
        let (s, b) = app
            .post(
                &format!("{path}/out-of-service"),
                ADMIN,
                json!({ "reason": "检修" }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    app.stop().await;

    let app = ThreadApp::start(&store, &clock);
    let (_, v) = app.get("/vehicles/V-1", ADMIN).await;
    assert_eq!(v["in_service"], false, "{v}");
    assert_eq!(v["service"]["reason"], "检修");
    assert_eq!(v["crew"], json!([]), "S-1 left the crew");
    let (_, s1) = app.get("/staff/S-1", ADMIN).await;
    assert_eq!(s1["in_service"], false, "{s1}");
    let (_, live) = app.get("/vehicles/V-1/live", ADMIN).await;
    assert_eq!(live["status"], "out_of_service");
    for subject in ["V-1", "S-1"] {
        let (s, b) = app
            .post(
                "/tokens",
                ADMIN,
                json!({ "role": "field", "subject": subject }),
            )
            .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::CONFLICT, Some("out_of_service")),
            "{b}"
        );
    }

    let (s, b) = app.post("/vehicles/V-1/in-service", ADMIN, json!({})).await;
    assert_eq!((s, &b["in_service"]), (StatusCode::OK, &json!(true)), "{b}");
    let (_, live) = app.get("/vehicles/V-1/live", ADMIN).await;
    assert_eq!(live["status"], "off_duty");
    let (s, b) = app
        .post(
            "/tokens",
            ADMIN,
            json!({ "role": "field", "subject": "V-1" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    app.stop().await;
}
