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
    assert!(body.starts_with("\u{feff}group,key,tickets,"), "{body}");
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

#[actix_web::test]
async fn a_period_ending_before_now_stops_the_clock_and_from_must_precede_to() {
    let app = spawn_app().await;
    let d = app.token("dispatcher", None).await;
    let sup = app.token("supervisor", None).await;
    // Received 08:00 (the test clock's start), still in intake; now is 20:00.
    let (s, _) = app
        .post(
            "/tickets",
            &d,
            intake("P-1", Some("order_consultation"), "consultation"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    app.clock.advance(time::Duration::hours(12));

    let (_, now) = app.get("/stats/stages", &sup).await;
    assert_eq!(now[0]["stage"], "intake");
    assert_eq!(now[0]["total_hours"], 12.0);
    // A period ending at 10:00: the open intake counts 2 hours, not 12.
    let (s, then) = app
        .get(
            "/stats/stages?from=2026-11-27T00:00:00Z&to=2026-11-27T10:00:00Z",
            &sup,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(then[0]["total_hours"], 2.0, "{then}");
    let (_, cats) = app
        .get("/stats/categories?to=2026-11-27T10:00:00Z", &sup)
        .await;
    assert_eq!(cats["categories"][0]["mean_handling_hours"], 2.0, "{cats}");
    // Grade IV allows 8 h in intake: missed by 20:00, not yet by 10:00.
    let (_, rates) = app.get("/stats/rates", &sup).await;
    assert_eq!(rates["response_rate"], 0.0, "{rates}");
    let (_, rates) = app.get("/stats/rates?to=2026-11-27T10:00:00Z", &sup).await;
    assert!(rates["response_rate"].is_null(), "{rates}");

    // `from` not before `to`: the same 400 on every route.
    for route in ["stages", "categories", "teams", "rates", "returns", "trend"] {
        for (from, to) in [
            ("2026-11-28T00:00:00Z", "2026-11-27T00:00:00Z"),
            ("2026-11-27T00:00:00Z", "2026-11-27T00:00:00Z"),
        ] {
            let (s, b) = app
                .get(&format!("/stats/{route}?from={from}&to={to}"), &sup)
                .await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{route}: {b}");
            let message = b["message"].as_str().unwrap_or_default();
            assert!(message.contains("must be before"), "{route}: {b}");
        }
    }
    app.stop().await;
}
