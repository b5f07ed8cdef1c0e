//! The spec's edges: every route in XML as well as JSON, discovery, `api_key` in the query
//! string (the `open311` client's way) with the same checks, comma lists, the 90-day cap,
//! unknown routes and errors in the spec's shape, `charset=utf-8` and W3C times.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{canary_fields, encode_form, url};
use crate::common::{ADMIN, TestApp, spawn_app};

/// Status, content type and body text.
async fn raw(app: &TestApp, req: reqwest::RequestBuilder) -> (StatusCode, String, String) {
    let _ = app;
    let res = req.send().await.expect("sent");
    let status = res.status();
    let ctype = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, ctype, res.text().await.unwrap_or_default())
}

async fn get_raw(app: &TestApp, path: &str) -> (StatusCode, String, String) {
    raw(app, app.client.get(url(app, path))).await
}

/// Posts the form to `path` (with `query` appended).
async fn post_raw(
    app: &TestApp,
    path: &str,
    query: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, String) {
    raw(
        app,
        app.client
            .post(format!("{}{query}", url(app, path)))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode_form(fields)),
    )
    .await
}

/// The text of the first `<tag>` in `xml`.
fn element<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(&xml[start..end])
}

fn assert_xml(what: &str, answer: &(StatusCode, String, String), status: StatusCode, root: &str) {
    let (s, ctype, body) = answer;
    assert_eq!(*s, status, "{what}: {body}");
    assert_eq!(ctype, "text/xml; charset=utf-8", "{what}");
    assert!(
        body.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"),
        "{what}: {body}"
    );
    assert!(
        body.contains(&format!("<{root}>")) || body.contains(&format!("<{root}/>")),
        "{what}: {body}"
    );
}

fn w3c_whole_seconds(t: &str) -> bool {
    let b = t.as_bytes();
    t.len() == 25
        && t.ends_with("+08:00")
        && b[4] == b'-'
        && b[10] == b'T'
        && b[19] == b'+'
        && t[..19].chars().filter(char::is_ascii_digit).count() == 14
}

#[actix_web::test]
async fn every_route_answers_in_xml_in_the_specs_shapes() {
    let app = spawn_app().await;
    let platform = app.token("platform", None).await;

    let services = get_raw(&app, "/services.xml").await;
    assert_xml("services", &services, StatusCode::OK, "services");
    assert!(
        services.2.contains("<service><service_code>"),
        "{}",
        services.2
    );
    assert!(
        services
            .2
            .contains("<metadata>false</metadata><type>realtime</type>")
    );

    for path in ["/services/counterfeit.xml", "/service/counterfeit.xml"] {
        let def = get_raw(&app, path).await;
        assert_xml(path, &def, StatusCode::OK, "service_definition");
        assert_eq!(element(&def.2, "service_code"), Some("counterfeit"));
        assert!(def.2.contains("<attributes/>"), "{}", def.2);
    }
    let (s, _, body) = get_raw(&app, "/service/counterfeit.json").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("json")["service_code"],
        "counterfeit"
    );

    let submitted = post_raw(
        &app,
        "/requests.xml",
        "",
        &canary_fields(&platform, "counterfeit"),
    )
    .await;
    assert_xml(
        "submit",
        &submitted,
        StatusCode::CREATED,
        "service_requests",
    );
    let id = element(&submitted.2, "service_request_id")
        .expect("id")
        .to_owned();
    assert!(
        submitted.2.contains("<request><service_request_id>"),
        "{}",
        submitted.2
    );
    assert!(submitted.2.contains("<account_id/>"), "{}", submitted.2);

    for path in [
        "/requests.xml".to_owned(),
        format!("/requests/{id}.xml"),
        format!("/requests.xml?service_request_id={id}"),
    ] {
        let list = get_raw(&app, &path).await;
        assert_xml(&path, &list, StatusCode::OK, "service_requests");
        assert_eq!(
            element(&list.2, "service_request_id"),
            Some(id.as_str()),
            "{path}"
        );
        assert_eq!(element(&list.2, "status"), Some("open"));
        assert_eq!(element(&list.2, "address"), Some("梅川镇"));
        for t in [
            "requested_datetime",
            "updated_datetime",
            "expected_datetime",
        ] {
            let v = element(&list.2, t).expect(t);
            assert!(w3c_whole_seconds(v), "{t}: {v}");
        }
        for secret in ["CANARY", super::PHONE, "正街18号", "canary@example.org"] {
            assert!(!list.2.contains(secret), "{secret} leaked: {}", list.2);
        }
    }
    let token = get_raw(&app, &format!("/tokens/{id}.xml")).await;
    assert_xml("token", &token, StatusCode::OK, "service_requests");
    assert_eq!(element(&token.2, "token"), Some(id.as_str()));

    // An empty list is an empty document, and the JSON times are the same W3C form.
    let empty = get_raw(&app, "/requests.xml?status=closed").await;
    assert!(
        empty.2.contains("<service_requests></service_requests>"),
        "{}",
        empty.2
    );
    let (_, _, json_body) = get_raw(&app, &format!("/requests/{id}.json")).await;
    let one: Value = serde_json::from_str(&json_body).expect("json");
    let t = one[0]["requested_datetime"].as_str().expect("time");
    assert!(w3c_whole_seconds(t), "{t}");
    app.stop().await;
}

