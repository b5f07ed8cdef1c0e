//! What the HTTP surface shows and to whom: who may read `/metrics`, the headers on API
//! answers and on Swagger UI, and 405 for a method a route does not take.

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{ADMIN, TestApp, spawn_app, spawn_app_with};

const METRICS_TOKEN: &str = "scraper-token-0123456789";

async fn metrics(
    app: &TestApp,
    token: Option<&str>,
    forwarded: Option<&str>,
) -> (StatusCode, String) {
    let mut req = app.client.get(format!("{}/metrics", app.base));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(f) = forwarded {
        req = req.header("x-forwarded-for", f);
    }
    let res = req.send().await.expect("sent");
    (res.status(), res.text().await.unwrap_or_default())
}

#[actix_web::test]
async fn metrics_are_served_to_this_host_by_default() {
    let app = spawn_app().await;
    let (s, text) = metrics(&app, None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(text.contains("hotline_last_event_id"), "{text}");
    app.stop().await;
}

#[actix_web::test]
async fn elsewhere_metrics_need_the_metrics_token_and_nothing_else_opens_them() {
    // Loopback taken off the allow-list: the test client is "another host".
    let app = spawn_app_with(&[
        ("APP__OPS__METRICS_ALLOW", "10.0.0.0/8"),
        ("APP__OPS__METRICS_TOKEN", METRICS_TOKEN),
    ])
    .await;
    let (s, text) = metrics(&app, None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(!text.contains("hotline_tickets"), "{text}");
    assert_eq!(
        serde_json::from_str::<Value>(&text).expect("json")["code"],
        "unauthorized"
    );
    let (s, _) = metrics(&app, Some("scraper-token-wrong"), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Not even the admin's token: the metrics token opens /metrics and nothing else.
    let (s, _) = metrics(&app, Some(ADMIN), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app.get("/tickets", METRICS_TOKEN).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, text) = metrics(&app, Some(METRICS_TOKEN), None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(text.contains("hotline_last_event_id"), "{text}");
    app.stop().await;
}

#[actix_web::test]
async fn without_a_metrics_token_other_addresses_are_refused() {
    let app = spawn_app_with(&[("APP__OPS__METRICS_ALLOW", "")]).await;
    let (s, _) = metrics(&app, None, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = metrics(&app, Some("anything-at-all-here"), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    app.stop().await;
}

#[actix_web::test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_checked() {
    // A proxy on this host: without trusted_proxies every client would pass as loopback.
    let app = spawn_app_with(&[("APP__SERVER__TRUSTED_PROXIES", "127.0.0.1")]).await;
    let (s, _) = metrics(&app, None, Some("203.0.113.7")).await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "a client forwarded from elsewhere"
    );
    let (s, _) = metrics(&app, None, Some("127.0.0.1")).await;
    assert_eq!(s, StatusCode::OK, "a client of this host through the proxy");
    let (s, _) = metrics(&app, None, None).await;
    assert_eq!(s, StatusCode::OK, "the proxy's own request");
    app.stop().await;
}

/// Status, `Allow` and body of `method path`.
async fn call(app: &TestApp, method: &str, path: &str) -> (StatusCode, Option<String>, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let res = app
        .client
        .request(method, format!("{}{path}", app.base))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("sent");
    let status = res.status();
    let allow = res
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, allow, res.json().await.unwrap_or(Value::Null))
}

#[actix_web::test]
async fn an_unsupported_method_is_405_with_allow_and_unknown_paths_stay_404() {
    let app = spawn_app().await;
    for (method, path, allow) in [
        ("DELETE", "/api/v1/tickets", "GET, POST"),
        ("PUT", "/api/v1/tickets/TK-0123456789", "GET"),
        ("GET", "/api/v1/tickets/TK-0123456789/triage", "POST"),
        ("PUT", "/healthz", "GET"),
        ("POST", "/metrics", "GET"),
        ("POST", "/console", "GET, HEAD"),
        ("DELETE", "/assets/js/api.js", "GET, HEAD"),
        ("POST", "/ws/console", "GET"),
    ] {
        let (s, got, body) = call(&app, method, path).await;
        assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}: {body}");
        assert_eq!(got.as_deref(), Some(allow), "{method} {path}");
        assert_eq!(body["code"], "method_not_allowed", "{method} {path}");
        assert!(body["message"].is_string());
    }
    for (method, path) in [
        ("GET", "/api/v1/no-such-route"),
        ("DELETE", "/api/v1/no-such-route"),
        ("GET", "/nowhere"),
        ("POST", "/api/v1/tickets/TK-0123456789/no-such-step"),
    ] {
        let (s, got, body) = call(&app, method, path).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{method} {path}: {body}");
        assert_eq!(got, None);
        assert_eq!(body["code"], "not_found");
    }
    // Served routes answer as before.
    let (s, _, body) = call(&app, "GET", "/api/v1/tickets/TK-0123456789").await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "the route answers (admin may not read tickets): {body}"
    );
    let (s, _, _) = call(&app, "DELETE", "/api/v1/tokens/TOK-nope").await;
    assert_ne!(s, StatusCode::METHOD_NOT_ALLOWED);
    let (s, _, _) = call(&app, "GET", "/healthz").await;
    assert_eq!(s, StatusCode::OK);
    app.stop().await;
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

#[actix_web::test]
async fn api_answers_are_not_stored_or_sniffed_and_swagger_ui_has_a_policy() {
    let app = spawn_app().await;
    let dispatcher = app.token("dispatcher", None).await;
    for (path, token) in [
        ("/api/v1/tickets", Some(dispatcher.as_str())),
        ("/api/v1/tickets", None),
        ("/open311/v2/services.json", None),
    ] {
        let mut req = app.client.get(format!("{}{path}", app.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("sent");
        assert_eq!(header(&res, "cache-control"), "no-store", "{path}");
        assert_eq!(header(&res, "x-content-type-options"), "nosniff", "{path}");
    }
    let res = app
        .client
        .get(format!("{}/openapi.json", app.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");

    let res = app
        .client
        .get(format!("{}/docs/", app.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
    let csp = header(&res, "content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-eval"), "{csp}");
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
    assert_eq!(header(&res, "x-frame-options"), "DENY");
    // Swagger UI's page loads only its own files, which the policy allows.
    let page = res.text().await.unwrap_or_default();
    assert!(!page.contains("<script>"), "no inline script to allow");
    assert!(page.contains("swagger-ui-bundle.js"), "{page}");

    // The pages keep their own caching and policy.
    let res = app
        .client
        .get(format!("{}/console", app.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(header(&res, "cache-control"), "no-cache");
    assert!(header(&res, "content-security-policy").contains("frame-ancestors 'self'"));
    app.stop().await;
}

#[actix_web::test]
async fn csv_exports_neutralise_cells_a_spreadsheet_would_run_as_formulas() {
    let app = spawn_app().await;
    let d = app.token("dispatcher", None).await;
    // A squad id a spreadsheet would read as the formula `=-A1`.
    crate::api::stats_export::one_ticket_sent_by(&app, &d, "-A1", "公式中队", "CSV-1").await;

    // JSON keeps the id as it is; the CSV cell is text a spreadsheet shows, not runs.
    let (_, rows) = app.get("/stats/teams", &d).await;
    assert_eq!(rows[0]["key"], "-A1", "{rows}");
    let res = app
        .client
        .get(app.url("/stats/teams?format=csv"))
        .bearer_auth(&d)
        .send()
        .await
        .expect("csv");
    let body = res.text().await.unwrap_or_default();
    assert!(body.contains("\nteam,'-A1,1,"), "{body}");
    assert!(!body.contains(",-A1,"), "{body}");
    app.stop().await;
}
