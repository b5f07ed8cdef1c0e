//! A field token that speaks for no member of a group is refused (403 `not_group_member`)
//! before anything it sent is read: a broken body or an unknown task id tells an outsider
//! nothing about the group.

use reqwest::StatusCode;
use serde_json::Value;

use super::{form, people, reporting, three_members, types};
use crate::common::{TestApp, spawn_app};

/// Posts raw `body` (not necessarily JSON) to `path`.
async fn raw(app: &TestApp, path: &str, token: &str, body: &str) -> (StatusCode, Value) {
    let res = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[actix_web::test]
async fn an_outsider_is_refused_before_its_body_or_task_id_is_read() {
    let app = spawn_app().await;
    let p = people(&app).await;
    let id = reporting(&app, &p, "g-outsider", "smuggled").await;
    form(&app, &p, &id, three_members()).await;
    let before = types(&app, &p.dispatcher, &id).await;
    let messages = format!("/groups/{id}/messages");
    let task = |t: &str| format!("/groups/{id}/tasks/{t}/done");
    // S-9 and V-9 (carrying S-9) are in no group.
    for outsider in [&p.s9, &p.v9] {
        for (path, body) in [
            (messages.clone(), "not json"),
            (messages.clone(), "{}"),
            (messages.clone(), r#"{"text": "x", "to": "all"}"#),
            (task("1"), r#"{"note": 5}"#),
            (task("1"), "not json"),
            (task("99"), "{}"),
            (task("abc"), "{}"),
        ] {
            let (s, b) = raw(&app, &path, outsider, body).await;
            assert_eq!(
                (s, b["code"].as_str()),
                (StatusCode::FORBIDDEN, Some("not_group_member")),
                "{path} {body}: {b}"
            );
        }
    }
    // An unknown group is still 404 for anyone.
    let (s, _) = raw(
        &app,
        "/groups/01a21e71-2fd1-7404-b789-066649cff10a/messages",
        &p.s9,
        "{}",
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A member gets the errors its request earns.
    let (s, b) = raw(&app, &messages, &p.s5, "not json").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    let (s, b) = raw(&app, &task("99"), &p.s5, "{}").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    let (s, b) = raw(&app, &task("abc"), &p.s5, "{}").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    assert_eq!(
        types(&app, &p.dispatcher, &id).await,
        before,
        "nothing was written"
    );
    app.stop().await;
}
