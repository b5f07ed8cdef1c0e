//! The intake-to-reply limit (the guide's `total`) watched beside the stage's: its own
//! `sla.warning` / `sla.overdue` (`scope: total`) on every console, supervisors' and
//! dispatchers' alike; a ticket late overall stays in the overdue queue through stage
//! changes until the reply; the queue lists the most overdue first and pages in that order.

use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

use super::sla::guide_with;
use crate::common::ws::WsClient;
use crate::common::{TestApp, all_evidence, intake, ok, spawn_app_with};
use crate::streams::connect;

async fn counterfeit(app: &TestApp, token: &str, ext: &str) -> String {
    let (s, t) = app
        .post(
            "/tickets",
            token,
            intake(ext, Some("counterfeit"), "report"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    t["id"].as_str().expect("id").to_owned()
}

/// The next `sla.overdue` frame about `id`, skipping those about other tickets.
async fn overdue_frame(ws: &mut WsClient, id: &str) -> Value {
    loop {
        let frame = ws.next_of("sla.overdue").await;
        if frame["ticket_id"] == id {
            return frame;
        }
    }
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|t| t["id"].as_str().map(str::to_owned))
        .collect()
}

async fn queue(app: &TestApp, token: &str) -> Vec<String> {
    let (s, page) = app.get("/tickets?overdue=true", token).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    ids(&page)
}

/// Polls the ticket until `pred` holds (the supervisor ticks every 250 ms).
async fn until(app: &TestApp, token: &str, id: &str, pred: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let (_, t) = app.get(&format!("/tickets/{id}"), token).await;
        if pred(&t) {
            return t;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("condition not reached for ticket {id}");
}

#[actix_web::test]
async fn the_total_limit_alerts_every_console_and_keeps_a_late_ticket_queued_until_the_reply() {
    // Grade II with 3 h from intake to reply (the shipped guide says 72 h); intake 2 h.
    let dir = tempfile::tempdir().expect("temp dir");
    let guide = guide_with(dir.path(), "II", "total", 3.0);
    let app = spawn_app_with(&[("APP__TICKETS__CATALOG", guide.to_str().expect("path"))]).await;
    let vehicle = app.fleet().await;
    let d = app.token("dispatcher", None).await;
    let sup = app.token("supervisor", None).await;
    let field = app.token("field", Some(&vehicle)).await;
    // Supervisors are alerted on their console; a dispatcher's console is the same stream.
    let mut sup_console = connect(&app, "/ws/console", &sup).await;
    let mut d_console = connect(&app, "/ws/console", &d).await;
    for ws in [&mut sup_console, &mut d_console] {
        ws.next_of("snapshot").await;
    }

    // Y at 08:00: intake due 10:00, reply due 11:00. X at 08:10: reply due 11:10; it
    // leaves intake at once (a vehicle is sent), so only its total clock can make it late.
    let y = counterfeit(&app, &d, "TL-Y").await;
    app.clock.advance(Duration::minutes(10));
    let x = counterfeit(&app, &d, "TL-X").await;
    let p = |step: &str| format!("/tickets/{x}/{step}");
    ok(&app, &p("triage"), &d, json!({})).await;
    let t = ok(
        &app,
        &p("dispatch"),
        &d,
        json!({ "vehicle_id": vehicle, "assign": true }),
    )
    .await;
    assert_eq!(t["deadlines"]["reply_due_at"], "2026-11-27T11:10:00Z");

    // 10:01: Y is overdue in its stage; X is fine.
    app.clock.advance(Duration::minutes(111));
    for ws in [&mut sup_console, &mut d_console] {
        let frame = overdue_frame(ws, &y).await;
        assert_eq!(frame["event"]["data"]["scope"], "stage", "{frame}");
        assert_eq!(frame["event"]["data"]["stage"], "intake");
        assert_eq!(frame["event"]["data"]["due_at"], "2026-11-27T10:00:00Z");
    }
    assert_eq!(queue(&app, &sup).await, [y.as_str()]);

    // 11:15: both are past their reply deadline. X's total clock raised its own events.
    app.clock.advance(Duration::minutes(74));
    for ws in [&mut sup_console, &mut d_console] {
        let frame = overdue_frame(ws, &x).await;
        let data = &frame["event"]["data"];
        assert_eq!(data["scope"], "total", "{frame}");
        assert_eq!(data["stage"], "on_site", "the stage it was in");
        assert_eq!(data["due_at"], "2026-11-27T11:10:00Z");
        assert_eq!(frame["ticket"]["sla"]["total"]["overdue"], true);
    }
    let t = until(&app, &d, &x, |t| t["sla"]["total"]["overdue"] == true).await;
    assert_eq!(t["sla"]["total"]["warned"], true, "warned at 80% first");
    assert_eq!(t["sla"]["overdue"], false, "the on-site stage is not late");
    assert_eq!(t["sla"]["overdue_since"], "2026-11-27T11:10:00Z");
    let (_, events) = app.get(&format!("/tickets/{x}/events"), &d).await;
    let sla: Vec<(String, String)> = events
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["type"].as_str().is_some_and(|t| t.starts_with("sla.")))
        .map(|e| {
            let scope = e["data"]["scope"].as_str().unwrap_or("").to_owned();
            (e["type"].as_str().unwrap_or("").to_owned(), scope)
        })
        .collect();
    let want = [("sla.warning", "total"), ("sla.overdue", "total")];
    assert_eq!(
        sla,
        want.map(|(a, b)| (a.to_owned(), b.to_owned())),
        "only the total clock fired on X"
    );
    until(&app, &d, &y, |t| t["sla"]["total"]["overdue"] == true).await;

    // Most overdue first: Y missed 10:00, X 11:10 (newest first would be X, Y). Paged in
    // that order.
    assert_eq!(queue(&app, &sup).await, [y.as_str(), x.as_str()]);
    let (_, first) = app.get("/tickets?overdue=true&limit=1", &sup).await;
    assert_eq!(ids(&first), [y.as_str()]);
    let cursor = first["next_cursor"].as_str().expect("a cursor").to_owned();
    let (s, second) = app
        .get(
            &format!("/tickets?overdue=true&limit=1&cursor={cursor}"),
            &sup,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{second}");
    assert_eq!(ids(&second), [x.as_str()]);
    assert!(second.get("next_cursor").is_none(), "{second}");
    let (s, e) = app
        .get(&format!("/tickets?limit=1&cursor={cursor}"), &sup)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a queue cursor elsewhere: {e}");

    // X moves on to the report: a new stage clock, still late overall, still queued.
    ok(&app, &p("arrive"), &field, json!(null)).await;
    let t = ok(
        &app,
        &p("onsite-record"),
        &field,
        json!({ "findings": "查获假烟", "actions": "登记保存" }),
    )
    .await;
    assert_eq!(t["stage"], "report");
    assert_eq!(t["sla"]["overdue"], false);
    assert_eq!(t["sla"]["overdue_since"], "2026-11-27T11:10:00Z");
    assert_eq!(queue(&app, &sup).await, [y.as_str(), x.as_str()]);

    // Reported, reviewed, approved and answered: the reply ends the total clock.
    let report = json!({ "sections": {
        "facts": "举报属实", "onsite_findings": "查获假烟 20 条", "handling": "先行登记保存",
        "legal_basis": "《烟草专卖法》", "conclusion": "立案查处" }, "evidence": all_evidence() });
    ok(&app, &p("report"), &field, report).await;
    ok(&app, &p("review"), &d, json!({ "decision": "pass" })).await;
    ok(&app, &p("approval"), &sup, json!({ "decision": "approve" })).await;
    let t = ok(
        &app,
        &p("reply"),
        &d,
        json!({ "text": "经查属实，已依法处理。" }),
    )
    .await;
    assert_eq!(t["status"], "awaiting_visit");
    assert_eq!(t["sla"]["overdue_since"], Value::Null);
    assert_eq!(t["sla"]["total"]["overdue"], true, "it was answered late");
    assert_eq!(queue(&app, &sup).await, [y.as_str()]);
    app.stop().await;
}
