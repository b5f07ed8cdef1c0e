//! The nearest route for an override: `include_busy` lists the vehicles on duty that are
//! busy (marked), and `ticket` marks those that declined it; the default answer is still
//! only the eligible vehicles, and an override sends a listed busy vehicle.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{SITE, fleet, lead, on_duty};
use crate::common::spawn_app;
use crate::common::ws::WsClient;

fn north(km: f64) -> (f64, f64) {
    (SITE.0 + km / 111.2, SITE.1)
}

fn row<'a>(list: &'a Value, id: &str) -> Option<&'a Value> {
    list.as_array()?.iter().find(|v| v["vehicle_id"] == id)
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .map(|a| a.iter().filter_map(|v| v["vehicle_id"].as_str()).collect())
        .unwrap_or_default()
}

#[actix_web::test]
async fn an_override_list_shows_busy_and_declined_vehicles_marked() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 4).await;
    let d = app.token("dispatcher", None).await;
    let (a, b, c) = (north(1.0), north(2.0), north(4.0));
    let mut v1 = on_duty(&app, &tokens[0], a.0, a.1).await;
    let mut v2 = on_duty(&app, &tokens[1], b.0, b.1).await;
    let mut v3 = on_duty(&app, &tokens[2], c.0, c.1).await;
    // V-4 is the closest but off duty: never listed, not even for an override.
    let mut v4 = WsClient::connect(&app.base, "/ws/vehicle", &tokens[3]).await;
    v4.next_of("hello").await;
    v4.at(SITE.0 + 0.0005, SITE.1).await;

    // V-1 takes a grade I lead: en route.
    let (s, busy) = app
        .post("/tickets", &d, lead("OV-1", "unlicensed_transport"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{busy}");
    let offer = v1.next_of("offer").await;
    v1.send(json!({ "type": "offer.accept", "offer_id": offer["offer_id"] }))
        .await;
    v1.next_update("en_route").await;

    // A second lead: V-2 is offered it first and declines; V-3 gets it and lets it sit.
    let (_, t) = app
        .post("/tickets", &d, lead("OV-2", "unlicensed_transport"))
        .await;
    let id = t["id"].as_str().expect("id").to_owned();
    let offer = v2.next_of("offer").await;
    assert_eq!(offer["ticket"]["id"], id.as_str());
    v2.send(
        json!({ "type": "offer.decline", "offer_id": offer["offer_id"], "reason": "另有任务" }),
    )
    .await;
    v2.next_of("ack").await;
    let offer = v3.next_of("offer").await;
    assert_eq!(offer["ticket"]["id"], id.as_str());
    v2.sync().await;

    let at = format!("lat={}&lng={}", SITE.0, SITE.1);
    // The eligible list, as before: the busy, the offered and the off-duty are left out.
    // (The grid hears of V-2's decline a moment after the dispatcher does.)
    let mut eligible = Value::Null;
    for _ in 0..50 {
        let (s, list) = app
            .get(&format!("/dispatch/nearest?{at}&limit=10"), &d)
            .await;
        assert_eq!(s, StatusCode::OK, "{list}");
        eligible = list;
        if !ids(&eligible).is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(ids(&eligible), ["V-2"], "{eligible}");
    assert_eq!(eligible[0]["busy"], false);
    assert_eq!(eligible[0]["declined"], false, "no ticket asked about");

    // For an override: every vehicle on duty, nearest first, marked.
    let (s, all) = app
        .get(
            &format!("/dispatch/nearest?{at}&limit=10&include_busy=true&ticket={id}"),
            &d,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{all}");
    assert_eq!(ids(&all), ["V-1", "V-2", "V-3"], "{all}");
    let v1_row = row(&all, "V-1").expect("V-1");
    assert_eq!(
        (&v1_row["status"], &v1_row["busy"], &v1_row["online"]),
        (&json!("en_route"), &json!(true), &json!(true)),
        "{v1_row}"
    );
    assert_eq!(v1_row["ticket_id"], busy["id"], "the ticket it is on");
    assert!(
        v1_row["reason"]
            .as_str()
            .is_some_and(|r| r.contains("override")),
        "{v1_row}"
    );
    let v2_row = row(&all, "V-2").expect("V-2");
    assert_eq!(
        (&v2_row["busy"], &v2_row["declined"]),
        (&json!(false), &json!(true)),
        "{v2_row}"
    );
    let v3_row = row(&all, "V-3").expect("V-3");
    assert_eq!(v3_row["status"], "offered");
    assert_eq!(v3_row["busy"], true);
    assert_eq!(v3_row["ticket_id"], id.as_str());

    // The limit counts vehicles on duty, nearest first.
    let (_, two) = app
        .get(
            &format!("/dispatch/nearest?{at}&limit=2&include_busy=true"),
            &d,
        )
        .await;
    assert_eq!(ids(&two), ["V-1", "V-2"], "{two}");

    // Bad input: a ticket that does not exist is 404, a malformed one too; nothing changes.
    let (s, e) = app
        .get(
            &format!("/dispatch/nearest?{at}&include_busy=true&ticket=nope"),
            &d,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    // A field token may not ask.
    let (s, _) = app
        .get(
            &format!("/dispatch/nearest?{at}&include_busy=true"),
            &tokens[0],
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The listed busy vehicle is sent by an override on a third ticket (grade III).
    let (_, t3) = app
        .post(
            "/tickets",
            &d,
            json!({ "source": "12313", "external_id": "OV-3", "kind": "report", "category": "counterfeit",
                    "urgency": "III", "description": "梅川镇正街一家店卖假烟",
                    "location": { "lat": SITE.0, "lng": SITE.1 } }),
        )
        .await;
    let id3 = t3["id"].as_str().expect("id");
    app.post(&format!("/tickets/{id3}/triage"), &d, json!({}))
        .await;
    let (s, e) = app
        .post(
            &format!("/tickets/{id3}/dispatch"),
            &d,
            json!({ "vehicle_id": "V-1" }),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "busy without override: {e}");
    let (s, e) = app
        .post(
            &format!("/tickets/{id3}/dispatch"),
            &d,
            json!({ "vehicle_id": "V-1", "override": true }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let offer = v1.next_of("offer").await;
    assert_eq!(offer["ticket"]["id"], id3);
}
