//! Out of service and back, on the real application with real HTTP and WebSocket clients:
//! a vehicle's offer goes to the next vehicle, the ticket it was on goes back to dispatch,
//! its token stops working and none is issued; a person leaves crews and groups (a lead
//! hands the lead on), every change in the ticket's timeline; back in service works.

#![allow(clippy::unwrap_used, reason = "tests")]

mod passivation;
mod restart;
mod staff;
mod steps;
mod vehicles;

use serde_json::{Value, json};

use crate::common::TestApp;

/// The events of ticket `id`'s timeline, as a dispatcher reads them.
pub async fn timeline(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    let (s, events) = app.get(&format!("/tickets/{id}/events"), token).await;
    assert!(s.is_success(), "{events}");
    events.as_array().unwrap().clone()
}

/// The kinds of ticket `id`'s events, in order.
pub async fn kinds(app: &TestApp, token: &str, id: &str) -> Vec<String> {
    timeline(app, token, id)
        .await
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

/// Takes `path` (`/vehicles/V-1` or `/staff/S-1`) out of service; returns the answer.
pub async fn out_of_service(app: &TestApp, token: &str, path: &str, reason: &str) -> Value {
    let (s, b) = app
        .post(
            &format!("{path}/out-of-service"),
            token,
            json!({ "reason": reason }),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::OK, "{path} out of service: {b}");
    b
}

#[actix_web::test]
async fn only_the_command_centre_changes_service_and_bad_requests_change_nothing() {
    use reqwest::StatusCode;
    let app = crate::common::spawn_app().await;
    app.fleet().await;
    let field = app.token("field", Some("V-1")).await;
    let board = app.token("board", None).await;
    let platform = app.token("platform", None).await;
    let supervisor = app.token("supervisor", None).await;
    let routes = [
        "/vehicles/V-1/out-of-service",
        "/vehicles/V-1/in-service",
        "/staff/S-1/out-of-service",
        "/staff/S-1/in-service",
    ];
    let body = json!({ "reason": "检修" });
    for path in routes {
        let (s, _) =
            crate::common::send(&app.client, app.client.post(app.url(path)).json(&body)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}");
        for token in [&field, &board, &platform] {
            // The role is checked before the body is read.
            let (s, b) = app.post(path, token, json!("not a body")).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{path}: {b}");
        }
    }
    for (body, code) in [
        (json!({}), StatusCode::BAD_REQUEST),
        (json!({ "reason": "  " }), StatusCode::UNPROCESSABLE_ENTITY),
        (
            json!({ "reason": "x", "extra": 1 }),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({ "reason": "字".repeat(501) }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let (s, b) = app
            .post("/vehicles/V-1/out-of-service", &supervisor, body)
            .await;
        assert_eq!(s, code, "{b}");
    }
    let (s, _) = app
        .post(
            "/vehicles/V-9/out-of-service",
            &supervisor,
            json!({ "reason": "x" }),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .post("/staff/S-9/in-service", &supervisor, json!({}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Nothing changed: the field token still works.
    let (_, v) = app.get("/vehicles/V-1", &supervisor).await;
    assert_eq!(v["in_service"], true);
    let (s, _) = app.get("/vehicles/V-1/live", &field).await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "authenticated, only the role is wrong"
    );
    app.stop().await;
}
