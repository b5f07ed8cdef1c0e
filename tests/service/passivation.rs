//! Ticket actors are kept only for tickets in use: an actor unused for a period
//! (`tickets.passivate_after_s`) is stopped, and the ticket's next command starts it again
//! from the store. Commands sent while actors are being passivated are all answered — none
//! is dropped with the stopping actor.

#![allow(clippy::unwrap_used, reason = "tests")]

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{TestApp, intake, spawn_app_with};

/// Files a ticket; its id.
async fn file(app: &TestApp, token: &str, ext: &str) -> String {
    let (s, t) = app
        .post(
            "/tickets",
            token,
            intake(ext, Some("counterfeit"), "report"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    t["id"].as_str().unwrap().to_owned()
}

/// Waits (bounded) until the live ticket actors number `n`.
async fn until_live(app: &TestApp, n: usize) -> usize {
    for _ in 0..400 {
        if app.engine.tickets.live() == n {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
    }
    app.engine.tickets.live()
}

#[actix_web::test]
async fn an_idle_ticket_actor_is_passivated_and_woken_by_the_next_command() {
    let app = spawn_app_with(&[("APP__TICKETS__PASSIVATE_AFTER_S", "1")]).await;
    let platform = app.token("platform", None).await;
    let supervisor = app.token("supervisor", None).await;
    let ids = [
        file(&app, &platform, "PS-1").await,
        file(&app, &platform, "PS-2").await,
        file(&app, &platform, "PS-3").await,
    ];
    assert_eq!(app.engine.tickets.live(), 3, "each filing starts its actor");
    assert_eq!(until_live(&app, 0).await, 0, "idle actors are stopped");

    // The next command wakes the ticket from the store, with everything it had.
    let (s, b) = app
        .post(
            &format!("/tickets/{}/supervise", ids[1]),
            &supervisor,
            json!({ "notice": "请加快办理" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["seq"], 2, "{b}");
    assert_eq!(b["number"], "WX-2026-000002");
    assert_eq!(app.engine.tickets.live(), 1, "only the ticket in use");
    let (_, events) = app
        .get(&format!("/tickets/{}/events", ids[1]), &supervisor)
        .await;
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["ticket.received", "ticket.supervised"]);
    assert_eq!(until_live(&app, 0).await, 0, "and it is passivated again");
}

/// Commands on a few tickets, spread over several passivation periods so that some land
/// while their actor is being stopped: every one is answered 200, in order, and each
/// ticket's timeline holds every notice once.
#[actix_web::test]
async fn commands_sent_while_actors_are_passivated_are_all_answered() {
    let app = spawn_app_with(&[("APP__TICKETS__PASSIVATE_AFTER_S", "1")]).await;
    let platform = app.token("platform", None).await;
    let supervisor = app.token("supervisor", None).await;
    let ids = [
        file(&app, &platform, "PR-1").await,
        file(&app, &platform, "PR-2").await,
    ];
    const NOTICES: usize = 30;
    let runs = ids.iter().enumerate().map(|(k, id)| {
        let (app, supervisor, id) = (&app, &supervisor, id.clone());
        async move {
            for n in 0..NOTICES {
                let (s, b) = app
                    .post(
                        &format!("/tickets/{id}/supervise"),
                        supervisor,
                        json!({ "notice": format!("督办 {n}") }),
                    )
                    .await;
                assert_eq!(s, StatusCode::OK, "notice {n}: {b}");
                assert_eq!(b["seq"], n as u64 + 2, "{b}");
                // 0–290 ms apart: the commands straddle the 1 s sweeps.
                let pause = (n * 97 + k * 53) % 300;
                actix_web::rt::time::sleep(Duration::from_millis(pause as u64)).await;
            }
        }
    });
    futures_util::future::join_all(runs).await;
    for id in &ids {
        let (_, events) = app.get(&format!("/tickets/{id}/events"), &supervisor).await;
        let notices = events
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == "ticket.supervised")
            .count();
        assert_eq!(notices, NOTICES, "{id}");
    }
    let metrics = reqwest::get(format!("{}/metrics", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let passivated = metrics
        .lines()
        .find_map(|l| l.strip_prefix("hotline_ticket_actors_passivated_total "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    assert!(
        passivated >= 1.0,
        "actors were passivated meanwhile: {passivated}"
    );
}
