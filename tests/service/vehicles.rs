//! A vehicle out of service: its offer goes to the next vehicle, the ticket it accepted
//! back to dispatch, its token stops working, and it gets no work or token until it is back.

use reqwest::StatusCode;
use serde_json::json;

use super::{kinds, out_of_service, timeline};
use crate::common::spawn_app;
use crate::common::ws::WsClient;
use crate::dispatch::{SITE, fleet, lead, on_duty};

/// Roughly `km` kilometres north of the site.
fn north(km: f64) -> (f64, f64) {
    (SITE.0 + km / 111.2, SITE.1)
}

#[actix_web::test]
async fn a_vehicle_holding_an_offer_goes_out_of_service_and_the_next_vehicle_gets_it() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 2).await;
    let d = app.token("dispatcher", None).await;
    let (a, b) = (north(1.0), north(3.0));
    let mut v1 = on_duty(&app, &tokens[0], a.0, a.1).await;
    let mut v2 = on_duty(&app, &tokens[1], b.0, b.1).await;
    let mut console = WsClient::connect(&app.base, "/ws/console", &d).await;
    console.next_of("snapshot").await;

    let (s, t) = app
        .post("/tickets", &d, lead("OOS-1", "unlicensed_transport"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_str().unwrap().to_owned();
    let offer = v1.next_of("offer").await;
    assert_eq!(offer["ticket"]["id"], id.as_str());

    // Broken down while holding the offer.
    let out = out_of_service(&app, &d, "/vehicles/V-1", "发动机故障").await;
    assert_eq!(out["changed"], true);
    assert_eq!(out["tokens_revoked"], 1);
    assert_eq!(out["vehicle"]["in_service"], false);
    assert_eq!(out["vehicle"]["service"]["reason"], "发动机故障");
    assert_eq!(out["vehicle"]["service"]["by"], "dispatcher");
    let withdrawn = out["tickets"].as_array().unwrap();
    assert_eq!(withdrawn.len(), 1, "{out}");
    assert_eq!(withdrawn[0]["ticket_id"], id.as_str());
    assert_eq!(withdrawn[0]["event"], "offer.cancelled");
    assert_eq!(withdrawn[0]["reoffered"], true);

    // The next vehicle gets the offer, as after a decline.
    let offer2 = v2.next_of("offer").await;
    assert_eq!(offer2["ticket"]["id"], id.as_str());
    assert_ne!(offer2["offer_id"], offer["offer_id"]);
    let events = timeline(&app, &d, &id).await;
    let cancelled = events
        .iter()
        .find(|e| e["type"] == "offer.cancelled")
        .expect("offer.cancelled in the timeline");
    assert_eq!(cancelled["data"]["vehicle_id"], "V-1");
    assert_eq!(cancelled["data"]["reason"], "发动机故障");

    // Consoles see the status change.
    loop {
        let f = console.next_of("vehicle.status").await;
        if f["vehicle_id"] == "V-1" && f["status"] == "out_of_service" {
            break;
        }
    }
    let (_, live) = app.get("/vehicles/V-1/live", &d).await;
    assert_eq!(live["status"], "out_of_service");
    let (_, listed) = app.get("/vehicles", &d).await;
    let v = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "V-1")
        .unwrap()
        .clone();
    assert_eq!(v["in_service"], false);
    assert_eq!(v["service"]["reason"], "发动机故障");
    let (_, other) = app.get("/vehicles/V-2", &d).await;
    assert_eq!(other["in_service"], true);
    assert!(other.get("service").is_none(), "{other}");

    // Its token is refused; no new one is issued; it cannot be sent, not even with override.
    let (s, _) = app.get(&format!("/tickets/{id}"), &tokens[0]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, b) = app
        .post(
            "/tokens",
            crate::common::ADMIN,
            json!({ "role": "field", "subject": "V-1" }),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::CONFLICT, Some("out_of_service")),
        "{b}"
    );
    let mut body = crate::common::intake("OOS-2", Some("counterfeit"), "report");
    body["urgency"] = json!("III");
    let (s, t2) = app.post("/tickets", &d, body).await;
    assert_eq!(s, StatusCode::CREATED);
    let id2 = t2["id"].as_str().unwrap();
    app.post(
        &format!("/tickets/{id2}/triage"),
        &d,
        json!({ "urgency": "III" }),
    )
    .await;
    for body in [
        json!({ "vehicle_id": "V-1", "override": true }),
        json!({ "vehicle_id": "V-1", "assign": true, "override": true }),
    ] {
        let (s, b) = app
            .post(&format!("/tickets/{id2}/dispatch"), &d, body)
            .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::CONFLICT, Some("out_of_service")),
            "{b}"
        );
    }
    // The crew may not make it available again.
    let (s, b) = app
        .post("/vehicles/V-1/in-service", &tokens[1], json!({}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");

    // A repeat changes nothing and keeps the first reason.
    let again = out_of_service(&app, &d, "/vehicles/V-1", "另一个理由").await;
    assert_eq!(again["changed"], false);
    assert_eq!(again["tokens_revoked"], 0);
    assert_eq!(again["vehicle"]["service"]["reason"], "发动机故障");
    assert_eq!(again["tickets"], json!([]));
    let n = kinds(&app, &d, &id).await;
    assert_eq!(
        n.iter().filter(|k| *k == "offer.cancelled").count(),
        1,
        "{n:?}"
    );
    app.stop().await;
}

#[actix_web::test]
async fn a_vehicle_on_its_way_is_called_off_and_its_ticket_offered_again() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 2).await;
    let d = app.token("dispatcher", None).await;
    let (a, b) = (north(1.0), north(3.0));
    let mut v1 = on_duty(&app, &tokens[0], a.0, a.1).await;
    let mut v2 = on_duty(&app, &tokens[1], b.0, b.1).await;

    let (_, t) = app
        .post("/tickets", &d, lead("OOS-3", "unlicensed_transport"))
        .await;
    let id = t["id"].as_str().unwrap().to_owned();
    let offer = v1.next_of("offer").await;
    v1.send(json!({ "type": "offer.accept", "offer_id": offer["offer_id"] }))
        .await;
    v1.next_update("en_route").await;

    let out = out_of_service(&app, &d, "/vehicles/V-1", "途中发生交通事故").await;
    let withdrawn = out["tickets"].as_array().unwrap();
    assert_eq!(withdrawn.len(), 1, "{out}");
    assert_eq!(withdrawn[0]["event"], "ticket.dispatch_cancelled");
    assert_eq!(
        withdrawn[0]["reoffered"], true,
        "grade I is offered by the engine"
    );

    // Back to dispatch, and offered to the next vehicle at once.
    let offer2 = v2.next_of("offer").await;
    assert_eq!(offer2["ticket"]["id"], id.as_str());
    let (_, ticket) = app.get(&format!("/tickets/{id}"), &d).await;
    assert_eq!(ticket["status"], "received", "a fast track not yet triaged");
    assert!(ticket["assignment"].get("vehicle_id").is_none(), "{ticket}");
    let events = timeline(&app, &d, &id).await;
    let called_off = events
        .iter()
        .find(|e| e["type"] == "ticket.dispatch_cancelled")
        .expect("the call-off is in the timeline");
    assert_eq!(called_off["data"]["vehicle_id"], "V-1");
    assert_eq!(called_off["data"]["reason"], "途中发生交通事故");
    assert_eq!(called_off["by_role"], "system");
    // The vehicle lets go of the ticket (told through the bus, just after the answer).
    let mut live = serde_json::Value::Null;
    for _ in 0..200 {
        live = app.get("/vehicles/V-1/live", &d).await.1;
        if live["ticket_id"].is_null() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(live["status"], "out_of_service");
    assert!(live["ticket_id"].is_null(), "{live}");

    // V-2 takes it.
    v2.send(json!({ "type": "offer.accept", "offer_id": offer2["offer_id"] }))
        .await;
    v2.next_update("en_route").await;
    let (_, ticket) = app.get(&format!("/tickets/{id}"), &d).await;
    assert_eq!(ticket["assignment"]["vehicle_id"], "V-2");
    app.stop().await;
}

