//! SLA supervision: warning at 80% of a stage's limit, overdue at 100%, once per stage,
//! the overdue queue, and a new clock for every stage.

use std::time::Duration as StdDuration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

use crate::common::{TestApp, intake, spawn_app};

/// Polls the ticket until `pred` holds (the supervisor ticks every 250 ms); a bound, not a
/// sleep-and-assert.
async fn until(app: &TestApp, token: &str, id: &str, pred: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let (_, t) = app.get(&format!("/tickets/{id}"), token).await;
        if pred(&t) {
            return t;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    panic!("condition not reached for ticket {id}");
}

async fn types(app: &TestApp, token: &str, id: &str) -> Vec<String> {
    let (_, events) = app.get(&format!("/tickets/{id}/events"), token).await;
    events
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["type"].as_str().map(str::to_owned))
        .collect()
}

#[actix_web::test]
async fn stage_clocks_warn_then_go_overdue_once_and_restart_with_each_stage() {
    let app = spawn_app().await;
    let d = app.token("dispatcher", None).await;
    let sup = app.token("supervisor", None).await;
    // Grade II counterfeit: intake has 2 h (warning at 96 min).
    let (s, t) = app
        .post("/tickets", &d, intake("S-1", Some("counterfeit"), "report"))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let id = t["id"].as_str().expect("id").to_owned();
    assert_eq!(t["deadlines"]["stage"], "intake");
    assert_eq!(t["deadlines"]["stage_due_at"], "2026-11-27T10:00:00Z");
    let (_, other) = app
        .post(
            "/tickets",
            &d,
            intake("S-2", Some("late_delivery"), "complaint"),
        )
        .await;
    let other = other["id"].as_str().expect("id").to_owned();

    app.clock.advance(Duration::minutes(95));
    let (_, t) = app.get(&format!("/tickets/{id}"), &d).await;
    assert_eq!(t["sla"]["warned"], false, "not yet at 80%");
    app.clock.advance(Duration::minutes(2));
    let t = until(&app, &d, &id, |t| t["sla"]["warned"] == true).await;
    assert_eq!(t["sla"]["overdue"], false);

    app.clock.advance(Duration::minutes(30));
    until(&app, &d, &id, |t| t["sla"]["overdue"] == true).await;
    let (_, queue) = app.get("/tickets?overdue=true", &sup).await;
    let ids: Vec<&str> = queue["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert!(ids.contains(&id.as_str()), "in the overdue queue");
    assert!(!ids.contains(&other.as_str()), "grade III has 8 h");
    // More time changes nothing: each checkpoint is raised once.
    app.clock.advance(Duration::hours(3));
    tokio::time::sleep(StdDuration::from_millis(600)).await;
    let seen = types(&app, &d, &id).await;
    assert_eq!(
        seen.iter().filter(|t| *t == "sla.warning").count(),
        1,
        "{seen:?}"
    );
    assert_eq!(
        seen.iter().filter(|t| *t == "sla.overdue").count(),
        1,
        "{seen:?}"
    );

    // Triage keeps the ticket in intake: still overdue. Sending a vehicle starts the
    // on-site stage and its own clock; the ticket leaves the overdue queue.
    let (s, t) = app
        .post(&format!("/tickets/{id}/triage"), &d, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(t["sla"]["overdue"], true);
    app.fleet().await;
    let (s, t) = app
        .post(
            &format!("/tickets/{id}/dispatch"),
            &d,
            json!({ "vehicle_id": "V-1", "assign": true }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["stage"], "on_site");
    assert_eq!(t["sla"]["overdue"], false);
    assert_eq!(t["sla"]["warned"], false);
    let (_, queue) = app.get("/tickets?overdue=true", &sup).await;
    assert!(
        !queue.to_string().contains(&id),
        "left the queue with its stage"
    );
    // The supervisor's notice is recorded.
    let (s, _) = app
        .post(
            &format!("/tickets/{id}/supervise"),
            &sup,
            json!({ "notice": "请立即派员" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let seen = types(&app, &d, &id).await;
    assert_eq!(seen.last().map(String::as_str), Some("ticket.supervised"));
    app.stop().await;
}
