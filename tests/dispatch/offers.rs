//! The offer lifecycle end to end.

use reqwest::StatusCode;
use serde_json::json;
use time::Duration;

use super::{SITE, fleet, lead, on_duty};
use crate::common::spawn_app;

/// Roughly `km` kilometres north of the site.
fn north(km: f64) -> (f64, f64) {
    (SITE.0 + km / 111.2, SITE.1)
}

#[actix_web::test]
async fn a_grade_one_lead_goes_to_the_nearest_then_the_next_until_one_accepts_and_arrives() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 4).await;
    let d = app.token("dispatcher", None).await;
    let (a, b, c) = (north(1.0), north(3.0), north(6.0));
    let mut v1 = on_duty(&app, &tokens[0], a.0, a.1).await;
    let mut v2 = on_duty(&app, &tokens[1], b.0, b.1).await;
    let mut v3 = on_duty(&app, &tokens[2], c.0, c.1).await;
    // V-4 is closest but off duty: never offered.
    let mut v4 = crate::common::ws::WsClient::connect(&app.base, "/ws/vehicle", &tokens[3]).await;
    v4.next_of("hello").await;
    v4.at(SITE.0 + 0.001, SITE.1).await;

    let (s, t) = app
        .post("/tickets", &d, lead("G1-1", "unlicensed_transport"))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let id = t["id"].as_str().expect("id").to_owned();

    // Offered at intake (fast track) to the nearest available vehicle.
    let offer = v1.next_of("offer").await;
    assert_eq!(offer["ticket"]["id"], id.as_str());
    assert_eq!(offer["ticket"]["urgency"], "I");
    let text = offer.to_string();
    assert!(
        !text.contains("CANARY-NAME") && !text.contains("13877770000"),
        "no reporter identity: {text}"
    );
    let dist = offer["distance_m"].as_f64().expect("distance");
    assert!((900.0..1100.0).contains(&dist), "{dist}");
    assert!(offer["eta_s"].as_f64().is_some_and(|e| e > 0.0));

    // V-1 declines: V-2 is next.
    v1.send(json!({ "type": "offer.decline", "offer_id": offer["offer_id"], "reason": "在处理其他现场" })).await;
    assert_eq!(v1.next_of("ack").await["request"], "offer.decline");
    let offer2 = v2.next_of("offer").await;
    assert_eq!(offer2["ticket"]["id"], id.as_str());

    // V-2 stays silent: after the timeout the offer expires and goes to V-3, never back to V-1.
    app.clock.advance(Duration::seconds(61));
    let cancelled = v2.next_of("offer.cancelled").await;
    assert_eq!(cancelled["offer_id"], offer2["offer_id"]);
    let offer3 = v3.next_of("offer").await;
    assert_eq!(offer3["ticket"]["id"], id.as_str());

    // V-3 accepts: en route.
    v3.send(json!({ "type": "offer.accept", "offer_id": offer3["offer_id"] }))
        .await;
    assert_eq!(v3.next_of("ack").await["request"], "offer.accept");
    let updated = v3.next_update("en_route").await;
    assert_eq!(updated["event"], "offer.accepted");
    let (_, t) = app.get(&format!("/tickets/{id}"), &d).await;
    assert_eq!(t["status"], "en_route");
    assert_eq!(t["assignment"]["vehicle_id"], "V-3");
    let (_, live) = app.get("/vehicles/V-3/live", &d).await;
    assert_eq!(live["status"], "en_route");
    assert!(
        live["distance_to_site_m"]
            .as_f64()
            .is_some_and(|m| m > 5000.0)
    );

    // Driving to the site: arrival is detected from the fixes.
    v3.at(north(2.0).0, SITE.1).await;
    v3.at(SITE.0 + 0.0003, SITE.1).await;
    let arrived = v3.next_update("on_site").await;
    assert_eq!(arrived["event"], "ticket.arrived");
    let (_, live) = app.get("/vehicles/V-3/live", &d).await;
    assert_eq!(live["status"], "on_site");

    // The timeline holds every step, in order: the first offer committed with the intake,
    // the fast-track alert after it.
    let (_, events) = app.get(&format!("/tickets/{id}/events"), &d).await;
    let kinds: Vec<&str> = events
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "ticket.received",
            "offer.sent",
            "alert",
            "offer.declined",
            "offer.sent",
            "offer.expired",
            "offer.sent",
            "offer.accepted",
            "ticket.arrived"
        ]
    );
    // The others are free again.
    let (_, live) = app.get("/vehicles/V-1/live", &d).await;
    assert_eq!(live["status"], "available");
    app.stop().await;
}

