//! Crew phones on one vehicle: each crew member's phone holds its own session beside the
//! others (and the vehicle's own device), all see the offer and the ticket, one reports
//! positions — the vehicle's own device, else the phone connected first — and the role
//! moves when it leaves. Only the same principal reconnecting replaces a session (1008).
//! An answer on one phone stops the others ringing (`offer.answered`); a receipt from any
//! phone confirms an offer, and a phone closing mid-wait leaves the offer with the rest.

#![allow(clippy::unwrap_used, reason = "tests")]

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{SITE, lead};
use crate::common::ws::WsClient;
use crate::common::{ADMIN, TestApp, spawn_app, spawn_app_with};
use crate::groups::types;

/// Tokens of V-1 and its crew of two.
struct Crew {
    vehicle: String,
    s1: String,
    s2: String,
    dispatcher: String,
}

/// Registers squad T-1 and V-1 with crew S-1 and S-2; tokens for the vehicle, each crew
/// member and a dispatcher.
async fn crew(app: &TestApp) -> Crew {
    let team = json!({ "id": "T-1", "name": "一中队", "department": "enforcement" });
    let (s, b) = app.post("/teams", ADMIN, team).await;
    assert!(s.is_success(), "{b}");
    for i in 1..=2 {
        let staff = json!({ "id": format!("S-{i}"), "name": "市管员", "role": "inspector",
            "department": "enforcement", "team_id": "T-1", "badge": format!("ZM-{i}") });
        let (s, b) = app.post("/staff", ADMIN, staff).await;
        assert!(s.is_success(), "{b}");
    }
    let v = json!({ "id": "V-1", "plate": "鄂J·Z0001", "team_id": "T-1",
        "department": "enforcement", "crew": ["S-1", "S-2"] });
    let (s, b) = app.post("/vehicles", ADMIN, v).await;
    assert!(s.is_success(), "{b}");
    Crew {
        vehicle: app.token("field", Some("V-1")).await,
        s1: app.token("field", Some("S-1")).await,
        s2: app.token("field", Some("S-2")).await,
        dispatcher: app.token("dispatcher", None).await,
    }
}

/// Opens `/ws/vehicle` with `token`; the socket and its `hello`.
async fn phone(app: &TestApp, token: &str) -> (WsClient, Value) {
    let mut ws = WsClient::connect(&app.base, "/ws/vehicle", token).await;
    let hello = ws.next_of("hello").await;
    assert_eq!(hello["vehicle_id"], "V-1", "{hello}");
    (ws, hello)
}

/// Puts V-1 on duty from `ws` (its reporting session) at `lat` by the site.
async fn on_duty(ws: &mut WsClient, lat: f64) {
    ws.send(json!({ "type": "status", "status": "available" }))
        .await;
    assert_eq!(ws.next_of("ack").await["status"], "available");
    ws.at(lat, SITE.1).await;
}

/// V-1's latitude as the engine has it.
async fn latitude(app: &TestApp, c: &Crew) -> Value {
    let (s, live) = app.get("/vehicles/V-1/live", &c.dispatcher).await;
    assert_eq!(s, StatusCode::OK, "{live}");
    live["position"]["lat"].clone()
}

