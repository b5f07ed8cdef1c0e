//! The console stream: hello and snapshot, then every change in global order; vehicle moves
//! coalesced; command frames answered exactly as the HTTP routes answer.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{assert_ordered, canary_intake, connect, ticket_frames};
use crate::common::spawn_app;
use crate::dispatch::{SITE, fleet, on_duty};

#[actix_web::test]
async fn a_console_gets_a_snapshot_then_every_change_in_order() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 1).await;
    let d = app.token("dispatcher", None).await;
    let mut vehicle = on_duty(&app, &tokens[0], SITE.0 - 0.01, SITE.1).await;
    let (s, first) = app
        .post("/tickets", &d, canary_intake("C-1", "counterfeit"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{first}");

    let mut console = connect(&app, "/ws/console", &d).await;
    let hello = console.next_any().await.expect("hello");
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["resumed"], false);
    assert_eq!(hello["tick_ms"], 250);
    let snapshot = console.next_any().await.expect("snapshot");
    assert_eq!(snapshot["type"], "snapshot");
    assert_eq!(snapshot["seq"], hello["seq"]);
    let tickets = snapshot["tickets"].as_array().expect("tickets");
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0]["id"], first["id"]);
    assert_eq!(
        tickets[0]["reporter"]["name"],
        super::CANARY_NAME,
        "the console sees the reporter"
    );
    assert!(
        tickets[0]["sla_clock"]["due_at"].is_string(),
        "{}",
        tickets[0]["sla_clock"]
    );
    let vehicles = snapshot["vehicles"].as_array().expect("vehicles");
    assert_eq!(vehicles.len(), 1);
    assert_eq!(vehicles[0]["vehicle_id"], "V-1");
    assert_eq!(vehicles[0]["status"], "available");
    assert_eq!(vehicles[0]["position"]["lat"], SITE.0 - 0.01);

    // A ticket's life: created, triaged, offered, accepted, arrived.
    let mut body = canary_intake("C-2", "counterfeit");
    body["urgency"] = json!("II");
    let (_, t) = app.post("/tickets", &d, body).await;
    let id = t["id"].as_str().expect("id").to_owned();
    app.post(&format!("/tickets/{id}/triage"), &d, json!({}))
        .await;
    let (s, b) = app
        .post(
            &format!("/tickets/{id}/dispatch"),
            &d,
            json!({ "vehicle_id": "V-1" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let offer = vehicle.next_of("offer").await;
    vehicle
        .send(json!({ "type": "offer.accept", "offer_id": offer["offer_id"] }))
        .await;
    vehicle.next_of("ack").await;
    vehicle.at(SITE.0, SITE.1).await;

    let mut frames = Vec::new();
    while frames
        .last()
        .is_none_or(|f: &Value| f["event"]["type"] != "ticket.arrived")
    {
        frames.extend(ticket_frames(&mut console, 1).await);
        assert!(frames.len() <= 8, "{frames:#?}");
    }
    let kinds: Vec<&str> = frames
        .iter()
        .map(|f| f["type"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        kinds,
        [
            "ticket.created",
            "ticket.updated",
            "offer.sent",
            "offer.accepted",
            "ticket.updated"
        ],
        "{frames:#?}"
    );
    let events: Vec<&str> = frames
        .iter()
        .map(|f| f["event"]["type"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        events,
        [
            "ticket.received",
            "ticket.triaged",
            "offer.sent",
            "offer.accepted",
            "ticket.arrived"
        ]
    );
    assert_ordered(&frames);
    // The console sees every event: the global sequence has no gap.
    let first_seq = hello["seq"].as_u64().expect("seq") + 1;
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(f["seq"].as_u64(), Some(first_seq + i as u64), "{f}");
        assert_eq!(f["ticket_id"], id.as_str());
        assert_eq!(f["ticket"]["id"], id.as_str());
    }
    // Vehicle moves and status changes come too (moves coalesced per tick).
    let moved = console.next_of("vehicle.moved").await;
    let moves = moved["moves"].as_array().expect("moves");
    assert!(moves.iter().all(|m| m["vehicle_id"] == "V-1"));
    assert_eq!(moves.len(), 1, "one entry per vehicle per tick: {moved}");
    let status = console.next_of("vehicle.status").await;
    assert_eq!(status["vehicle_id"], "V-1");
}

#[actix_web::test]
async fn console_commands_answer_as_the_http_routes_do() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 1).await;
    let d = app.token("dispatcher", None).await;
    let sup = app.token("supervisor", None).await;
    let mut vehicle = on_duty(&app, &tokens[0], SITE.0, SITE.1).await;
    let mut body = canary_intake("K-1", "counterfeit");
    body["urgency"] = json!("II");
    let (_, t) = app.post("/tickets", &d, body).await;
    let id = t["id"].as_str().expect("id").to_owned();

    let mut console = connect(&app, "/ws/console", &d).await;
    console.next_of("snapshot").await;
    let command = |request_id: &str, action: &str, ticket: &str, body: Value| json!({ "type": "command", "request_id": request_id, "action": action, "ticket_id": ticket, "body": body });

    // Triage and dispatch from the console: the vehicle gets the offer.
    console.send(command("r1", "triage", &id, json!({}))).await;
    let result = console.next_of("result").await;
    assert_eq!(result["request_id"], "r1");
    assert_eq!(result["status"], 200);
    assert_eq!(result["body"]["status"], "triaged");
    console
        .send(command(
            "r2",
            "dispatch",
            &id,
            json!({ "vehicle_id": "V-1" }),
        ))
        .await;
    let result = console.next_of("result").await;
    assert_eq!(
        (result["request_id"].as_str(), result["status"].as_u64()),
        (Some("r2"), Some(200)),
        "{result}"
    );
    let offer = vehicle.next_of("offer").await;
    assert_eq!(offer["ticket"]["id"], id.as_str());

    // Errors carry the route's status, code and details; nothing changes.
    let cases = [
        (
            command("e1", "dispatch", &id, json!({ "vehicle_id": "V-1" })),
            format!("/tickets/{id}/dispatch"),
            json!({ "vehicle_id": "V-1" }),
        ),
        (
            command(
                "e2",
                "triage",
                "01900000-0000-7000-8000-000000000000",
                json!({}),
            ),
            "/tickets/01900000-0000-7000-8000-000000000000/triage".to_owned(),
            json!({}),
        ),
        (
            command("e3", "archive", &id, json!({})),
            format!("/tickets/{id}/archive"),
            json!({}),
        ),
        (
            command("e4", "triage", &id, json!({ "urgency": "IX" })),
            format!("/tickets/{id}/triage"),
            json!({ "urgency": "IX" }),
        ),
        (
            command("e7", "group", &id, json!({ "members": [] })),
            format!("/tickets/{id}/group"),
            json!({ "members": [] }),
        ),
    ];
    for (frame, path, body) in cases {
        let request_id = frame["request_id"].clone();
        console.send(frame).await;
        let err = console.next_of("error").await;
        let (status, http) = app.post(&path, &d, body).await;
        assert_eq!(err["request_id"], request_id);
        assert_eq!(
            err["status"].as_u64(),
            Some(u64::from(status.as_u16())),
            "{err} vs {http}"
        );
        assert_eq!(err["code"], http["code"], "{err} vs {http}");
        assert_eq!(
            err["details"],
            http.get("details").cloned().unwrap_or(Value::Null)
        );
    }
    console
        .send(command("e5", "teleport", &id, json!({})))
        .await;
    let err = console.next_of("error").await;
    assert_eq!(
        (err["status"].as_u64(), err["code"].as_str()),
        (Some(400), Some("malformed"))
    );
    console
        .send(json!({ "type": "command", "request_id": "e6" }))
        .await;
    assert_eq!(console.next_of("error").await["code"], "malformed");
    console.send_text("{not json").await;
    assert_eq!(console.next_of("error").await["code"], "bad_frame");
    console.send(json!({ "type": "ping" })).await;
    console.next_of("pong").await;

    // A supervisor's console may not dispatch, as over HTTP.
    let mut sup_console = connect(&app, "/ws/console", &sup).await;
    sup_console.next_of("snapshot").await;
    sup_console
        .send(command("s1", "dispatch", &id, json!({})))
        .await;
    let err = sup_console.next_of("error").await;
    assert_eq!(
        (err["status"].as_u64(), err["code"].as_str()),
        (Some(403), Some("forbidden"))
    );

    // The ticket is still as the successful commands left it.
    let (_, now) = app.get(&format!("/tickets/{id}"), &d).await;
    assert_eq!(now["status"], "triaged");
}

#[actix_web::test]
async fn only_the_right_roles_open_a_stream() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 1).await;
    let board = app.token("board", None).await;
    let platform = app.token("platform", None).await;
    let cases = [
        ("/ws/console", board.as_str(), 403),
        ("/ws/console", tokens[0].as_str(), 403),
        ("/ws/console", "nope", 401),
        ("/ws/field", platform.as_str(), 403),
        ("/ws/board", platform.as_str(), 403),
        ("/ws/board", tokens[0].as_str(), 403),
    ];
    for (path, token, want) in cases {
        let url = format!("{}{path}?token={token}", app.base.replacen("http", "ws", 1));
        match tokio_tungstenite::connect_async(url).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
                assert_eq!(res.status().as_u16(), want, "{path} with {token}")
            }
            other => panic!(
                "{path}: expected HTTP {want}, got {:?}",
                other.map(|_| "a socket")
            ),
        }
    }
    let d = app.token("dispatcher", None).await;
    let url = format!(
        "{}/ws/console?token={d}&since=abc",
        app.base.replacen("http", "ws", 1)
    );
    match tokio_tungstenite::connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            assert_eq!(res.status().as_u16(), 400)
        }
        other => panic!("a bad since is 400, got {:?}", other.map(|_| "a socket")),
    }
}

