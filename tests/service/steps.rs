//! The typed service layer: ticket steps and intake called directly (a principal, a ticket
//! id and a typed step → a typed outcome, no HTTP in between), and a console command frame
//! answering exactly as the HTTP route for the same step, outcome and error alike.

use hotline_dispatch::api::tickets::dto::IntakeRequest;
use hotline_dispatch::domain::role::{Principal, Role, Subject};
use hotline_dispatch::domain::ticket::Status;
use hotline_dispatch::domain::ticket::steps::{
    self, archive::ArchiveRequest, reply::ReplyRequest, triage::TriageRequest,
};
use hotline_dispatch::service::tickets::{self, Action, Body, Outcome};
use hotline_dispatch::service::{self, Error};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::ws::WsClient;
use crate::common::{TestApp, intake};
use crate::streams::connect;

fn triage() -> TriageRequest {
    TriageRequest {
        category: None,
        urgency: None,
        location: None,
        address_text: None,
        retailer_licence: None,
    }
}

fn triage_action() -> Action {
    Action::find("triage").unwrap()
}

fn dispatcher() -> Principal {
    Principal::new(Role::Dispatcher, Some(Subject::Label("desk".into())))
}

/// Files a ticket through the service's intake, as the platform.
async fn file(app: &TestApp, external_id: &str) -> String {
    let body: IntakeRequest =
        serde_json::from_value(intake(external_id, Some("counterfeit"), "report")).unwrap();
    let platform = Principal::new(Role::Platform, None);
    let filed = service::intake::intake(&app.engine, body.into_new_ticket().unwrap(), platform)
        .await
        .unwrap();
    assert!(filed.created);
    // Idempotent on the external id.
    let body: IntakeRequest =
        serde_json::from_value(intake(external_id, Some("counterfeit"), "report")).unwrap();
    let again = service::intake::intake(
        &app.engine,
        body.into_new_ticket().unwrap(),
        Principal::new(Role::Platform, None),
    )
    .await
    .unwrap();
    assert!(!again.created);
    assert_eq!(again.ticket.id, filed.ticket.id);
    filed.ticket.id.to_string()
}

fn code(e: &Error) -> (u16, &str) {
    (e.status().as_u16(), e.code())
}

#[actix_web::test]
async fn a_typed_step_runs_for_a_principal_and_fails_with_typed_errors() {
    let app = crate::common::spawn_app().await;
    let id = file(&app, "SVC-1").await;
    let ticket_id = tickets::parse_id(&id).unwrap();

    // The role is checked once, before anything else: a supervisor may not triage, and a
    // wrong role is 403 whatever the body.
    let sup = Principal::new(Role::Supervisor, None);
    let e = tickets::take::<steps::Triage>(&app.engine, &sup, ticket_id, triage())
        .await
        .unwrap_err();
    assert_eq!(code(&e), (403, "forbidden"), "{e}");
    let e = tickets::perform(
        &app.engine,
        &sup,
        &id,
        triage_action(),
        Body::Bytes(b"{nope"),
    )
    .await
    .unwrap_err();
    assert_eq!(code(&e), (403, "forbidden"), "{e}");
    // The right role with a bad body: malformed, naming the body.
    let e = tickets::perform(
        &app.engine,
        &dispatcher(),
        &id,
        triage_action(),
        Body::Bytes(b"{nope"),
    )
    .await
    .unwrap_err();
    assert_eq!(code(&e), (400, "malformed"));
    assert!(e.message().starts_with("invalid body:"), "{e}");
    // Not allowed yet: illegal transition, with the status in the details.
    let archive = ArchiveRequest { note: None };
    let e = tickets::take::<steps::Archive>(&app.engine, &dispatcher(), ticket_id, archive)
        .await
        .unwrap_err();
    assert_eq!(code(&e), (409, "illegal_transition"));
    assert_eq!(e.details(), Some(&json!({ "status": "received" })));
    // A rule broken in the body: nothing runs.
    let long = ReplyRequest {
        text: "字".repeat(4001),
    };
    let e = tickets::take::<steps::Reply>(&app.engine, &dispatcher(), ticket_id, long)
        .await
        .unwrap_err();
    assert_eq!(e.status().as_u16(), 422, "{e}");
    // An unknown ticket.
    let e = tickets::perform(
        &app.engine,
        &dispatcher(),
        "01900000-0000-7000-8000-000000000000",
        triage_action(),
        Body::Json(Some(json!({}))),
    )
    .await
    .unwrap_err();
    assert_eq!(code(&e), (404, "not_found"));
    assert_eq!(
        app.engine.store.ticket(&ticket_id).unwrap().unwrap().status,
        Status::Received,
        "nothing changed"
    );

    // The step itself: the outcome is the ticket after the durable event.
    match tickets::take::<steps::Triage>(&app.engine, &dispatcher(), ticket_id, triage()).await {
        Ok(Outcome::Ticket(t)) => assert_eq!(t.status, Status::Triaged),
        other => panic!("expected the triaged ticket, got {other:?}"),
    }
    assert_eq!(
        app.engine.store.ticket(&ticket_id).unwrap().unwrap().status,
        Status::Triaged
    );
    app.stop().await;
}

