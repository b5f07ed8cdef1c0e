//! `/metrics` shows where work queues: every second a probe is timed through the grid's,
//! the dispatcher's and the stream hub's mailboxes and through each arbiter thread.

#![allow(clippy::unwrap_used, reason = "tests")]

use std::time::Duration;

use crate::common::spawn_app_with;

#[actix_web::test]
async fn every_hot_actor_and_arbiter_is_probed() {
    let app = spawn_app_with(&[
        ("APP__TICKETS__ARBITERS", "2"),
        ("APP__DISPATCH__ARBITERS", "3"),
    ])
    .await;
    let expected = [
        "grid",
        "dispatcher",
        "stream_hub",
        "ticket_arbiter_0",
        "ticket_arbiter_1",
        "vehicle_arbiter_0",
        "vehicle_arbiter_1",
        "vehicle_arbiter_2",
        "grid_arbiter",
        "group_arbiter",
    ];
    let probed = |text: &str, actor: &str| {
        let prefix = format!("hotline_mailbox_wait_seconds_count{{actor=\"{actor}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let mut text = String::new();
    for _ in 0..100 {
        text = reqwest::get(format!("{}/metrics", app.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if expected.iter().all(|a| probed(&text, a) >= 2.0) {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    for actor in expected {
        assert!(probed(&text, actor) >= 2.0, "{actor} probed twice:\n{text}");
    }
    // No other target is named: the labels stay bounded.
    let others: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("hotline_mailbox_wait_seconds_count{"))
        .filter(|l| !expected.iter().any(|a| l.contains(&format!("\"{a}\""))))
        .collect();
    assert!(others.is_empty(), "{others:?}");
}
