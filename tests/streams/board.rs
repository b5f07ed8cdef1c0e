//! The public board over its socket: rows appear and change with their tickets, distances
//! follow the vehicle, closed tickets leave, hidden grades are configurable, and the squad
//! leaderboard counts arrival times; the field stream of another vehicle hears nothing.

use serde_json::{Value, json};

use super::{canary_intake, connect};
use crate::common::spawn_app_with;
use crate::common::ws::WsClient;
use crate::dispatch::{SITE, fleet, on_duty};

async fn next_row(board: &mut WsClient, number: &str, pred: impl Fn(&Value) -> bool) -> Value {
    loop {
        let frame = board.next_of("board.ticket").await;
        if frame["ticket"]["number"] == number && pred(&frame["ticket"]) {
            return frame["ticket"].clone();
        }
    }
}

#[actix_web::test]
async fn the_board_follows_tickets_vehicles_and_squads() {
    let app = spawn_app_with(&[
        ("APP__BOARD__HIDDEN_GRADES", ""),
        ("APP__BOARD__LEADERBOARD_EVERY_S", "1"),
    ])
    .await;
    let tokens = fleet(&app, 2).await;
    let d = app.token("dispatcher", None).await;
    let board_token = app.token("board", None).await;
    let mut vehicle = on_duty(&app, &tokens[0], SITE.0 - 0.02, SITE.1).await;
    let mut other = connect(&app, "/ws/field", &tokens[1]).await;
    let other_snapshot = other.next_of("snapshot").await;
    assert_eq!(other_snapshot["tickets"].as_array().map(Vec::len), Some(0));
    let mut board = connect(&app, "/ws/board", &board_token).await;
    let snapshot = board.next_of("snapshot").await;
    assert_eq!(snapshot["tickets"].as_array().map(Vec::len), Some(0));

    // With no grade hidden, a grade I ticket is on the board (and fast-tracked to V-1).
    let mut body = canary_intake("B-1", "counterfeit");
    body["urgency"] = json!("I");
    let (_, t) = app.post("/tickets", &d, body).await;
    let (id, number) = (
        t["id"].as_str().expect("id").to_owned(),
        t["number"].as_str().expect("number").to_owned(),
    );
    let row = next_row(&mut board, &number, |_| true).await;
    assert_eq!(
        (row["stage"].as_str(), row["stage_name"].as_str()),
        (Some("intake"), Some("受单"))
    );
    assert_eq!(row["town"], "梅川镇");
    assert!(
        row["summary"]
            .as_str()
            .is_some_and(|s| s.contains("梅川镇")),
        "{row}"
    );

    let offer = vehicle.next_of("offer").await;
    vehicle
        .send(json!({ "type": "offer.accept", "offer_id": offer["offer_id"] }))
        .await;
    vehicle.next_of("ack").await;
    // The row follows the vehicle once it is on this ticket (its status says so).
    let row = next_row(&mut board, &number, |r| {
        r["stage"] == "on_site" && r["distance_to_site_m"].is_number()
    })
    .await;
    assert_eq!(row["team_name"], "一中队");
    assert_eq!(row["officer_badge"], "ZM-1");
    let far = row["distance_to_site_m"].as_f64().expect("distance");
    assert!(far > 2000.0, "{row}");

    // The distance follows the vehicle (coalesced per tick).
    vehicle.at(SITE.0 - 0.005, SITE.1).await;
    let nearer = loop {
        let frame = board.next_of("board.distance").await;
        if let Some(r) = frame["rows"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["number"] == number.as_str()))
            // (The row's first distance may come as its own frame too.)
            .filter(|r| r["distance_to_site_m"].as_f64() != Some(far))
        {
            break r["distance_to_site_m"].as_f64().expect("distance");
        }
    };
    assert!(nearer < far && nearer > 400.0, "{nearer} < {far}");
    vehicle.at(SITE.0, SITE.1).await;

    // Arrival counts for the squad.
    let standings = loop {
        let frame = board.next_of("board.leaderboard").await;
        let squads = frame["leaderboard"].as_array().cloned().unwrap_or_default();
        if squads
            .iter()
            .any(|s| s["median_arrival_minutes"].is_number())
        {
            break squads;
        }
    };
    assert_eq!(standings[0]["team_id"], "T-1");
    assert_eq!(standings[0]["team_name"], "一中队");

    // Closed (handed back to the platform): it leaves the board.
    let (s, b) = app
        .post(
            &format!("/tickets/{id}/transfer"),
            &d,
            json!({ "to": "platform", "reason": "不属本单位管辖" }),
        )
        .await;
    assert!(s.is_success(), "{b}");
    let removed = board.next_of("board.removed").await;
    assert_eq!(removed["number"], number.as_str());
    let (_, now) = app.get("/board", &board_token).await;
    assert_eq!(now["tickets"].as_array().map(Vec::len), Some(0));

    // The other vehicle's field stream heard nothing of this ticket.
    other.send(json!({ "type": "ping" })).await;
    loop {
        let frame = other.next_any().await.expect("the stream is open");
        match frame["type"].as_str() {
            Some("pong") => break,
            Some("hello") => {}
            _ => panic!("nothing of another vehicle's ticket reaches V-2: {frame}"),
        }
    }
}

