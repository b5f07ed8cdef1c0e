//! Every error status of the contract, with its `{code, message}` body, and that nothing
//! changes on an error.

use hotline_dispatch::domain::Clock;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{intake, send, spawn_app};

#[actix_web::test]
async fn each_error_has_its_status_and_a_stable_body() {
    let app = spawn_app().await;
    let token = app.token("dispatcher", None).await;
    let (_, t) = app
        .post(
            "/tickets",
            &token,
            intake("E-1", Some("counterfeit"), "report"),
        )
        .await;
    let id = t["id"].as_str().expect("id").to_owned();

    // 400: not JSON, wrong types, bad enum values.
    let raw = app
        .client
        .post(app.url("/tickets"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json");
    let (s, b) = send(&app.client, raw).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b["code"], "malformed");
    assert!(b["message"].as_str().is_some_and(|m| !m.is_empty()));
    let (s, b) = app
        .post(
            "/tickets",
            &token,
            json!({ "source": "12313", "kind": "rumour", "description": "x" }),
        )
        .await;
    assert_eq!(
        (s, b["code"].clone()),
        (StatusCode::BAD_REQUEST, json!("malformed"))
    );
    let (s, _) = app.get("/tickets?limit=0", &token).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = app.get("/tickets?status=flying", &token).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, b) = app
        .get(
            "/tickets?from=2026-11-28T00:00:00Z&to=2026-11-27T00:00:00Z",
            &token,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");

    // 401 and 404.
    let (s, b) = send(&app.client, app.client.get(app.url("/tickets"))).await;
    assert_eq!(
        (s, b["code"].clone()),
        (StatusCode::UNAUTHORIZED, json!("unauthorized"))
    );
    let (s, _) = app.get("/tickets", "not-a-token").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, b) = app
        .get("/tickets/01900000-0000-7000-8000-000000000000", &token)
        .await;
    assert_eq!(
        (s, b["code"].clone()),
        (StatusCode::NOT_FOUND, json!("not_found"))
    );
    let (s, _) = app.get("/tickets/not-an-id", &token).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .post(
            "/tickets/01900000-0000-7000-8000-000000000000/triage",
            &token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // 409 names the current status.
    let (s, b) = app
        .post(
            &format!("/tickets/{id}/review"),
            &token,
            json!({ "decision": "pass" }),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(b["code"], "illegal_transition");
    assert_eq!(b["details"]["status"], "received");
    assert!(
        b["message"]
            .as_str()
            .is_some_and(|m| m.contains("received"))
    );

    // 413: a body over the limit.
    let mut big = intake("E-2", None, "report");
    big["description"] = json!("假".repeat(100_000));
    let (s, b) = app.post("/tickets", &token, big).await;
    assert_eq!(
        (s, b["code"].clone()),
        (StatusCode::PAYLOAD_TOO_LARGE, json!("too_large"))
    );

    // 422: valid JSON that breaks a rule.
    let (s, b) = app
        .post(
            "/tickets",
            &token,
            intake("E-3", Some("no_such_category"), "report"),
        )
        .await;
    assert_eq!(
        (s, b["code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("unknown_category"))
    );
    let mut bad = intake("E-4", None, "report");
    bad["location"] = json!({ "lat": 123.0, "lng": 115.5 });
    let (s, b) = app.post("/tickets", &token, bad).await;
    assert_eq!(
        (s, b["code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("bad_position"))
    );
    let mut blank = intake("E-5", None, "report");
    blank["description"] = json!("   ");
    let (s, _) = app.post("/tickets", &token, blank).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, b) = app
        .post(
            &format!("/tickets/{id}/dispatch"),
            &token,
            json!({ "vehicle_id": "V-404" }),
        )
        .await;
    assert_eq!(
        (s, b["code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("unknown_vehicle"))
    );

    // None of the refused requests changed the ticket or made one.
    let (_, after) = app.get(&format!("/tickets/{id}"), &token).await;
    assert_eq!(after["seq"], 1);
    assert_eq!(after["status"], "received");
    let (_, all) = app.get("/tickets", &token).await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(1));
    app.stop().await;
}

#[actix_web::test]
async fn a_report_missing_sections_is_refused_with_the_list() {
    let app = spawn_app().await;
    app.fleet().await;
    let d = app.token("dispatcher", None).await;
    let f = app.token("field", Some("V-1")).await;
    let (_, t) = app
        .post("/tickets", &d, intake("R-1", Some("counterfeit"), "report"))
        .await;
    let id = t["id"].as_str().expect("id");
    for (path, token, body) in [
        ("triage", &d, json!({})),
        (
            "dispatch",
            &d,
            json!({ "vehicle_id": "V-1", "assign": true }),
        ),
        ("arrive", &f, json!({})),
        (
            "onsite-record",
            &f,
            json!({ "findings": "查获", "actions": "" }),
        ),
    ] {
        let (s, b) = app
            .post(&format!("/tickets/{id}/{path}"), token, body)
            .await;
        assert_eq!(s, StatusCode::OK, "{path}: {b}");
    }
    let (s, b) = app
        .post(
            &format!("/tickets/{id}/report"),
            &f,
            json!({ "sections": { "facts": "x", "handling": " " } }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["code"], "report_incomplete");
    let missing: Vec<&str> = b["details"]["missing"]
        .as_array()
        .expect("missing")
        .iter()
        .filter_map(|m| m.as_str())
        .collect();
    // Every empty section, then every evidence kind of the guide's template (the
    // on-site record above carried none).
    let guide = hotline_dispatch::domain::catalog::Catalog::from_toml(
        hotline_dispatch::domain::catalog::BUILTIN_CATALOG,
        "catalog.toml",
    )
    .expect("guide");
    let mut expected: Vec<String> = ["onsite_findings", "handling", "legal_basis", "conclusion"]
        .map(String::from)
        .to_vec();
    let template = guide.get("counterfeit").expect("category");
    expected.extend(
        template
            .report_evidence
            .iter()
            .map(|k| format!("evidence:{k}")),
    );
    assert_eq!(missing, expected);
    assert!(missing.contains(&"evidence:photo"));
    let (_, after) = app.get(&format!("/tickets/{id}"), &d).await;
    assert_eq!(after["status"], "reporting");
    app.stop().await;
}

#[actix_web::test]
async fn operations_routes_answer() {
    let app = spawn_app().await;
    let get = |p: &str| app.client.get(format!("{}{p}", app.base));
    let (s, _) = send(&app.client, get("/healthz")).await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = send(&app.client, get("/readyz")).await;
    assert_eq!((s, b["status"].clone()), (StatusCode::OK, json!("ready")));
    let (s, spec) = send(&app.client, get("/openapi.json")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        spec["paths"]["/api/v1/tickets"]["post"].is_object(),
        "intake is documented"
    );
    assert!(spec["paths"]["/api/v1/tickets/{id}/merge"]["post"].is_object());
    let res = get("/docs/").send().await.expect("docs");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.text().await.unwrap_or_default().contains("swagger"),
        "Swagger UI is served offline"
    );
    let metrics = get("/metrics")
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .unwrap_or_default();
    assert!(
        metrics.contains("hotline_tickets{status=\"received\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("hotline_http_request_seconds"));
    app.stop().await;
}

#[actix_web::test]
async fn a_receipt_time_in_the_future_or_years_ago_is_refused_and_files_nothing() {
    let app = spawn_app().await;
    let d = app.token("dispatcher", None).await;
    let now = app.clock.now();
    let mut body = intake("F-1", Some("counterfeit"), "report");
    body["received_at"] = json!((now + time::Duration::hours(1)).to_string());
    let (s, b) = app.post("/tickets", &d, body.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["code"], "received_in_future");
    let (_, list) = app.get("/tickets", &d).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0), "{list}");
    body["received_at"] = json!("1970-01-01T00:00:00Z");
    let (s, b) = app.post("/tickets", &d, body.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["code"], "received_too_long_ago");
    let (_, list) = app.get("/tickets", &d).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0), "{list}");
    // A platform clock a minute ahead is fine.
    body["received_at"] = json!((now + time::Duration::minutes(1)).to_string());
    let (s, b) = app.post("/tickets", &d, body).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}

#[actix_web::test]
async fn an_unknown_evidence_kind_is_refused_with_the_allowed_kinds() {
    let app = spawn_app().await;
    app.fleet().await;
    let d = app.token("dispatcher", None).await;
    let f = app.token("field", Some("V-1")).await;
    let (_, t) = app
        .post("/tickets", &d, intake("E-1", Some("counterfeit"), "report"))
        .await;
    let id = t["id"].as_str().expect("id");
    let at = |p: &str| format!("/tickets/{id}/{p}");
    for (path, token, body) in [
        ("triage", &d, json!({})),
        (
            "dispatch",
            &d,
            json!({ "vehicle_id": "V-1", "assign": true }),
        ),
        ("arrive", &f, json!({})),
    ] {
        let (s, b) = app.post(&at(path), token, body).await;
        assert_eq!(s, StatusCode::OK, "{path}: {b}");
    }
    let guide = hotline_dispatch::domain::catalog::Catalog::from_toml(
        hotline_dispatch::domain::catalog::BUILTIN_CATALOG,
        "catalog.toml",
    )
    .expect("guide");
    let allowed = json!(guide.evidence_kinds());
    let (_, before) = app.get(&format!("/tickets/{id}"), &d).await;

    // A typo in the on-site record: refused, the record is not kept.
    let typo = json!({ "findings": "查获", "actions": "登记保存", "evidence": [
        { "kind": "photo", "reference": "att-1" }, { "kind": "photos", "reference": "att-2" } ] });
    let (s, b) = app.post(&at("onsite-record"), &f, typo).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["code"], "unknown_evidence_kind");
    assert_eq!(b["details"]["kind"], "photos");
    assert_eq!(b["details"]["allowed"], allowed);
    assert!(b["message"].as_str().is_some_and(|m| m.contains("photos")));
    let (_, after) = app.get(&format!("/tickets/{id}"), &d).await;
    assert_eq!(after, before, "nothing changed");

    // With the kind spelt right it goes through; then a typo in the report is refused too.
    let good = json!({ "findings": "查获", "actions": "登记保存", "evidence": [
        { "kind": "photo", "reference": "att-1" } ] });
    let (s, b) = app.post(&at("onsite-record"), &f, good).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let mut report = json!({ "sections": { "facts": "a", "onsite_findings": "b", "handling": "c",
        "legal_basis": "d", "conclusion": "e" }, "evidence": crate::common::all_evidence() });
    report["evidence"]
        .as_array_mut()
        .expect("evidence")
        .push(json!({ "kind": "Inspection_Record", "reference": "att-x" }));
    let (_, before) = app.get(&format!("/tickets/{id}"), &d).await;
    let (s, b) = app.post(&at("report"), &f, report).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(
        (b["code"].clone(), b["details"]["kind"].clone()),
        (json!("unknown_evidence_kind"), json!("Inspection_Record"))
    );
    assert_eq!(b["details"]["allowed"], allowed);
    let (_, after) = app.get(&format!("/tickets/{id}"), &d).await;
    assert_eq!(after, before, "nothing changed");
    assert_eq!(after["status"], "reporting");
    // The guide lists the kinds for a form to offer.
    let (_, catalog) = app.get("/catalog", &d).await;
    assert_eq!(catalog["evidence_kinds"], allowed);
    app.stop().await;
}