#[actix_web::test]
async fn a_vehicle_on_site_is_called_off_and_a_grade_not_offered_automatically_raises_an_alert() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 1).await;
    let d = app.token("dispatcher", None).await;
    let mut v1 = on_duty(&app, &tokens[0], SITE.0, SITE.1).await;
    let mut body = crate::common::intake("OOS-4", Some("counterfeit"), "report");
    body["urgency"] = json!("III");
    let (_, t) = app.post("/tickets", &d, body).await;
    let id = t["id"].as_str().unwrap().to_owned();
    app.post(
        &format!("/tickets/{id}/triage"),
        &d,
        json!({ "urgency": "III" }),
    )
    .await;
    let (s, b) = app
        .post(
            &format!("/tickets/{id}/dispatch"),
            &d,
            json!({ "vehicle_id": "V-1", "assign": true }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = app
        .post(&format!("/tickets/{id}/arrive"), &tokens[0], json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    v1.next_update("on_site").await;

    let out = out_of_service(&app, &d, "/vehicles/V-1", "车辆被扣").await;
    assert_eq!(out["tickets"][0]["event"], "ticket.dispatch_cancelled");
    assert_eq!(
        out["tickets"][0]["reoffered"], false,
        "grade III waits for a dispatcher"
    );
    let (_, ticket) = app.get(&format!("/tickets/{id}"), &d).await;
    assert_eq!(ticket["status"], "triaged");
    // The alert may land just after the answer.
    let mut alerted = None;
    for _ in 0..200 {
        alerted = timeline(&app, &d, &id).await.into_iter().find(|e| {
            e["type"] == "alert"
                && e["data"]["reason"]
                    .as_str()
                    .is_some_and(|r| r.contains("V-1"))
        });
        if alerted.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let alerted = alerted.expect("an alert asks for another vehicle");
    assert!(
        alerted["data"]["reason"]
            .as_str()
            .unwrap()
            .contains("车辆被扣")
    );
    let n = kinds(&app, &d, &id).await;
    let tail: Vec<&str> = n.iter().rev().take(2).rev().map(String::as_str).collect();
    assert_eq!(tail, ["ticket.dispatch_cancelled", "alert"], "{n:?}");
    app.stop().await;
}

#[actix_web::test]
async fn back_in_service_a_vehicle_is_off_duty_until_its_crew_says_available_then_offered_work() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 1).await;
    let d = app.token("dispatcher", None).await;
    let _v1 = on_duty(&app, &tokens[0], SITE.0, SITE.1).await;
    out_of_service(&app, &d, "/vehicles/V-1", "送修").await;
    // A grade I lead finds nobody while it is out.
    let (_, t) = app
        .post("/tickets", &d, lead("OOS-5", "unlicensed_transport"))
        .await;
    let id = t["id"].as_str().unwrap().to_owned();

    let (s, back) = app
        .post("/vehicles/V-1/in-service", &d, json!({ "note": "修好了" }))
        .await;
    assert_eq!(s, StatusCode::OK, "{back}");
    assert_eq!(back["changed"], true);
    assert_eq!(back["in_service"], true);
    assert_eq!(back["service"]["reason"], "修好了");
    let (_, live) = app.get("/vehicles/V-1/live", &d).await;
    assert_eq!(live["status"], "off_duty");
    let (s, again) = app.post("/vehicles/V-1/in-service", &d, json!({})).await;
    assert_eq!((s, &again["changed"]), (StatusCode::OK, &json!(false)));
    // The old token stays revoked; an admin issues a new one.
    let (s, _) = app.get("/vehicles/V-1/live", &tokens[0]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let token = app.token("field", Some("V-1")).await;
    let mut v1 = on_duty(&app, &token, SITE.0, SITE.1).await;
    let (s, b) = app
        .post(&format!("/tickets/{id}/dispatch"), &d, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let offer = v1.next_of("offer").await;
    assert_eq!(offer["ticket"]["id"], id.as_str());
    app.stop().await;
}
