//! A grade I intake and its first offer are committed together: the intake's answer
//! already carries the offer, the timeline holds `ticket.received` and `offer.sent` under
//! consecutive event ids, and two leads filed at once never go to one vehicle.

#![allow(clippy::unwrap_used, reason = "tests")]

use reqwest::StatusCode;
use serde_json::Value;

use super::{SITE, fleet, lead, on_duty};
use crate::common::{TestApp, spawn_app};

/// Files a grade I lead at the site; the answer.
async fn file(app: &TestApp, token: &str, ext: &str) -> Value {
    let (s, t) = app
        .post("/tickets", token, lead(ext, "unlicensed_transport"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    t
}

/// Ticket `id`'s timeline, in order.
async fn events(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    let (s, events) = app.get(&format!("/tickets/{id}/events"), token).await;
    assert_eq!(s, StatusCode::OK, "{events}");
    events.as_array().unwrap().clone()
}

/// Whether the intake's answer is the ticket after its first offer (the ticket's JSON
/// shows its `seq`: 1 when filed alone, 2 with the offer).
fn offered_at_intake(ticket: &Value) -> bool {
    ticket["seq"] == 2
}

#[actix_web::test]
async fn a_fast_track_intake_is_answered_with_its_offer_already_durable() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 1).await;
    let d = app.token("dispatcher", None).await;
    let mut v1 = on_duty(&app, &tokens[0], SITE.0 + 0.001, SITE.1).await;

    let answer = file(&app, &d, "FT-1").await;
    let id = answer["id"].as_str().unwrap();
    assert!(
        offered_at_intake(&answer),
        "the intake's answer carries its offer: {answer}"
    );

    let offer = v1.next_of("offer").await;
    assert_eq!(offer["ticket"]["id"], id);

    let events = events(&app, &d, id).await;
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(&kinds[..2], ["ticket.received", "offer.sent"], "{kinds:?}");
    assert_eq!(
        events[1]["data"]["offer_id"], offer["offer_id"],
        "{events:?}"
    );
    assert_eq!(events[1]["data"]["vehicle_id"], "V-1");
    let ids: Vec<u64> = events[..2]
        .iter()
        .map(|e| e["event_id"].as_u64().unwrap())
        .collect();
    assert_eq!(
        ids[1],
        ids[0] + 1,
        "one commit: consecutive event ids {ids:?}"
    );
    // The offer is not made a second time when the intake's event is published.
    let offers_sent = kinds.iter().filter(|k| **k == "offer.sent").count();
    assert_eq!(offers_sent, 1, "{kinds:?}");
    assert!(!v1.pending_has("offer"), "one offer frame only");
}

/// One vehicle free, two leads filed at the same moment: one is offered to it, the other
/// is told there is no vehicle; V-1 is never offered both.
#[actix_web::test]
async fn two_leads_filed_at_once_never_go_to_one_vehicle() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 1).await;
    let d = app.token("dispatcher", None).await;
    let mut v1 = on_duty(&app, &tokens[0], SITE.0 + 0.001, SITE.1).await;

    let (a, b) = futures_util::join!(file(&app, &d, "FT-A"), file(&app, &d, "FT-B"));
    let offered: Vec<&Value> = [&a, &b]
        .into_iter()
        .filter(|t| offered_at_intake(t))
        .collect();
    assert_eq!(
        offered.len(),
        1,
        "exactly one lead offered at intake: {a} / {b}"
    );
    let first = v1.next_of("offer").await;
    assert_eq!(first["ticket"]["id"], offered[0]["id"]);
    let other = if offered[0]["id"] == a["id"] { &b } else { &a };
    let other_id = other["id"].as_str().unwrap();

    // The other lead's timeline says why it was not sent, and holds no offer.
    let mut alerted = false;
    for _ in 0..100 {
        let events = events(&app, &d, other_id).await;
        assert!(
            events.iter().all(|e| e["type"] != "offer.sent"),
            "{events:?}"
        );
        alerted = events.iter().any(|e| {
            e["type"] == "alert"
                && e["data"]["reason"]
                    .as_str()
                    .is_some_and(|r| r.contains("no vehicle sent"))
        });
        if alerted {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let last = events(&app, &d, other_id).await;
    assert!(
        alerted,
        "the second lead raised `no vehicle sent`: {last:?}"
    );
    assert!(!v1.pending_has("offer"), "V-1 got one offer only");
}

/// Two vehicles, two leads at once: each vehicle gets one of them.
#[actix_web::test]
async fn two_leads_filed_at_once_go_to_two_vehicles() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 2).await;
    let d = app.token("dispatcher", None).await;
    let mut v1 = on_duty(&app, &tokens[0], SITE.0 + 0.001, SITE.1).await;
    let mut v2 = on_duty(&app, &tokens[1], SITE.0 + 0.002, SITE.1).await;

    let (a, b) = futures_util::join!(file(&app, &d, "FT-C"), file(&app, &d, "FT-D"));
    let o1 = v1.next_of("offer").await;
    let o2 = v2.next_of("offer").await;
    let mut offered = [o1["ticket"]["id"].clone(), o2["ticket"]["id"].clone()];
    offered.sort_by_key(|v| v.to_string());
    let mut filed = [a["id"].clone(), b["id"].clone()];
    filed.sort_by_key(|v| v.to_string());
    assert_eq!(offered, filed, "each lead offered to its own vehicle");
    assert!(!v1.pending_has("offer") && !v2.pending_has("offer"));
}
