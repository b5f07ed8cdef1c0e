//! The stats exports as a spreadsheet reads them: UTF-8 with a byte order mark (unless
//! `bom=false`), the ids in their own `key` column and the names people know in the last
//! `name` column; the JSON rows carry the names too.

use reqwest::StatusCode;

use crate::common::{ADMIN, TestApp, spawn_app};

/// A squad `team` with one vehicle `V-1`, and one ticket (`external_id`) sent to it, so the
/// per-squad stats have a row keyed by the squad's id.
pub async fn one_ticket_sent_by(app: &TestApp, d: &str, team: &str, name: &str, external_id: &str) {
    let squad = serde_json::json!({ "id": team, "name": name, "department": "enforcement" });
    let (s, b) = app.post("/teams", ADMIN, squad).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let vehicle = serde_json::json!({ "id": "V-1", "plate": "鄂J·Z0001", "team_id": team, "department": "enforcement", "crew": [] });
    let (s, b) = app.post("/vehicles", ADMIN, vehicle).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let intake = crate::common::intake(external_id, Some("counterfeit"), "report");
    let (s, t) = app.post("/tickets", d, intake).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_str().expect("id");
    let (s, b) = app
        .post(&format!("/tickets/{id}/triage"), d, serde_json::json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let send = serde_json::json!({ "vehicle_id": "V-1", "assign": true, "override": true });
    let (s, b) = app.post(&format!("/tickets/{id}/dispatch"), d, send).await;
    assert!(s.is_success(), "{b}");
}

#[actix_web::test]
async fn csv_exports_name_what_their_ids_are_and_open_right_in_excel() {
    let app = spawn_app().await;
    let d = app.token("dispatcher", None).await;
    one_ticket_sent_by(&app, &d, "T-ENF-1", "执法一中队", "CSV-N").await;

    let (_, teams) = app.get("/stats/teams", &d).await;
    assert_eq!(teams[0]["key"], "T-ENF-1", "{teams}");
    assert_eq!(teams[0]["name"], "执法一中队", "{teams}");
    let (_, cats) = app.get("/stats/categories", &d).await;
    assert_eq!(cats["departments"][0]["key"], "enforcement", "{cats}");
    assert_eq!(cats["departments"][0]["name"], "专卖", "{cats}");
    assert!(cats["categories"][0]["name"].is_string(), "{cats}");

    let raw = |q: &'static str| {
        let req = app.client.get(app.url(q)).bearer_auth(&d);
        async move {
            let res = req.send().await.expect("csv");
            assert_eq!(res.status(), StatusCode::OK);
            let bytes = res.bytes().await.expect("body").to_vec();
            String::from_utf8(bytes).expect("UTF-8")
        }
    };
    let body = raw("/stats/teams?format=csv").await;
    assert!(
        body.starts_with('\u{feff}'),
        "Excel needs the BOM: {body:?}"
    );
    let mut lines = body.trim_start_matches('\u{feff}').lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let row: Vec<&str> = lines.next().expect("row").split(',').collect();
    assert_eq!(header[..2], ["group", "key"]);
    assert_eq!(header.last(), Some(&"name"));
    assert_eq!(row[1], "T-ENF-1", "the id stays where integrators read it");
    assert_eq!(row.last(), Some(&"执法一中队"));

    let body = raw("/stats/categories?format=csv").await;
    assert!(body.contains("\ndepartment,enforcement,1,"), "{body}");
    assert!(
        body.lines()
            .any(|l| l.starts_with("department,") && l.ends_with(",专卖")),
        "{body}"
    );
    let body = raw("/stats/stages?format=csv").await;
    assert!(
        body.lines()
            .any(|l| l.starts_with("intake,") && l.ends_with(",受单")),
        "{body}"
    );

    let body = raw("/stats/teams?format=csv&bom=false").await;
    assert!(body.starts_with("group,key,"), "{body:?}");
    app.stop().await;
}