#[actix_web::test]
async fn stale_vehicles_are_not_offered_and_a_dispatcher_can_choose_and_cancel() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 2).await;
    let d = app.token("dispatcher", None).await;
    let near = north(0.5);
    let far = north(8.0);
    let mut v1 = on_duty(&app, &tokens[0], near.0, near.1).await;
    // Ten minutes pass; V-1 says nothing more, V-2 comes on duty with a fresh fix.
    app.clock.advance(Duration::minutes(10));
    let mut v2 = on_duty(&app, &tokens[1], far.0, far.1).await;

    let (_, nearest) = app
        .get(
            &format!(
                "/dispatch/nearest?lat={}&lng={}&include_stale=true",
                SITE.0, SITE.1
            ),
            &d,
        )
        .await;
    let list = nearest.as_array().expect("list");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["vehicle_id"], "V-1");
    assert_eq!(list[0]["stale"], true);
    let (_, fresh) = app
        .get(
            &format!("/dispatch/nearest?lat={}&lng={}", SITE.0, SITE.1),
            &d,
        )
        .await;
    assert_eq!(fresh.as_array().map(Vec::len), Some(1));
    assert_eq!(fresh[0]["vehicle_id"], "V-2");
    assert!(fresh[0]["eta_s"].as_f64().is_some_and(|e| e > 0.0));

    // A grade II ticket waits for the dispatcher (auto offers are for grade I in tests); no
    // bulk words, which would raise it to grade I.
    let mut body = lead("G2-1", "counterfeit");
    body["urgency"] = json!("II");
    body["description"] = json!("梅川镇正街一家店卖假烟，包装粗糙");
    let (_, t) = app.post("/tickets", &d, body).await;
    let id = t["id"].as_str().expect("id").to_owned();
    let (s, _) = app
        .post(&format!("/tickets/{id}/triage"), &d, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, t) = app
        .post(&format!("/tickets/{id}/dispatch"), &d, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let offer = v2.next_of("offer").await;
    assert_eq!(offer["ticket"]["id"], id.as_str());
    // One offer at a time.
    let (s, b) = app
        .post(
            &format!("/tickets/{id}/dispatch"),
            &d,
            json!({ "vehicle_id": "V-1" }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["code"], "offer_open");
    // Cancel: the vehicle is told and is free again.
    let (s, _) = app
        .post(
            &format!("/tickets/{id}/dispatch/cancel"),
            &d,
            json!({ "reason": "改派" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let cancelled = v2.next_of("offer.cancelled").await;
    assert_eq!(cancelled["offer_id"], offer["offer_id"]);
    // The dispatcher chooses V-1 (stale, but named) and it accepts.
    let (s, b) = app
        .post(
            &format!("/tickets/{id}/dispatch"),
            &d,
            json!({ "vehicle_id": "V-1" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let offer = v1.next_of("offer").await;
    v1.send(json!({ "type": "offer.accept", "offer_id": offer["offer_id"] }))
        .await;
    assert_eq!(v1.next_of("ack").await["request"], "offer.accept");
    // Answering an offer twice, or someone else's, is an error frame and changes nothing.
    v2.send(json!({ "type": "offer.accept", "offer_id": offer["offer_id"] }))
        .await;
    let err = v2.next_of("error").await;
    assert_eq!(err["code"], "offer_not_open");
    // Cancel the vehicle on its way: back to triaged, the vehicle is available.
    let (s, t) = app
        .post(
            &format!("/tickets/{id}/dispatch/cancel"),
            &d,
            json!({ "reason": "车辆故障" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(t["status"], "triaged");
    let update = v1.next_update("triaged").await;
    assert_eq!(update["event"], "ticket.dispatch_cancelled");
    v1.sync().await;
    let (_, live) = app.get("/vehicles/V-1/live", &d).await;
    assert_eq!(live["status"], "available");
    app.stop().await;
}

#[actix_web::test]
async fn an_escalation_phrase_raises_a_given_grade_to_the_fast_track() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 1).await;
    let d = app.token("dispatcher", None).await;
    let near = north(1.0);
    let mut v1 = on_duty(&app, &tokens[0], near.0, near.1).await;

    // The feed files it as III, but "面包车 ... 大量" is a bulk lead: grade I, offered at once.
    let mut body = lead("G3-1", "counterfeit");
    body["urgency"] = json!("III");
    let (s, t) = app.post("/tickets", &d, body).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["urgency"], "I", "{t}");
    assert!(t["triage"]["suggestion"]["escalated_by"].is_string(), "{t}");
    let offer = v1.next_of("offer").await;
    assert_eq!(offer["ticket"]["id"], t["id"]);

    // A plain grade III complaint stays III and waits for triage.
    let body = json!({ "source": "12313", "external_id": "G3-2", "kind": "complaint",
        "category": "late_delivery", "urgency": "III", "description": "这周的烟到现在还没送到" });
    let (s, t) = app.post("/tickets", &d, body).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["urgency"], "III", "{t}");
    assert!(t["triage"]["suggestion"]["escalated_by"].is_null(), "{t}");

    // Grade I where the category has no site visit: no offer, but an alert all the same.
    let body = json!({ "source": "12313", "external_id": "G3-3", "kind": "complaint",
        "category": "late_delivery", "urgency": "I", "description": "配送车翻在路边，烟散了一地" });
    let (s, t) = app.post("/tickets", &d, body).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_str().expect("id").to_owned();
    let mut kinds = Vec::new();
    for _ in 0..200 {
        let (_, events) = app.get(&format!("/tickets/{id}/events"), &d).await;
        kinds = events
            .as_array()
            .expect("events")
            .iter()
            .filter_map(|e| e["type"].as_str().map(str::to_owned))
            .collect();
        if kinds.len() > 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(kinds, ["ticket.received", "alert"]);
}