/// Files a grade I lead at the site (offered at intake); its id.
async fn file(app: &TestApp, c: &Crew, ext: &str) -> String {
    let (s, t) = app
        .post("/tickets", &c.dispatcher, lead(ext, "unlicensed_transport"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    t["id"].as_str().unwrap().to_owned()
}

/// Says, as the crew's app does, that it confirms offers.
async fn declare(ws: &mut WsClient) {
    ws.send(json!({ "type": "hello", "capabilities": ["offer.received"] }))
        .await;
    assert_eq!(ws.next_of("ack").await["request"], "hello");
}

#[actix_web::test]
async fn two_crew_phones_stay_up_together_and_both_get_the_offer_and_the_ticket() {
    let app = spawn_app().await;
    let c = crew(&app).await;
    let (mut p1, h1) = phone(&app, &c.s1).await;
    let (mut p2, h2) = phone(&app, &c.s2).await;
    assert_eq!(h1["reports_positions"], true, "{h1}");
    assert_eq!(h2["reports_positions"], false, "{h2}");
    on_duty(&mut p1, SITE.0 + 0.001).await;
    p2.sync().await;

    let id = file(&app, &c, "CP-1").await;
    let o1 = p1.next_of("offer").await;
    let o2 = p2.next_of("offer").await;
    assert_eq!(o1["ticket"]["id"], id.as_str());
    assert_eq!(o1["offer_id"], o2["offer_id"]);
    // The phone's offer line: category · town · distance · ETA.
    assert_eq!(o1["ticket"]["town"], "梅川镇", "{o1}");
    assert_eq!(o2["ticket"]["town"], "梅川镇", "{o2}");
    assert!(o1["distance_m"].is_number() && o1["eta_s"].is_number());

    // S-2 accepts: S-1's ringing stops; S-2 has its ack and no `offer.answered`.
    p2.send(json!({ "type": "offer.accept", "offer_id": o2["offer_id"] }))
        .await;
    assert_eq!(p2.next_of("ack").await["request"], "offer.accept");
    let answered = p1.next_of("offer.answered").await;
    assert_eq!(answered["offer_id"], o1["offer_id"]);
    assert_eq!(answered["ticket_id"], id.as_str());
    assert_eq!(answered["accepted"], true);
    // Both follow the ticket.
    assert_eq!(p1.next_update("en_route").await["ticket_id"], id.as_str());
    assert_eq!(p2.next_update("en_route").await["ticket_id"], id.as_str());
    p2.sync().await;
    assert!(!p2.pending_has("offer.answered"), "the answering phone");
    // Both are still up.
    p1.sync().await;
    let (_, live) = app.get("/vehicles/V-1/live", &c.dispatcher).await;
    assert_eq!(live["connected"], true);
    assert_eq!(live["status"], "en_route");
    app.stop().await;
}

#[actix_web::test]
async fn a_decline_on_one_phone_stops_the_other_ringing() {
    let app = spawn_app().await;
    let c = crew(&app).await;
    let (mut p1, _) = phone(&app, &c.s1).await;
    let (mut p2, _) = phone(&app, &c.s2).await;
    on_duty(&mut p1, SITE.0 + 0.001).await;
    let id = file(&app, &c, "CP-2").await;
    let offer = p1.next_of("offer").await;
    p2.next_of("offer").await;
    p1.send(
        json!({ "type": "offer.decline", "offer_id": offer["offer_id"], "reason": "车辆故障" }),
    )
    .await;
    assert_eq!(p1.next_of("ack").await["request"], "offer.decline");
    let answered = p2.next_of("offer.answered").await;
    assert_eq!(answered["offer_id"], offer["offer_id"]);
    assert_eq!(answered["ticket_id"], id.as_str());
    assert_eq!(answered["accepted"], false);
    p1.sync().await;
    assert!(!p1.pending_has("offer.answered"), "the answering phone");
    app.stop().await;
}

#[actix_web::test]
async fn a_phone_that_does_not_report_positions_is_refused_and_moves_nothing() {
    let app = spawn_app().await;
    let c = crew(&app).await;
    let (mut p1, _) = phone(&app, &c.s1).await;
    let (mut p2, hello) = phone(&app, &c.s2).await;
    assert_eq!(hello["reports_positions"], false);
    on_duty(&mut p1, SITE.0).await;

    p2.send(json!({ "type": "position", "lat": 30.05, "lng": SITE.1 }))
        .await;
    let err = p2.next_of("error").await;
    assert_eq!(err["code"], "not_position_reporter", "{err}");
    assert_eq!(
        err["message"],
        "another device of this vehicle reports its positions"
    );
    // A batch too; the socket stays up and the vehicle did not move.
    let batch = json!({ "type": "position", "fixes": [{ "lat": 30.06, "lng": SITE.1 }] });
    p2.send(batch).await;
    assert_eq!(p2.next_of("error").await["code"], "not_position_reporter");
    p2.sync().await;
    assert_eq!(latitude(&app, &c).await, SITE.0);
    // The reporter's fixes are taken.
    p1.at(SITE.0 + 0.002, SITE.1).await;
    assert_eq!(latitude(&app, &c).await, SITE.0 + 0.002);
    app.stop().await;
}

#[actix_web::test]
async fn the_reporter_leaving_hands_the_role_to_the_next_phone() {
    let app = spawn_app().await;
    let c = crew(&app).await;
    let (mut p1, _) = phone(&app, &c.s1).await;
    let (mut p2, _) = phone(&app, &c.s2).await;
    on_duty(&mut p1, SITE.0).await;
    p2.sync().await;
    assert!(!p2.pending_has("reporting"));

    drop(p1);
    let reporting = p2.next_of("reporting").await;
    assert_eq!(reporting["reports_positions"], true, "{reporting}");
    p2.at(SITE.0 + 0.003, SITE.1).await;
    assert!(!p2.pending_has("error"), "the new reporter's fix is taken");
    assert_eq!(latitude(&app, &c).await, SITE.0 + 0.003);

    // S-1 comes back: S-2 keeps the role (it was connected first now).
    let (mut back, hello) = phone(&app, &c.s1).await;
    assert_eq!(hello["reports_positions"], false);
    back.send(json!({ "type": "position", "lat": 30.05, "lng": SITE.1 }))
        .await;
    assert_eq!(back.next_of("error").await["code"], "not_position_reporter");
    p2.sync().await;
    assert!(!p2.pending_has("reporting"));
    app.stop().await;
}

#[actix_web::test]
async fn the_vehicles_own_device_reports_before_any_phone() {
    let app = spawn_app().await;
    let c = crew(&app).await;
    let (mut p1, hello) = phone(&app, &c.s1).await;
    assert_eq!(hello["reports_positions"], true);
    let (mut p2, _) = phone(&app, &c.s2).await;
    on_duty(&mut p1, SITE.0).await;

    // The vehicle's own device connects: it reports, S-1 is told it no longer does.
    let (mut device, hello) = phone(&app, &c.vehicle).await;
    assert_eq!(hello["reports_positions"], true, "{hello}");
    let reporting = p1.next_of("reporting").await;
    assert_eq!(reporting["reports_positions"], false);
    p1.send(json!({ "type": "position", "lat": 30.05, "lng": SITE.1 }))
        .await;
    assert_eq!(p1.next_of("error").await["code"], "not_position_reporter");
    device.at(SITE.0 + 0.004, SITE.1).await;
    assert_eq!(latitude(&app, &c).await, SITE.0 + 0.004);
    // S-2's role did not change: it was told nothing.
    p2.sync().await;
    assert!(!p2.pending_has("reporting"));

    // The device leaves: the first phone reports again.
    drop(device);
    assert_eq!(p1.next_of("reporting").await["reports_positions"], true);
    p1.at(SITE.0 + 0.005, SITE.1).await;
    assert_eq!(latitude(&app, &c).await, SITE.0 + 0.005);
    app.stop().await;
}

#[actix_web::test]
async fn the_same_principal_reconnecting_replaces_only_its_own_session() {
    let app = spawn_app().await;
    let c = crew(&app).await;
    let (mut p1, _) = phone(&app, &c.s1).await;
    let (mut p2, _) = phone(&app, &c.s2).await;
    on_duty(&mut p1, SITE.0).await;

    // S-1's phone reconnects: its old session is closed with 1008, S-2's stays.
    let (mut again, hello) = phone(&app, &c.s1).await;
    assert_eq!(
        hello["reports_positions"], true,
        "it keeps its place: {hello}"
    );
    let (code, _) = p1.close_code().await.expect("a close frame");
    assert_eq!(code, 1008);
    p2.sync().await;
    again.at(SITE.0 + 0.001, SITE.1).await;
    assert_eq!(latitude(&app, &c).await, SITE.0 + 0.001);
    assert!(!p2.pending_has("reporting"));

    // The vehicle's own device reconnecting replaces its own session, as ever.
    let (mut first, _) = phone(&app, &c.vehicle).await;
    first.sync().await;
    let (mut second, hello) = phone(&app, &c.vehicle).await;
    assert_eq!(hello["reports_positions"], true);
    let (code, _) = first.close_code().await.expect("a close frame");
    assert_eq!(code, 1008);
    second.sync().await;
    again.sync().await;
    p2.sync().await;

    // Offers still reach every session.
    let id = file(&app, &c, "CP-3").await;
    for ws in [&mut second, &mut again, &mut p2] {
        assert_eq!(ws.next_of("offer").await["ticket"]["id"], id.as_str());
    }
    app.stop().await;
}

/// Receipts within 1 s; answers within 60 s (the default), so an offer withdrawn within
/// seconds was withdrawn for want of a receipt.
async fn receipts_app() -> TestApp {
    spawn_app_with(&[("APP__DISPATCH__OFFER_RECEIPT_S", "1")]).await
}

/// Waits past the receipt time, then accepts `offer` on `ws`: it was still open, and the
/// timeline holds no `offer.undelivered`.
async fn accepted_after_the_receipt_time(
    app: &TestApp,
    c: &Crew,
    id: &str,
    ws: &mut WsClient,
    offer: &Value,
) {
    tokio::time::sleep(Duration::from_millis(2500)).await;
    ws.send(json!({ "type": "offer.accept", "offer_id": offer["offer_id"] }))
        .await;
    assert_eq!(ws.next_of("ack").await["request"], "offer.accept");
    let kinds = types(app, &c.dispatcher, id).await;
    assert!(
        !kinds.contains(&"offer.undelivered".to_owned()),
        "{kinds:?}"
    );
}

#[actix_web::test]
async fn a_receipt_from_either_phone_confirms_the_offer() {
    let app = receipts_app().await;
    let c = crew(&app).await;
    let (mut p1, _) = phone(&app, &c.s1).await;
    let (mut p2, _) = phone(&app, &c.s2).await;
    declare(&mut p1).await;
    declare(&mut p2).await;
    on_duty(&mut p1, SITE.0 + 0.001).await;
    let id = file(&app, &c, "CP-4").await;
    let offer = p1.next_of("offer").await;
    p2.next_of("offer").await;
    // Only S-2 confirms; well past the receipt time the offer is still open.
    p2.send(json!({ "type": "offer.received", "offer_id": offer["offer_id"] }))
        .await;
    accepted_after_the_receipt_time(&app, &c, &id, &mut p1, &offer).await;
    assert!(!p1.pending_has("offer.cancelled"));
    app.stop().await;
}

#[actix_web::test]
async fn a_phone_closing_mid_wait_leaves_the_offer_with_the_other() {
    let app = receipts_app().await;
    let c = crew(&app).await;
    let (mut p1, _) = phone(&app, &c.s1).await;
    let (mut p2, _) = phone(&app, &c.s2).await;
    declare(&mut p1).await;
    declare(&mut p2).await;
    on_duty(&mut p1, SITE.0 + 0.001).await;
    let id = file(&app, &c, "CP-5").await;
    let offer = p1.next_of("offer").await;
    p2.next_of("offer").await;

    // S-1 (the reporter) closes before any receipt: the role moving to S-2 shows the
    // engine has seen it go, and the offer is not withdrawn.
    drop(p1);
    assert_eq!(p2.next_of("reporting").await["reports_positions"], true);
    p2.sync().await;
    assert!(!p2.pending_has("offer.cancelled"));
    p2.send(json!({ "type": "offer.received", "offer_id": offer["offer_id"] }))
        .await;
    accepted_after_the_receipt_time(&app, &c, &id, &mut p2, &offer).await;
    app.stop().await;
}

#[actix_web::test]
async fn an_offer_no_phone_confirms_is_withdrawn_and_a_phone_without_receipts_keeps_it_open() {
    let app = receipts_app().await;
    let c = crew(&app).await;
    let (mut p1, _) = phone(&app, &c.s1).await;
    let (mut p2, _) = phone(&app, &c.s2).await;
    declare(&mut p1).await;
    declare(&mut p2).await;
    on_duty(&mut p1, SITE.0 + 0.001).await;
    // Both confirm offers and neither confirms: withdrawn as undelivered, on both.
    let id = file(&app, &c, "CP-6").await;
    let offer = p1.next_of("offer").await;
    for ws in [&mut p1, &mut p2] {
        let cancelled = ws.next_of("offer.cancelled").await;
        assert_eq!(cancelled["offer_id"], offer["offer_id"]);
        let reason = cancelled["reason"].as_str().unwrap();
        assert!(reason.starts_with("undelivered:"), "{reason}");
    }
    assert!(
        types(&app, &c.dispatcher, &id)
            .await
            .contains(&"offer.undelivered".to_owned())
    );

    // A third session that never says it confirms offers (the vehicle's own old app):
    // offers wait for no receipt.
    let (mut device, _) = phone(&app, &c.vehicle).await;
    device.sync().await;
    let id = file(&app, &c, "CP-7").await;
    let offer = device.next_of("offer").await;
    assert_eq!(offer["ticket"]["id"], id.as_str());
    accepted_after_the_receipt_time(&app, &c, &id, &mut p2, &offer).await;
    app.stop().await;
}
