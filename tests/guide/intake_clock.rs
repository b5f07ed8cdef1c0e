//! The intake clock runs from the platform's receipt of the call (`received_at`), not from
//! when the engine registered the ticket: a ticket forwarded late gets no extra time, for
//! its SLA deadline, its warnings and the response rate alike.

use std::time::Duration as StdDuration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

use hotline_dispatch::domain::Clock;

use super::sla::{types, until};
use crate::common::{TestApp, intake, spawn_app};

/// Files a counterfeit report (grade II: 2 h of intake) the platform took `ago` before now.
async fn received_ago(app: &TestApp, token: &str, ext: &str, ago: Option<Duration>) -> Value {
    let mut body = intake(ext, Some("counterfeit"), "report");
    if let Some(ago) = ago {
        body["received_at"] = json!((app.clock.now() + -ago).to_string());
    }
    let (s, t) = app.post("/tickets", token, body).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    t
}

/// Lets the SLA supervisor (a 250 ms tick) see the clock before a "not yet" is checked.
async fn settle() {
    tokio::time::sleep(StdDuration::from_millis(600)).await;
}

#[actix_web::test]
async fn a_ticket_forwarded_ninety_minutes_late_has_thirty_minutes_of_intake_left() {
    let app = spawn_app().await;
    let d = app.token("dispatcher", None).await;
    let sup = app.token("supervisor", None).await;
    // 08:00. The platform took the call at 06:30: 2 h of intake end at 08:30, the warning
    // (80%) is at 08:06. A ticket the platform takes now has until 10:00.
    let late = received_ago(&app, &d, "LATE-1", Some(Duration::minutes(90))).await;
    let on_time = received_ago(&app, &d, "NOW-1", None).await;
    assert_eq!(late["received_at"], "2026-11-27T06:30:00Z");
    assert_eq!(late["stages"][0]["entered_at"], "2026-11-27T06:30:00Z");
    assert_eq!(late["deadlines"]["stage_due_at"], "2026-11-27T08:30:00Z");
    assert_eq!(late["stages"][0]["due_at"], "2026-11-27T08:30:00Z");
    assert_eq!(late["deadlines"]["reply_due_at"], "2026-11-30T06:30:00Z");
    assert_eq!(on_time["deadlines"]["stage_due_at"], "2026-11-27T10:00:00Z");
    let (late, on_time) = (
        late["id"].as_str().expect("id").to_owned(),
        on_time["id"].as_str().expect("id").to_owned(),
    );

    // 08:05 (95 min since the call): not yet at 80%.
    app.clock.advance(Duration::minutes(5));
    settle().await;
    let (_, t) = app.get(&format!("/tickets/{late}"), &d).await;
    assert_eq!(t["sla"]["warned"], false, "{t}");
    // 08:07: warned, not overdue.
    app.clock.advance(Duration::minutes(2));
    let t = until(&app, &d, &late, |t| t["sla"]["warned"] == true).await;
    assert_eq!(t["sla"]["overdue"], false);
    // 08:29: still within the limit.
    app.clock.advance(Duration::minutes(22));
    settle().await;
    let (_, t) = app.get(&format!("/tickets/{late}"), &d).await;
    assert_eq!(t["sla"]["overdue"], false, "{t}");
    // 08:31: overdue and in the queue; the ticket taken at 08:00 is not even warned.
    app.clock.advance(Duration::minutes(2));
    until(&app, &d, &late, |t| t["sla"]["overdue"] == true).await;
    let (_, queue) = app.get("/tickets?overdue=true", &sup).await;
    let queued = queue.to_string();
    assert!(
        queued.contains(&late) && !queued.contains(&on_time),
        "{queue}"
    );
    let (_, t) = app.get(&format!("/tickets/{on_time}"), &d).await;
    assert_eq!(t["sla"]["warned"], false);
    let seen = types(&app, &d, &late).await;
    let count = |k: &str| seen.iter().filter(|t| *t == k).count();
    assert_eq!(
        (count("sla.warning"), count("sla.overdue")),
        (1, 1),
        "{seen:?}"
    );
    let (_, events) = app.get(&format!("/tickets/{late}/events"), &d).await;
    let overdue = events
        .as_array()
        .and_then(|e| e.iter().find(|e| e["type"] == "sla.overdue"))
        .cloned()
        .expect("sla.overdue");
    assert_eq!(overdue["data"]["due_at"], "2026-11-27T08:30:00Z");
    assert_eq!(overdue["data"]["scope"], "stage");

    // The response rate: the late ticket is past its intake deadline (a miss); the other
    // is within its own and not counted yet.
    let (s, rates) = app.get("/stats/rates", &sup).await;
    assert_eq!(s, StatusCode::OK, "{rates}");
    assert_eq!(rates["response_rate"], 0.0, "{rates}");
    app.stop().await;
}

#[actix_web::test]
async fn a_ticket_forwarded_after_its_intake_limit_is_overdue_at_once() {
    let app = spawn_app().await;
    let d = app.token("dispatcher", None).await;
    let t = received_ago(&app, &d, "LATE-2", Some(Duration::hours(3))).await;
    assert_eq!(t["deadlines"]["stage_due_at"], "2026-11-27T07:00:00Z");
    let id = t["id"].as_str().expect("id").to_owned();
    until(&app, &d, &id, |t| t["sla"]["overdue"] == true).await;
    settle().await;
    let seen = types(&app, &d, &id).await;
    assert_eq!(
        seen.iter().filter(|t| *t == "sla.overdue").count(),
        1,
        "{seen:?}"
    );
    app.stop().await;
}