/// Reads board frames until a `board.distance` row of ticket `number`; every frame read on
/// the way.
async fn until_distance_of(board: &mut WsClient, number: &str) -> Vec<Value> {
    let mut read = Vec::new();
    loop {
        let f = board.next_any().await.expect("the board stays open");
        let done = f["type"] == "board.distance"
            && f["rows"]
                .as_array()
                .is_some_and(|rows| rows.iter().any(|r| r["number"] == number));
        read.push(f);
        if done {
            return read;
        }
    }
}

/// A grade II lead offered to `vehicle` by hand and accepted; its number.
async fn sent(
    app: &crate::common::TestApp,
    d: &str,
    ext: &str,
    vehicle: (&str, &mut WsClient),
) -> (String, String) {
    let mut body = canary_intake(ext, "counterfeit");
    body["urgency"] = json!("II");
    body["description"] = json!("梅川镇正街一家店卖假烟，包装粗糙");
    let (_, t) = app.post("/tickets", d, body).await;
    let id = t["id"].as_str().expect("id").to_owned();
    let (s, b) = app
        .post(&format!("/tickets/{id}/triage"), d, json!({}))
        .await;
    assert!(s.is_success(), "{b}");
    let (s, b) = app
        .post(
            &format!("/tickets/{id}/dispatch"),
            d,
            json!({ "vehicle_id": vehicle.0 }),
        )
        .await;
    assert!(s.is_success(), "{b}");
    let offer = vehicle.1.next_of("offer").await;
    vehicle
        .1
        .send(json!({ "type": "offer.accept", "offer_id": offer["offer_id"] }))
        .await;
    vehicle.1.next_of("ack").await;
    (id, t["number"].as_str().expect("number").to_owned())
}

#[actix_web::test]
async fn the_board_gets_no_move_of_a_vehicle_on_no_ticket() {
    let app = spawn_app_with(&[("APP__DISPATCH__AUTO_OFFER_GRADES", "")]).await;
    let tokens = fleet(&app, 2).await;
    let d = app.token("dispatcher", None).await;
    let board_token = app.token("board", None).await;
    let mut v1 = on_duty(&app, &tokens[0], SITE.0 - 0.02, SITE.1).await;
    let mut board = connect(&app, "/ws/board", &board_token).await;
    board.next_of("snapshot").await;

    // V-1 is sent to A: the board follows it there.
    let (a, a_number) = sent(&app, &d, "N-1", ("V-1", &mut v1)).await;
    v1.at(SITE.0 - 0.01, SITE.1).await;
    until_distance_of(&mut board, &a_number).await;
    // V-1 arrives, and is done on site: A goes on to its report, V-1 heads back on no
    // ticket, and A's row forgets it.
    v1.at(SITE.0, SITE.1).await;
    next_row(&mut board, &a_number, |r| {
        r["vehicle"]["status"] == "on_site"
    })
    .await;
    let onsite = json!({ "findings": "查获假冒卷烟", "actions": "登记保存" });
    let (s, b) = app
        .post(&format!("/tickets/{a}/onsite-record"), &tokens[0], onsite)
        .await;
    assert!(s.is_success(), "{b}");
    let row = next_row(&mut board, &a_number, |r| r["vehicle"].is_null()).await;
    assert!(row["distance_to_site_m"].is_null(), "{row}");

    // V-1 drives about on no ticket, and V-2, never on one, comes on duty and drives too.
    let mut v2 = on_duty(&app, &tokens[1], SITE.0 + 0.02, SITE.1).await;
    for step in 1..=5 {
        let f = f64::from(step) * 0.002;
        v1.at(SITE.0 - 0.01 + f, SITE.1 + f).await;
        v2.at(SITE.0 + 0.02 - f, SITE.1).await;
    }
    // Then V-2 is sent to B and moves: B's distance comes after anything V-1's and V-2's
    // moves could have made, and nothing before it speaks of A or a vehicle.
    let (_, b_number) = sent(&app, &d, "N-2", ("V-2", &mut v2)).await;
    v2.at(SITE.0 + 0.005, SITE.1).await;
    let read = until_distance_of(&mut board, &b_number).await;
    for f in &read[..read.len() - 1] {
        let text = f.to_string();
        // At most A's distance cleared, once: never a number.
        if f["type"] == "board.distance" {
            let rows = f["rows"].as_array().expect("rows");
            assert!(
                rows.iter().all(|r| r["distance_to_site_m"].is_null()),
                "no distance before B's: {f}"
            );
        }
        if f["type"] == "board.ticket" && f["ticket"]["number"] == a_number.as_str() {
            let row = &f["ticket"];
            assert!(
                row["vehicle"].is_null() && row["distance_to_site_m"].is_null(),
                "{f}"
            );
        }
        assert!(
            !text.contains("V-1") && !text.contains("V-2"),
            "no vehicle id: {f}"
        );
    }
    let last = &read[read.len() - 1];
    assert!(
        last["rows"]
            .as_array()
            .is_some_and(|r| r.iter().all(|r| r["number"] == b_number.as_str())),
        "only B's distance: {last}"
    );
    // The board's HTTP snapshot shows A with no vehicle and no distance.
    let (_, now) = app.get("/board", &board_token).await;
    let a_row = now["tickets"]
        .as_array()
        .and_then(|rows| {
            rows.iter()
                .find(|r| r["number"] == a_number.as_str())
                .cloned()
        })
        .expect("A is on the board");
    assert!(
        a_row["vehicle"].is_null() && a_row["distance_to_site_m"].is_null(),
        "{a_row}"
    );
    app.stop().await;
}
