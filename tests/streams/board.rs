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
    let row = next_row(&mut board, &number, |r| r["stage"] == "on_site").await;
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
