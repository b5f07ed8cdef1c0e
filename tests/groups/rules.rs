//! Bad input gets a clear error and changes nothing: forming, chat, tasks, membership and
//! dissolution, by the wrong roles, with broken or rule-breaking bodies, on unknown or closed
//! tickets and groups.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{file, form, people, reporting, step, three_members, types};
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

fn member(id: &str, role: &str, task: &str) -> Value {
    json!({ "staff_id": id, "role": role, "task": task })
}

#[actix_web::test]
async fn bad_requests_to_form_a_group_change_nothing() {
    let app = spawn_app().await;
    let p = people(&app).await;
    let board = app.token("board", Some("hall")).await;
    let id = reporting(&app, &p, "g-rules", "smuggled").await;
    let before = types(&app, &p.dispatcher, &id).await;
    let path = format!("/tickets/{id}/group");
    let lead = || member("S-1", "lead", "牵头");
    let many: Vec<Value> = std::iter::once(lead())
        .chain((0..12).map(|i| member(&format!("S-x{i}"), "assist", "协查")))
        .collect();
    let cases: Vec<(&str, Value, StatusCode, &str)> = vec![
        (&p.s1, three_members(), StatusCode::FORBIDDEN, "forbidden"),
        (
            &p.supervisor,
            three_members(),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (&board, three_members(), StatusCode::FORBIDDEN, "forbidden"),
        (
            &p.dispatcher,
            json!({ "members": [] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "members_required",
        ),
        (
            &p.dispatcher,
            json!({ "members": [member("S-5", "assist", "协查")] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "lead_required",
        ),
        (
            &p.dispatcher,
            json!({ "members": [lead(), member("S-5", "lead", "牵头")] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "one_lead",
        ),
        (
            &p.dispatcher,
            json!({ "members": [lead(), member("S-1", "assist", "协查")] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "duplicate_member",
        ),
        (
            &p.dispatcher,
            json!({ "members": [lead(), member("S-5", "assist", " ")] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "task_required",
        ),
        (
            &p.dispatcher,
            json!({ "members": [lead(), member("S-5", "assist", &"字".repeat(501))] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_long",
        ),
        (
            &p.dispatcher,
            json!({ "members": many }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_many_members",
        ),
        (
            &p.dispatcher,
            json!({ "members": [lead(), member("S-404", "assist", "协查"), member("not an id", "assist", "协查")] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_staff",
        ),
        (
            &p.dispatcher,
            json!({ "members": [member("S-1", "boss", "牵头")] }),
            StatusCode::BAD_REQUEST,
            "malformed",
        ),
        (
            &p.dispatcher,
            json!({ "members": [lead()], "extra": 1 }),
            StatusCode::BAD_REQUEST,
            "malformed",
        ),
    ];
    for (token, body, status, code) in cases {
        let (s, b) = app.post(&path, token, body.clone()).await;
        assert_eq!((s, b["code"].as_str()), (status, Some(code)), "{body}: {b}");
        assert!(!b["message"].as_str().unwrap_or_default().is_empty(), "{b}");
    }
    let (s, b) = app
        .post(&path, &p.dispatcher, json!({ "members": [lead(), member("S-404", "assist", "x"), member("not an id", "assist", "x")] }))
        .await;
    assert_eq!(
        b["details"]["unknown"],
        json!(["S-404", "not an id"]),
        "{s} {b}"
    );
    let (s, _) = raw(&app, &path, &p.dispatcher, "{\"members\": [").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let unknown = "01a21e71-2fd1-7404-b789-066649cff10a";
    for ticket in [unknown, "nope"] {
        let (s, _) = app
            .post(
                &format!("/tickets/{ticket}/group"),
                &p.dispatcher,
                three_members(),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{ticket}");
    }
    assert_eq!(
        types(&app, &p.dispatcher, &id).await,
        before,
        "nothing was written"
    );
    let (s, _) = app.get(&format!("/groups/{id}"), &p.dispatcher).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // A second group while one is active, and a group for a closed ticket: 409.
    form(&app, &p, &id, three_members()).await;
    let (s, b) = app.post(&path, &p.dispatcher, three_members()).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::CONFLICT, Some("group_active"))
    );
    let closed = file(&app, &p, "g-closed", "smuggled").await;
    step(
        &app,
        &p.dispatcher,
        &closed,
        "transfer",
        json!({ "to": "platform", "reason": "不属本单位管辖" }),
    )
    .await;
    let (s, b) = app
        .post(
            &format!("/tickets/{closed}/group"),
            &p.dispatcher,
            three_members(),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::CONFLICT, Some("illegal_transition")),
        "{b}"
    );
    app.stop().await;
}

#[actix_web::test]
async fn bad_group_steps_change_nothing() {
    let app = spawn_app().await;
    let p = people(&app).await;
    let board = app.token("board", Some("hall")).await;
    let id = reporting(&app, &p, "g-steps", "smuggled").await;
    form(&app, &p, &id, three_members()).await;
    let before_events = types(&app, &p.dispatcher, &id).await;
    let (_, before_group) = app.get(&format!("/groups/{id}"), &p.dispatcher).await;
    let messages = format!("/groups/{id}/messages");
    let members = format!("/groups/{id}/members");
    let dissolve = format!("/groups/{id}/dissolve");
    let cases: Vec<(&str, &str, Value, StatusCode, &str)> = vec![
        (
            &messages,
            &p.s5,
            json!({ "text": "  " }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "text_required",
        ),
        (
            &messages,
            &p.s5,
            json!({ "text": "字".repeat(2001) }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_long",
        ),
        (
            &messages,
            &p.s5,
            json!({}),
            StatusCode::BAD_REQUEST,
            "malformed",
        ),
        (
            &messages,
            &p.s5,
            json!({ "text": "x", "to": "all" }),
            StatusCode::BAD_REQUEST,
            "malformed",
        ),
        (
            &messages,
            &board,
            json!({ "text": "x" }),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            &members,
            &p.dispatcher,
            json!({}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "nothing_to_change",
        ),
        (
            &members,
            &p.dispatcher,
            json!({ "remove": ["S-1"] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "lead_required",
        ),
        (
            &members,
            &p.dispatcher,
            json!({ "lead": "S-9" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "lead_required",
        ),
        (
            &members,
            &p.dispatcher,
            json!({ "remove": ["S-9"] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_a_member",
        ),
        (
            &members,
            &p.dispatcher,
            json!({ "add": [member("S-5", "assist", "x")] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "already_member",
        ),
        (
            &members,
            &p.dispatcher,
            json!({ "add": [member("S-404", "assist", "x")] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_staff",
        ),
        (
            &members,
            &p.dispatcher,
            json!({ "lead": "a b" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_id",
        ),
        (
            &members,
            &p.s1,
            json!({ "lead": "S-5" }),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            &dissolve,
            &p.dispatcher,
            json!({ "reason": "" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "text_required",
        ),
        (
            &dissolve,
            &p.dispatcher,
            json!({}),
            StatusCode::BAD_REQUEST,
            "malformed",
        ),
        (
            &dissolve,
            &p.s1,
            json!({ "reason": "x" }),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            &dissolve,
            &p.supervisor,
            json!({ "reason": "x" }),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
    ];
    for (path, token, body, status, code) in cases {
        let (s, b) = app.post(path, token, body.clone()).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (status, Some(code)),
            "{path} {body}: {b}"
        );
    }
    let (s, _) = raw(&app, &messages, &p.s5, "not json").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, b) = raw(
        &app,
        &format!("/groups/{id}/tasks/1/done"),
        &p.s1,
        "{\"note\": 5}",
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    let (s, _) = app
        .post(
            &format!("/groups/{id}/tasks/2/done"),
            &p.supervisor,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, b) = app
        .post(
            &format!("/groups/{id}/tasks/2/done"),
            &p.s5,
            json!({ "note": "字".repeat(1001) }),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("too_long"))
    );
    // Unknown and malformed group ids.
    let unknown = "01a21e71-2fd1-7404-b789-066649cff10a";
    for group in [unknown, "nope"] {
        let (s, _) = app.get(&format!("/groups/{group}"), &p.dispatcher).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{group}");
        let (s, _) = app
            .post(
                &format!("/groups/{group}/messages"),
                &p.dispatcher,
                json!({ "text": "x" }),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{group}");
    }
    // A ticket without a group.
    let bare = file(&app, &p, "g-bare", "smuggled").await;
    let (s, _) = app
        .post(
            &format!("/groups/{bare}/messages"),
            &p.dispatcher,
            json!({ "text": "x" }),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    assert_eq!(
        types(&app, &p.dispatcher, &id).await,
        before_events,
        "nothing was written"
    );
    let (_, after_group) = app.get(&format!("/groups/{id}"), &p.dispatcher).await;
    assert_eq!(after_group, before_group);
    app.stop().await;
}

#[actix_web::test]
async fn group_routes_are_documented() {
    let app = spawn_app().await;
    let (s, spec) = crate::common::send(
        &app.client,
        app.client.get(format!("{}/openapi.json", app.base)),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let paths = &spec["paths"];
    for (path, method) in [
        ("/api/v1/tickets/{id}/group", "post"),
        ("/api/v1/groups/{id}", "get"),
        ("/api/v1/groups/{id}/messages", "post"),
        ("/api/v1/groups/{id}/tasks/{task}/done", "post"),
        ("/api/v1/groups/{id}/members", "post"),
        ("/api/v1/groups/{id}/dissolve", "post"),
    ] {
        assert!(
            paths[path][method].is_object(),
            "{method} {path} is documented"
        );
    }
    assert!(spec["components"]["schemas"]["GroupDto"].is_object());
    app.stop().await;
}
