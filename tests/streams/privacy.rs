//! Personal data stays inside, with positive controls: tickets carry canary reporter names,
//! phones and addresses (also quoted in the description). Every board frame, every field
//! frame (`/ws/field` and `/ws/vehicle`), `GET /api/v1/board` and the server's log are
//! scanned: the canaries never appear there, while the console does see them, the board
//! shows the ticket numbers and the log names the ticket ids.

use serde_json::{Value, json};

use super::{CANARY_ADDRESS, CANARY_NAME, CANARY_PHONE, canary_intake, connect};
use crate::common::ws::WsClient;
use crate::common::{ADMIN, ChildEngine, all_evidence, send, spawn_app, temp_store};
use crate::dispatch::{SITE, fleet, on_duty};

fn assert_clean(what: &str, text: &str) {
    for canary in [CANARY_NAME, CANARY_PHONE, CANARY_ADDRESS] {
        assert!(!text.contains(canary), "{what} leaks `{canary}`: {text}");
    }
}

/// Every frame read so far and until the socket has been quiet for a moment.
async fn drain(ws: &mut WsClient, until_type: &str) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let frame = ws.next_any().await.expect("stream open");
        let done = frame["type"] == until_type;
        out.push(frame);
        if done {
            return out;
        }
    }
}

#[actix_web::test]
async fn canaries_never_reach_the_board_or_the_field() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 1).await;
    let d = app.token("dispatcher", None).await;
    let board_token = app.token("board", None).await;
    let staff_token = app.token("field", Some("S-1")).await;
    let mut vehicle = on_duty(&app, &tokens[0], SITE.0 - 0.02, SITE.1).await;
    let mut board = connect(&app, "/ws/board", &board_token).await;
    let mut field = connect(&app, "/ws/field", &staff_token).await;
    let mut console = connect(&app, "/ws/console", &d).await;
    let mut board_frames = vec![board.next_of("snapshot").await];
    let mut field_frames = vec![field.next_of("snapshot").await];
    console.next_of("snapshot").await;

    // A visible ticket taken all the way to the report by the vehicle's crew.
    let mut body = canary_intake("P-1", "counterfeit");
    body["urgency"] = json!("II");
    let (_, t) = app.post("/tickets", &d, body).await;
    let id = t["id"].as_str().expect("id").to_owned();
    let number = t["number"].as_str().expect("number").to_owned();
    app.post(&format!("/tickets/{id}/triage"), &d, json!({}))
        .await;
    app.post(
        &format!("/tickets/{id}/dispatch"),
        &d,
        json!({ "vehicle_id": "V-1" }),
    )
    .await;
    let offer = vehicle.next_of("offer").await;
    vehicle
        .send(json!({ "type": "offer.accept", "offer_id": offer["offer_id"] }))
        .await;
    vehicle.next_of("ack").await;
    // A grade I ticket and an embargoed category: never on the board while open (the only
    // vehicle is busy, so they wait for one).
    let mut hidden = canary_intake("P-2", "counterfeit");
    hidden["urgency"] = json!("I");
    let (_, h1) = app.post("/tickets", &d, hidden).await;
    let (_, h2) = app
        .post("/tickets", &d, canary_intake("P-3", "unlicensed_transport"))
        .await;
    vehicle.at(SITE.0 - 0.01, SITE.1).await;
    vehicle.at(SITE.0, SITE.1).await;
    let onsite = json!({ "findings": format!("现场核实，举报人{CANARY_NAME}反映属实"), "actions": "查扣", "evidence": all_evidence() });
    let (s, b) = app
        .post(&format!("/tickets/{id}/onsite-record"), &tokens[0], onsite)
        .await;
    assert!(s.is_success(), "{b}");
    app.post(
        &format!("/tickets/{id}/supervise"),
        &app.token("supervisor", None).await,
        json!({ "notice": format!("回电{CANARY_PHONE}") }),
    )
    .await;

    // The field stream follows the ticket to the report stage; the board too.
    field_frames.extend(drain(&mut field, "ticket.stage_changed").await);
    loop {
        let frame = field.next_any().await.expect("field stream");
        let done = frame["event"]["type"] == "ticket.supervised";
        field_frames.push(frame);
        if done {
            break;
        }
    }
    loop {
        let frame = board.next_any().await.expect("board stream");
        let done = frame["type"] == "board.ticket" && frame["ticket"]["stage"] == "report";
        board_frames.push(frame);
        if done {
            break;
        }
    }
    vehicle.sync().await;
    let mut vehicle_frames = Vec::new();
    while let Some(f) =
        tokio::time::timeout(std::time::Duration::from_millis(300), vehicle.next_any())
            .await
            .ok()
            .flatten()
    {
        vehicle_frames.push(f);
    }
    vehicle_frames.push(offer);

    // The same ticket over HTTP: its read and its report draft (facts prefilled from the
    // citizen's words) reach the vehicle masked; the dispatcher sees the reporter.
    for path in [
        format!("/tickets/{id}"),
        format!("/tickets/{id}/report/draft"),
    ] {
        let (s, b) = app.get(&path, &tokens[0]).await;
        assert!(s.is_success(), "{path}: {b}");
        assert_clean(&format!("GET {path} for the vehicle"), &b.to_string());
    }
    let (_, full) = app.get(&format!("/tickets/{id}"), &d).await;
    assert!(full.to_string().contains(CANARY_NAME), "control: {full}");

    for f in &field_frames {
        assert_clean("a field frame", &f.to_string());
    }
    for f in &vehicle_frames {
        assert_clean("a vehicle frame", &f.to_string());
    }
    for f in &board_frames {
        let text = f.to_string();
        assert_clean("a board frame", &text);
        assert!(
            !text.contains("梅川镇正街18号"),
            "the board shows no exact address: {text}"
        );
        assert!(
            !text.contains("卖假烟"),
            "the board shows no citizen's words: {text}"
        );
        for hidden in [&h1, &h2] {
            assert!(
                !text.contains(hidden["number"].as_str().expect("number")),
                "hidden ticket on the board: {text}"
            );
        }
    }
    // Positive controls: the field saw the ticket's events, the board its number, the
    // console the canaries.
    assert!(
        field_frames
            .iter()
            .any(|f| f["ticket_id"] == id.as_str() && f["event"]["type"] == "ticket.arrived")
    );
    assert!(field_frames.iter().any(|f| {
        f["ticket"]["description"]
            .as_str()
            .is_some_and(|d| d.contains("卖假烟"))
    }));
    // Masking leaves what the engine wrote readable: the number and the times.
    let field_ticket = field_frames
        .iter()
        .find_map(|f| f.get("ticket").filter(|t| t["id"] == id.as_str()))
        .expect("the ticket on the field stream");
    assert_eq!(field_ticket["number"], number.as_str(), "{field_ticket}");
    assert_eq!(
        field_ticket["received_at"], t["received_at"],
        "{field_ticket}"
    );
    let board_text: String = board_frames.iter().map(Value::to_string).collect();
    assert!(board_text.contains(&number), "{board_text}");
    assert!(
        board_text.contains("ZM-1"),
        "the officer's badge is shown: {board_text}"
    );
    let (_, ticket) = app.get(&format!("/tickets/{id}"), &d).await;
    assert_eq!(ticket["reporter"]["address"], CANARY_ADDRESS);
    let console_frame = console.next_of("ticket.created").await;
    assert!(console_frame.to_string().contains(CANARY_NAME));

    let (s, snapshot) = app.get("/board", &board_token).await;
    assert!(s.is_success(), "{snapshot}");
    let text = snapshot.to_string();
    assert_clean("GET /board", &text);
    assert!(text.contains(&number));
    let row = snapshot["tickets"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["number"] == number.as_str()))
        .expect("the ticket is on the board");
    assert_eq!(row["town"], "梅川镇");
    assert!(
        row["cell"].is_string() && row.get("location").is_none(),
        "{row}"
    );
    assert_eq!(
        snapshot["tickets"].as_array().map(Vec::len),
        Some(1),
        "hidden tickets stay off"
    );
}

