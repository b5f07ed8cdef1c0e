//! Dispatch before triage: a dispatcher who sends a vehicle on a ticket still `received`
//! (not grade I) confirms its proposed triage first, recorded in the timeline before the
//! offer or dispatch; a proposal without a site visit, or without a category, is refused
//! and changes nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{SITE, fleet, lead, on_duty};
use crate::common::{TestApp, spawn_app};

async fn timeline(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    let (s, events) = app.get(&format!("/tickets/{id}/events"), token).await;
    assert_eq!(s, StatusCode::OK, "{events}");
    events.as_array().expect("events").clone()
}

/// A grade II intake at the site, still to be triaged.
fn case(ext: &str, category: &str) -> Value {
    let mut body = lead(ext, category);
    body["urgency"] = json!("II");
    body["description"] = json!("梅川镇正街一家烟酒店可能在卖假烟，请核查");
    body
}

fn position(events: &[Value], kind: &str) -> usize {
    events
        .iter()
        .position(|e| e["type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {events:?}"))
}

#[actix_web::test]
async fn offering_a_received_ticket_confirms_its_triage_first() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 2).await;
    let d = app.token("dispatcher", Some("console-1")).await;
    let mut v1 = on_duty(&app, &tokens[0], SITE.0 + 0.01, SITE.1).await;
    let mut v2 = on_duty(&app, &tokens[1], SITE.0 + 0.05, SITE.1).await;

    // Grade II counterfeit, still `received`: "offer to the nearest".
    let (s, t) = app.post("/tickets", &d, case("TF-1", "counterfeit")).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["status"], "received");
    let id = t["id"].as_str().expect("id").to_owned();
    let (s, t) = app
        .post(&format!("/tickets/{id}/dispatch"), &d, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["status"], "triaged", "{t}");
    let offer = v1.next_of("offer").await;
    assert_eq!(offer["ticket"]["id"], id.as_str());
    let events = timeline(&app, &d, &id).await;
    let triaged = &events[position(&events, "ticket.triaged")];
    assert_eq!(triaged["by_role"], "dispatcher", "{triaged}");
    assert_eq!(triaged["data"]["category"], "counterfeit");
    assert!(position(&events, "ticket.triaged") < position(&events, "offer.sent"));
    // Exactly one offer: the triage's own automatic offer did not send a second.
    let sent = events.iter().filter(|e| e["type"] == "offer.sent").count();
    assert_eq!(sent, 1, "{events:?}");

    // A named vehicle on another received ticket: same confirmation.
    let (_, t) = app.post("/tickets", &d, case("TF-2", "counterfeit")).await;
    let id2 = t["id"].as_str().expect("id").to_owned();
    let (s, t) = app
        .post(
            &format!("/tickets/{id2}/dispatch"),
            &d,
            json!({ "vehicle_id": "V-2" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(v2.next_of("offer").await["ticket"]["id"], id2.as_str());
    let events = timeline(&app, &d, &id2).await;
    assert!(position(&events, "ticket.triaged") < position(&events, "offer.sent"));
    app.stop().await;
}

#[actix_web::test]
async fn assigning_a_received_ticket_confirms_its_triage_and_refusals_change_nothing() {
    let app = spawn_app().await;
    fleet(&app, 1).await;
    let d = app.token("dispatcher", Some("console-1")).await;
    let (_, t) = app.post("/tickets", &d, case("TF-3", "counterfeit")).await;
    let id = t["id"].as_str().expect("id").to_owned();
    let send = json!({ "vehicle_id": "V-1", "assign": true });
    let (s, t) = app.post(&format!("/tickets/{id}/dispatch"), &d, send).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["status"], "en_route", "{t}");
    let events = timeline(&app, &d, &id).await;
    assert!(position(&events, "ticket.triaged") < position(&events, "ticket.dispatched"));

    // A category with no site visit: refused with a code the console explains; still
    // received, nothing written.
    let (_, t) = app
        .post("/tickets", &d, case("TF-4", "supply_release"))
        .await;
    let id = t["id"].as_str().expect("id").to_owned();
    let again = json!({ "vehicle_id": "V-1", "assign": true, "override": true });
    for body in [json!({}), json!({ "vehicle_id": "V-1" }), again] {
        let (s, e) = app.post(&format!("/tickets/{id}/dispatch"), &d, body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["code"], "no_onsite_stage", "{e}");
    }
    let (_, t) = app.get(&format!("/tickets/{id}"), &d).await;
    assert_eq!(t["status"], "received");
    let events = timeline(&app, &d, &id).await;
    assert!(events.iter().all(|e| e["type"] != "ticket.triaged"));
    app.stop().await;
}
