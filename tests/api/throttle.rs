//! Failed authentication is throttled per client address: bearer tokens over HTTP, tokens
//! of WebSocket upgrades and Open311 `api_key`s share one budget; a valid token is never
//! held back.

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{TestApp, send, spawn_app_with};
use crate::open311::{canary_fields, post_form};

const SMALL_BUDGET: &[(&str, &str)] = &[
    ("APP__AUTH__FAILED_BURST", "3"),
    ("APP__AUTH__FAILED_PER_MINUTE", "1"),
];

/// Status, `Retry-After` and body of a GET with `token` (none when empty).
async fn get_with(app: &TestApp, path: &str, token: &str) -> (StatusCode, Option<u64>, Value) {
    let mut req = app.client.get(app.url(path));
    if !token.is_empty() {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.expect("sent");
    let status = res.status();
    let retry = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let body = res.json().await.unwrap_or(Value::Null);
    (status, retry, body)
}

#[actix_web::test]
async fn a_burst_of_bad_tokens_gets_429_and_a_good_token_still_passes() {
    let app = spawn_app_with(SMALL_BUDGET).await;
    let dispatcher = app.token("dispatcher", None).await;
    for i in 0..3 {
        let (s, retry, body) = get_with(&app, "/tickets", &format!("guess-{i}")).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "failure {i}: {body}");
        assert_eq!(retry, None);
    }
    let (s, retry, body) = get_with(&app, "/tickets", "guess-4").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["code"], "too_many_failures");
    assert!(retry.is_some_and(|r| (1..=60).contains(&r)), "{retry:?}");
    // A request with no token at all is a failure too.
    let (s, _, body) = get_with(&app, "/tickets", "").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");

    // The command centre's valid tokens behind the same address are not slowed.
    for _ in 0..5 {
        let (s, retry, body) = get_with(&app, "/tickets", &dispatcher).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(retry, None);
    }
    // Still throttled for the bad ones, and a wrong role is 403, not a failure.
    let (s, _, _) = get_with(&app, "/tickets", "guess-5").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    let board = app.token("board", None).await;
    let (s, _, body) = get_with(&app, "/tickets", &board).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");

    // Counted in the metrics (loopback may read them).
    let text = app.metrics().await;
    assert!(
        text.contains("hotline_auth_failures_total{outcome=\"throttled\"}"),
        "{text}"
    );
    app.stop().await;
}

#[actix_web::test]
async fn open311_api_key_failures_count_against_the_same_budget() {
    let app = spawn_app_with(SMALL_BUDGET).await;
    let platform = app.token("platform", None).await;
    let dispatcher = app.token("dispatcher", None).await;
    // A valid key of another role is refused but not counted.
    for _ in 0..4 {
        let (s, body) = post_form(&app, &canary_fields(&dispatcher, "counterfeit")).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    }
    for i in 0..2 {
        let (s, body) =
            post_form(&app, &canary_fields(&format!("bad-key-{i}"), "counterfeit")).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body[0]["code"], 403);
    }
    // A bad bearer token from the same address uses the last of the budget.
    let (s, _, _) = get_with(&app, "/tickets", "guess").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let res = app
        .client
        .post(format!("{}/open311/v2/requests.json", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("api_key=bad-key-3&service_code=counterfeit&lat=30.02&long=115.585&description=x")
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get("retry-after").is_some());
    let body: Value = res.json().await.expect("json");
    assert_eq!(body[0]["code"], 429, "the spec's error form: {body}");
    // No api_key at all is a failure as well.
    let (s, _) = post_form(&app, &[("service_code", "counterfeit")]).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    // The platform's own key still files its request.
    let (s, body) = post_form(&app, &canary_fields(&platform, "counterfeit")).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    app.stop().await;
}

/// The HTTP status of a refused WebSocket handshake (`None` when it opened).
async fn upgrade_status(app: &TestApp, path: &str, token: &str) -> Option<u16> {
    let url = format!("{}{path}?token={token}", app.base.replacen("http", "ws", 1));
    match tokio_tungstenite::connect_async(url).await {
        Ok(_) => None,
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => Some(res.status().as_u16()),
        Err(e) => panic!("handshake failed otherwise: {e}"),
    }
}

#[actix_web::test]
async fn websocket_upgrades_with_bad_tokens_are_throttled_too() {
    let app = spawn_app_with(SMALL_BUDGET).await;
    let board = app.token("board", None).await;
    assert_eq!(
        upgrade_status(&app, "/ws/vehicle", "nope-1").await,
        Some(401)
    );
    assert_eq!(
        upgrade_status(&app, "/ws/console", "nope-2").await,
        Some(401)
    );
    assert_eq!(upgrade_status(&app, "/ws/field", "nope-3").await, Some(401));
    assert_eq!(
        upgrade_status(&app, "/ws/vehicle", "nope-4").await,
        Some(429)
    );
    assert_eq!(upgrade_status(&app, "/ws/board", "nope-5").await, Some(429));
    // HTTP shares the budget.
    let (s, _) = send(
        &app.client,
        app.client.get(app.url("/catalog")).bearer_auth("nope-6"),
    )
    .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    // A valid token opens its socket.
    assert_eq!(upgrade_status(&app, "/ws/board", &board).await, None);
    app.stop().await;
}
