//! The analytics routes over HTTP: JSON and CSV, date filters, roles. (The figures are
//! checked against a hand-computed history in the domain's unit tests.)

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{intake, send, spawn_app};

#[actix_web::test]
async fn stats_answer_json_and_csv_with_filters() {
    let app = spawn_app().await;
    let d = app.token("dispatcher", None).await;
    let sup = app.token("supervisor", None).await;
    for i in 0..3 {
        app.post(
            "/tickets",
            &d,
            intake(
                &format!("ST-{i}"),
                Some("order_consultation"),
                "consultation",
            ),
        )
        .await;
    }
    let (_, t) = app
        .post(
            "/tickets",
            &d,
            intake("ST-9", Some("order_consultation"), "consultation"),
        )
        .await;
    let id = t["id"].as_str().expect("id");
    app.clock.advance(time::Duration::hours(1));
    let (s, _) = app
        .post(&format!("/tickets/{id}/triage"), &d, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    app.post(
        &format!("/tickets/{id}/reply"),
        &d,
        json!({ "text": "每周二订货" }),
    )
    .await;

    let (s, rates) = app.get("/stats/rates", &sup).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(rates["tickets"], 4);
    assert_eq!(rates["resolution_rate"], 0.25);
    assert_eq!(rates["response_rate"], 1.0);
    let (_, stages) = app.get("/stats/stages", &d).await;
    assert_eq!(stages[0]["stage"], "intake", "{stages}");
    let (_, cats) = app.get("/stats/categories", &sup).await;
    assert_eq!(cats["categories"][0]["key"], "order_consultation");
    assert_eq!(cats["categories"][0]["tickets"], 4);
    // A window before everything is empty.
    let (_, none) = app.get("/stats/rates?to=2026-01-01T00:00:00Z", &sup).await;
    assert_eq!(none["tickets"], 0);

    let res = app
        .client
        .get(app.url("/stats/categories?format=csv"))
        .bearer_auth(&sup)
        .send()
        .await
        .expect("csv");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/csv")
    );
    let body = res.text().await.unwrap_or_default();
    assert!(body.starts_with("group,key,tickets,"), "{body}");
    assert!(body.contains("category,order_consultation,4,"), "{body}");
    let (s, ret) = app.get("/stats/returns", &sup).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ret["by_handler"], json!([]), "no report was written");
    let (s, _) = app.get("/stats/rates?format=xml", &sup).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = app.get("/stats/rates?from=yesterday", &sup).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let field = app.token("board", None).await;
    let (s, _) = send(
        &app.client,
        app.client.get(app.url("/stats/teams")).bearer_auth(&field),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    app.stop().await;
}