/// Sends a command frame for ticket `id` and waits for its answer (`result` or `error`).
async fn command(console: &mut WsClient, id: &str, action: &str, body: Value) -> Value {
    let request_id = format!("q-{action}-{}", body.to_string().len());
    console
        .send(json!({ "type": "command", "request_id": request_id, "action": action, "ticket_id": id, "body": body }))
        .await;
    loop {
        let frame = console.next_any().await.expect("an answer");
        if matches!(frame["type"].as_str(), Some("result" | "error"))
            && frame["request_id"] == request_id.as_str()
        {
            return frame;
        }
    }
}

#[actix_web::test]
async fn a_console_command_and_the_http_route_give_the_same_outcome_and_error() {
    let app = crate::common::spawn_app().await;
    let d = app.token("dispatcher", None).await;
    let by_http = file(&app, "SVC-H").await;
    let by_frame = file(&app, "SVC-C").await;
    let mut console = connect(&app, "/ws/console", &d).await;
    console.next_of("snapshot").await;
    // The same refusals, word for word.
    let refused = [
        ("archive", json!({})),
        ("reply", json!({ "text": "字".repeat(4001) })),
        ("dispatch", json!({ "vehicle_id": "V-404" })),
        ("dispatch", json!({ "assign": true })),
        (
            "transfer",
            json!({ "to": "other_unit", "reason": "外单位" }),
        ),
        ("assign", json!({ "staff_id": "S-404" })),
    ];
    for (action, body) in refused {
        let (status, http) = app
            .post(&format!("/tickets/{by_http}/{action}"), &d, body.clone())
            .await;
        assert!(!status.is_success(), "{action}: {http}");
        let frame = command(&mut console, &by_frame, action, body).await;
        assert_eq!(frame["type"], "error", "{action}: {frame}");
        assert_eq!(
            frame["status"],
            status.as_u16(),
            "{action}: {frame} vs {http}"
        );
        assert_eq!(frame["code"], http["code"], "{action}");
        assert_eq!(frame["message"], http["message"], "{action}");
        assert_eq!(
            frame.get("details").cloned().unwrap_or(Value::Null),
            http.get("details").cloned().unwrap_or(Value::Null),
            "{action}"
        );
    }

    // The same step taken: the same status and the same ticket view.
    let (status, http) = app
        .post(&format!("/tickets/{by_http}/triage"), &d, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{http}");
    let frame = command(&mut console, &by_frame, "triage", json!({})).await;
    assert_eq!(frame["type"], "result", "{frame}");
    assert_eq!(frame["status"], 200);
    let mut from_frame = frame["body"].clone();
    let mut from_http = http.clone();
    for view in [&mut from_frame, &mut from_http] {
        for field in [
            "id",
            "number",
            "external_id",
            "events",
            "updated_at",
            "version",
        ] {
            view.as_object_mut().unwrap().remove(field);
        }
    }
    assert_eq!(from_frame["status"], "triaged");
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&from_frame), keys(&from_http));
    for key in [
        "status", "stage", "category", "urgency", "reporter", "location",
    ] {
        assert_eq!(from_frame[key], from_http[key], "{key}");
    }
    app.stop().await;
}
