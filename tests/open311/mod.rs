//! Open311 GeoReport v2 over real HTTP: services, submission through the engine's intake,
//! the public request views (no reporter, hidden grades and embargoed categories held back
//! while open), filters and tokens.

mod clients;
mod formats;
mod read;
mod submit;

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{Answer, TestApp, send};

/// The canary reporter of every submission here.
pub const NAME_FIRST: &str = "晓明";
pub const NAME_LAST: &str = "CANARY张";
pub const PHONE: &str = "13899990000";

pub fn url(app: &TestApp, path: &str) -> String {
    format!("{}/open311/v2{path}", app.base)
}

pub async fn get(app: &TestApp, path: &str) -> Answer {
    send(&app.client, app.client.get(url(app, path))).await
}

/// `fields` form-encoded.
pub fn encode_form(fields: &[(&str, &str)]) -> String {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                crate::common::url_encode(k),
                crate::common::url_encode(v)
            )
        })
        .collect();
    body.join("&")
}

/// Posts `fields` form-encoded to `requests.json`.
pub async fn post_form(app: &TestApp, fields: &[(&str, &str)]) -> Answer {
    send(
        &app.client,
        app.client
            .post(url(app, "/requests.json"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode_form(fields)),
    )
    .await
}

/// A full submission with the canary reporter, also quoted in the description.
pub fn canary_fields<'a>(api_key: &'a str, code: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("api_key", api_key),
        ("service_code", code),
        ("lat", "30.02"),
        ("long", "115.585"),
        ("address_string", "梅川镇正街18号"),
        (
            "description",
            "梅川镇正街烟酒店疑似销售假冒卷烟，我是CANARY张晓明，电话13899990000",
        ),
        ("first_name", NAME_FIRST),
        ("last_name", NAME_LAST),
        ("phone", PHONE),
        ("email", "canary@example.org"),
        ("device_id", "dev-1"),
        ("attribute[weird]", "x"),
    ]
}

/// Submits and returns the new request id (the ticket number).
pub async fn submit_ok(app: &TestApp, fields: &[(&str, &str)]) -> String {
    let (status, body) = post_form(app, fields).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body[0]["service_request_id"]
        .as_str()
        .expect("service_request_id")
        .to_owned()
}

/// How many tickets the store holds (seen by a dispatcher).
pub async fn ticket_count(app: &TestApp, dispatcher: &str) -> usize {
    let (status, body) = app.get("/tickets?limit=500", dispatcher).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().expect("items").len()
}

/// The dispatcher's view of the ticket numbered `number`.
pub async fn ticket_by_number(app: &TestApp, dispatcher: &str, number: &str) -> Value {
    let (_, body) = app.get("/tickets?limit=500", dispatcher).await;
    let item = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|t| t["number"] == number)
        .unwrap_or_else(|| panic!("{number} not listed"))
        .clone();
    let (status, full) = app
        .get(
            &format!("/tickets/{}", item["id"].as_str().expect("id")),
            dispatcher,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{full}");
    full
}
