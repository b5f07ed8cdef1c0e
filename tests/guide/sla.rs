//! SLA supervision: warning at 80% of a stage's limit, overdue at 100%, once per stage,
//! the overdue queue, a new clock for every stage, and deadlines that survive restarts (and
//! edits of the guide).

use std::path::{Path, PathBuf};
use std::time::Duration as StdDuration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

use hotline_dispatch::domain::{ManualClock, Timestamp};

use crate::common::restart::ThreadApp;
use crate::common::{ADMIN, TestApp, intake, spawn_app, temp_store};

/// Polls the ticket until `pred` holds (the supervisor ticks every 250 ms); a bound, not a
/// sleep-and-assert.
pub(super) async fn until(
    app: &TestApp,
    token: &str,
    id: &str,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..200 {
        let (_, t) = app.get(&format!("/tickets/{id}"), token).await;
        if pred(&t) {
            return t;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    panic!("condition not reached for ticket {id}");
}

pub(super) async fn types(app: &TestApp, token: &str, id: &str) -> Vec<String> {
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

/// The types of one ticket's timeline, on an engine started by [`ThreadApp`].
async fn timeline(app: &ThreadApp, token: &str, id: &str) -> Vec<String> {
    let (s, events) = app.get(&format!("/tickets/{id}/events"), token).await;
    assert_eq!(s, StatusCode::OK, "{events}");
    events
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["type"].as_str().map(str::to_owned))
        .collect()
}

fn count(seen: &[String], kind: &str) -> usize {
    seen.iter().filter(|t| *t == kind).count()
}

/// Polls until ticket `id` has `n` events of `kind` (the supervisor ticks every 250 ms).
async fn until_raised(app: &ThreadApp, token: &str, id: &str, kind: &str, n: usize) {
    for _ in 0..200 {
        if count(&timeline(app, token, id).await, kind) >= n {
            return;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    let seen = timeline(app, token, id).await;
    panic!("{kind} not raised on {id}: {seen:?}");
}

async fn counterfeit(app: &ThreadApp, token: &str, ext: &str) -> String {
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

#[actix_web::test]
async fn deadlines_armed_before_a_restart_fire_once_after_it_and_fired_ones_stay_fired() {
    let (_dir, store) = temp_store();
    let clock = ManualClock::new(Timestamp::parse("2026-11-27T08:00:00Z").expect("time"));
    let app = ThreadApp::start(&store, &clock);
    let (s, issued) = app
        .post("/tokens", ADMIN, json!({ "role": "dispatcher" }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{issued}");
    let d = issued["token"].as_str().expect("token").to_owned();
    // Grade II intake has 2 h: X warns at 09:36 and goes overdue at 10:00; Y, taken in
    // half an hour later, warns at 10:06 and goes overdue at 10:30.
    let x = counterfeit(&app, &d, "RS-X").await;
    clock.advance(Duration::minutes(30));
    let y = counterfeit(&app, &d, "RS-Y").await;
    clock.advance(Duration::minutes(67));
    until_raised(&app, &d, &x, "sla.warning", 1).await;
    assert_eq!(count(&timeline(&app, &d, &y).await, "sla.warning"), 0);

    // Restart at 09:37 on the same store: the token, the tickets and their clocks survive.
    app.stop().await;
    let app = ThreadApp::start(&store, &clock);
    clock.advance(Duration::minutes(33));
    // 10:10: X's overdue and Y's warning, both armed before the restart, fire now.
    until_raised(&app, &d, &x, "sla.overdue", 1).await;
    until_raised(&app, &d, &y, "sla.warning", 1).await;
    clock.advance(Duration::minutes(25));
    // 10:35: Y's overdue fires too; by then the supervisor has ticked past every earlier
    // checkpoint, so the counts below are final for them.
    until_raised(&app, &d, &y, "sla.overdue", 1).await;
    for (id, what) in [(&x, "X"), (&y, "Y")] {
        let seen = timeline(&app, &d, id).await;
        assert_eq!(count(&seen, "sla.warning"), 1, "{what}: {seen:?}");
        assert_eq!(count(&seen, "sla.overdue"), 1, "{what}: {seen:?}");
    }

    // Once more: everything already fired stays fired after a second restart. A new
    // ticket's warning shows the supervisor is running and has passed them all.
    app.stop().await;
    let app = ThreadApp::start(&store, &clock);
    let z = counterfeit(&app, &d, "RS-Z").await;
    clock.advance(Duration::minutes(125));
    until_raised(&app, &d, &z, "sla.warning", 1).await;
    until_raised(&app, &d, &z, "sla.overdue", 1).await;
    for (id, what) in [(&x, "X"), (&y, "Y")] {
        let seen = timeline(&app, &d, id).await;
        assert_eq!(count(&seen, "sla.warning"), 1, "{what}: {seen:?}");
        assert_eq!(count(&seen, "sla.overdue"), 1, "{what}: {seen:?}");
    }
    let (_, queue) = app.get("/tickets?overdue=true", &d).await;
    let overdue: Vec<&str> = queue["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    for id in [&x, &y, &z] {
        assert!(overdue.contains(&id.as_str()), "{id} in the overdue queue");
    }
    app.stop().await;
}

/// A copy of the shipped guide in `dir` with one global limit changed: `key` of
/// `[sla.<grade>]`, in hours.
pub fn guide_with(dir: &Path, grade: &str, key: &str, hours: f64) -> PathBuf {
    let text = std::fs::read_to_string("config/catalog.toml").expect("the guide");
    let head = format!("[sla.{grade}]\n");
    let start = text.find(&head).expect("the grade's table");
    let line = start
        + text[start..]
            .find(&format!("\n{key} = "))
            .expect("the limit")
        + 1;
    let end = line + text[line..].find('\n').expect("end of line");
    let path = dir.join(format!("catalog-{grade}-{key}.toml"));
    let edited = format!("{}{key} = {hours:.1}{}", &text[..line], &text[end..]);
    std::fs::write(&path, edited).expect("write the guide");
    path
}

#[actix_web::test]
async fn an_edited_guide_does_not_move_the_deadlines_of_open_tickets_after_a_restart() {
    let (dir, store) = temp_store();
    let clock = ManualClock::new(Timestamp::parse("2026-11-27T08:00:00Z").expect("time"));
    let app = ThreadApp::start(&store, &clock);
    let (_, issued) = app
        .post("/tokens", ADMIN, json!({ "role": "dispatcher" }))
        .await;
    let d = issued["token"].as_str().expect("token").to_owned();
    // Grade II intake has 2 h: X is due at 10:00.
    let x = counterfeit(&app, &d, "ED-X").await;
    app.stop().await;

    // The guide now gives grade II intake 4 h. X keeps its 10:00; a new ticket gets 4 h.
    let longer = guide_with(dir.path(), "II", "intake", 4.0);
    let longer = longer.to_str().expect("path");
    let app = ThreadApp::start_with(&store, &clock, &[("APP__TICKETS__CATALOG", longer)]);
    let (_, t) = app.get(&format!("/tickets/{x}"), &d).await;
    assert_eq!(
        t["deadlines"]["stage_due_at"], "2026-11-27T10:00:00Z",
        "{t}"
    );
    clock.advance(Duration::minutes(30));
    let z = counterfeit(&app, &d, "ED-Z").await;
    let (_, t) = app.get(&format!("/tickets/{z}"), &d).await;
    assert_eq!(
        t["deadlines"]["stage_due_at"], "2026-11-27T12:30:00Z",
        "{t}"
    );
    // At 10:20 X is overdue by its kept deadline (10:00, not 12:00); Z is not even warned
    // (11:42 under 4 h; the old 2 h would have warned it at 10:06).
    clock.advance(Duration::minutes(110));
    until_raised(&app, &d, &x, "sla.overdue", 1).await;
    let (_, events) = app.get(&format!("/tickets/{x}/events"), &d).await;
    let overdue = events
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["type"] == "sla.overdue")
        .expect("overdue")
        .clone();
    assert_eq!(overdue["data"]["due_at"], "2026-11-27T10:00:00Z");
    assert_eq!(overdue["data"]["scope"], "stage");
    // The supervisor has ticked past 10:06 by now (a bound, as above).
    tokio::time::sleep(StdDuration::from_millis(600)).await;
    assert_eq!(count(&timeline(&app, &d, &z).await, "sla.warning"), 0);
    app.stop().await;
}
