//! The event log and the bus: dense, commit-ordered global ids; the bus delivers every
//! committed event once, in order, after it is durable.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{intake, spawn_app};

#[actix_web::test]
async fn the_bus_publishes_every_committed_event_once_in_global_order() {
    let app = spawn_app().await;
    let mut sub = app
        .engine
        .bus
        .subscribe(10_000, hotline_dispatch::bus::Interest::Tickets);
    let token = app.token("dispatcher", None).await;
    let calls = (0..40).map(|i| {
        app.post(
            "/tickets",
            &token,
            intake(&format!("B-{i}"), Some("counterfeit"), "report"),
        )
    });
    let created = futures_util::future::join_all(calls).await;
    assert!(created.iter().all(|(s, _)| *s == StatusCode::CREATED));
    for (_, t) in created.iter().take(10) {
        let (s, _) = app
            .post(
                &format!("/tickets/{}/triage", t["id"].as_str().expect("id")),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
    }
    let last = app.engine.store.last_event_id();
    assert_eq!(last, 50, "40 intakes and 10 triages");
    let mut seen = Vec::new();
    let mut latest = std::collections::HashMap::new();
    while let Some(e) = sub.try_recv() {
        if let hotline_dispatch::bus::BusEvent::Ticket(t) = e {
            // Each change carries the ticket as its event left it.
            assert_eq!(t.ticket.id, t.ticket_id);
            assert_eq!(t.ticket.seq, t.seq, "the state of event {}", t.event_id);
            assert_eq!(t.ticket.status, t.status);
            seen.push(t.event_id);
            latest.insert(t.ticket_id, t.ticket.clone());
        }
    }
    for (id, carried) in &latest {
        let stored = app.engine.store.ticket(id).expect("read").expect("stored");
        assert_eq!(
            **carried, stored,
            "the last change carries the committed ticket"
        );
    }
    assert_eq!(
        seen,
        (1..=last).collect::<Vec<_>>(),
        "dense, ordered, no duplicates"
    );
    let stored: Vec<u64> = app
        .engine
        .store
        .events_since(0, 1000)
        .expect("log")
        .iter()
        .map(|e| e.event_id)
        .collect();
    assert_eq!(stored, seen);
    let tail: Vec<u64> = app
        .engine
        .store
        .events_since(45, 3)
        .expect("log")
        .iter()
        .map(|e| e.event_id)
        .collect();
    assert_eq!(tail, vec![46, 47, 48]);
    app.stop().await;
}
