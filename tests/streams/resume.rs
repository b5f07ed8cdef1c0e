//! Reconnecting with `since`: exactly the missed events, in order, no gap, no duplicate;
//! the latest positions come with the resume; too far behind gets a fresh snapshot.

use std::collections::HashSet;

use serde_json::json;

use super::{assert_ordered, canary_intake, connect, ticket_frames};
use crate::common::{spawn_app, spawn_app_with};
use crate::dispatch::{SITE, fleet, on_duty};

#[actix_web::test]
async fn a_client_resuming_with_since_gets_exactly_what_it_missed() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 1).await;
    let d = app.token("dispatcher", None).await;
    let _vehicle = on_duty(&app, &tokens[0], SITE.0, SITE.1).await;
    let mut console = connect(&app, "/ws/console", &d).await;
    console.next_of("snapshot").await;
    for i in 0..3 {
        app.post(
            "/tickets",
            &d,
            canary_intake(&format!("R-{i}"), "counterfeit"),
        )
        .await;
    }
    let seen = ticket_frames(&mut console, 3).await;
    let since = seen[2]["seq"].as_u64().expect("seq");
    drop(console);

    // Missed while away: intakes and notices on several tickets.
    let mut ids = Vec::new();
    for i in 3..8 {
        let (_, t) = app
            .post(
                "/tickets",
                &d,
                canary_intake(&format!("R-{i}"), "counterfeit"),
            )
            .await;
        ids.push(t["id"].as_str().expect("id").to_owned());
    }
    let sup = app.token("supervisor", None).await;
    for id in &ids[..2] {
        app.post(
            &format!("/tickets/{id}/supervise"),
            &sup,
            json!({ "notice": "请加快办理" }),
        )
        .await;
    }
    let last = app.engine.store.last_event_id();

    let mut resumed = connect(&app, &format!("/ws/console?since={since}"), &d).await;
    let hello = resumed.next_any().await.expect("hello");
    assert_eq!(
        (hello["type"].as_str(), hello["resumed"].as_bool()),
        (Some("hello"), Some(true)),
        "{hello}"
    );
    let missed = ticket_frames(&mut resumed, (last - since) as usize).await;
    assert_ordered(&missed);
    let seqs: Vec<u64> = missed.iter().filter_map(|f| f["seq"].as_u64()).collect();
    assert_eq!(
        seqs,
        ((since + 1)..=last).collect::<Vec<_>>(),
        "exactly the missed events"
    );
    // The latest positions end the resume.
    let positions = resumed.next_of("vehicle.moved").await;
    assert_eq!(positions["moves"][0]["vehicle_id"], "V-1");
    assert_eq!(positions["moves"][0]["position"]["lat"], SITE.0);

    // Then live events, none repeated.
    app.post("/tickets", &d, canary_intake("R-live", "counterfeit"))
        .await;
    let live = ticket_frames(&mut resumed, 1).await;
    assert_eq!(live[0]["seq"].as_u64(), Some(last + 1));
    let all: HashSet<u64> = seqs.iter().copied().chain([last + 1]).collect();
    assert_eq!(all.len(), seqs.len() + 1, "no duplicates");
}

#[actix_web::test]
async fn a_client_too_far_behind_gets_a_fresh_snapshot() {
    let app = spawn_app_with(&[("APP__STREAMS__MAX_REPLAY", "3")]).await;
    let d = app.token("dispatcher", None).await;
    for i in 0..6 {
        app.post(
            "/tickets",
            &d,
            canary_intake(&format!("S-{i}"), "counterfeit"),
        )
        .await;
    }
    for since in ["0", "1", "999999"] {
        let mut ws = connect(&app, &format!("/ws/console?since={since}"), &d).await;
        let hello = ws.next_any().await.expect("hello");
        assert_eq!(hello["resumed"], false, "since={since}: {hello}");
        let snapshot = ws.next_any().await.expect("snapshot");
        assert_eq!(snapshot["type"], "snapshot");
        assert_eq!(snapshot["tickets"].as_array().map(Vec::len), Some(6));
    }
    // Within the window it resumes.
    let last = app.engine.store.last_event_id();
    let mut ws = connect(&app, &format!("/ws/console?since={}", last - 2), &d).await;
    assert_eq!(ws.next_any().await.expect("hello")["resumed"], true);
    assert_eq!(ticket_frames(&mut ws, 2).await.len(), 2);
}

/// `hotline_stream_resumes_total` from `from` (hub or store).
async fn resumes(app: &crate::common::TestApp, from: &str) -> f64 {
    app.metric(&format!("hotline_stream_resumes_total{{from=\"{from}\"}}"))
        .await
}

#[actix_web::test]
async fn a_console_resuming_while_others_watch_gets_the_hubs_own_copies_exactly() {
    let app = spawn_app().await;
    let d = app.token("dispatcher", None).await;
    // Another desk stays open throughout, so the hub keeps every console frame.
    let mut other = connect(&app, "/ws/console", &d).await;
    other.next_of("snapshot").await;
    let mut console = connect(&app, "/ws/console", &d).await;
    console.next_of("snapshot").await;
    app.post("/tickets", &d, canary_intake("H-0", "counterfeit"))
        .await;
    let since = ticket_frames(&mut console, 1).await[0]["seq"]
        .as_u64()
        .expect("seq");
    drop(console);
    for i in 1..5 {
        app.post(
            "/tickets",
            &d,
            canary_intake(&format!("H-{i}"), "counterfeit"),
        )
        .await;
    }
    let last = app.engine.store.last_event_id();
    // The hub has sent all of them once the other desk has them.
    while ticket_frames(&mut other, 1).await[0]["seq"].as_u64() < Some(last) {}
    let (hub, store) = (resumes(&app, "hub").await, resumes(&app, "store").await);

    let mut resumed = connect(&app, &format!("/ws/console?since={since}"), &d).await;
    assert_eq!(resumed.next_any().await.expect("hello")["resumed"], true);
    let missed = ticket_frames(&mut resumed, (last - since) as usize).await;
    let seqs: Vec<u64> = missed.iter().filter_map(|f| f["seq"].as_u64()).collect();
    assert_eq!(seqs, ((since + 1)..=last).collect::<Vec<_>>());
    assert_eq!(
        (resumes(&app, "hub").await, resumes(&app, "store").await),
        (hub + 1.0, store),
        "answered from the hub's copies, not the store"
    );
    // Then live frames, none repeated.
    app.post("/tickets", &d, canary_intake("H-live", "counterfeit"))
        .await;
    assert_eq!(
        ticket_frames(&mut resumed, 1).await[0]["seq"].as_u64(),
        Some(last + 1)
    );
    app.stop().await;
}