#[actix_web::test]
async fn a_snapshot_past_its_cap_holds_the_most_urgent_and_counts_the_rest() {
    let app = crate::common::spawn_app_with(&[("APP__STREAMS__SNAPSHOT_MAX_TICKETS", "3")]).await;
    let d = app.token("dispatcher", None).await;
    // Taken in least urgent first, so the cap cannot just keep the first ones read.
    let mut ids = Vec::new();
    for (ext, grade) in [
        ("U-1", "IV"),
        ("U-2", "III"),
        ("U-3", "IV"),
        ("U-4", "II"),
        ("U-5", "I"),
    ] {
        let mut body = crate::common::intake(ext, Some("counterfeit"), "report");
        body["urgency"] = json!(grade);
        let (s, t) = app.post("/tickets", &d, body).await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        ids.push(t["id"].as_str().expect("id").to_owned());
    }
    let mut console = connect(&app, "/ws/console", &d).await;
    let snapshot = console.next_of("snapshot").await;
    assert_eq!(snapshot["open_total"], 5, "{snapshot}");
    assert_eq!(snapshot["truncated"], true);
    let shown: Vec<&str> = snapshot["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .map(|t| t["id"].as_str().expect("id"))
        .collect();
    // Grade I, then II, then the grade III: the two grade IV are left out.
    assert_eq!(shown, [ids[4].as_str(), ids[3].as_str(), ids[1].as_str()]);
    app.stop().await;
}

/// The snapshot is built from the hub's order of the open tickets: it follows a re-grade and
/// a ticket leaving, and it is read again from the store when the engine starts.
#[actix_web::test]
async fn the_snapshot_follows_regrades_and_closings_and_a_restart() {
    use crate::common::ADMIN;
    use crate::common::restart::ThreadApp;
    use crate::common::ws::WsClient;
    use hotline_dispatch::domain::{ManualClock, Timestamp};

    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("store");
    let clock = ManualClock::new(Timestamp::parse("2026-11-27T08:00:00Z").expect("time"));
    let cap = [("APP__STREAMS__SNAPSHOT_MAX_TICKETS", "2")];
    let app = ThreadApp::start_with(&store, &clock, &cap);
    let (s, t) = app
        .post(
            "/tokens",
            ADMIN,
            json!({ "role": "dispatcher", "subject": "console" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let d = t["token"].as_str().expect("token").to_owned();
    let mut ids = Vec::new();
    for (ext, grade) in [("R-1", "IV"), ("R-2", "III"), ("R-3", "II")] {
        let mut body = crate::common::intake(ext, Some("counterfeit"), "report");
        body["urgency"] = json!(grade);
        let (s, t) = app.post("/tickets", &d, body).await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        ids.push(t["id"].as_str().expect("id").to_owned());
    }
    async fn shown(base: &str, token: &str) -> (Vec<String>, Value) {
        let mut console = WsClient::connect(base, "/ws/console", token).await;
        let snapshot = console.next_of("snapshot").await;
        let ids = snapshot["tickets"]
            .as_array()
            .expect("tickets")
            .iter()
            .map(|t| t["id"].as_str().expect("id").to_owned())
            .collect();
        (ids, snapshot["open_total"].clone())
    }
    assert_eq!(
        shown(&app.base, &d).await,
        (vec![ids[2].clone(), ids[1].clone()], json!(3))
    );

    // R-1 re-graded I comes first; R-3 sent back to the platform leaves.
    let (s, b) = app
        .post(
            &format!("/tickets/{}/triage", ids[0]),
            &d,
            json!({ "urgency": "I" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = app
        .post(
            &format!("/tickets/{}/transfer", ids[2]),
            &d,
            json!({ "to": "platform", "reason": "不属本单位职责" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let expected = (vec![ids[0].clone(), ids[1].clone()], json!(2));
    assert_eq!(shown(&app.base, &d).await, expected);
    app.stop().await;

    let app = ThreadApp::start_with(&store, &clock, &cap);
    assert_eq!(
        shown(&app.base, &d).await,
        expected,
        "the same after a restart"
    );
    app.stop().await;
}

/// A field device's snapshot holds the open tickets of its own vehicle and crew, and no
/// other (read from the hub's index of who each open ticket concerns).
#[actix_web::test]
async fn a_field_snapshot_holds_the_devices_own_open_tickets_only() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 2).await;
    let d = app.token("dispatcher", None).await;
    let mut sent = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let mut vehicle = on_duty(&app, token, SITE.0 - 0.01, SITE.1).await;
        let (s, t) = app
            .post(
                "/tickets",
                &d,
                canary_intake(&format!("F-{i}"), "counterfeit"),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        let id = t["id"].as_str().expect("id").to_owned();
        let (s, b) = app
            .post(
                &format!("/tickets/{id}/dispatch"),
                &d,
                json!({ "vehicle_id": format!("V-{}", i + 1) }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let offer = vehicle.next_of("offer").await;
        vehicle
            .send(json!({ "type": "offer.accept", "offer_id": offer["offer_id"] }))
            .await;
        vehicle.next_of("ack").await;
        sent.push(id);
    }
    let (s, t) = app
        .post("/tickets", &d, canary_intake("F-9", "counterfeit"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    for subject in ["V-1", "S-1"] {
        let token = app.token("field", Some(subject)).await;
        let mut field = connect(&app, "/ws/field", &token).await;
        let snapshot = field.next_of("snapshot").await;
        let ids: Vec<&str> = snapshot["tickets"]
            .as_array()
            .expect("tickets")
            .iter()
            .map(|t| t["id"].as_str().expect("id"))
            .collect();
        assert_eq!(ids, [sent[0].as_str()], "{subject}: {snapshot}");
    }
}