#[actix_web::test]
async fn the_log_names_tickets_but_never_reporters() {
    let (_dir, store) = temp_store();
    let engine = ChildEngine::start(&store);
    let client = reqwest::Client::new();
    let post = |path: &str, token: &str, body: Value| {
        send(
            &client,
            client.post(engine.url(path)).bearer_auth(token).json(&body),
        )
    };
    let (_, token) = post("/tokens", ADMIN, json!({ "role": "dispatcher" })).await;
    let d = token["token"].as_str().expect("token").to_owned();
    let (s, t) = post("/tickets", &d, canary_intake("L-1", "counterfeit")).await;
    assert!(s.is_success(), "{t}");
    let id = t["id"].as_str().expect("id").to_owned();
    // Refused input that quotes the canaries is not logged either.
    let mut bad = canary_intake("L-2", "counterfeit");
    bad["reporter"]["phone"] = json!(format!("{CANARY_NAME}-{CANARY_PHONE}"));
    let (s, _) = post("/tickets", &d, bad).await;
    assert_eq!(s.as_u16(), 422);
    let (s, _) = post(
        &format!("/tickets/{id}/triage"),
        &d,
        json!({ "address_text": CANARY_ADDRESS, "urgency": CANARY_NAME }),
    )
    .await;
    assert_eq!(s.as_u16(), 400);
    // A console socket (token in the query) and a command frame with the canaries.
    let mut console = WsClient::connect(&engine.base, "/ws/console", &d).await;
    console.next_of("snapshot").await;
    console
        .send(json!({ "type": "command", "request_id": CANARY_PHONE, "action": "reply", "ticket_id": id, "body": { "text": CANARY_NAME } }))
        .await;
    console.next_of("error").await;
    drop(console);

    let log = engine.log();
    assert!(log.contains(&id), "the log names the ticket: {log}");
    assert!(!log.contains(&d), "the log never holds a token");
    assert_clean("the server log", &log);
    engine.kill9();
}