#[actix_web::test]
async fn discovery_names_the_endpoint_and_both_formats() {
    let app = spawn_app().await;
    let (s, ctype, body) = get_raw(&app, "/discovery.json").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(ctype, "application/json; charset=utf-8");
    let d: Value = serde_json::from_str(&body).expect("json");
    let e = &d["endpoints"][0];
    assert_eq!(e["specification"], "http://wiki.open311.org/GeoReport_v2");
    assert!(
        e["url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/open311/v2")),
        "{d}"
    );
    assert_eq!(e["formats"], json!(["application/json", "text/xml"]));
    assert!(d["changeset"].is_string() && d["key_service"].is_string());
    let xml = get_raw(&app, "/discovery.xml").await;
    assert_xml("discovery", &xml, StatusCode::OK, "discovery");
    assert!(
        xml.2.contains(
            "<formats><format>application/json</format><format>text/xml</format></formats>"
        )
    );
    app.stop().await;
}

#[actix_web::test]
async fn api_key_in_the_query_string_passes_the_same_checks() {
    let app = spawn_app().await;
    let platform = app.token("platform", None).await;
    let dispatcher = app.token("dispatcher", None).await;
    let without_key: Vec<(&str, &str)> = canary_fields("", "counterfeit")
        .into_iter()
        .filter(|(k, _)| *k != "api_key")
        .collect();

    let q = format!("?api_key={platform}&jurisdiction_id=");
    let (s, _, body) = post_raw(&app, "/requests.json", &q, &without_key).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, _, body) = post_raw(&app, "/requests.xml", &q, &without_key).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    // The same key in both places is one key; two different ones are refused.
    let (s, _, body) = post_raw(
        &app,
        "/requests.json",
        &q,
        &canary_fields(&platform, "counterfeit"),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, _, body) = post_raw(
        &app,
        "/requests.json",
        "?api_key=other",
        &canary_fields(&platform, "counterfeit"),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");

    // Not a key, another role's key: 403, in the asked format.
    let (s, _, body) = post_raw(&app, "/requests.json", "?api_key=nope", &without_key).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    let (s, _, body) = post_raw(
        &app,
        "/requests.json",
        &format!("?api_key={dispatcher}"),
        &without_key,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    let refused = post_raw(&app, "/requests.xml", "?api_key=nope", &without_key).await;
    assert_xml("bad key", &refused, StatusCode::FORBIDDEN, "errors");
    assert_eq!(element(&refused.2, "code"), Some("403"));

    // A revoked key stops at once.
    let (s, issued) = app
        .post("/tokens", ADMIN, json!({ "role": "platform" }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{issued}");
    let key = issued["token"].as_str().expect("token").to_owned();
    let tid = issued["id"].as_str().expect("id").to_owned();
    let (s, _, body) = post_raw(
        &app,
        "/requests.json",
        &format!("?api_key={key}"),
        &without_key,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let res = app
        .client
        .delete(app.url(&format!("/tokens/{tid}")))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("revoke");
    assert!(res.status().is_success(), "{}", res.status());
    let (s, _, body) = post_raw(
        &app,
        "/requests.json",
        &format!("?api_key={key}"),
        &without_key,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");

    let dispatcher_view = super::ticket_count(&app, &dispatcher).await;
    assert_eq!(
        dispatcher_view, 4,
        "only the accepted submissions registered"
    );
    app.stop().await;
}

#[actix_web::test]
async fn comma_lists_are_accepted_and_a_range_over_90_days_is_refused() {
    let app = spawn_app().await;
    let platform = app.token("platform", None).await;
    let fake = super::submit_ok(&app, &canary_fields(&platform, "counterfeit")).await;
    let late = super::submit_ok(&app, &canary_fields(&platform, "late_delivery")).await;
    let ids = |body: &str| -> Vec<String> {
        serde_json::from_str::<Value>(body)
            .expect("json")
            .as_array()
            .expect("array")
            .iter()
            .map(|r| r["service_request_id"].as_str().expect("id").to_owned())
            .collect()
    };
    for q in [
        "?status=open,closed",
        "?status=open,%20closed",
        "?service_code=counterfeit,late_delivery",
        "?service_code=late_delivery,counterfeit&status=closed,open",
        "?start_date=2026-11-01T00:00:00%2B08:00&end_date=2027-01-30T00:00:00%2B08:00",
    ] {
        let (s, _, body) = get_raw(&app, &format!("/requests.json{q}")).await;
        assert_eq!(s, StatusCode::OK, "{q}: {body}");
        assert_eq!(ids(&body), vec![late.clone(), fake.clone()], "{q}");
    }
    let (_, _, body) = get_raw(
        &app,
        "/requests.json?service_code=late_delivery,licence_consultation",
    )
    .await;
    assert_eq!(ids(&body), vec![late.clone()]);
    let (_, _, body) = get_raw(&app, "/requests.json?status=closed").await;
    assert!(ids(&body).is_empty());

    for (q, why) in [
        (
            "?start_date=2026-01-01T00:00:00Z&end_date=2026-12-31T00:00:00Z",
            "365 days",
        ),
        (
            "?start_date=2026-11-01T00:00:00Z&end_date=2027-01-30T00:00:01Z",
            "90 days and a second",
        ),
        (
            "?start_date=2026-12-01T00:00:00Z&end_date=2026-11-01T00:00:00Z",
            "end before start",
        ),
        (
            "?start_date=9999-12-31T00:00:00Z",
            "a start whose 90 days leave the calendar",
        ),
        ("?status=open,pending", "an unknown status in a list"),
        (
            "?service_code=counterfeit,no_such",
            "an unknown code in a list",
        ),
    ] {
        let (s, ctype, body) = get_raw(&app, &format!("/requests.json{q}")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{why}: {body}");
        assert_eq!(ctype, "application/json; charset=utf-8");
        let e: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(e[0]["code"], 400, "{why}: {body}");
        assert!(e[0]["description"].is_string());
        let xml = get_raw(&app, &format!("/requests.xml{q}")).await;
        assert_xml(why, &xml, StatusCode::BAD_REQUEST, "errors");
        assert_eq!(element(&xml.2, "code"), Some("400"), "{why}");
    }
    app.stop().await;
}

#[actix_web::test]
async fn unknown_routes_and_errors_are_in_the_specs_shape_with_charset() {
    let app = spawn_app().await;
    for path in [
        "/nothing",
        "/services",
        "/requests.csv",
        "/services/counterfeit.yaml",
    ] {
        let (s, ctype, body) = get_raw(&app, path).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {body}");
        assert_eq!(ctype, "application/json; charset=utf-8", "{path}");
        let e: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(e[0]["code"], 404, "{path}: {body}");
    }
    let xml = get_raw(&app, "/nothing.xml").await;
    assert_xml("unknown xml", &xml, StatusCode::NOT_FOUND, "errors");
    let xml = get_raw(&app, "/requests/WX-2026-999999.xml").await;
    assert_xml("unknown id", &xml, StatusCode::NOT_FOUND, "errors");
    assert!(
        xml.2.contains("<error><code>404</code><description>"),
        "{}",
        xml.2
    );

    for (method, path, allow) in [
        (reqwest::Method::PATCH, "/requests.json", "GET, POST"),
        (reqwest::Method::DELETE, "/requests.xml", "GET, POST"),
        (reqwest::Method::POST, "/services.json", "GET"),
        (reqwest::Method::PUT, "/discovery.xml", "GET"),
    ] {
        let res = app
            .client
            .request(method.clone(), url(&app, path))
            .send()
            .await
            .expect("sent");
        assert_eq!(
            res.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        let got = res
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        assert_eq!(got.as_deref(), Some(allow), "{method} {path}");
        let text = res.text().await.unwrap_or_default();
        assert!(text.contains("405"), "{method} {path}: {text}");
    }

    // Every answer names its charset.
    for path in [
        "/services.json",
        "/services.xml",
        "/requests.json",
        "/requests.xml",
        "/discovery.json",
        "/tokens/x.json",
    ] {
        let (_, ctype, _) = get_raw(&app, path).await;
        assert!(ctype.ends_with("; charset=utf-8"), "{path}: {ctype}");
    }
    app.stop().await;
}
