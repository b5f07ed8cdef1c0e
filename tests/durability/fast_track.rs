//! A grade I intake and its first offer are one commit, whatever moment the engine dies:
//! rounds of concurrent fast-track intakes against the real binary, with vehicles on duty,
//! each ended by kill -9 at a random moment. After the restart every ticket in the store —
//! answered or still in flight at the kill — holds `ticket.received` and `offer.sent` as
//! its first two events under consecutive event ids, and every answered intake was
//! answered with its offer already made.

#![allow(clippy::unwrap_used, reason = "tests")]

use std::time::Duration;

use rand::Rng;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::Running;
use crate::common::ws::WsClient;
use crate::common::{ADMIN, temp_store};
use crate::dispatch::{SITE, lead};

const ROUNDS: usize = 4;
/// More vehicles than intakes in a round, so every lead finds one free.
const VEHICLES: usize = 24;
const CLIENTS: usize = 4;
const LEADS_PER_CLIENT: usize = 5;
const KILL_AFTER_MS: std::ops::RangeInclusive<u64> = 5..=50;

/// A POST with the admin or a given token; the status and JSON body.
async fn post(
    http: &reqwest::Client,
    url: String,
    token: &str,
    body: Value,
) -> (StatusCode, Value) {
    let res = http
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap_or(Value::Null))
}

/// Registers squad T-1 and V-1..V-n, each with one crew member; a field token per vehicle.
async fn register(http: &reqwest::Client, base: &str, n: usize) -> Vec<String> {
    let api = |p: &str| format!("{base}/api/v1{p}");
    let team = json!({ "id": "T-1", "name": "一中队", "department": "enforcement" });
    assert!(post(http, api("/teams"), ADMIN, team).await.0.is_success());
    let mut tokens = Vec::new();
    for i in 1..=n {
        let staff = json!({ "id": format!("S-{i}"), "name": "市管员", "role": "inspector", "department": "enforcement", "team_id": "T-1", "badge": format!("ZM-{i}") });
        assert!(post(http, api("/staff"), ADMIN, staff).await.0.is_success());
        let v = json!({ "id": format!("V-{i}"), "plate": format!("鄂J·Z{i:04}"), "team_id": "T-1", "department": "enforcement", "crew": [format!("S-{i}")] });
        assert!(post(http, api("/vehicles"), ADMIN, v).await.0.is_success());
        let token = json!({ "role": "field", "subject": format!("V-{i}") });
        let (s, b) = post(http, api("/tokens"), ADMIN, token).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        tokens.push(b["token"].as_str().unwrap().to_owned());
    }
    tokens
}

/// Every ticket in the store, by the dispatcher's list.
async fn all_tickets(http: &reqwest::Client, base: &str, token: &str) -> Vec<Value> {
    let res = http
        .get(format!("{base}/api/v1/tickets?limit=200"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let page: Value = res.json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

#[actix_web::test]
async fn a_fast_track_intake_and_its_offer_survive_kill9_together() {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut answered_in_all = 0;
    let mut unanswered_in_store = 0;
    for round in 0..ROUNDS {
        let (_dir, store) = temp_store();
        // However slow this machine, the intake waits for its offer to be planned.
        let vars = [("APP__DISPATCH__FIRST_OFFER_WAIT_MS", "10000")];
        let engine = Running(Some(crate::common::ChildEngine::start_with(&store, &vars)));
        let base = engine.base.clone();
        let tokens = register(&http, &base, VEHICLES).await;
        let mut vehicles = Vec::new();
        for (i, token) in tokens.iter().enumerate() {
            let mut ws = WsClient::connect(&base, "/ws/vehicle", token).await;
            ws.next_of("hello").await;
            ws.send(json!({ "type": "status", "status": "available" }))
                .await;
            ws.next_of("ack").await;
            ws.at(SITE.0 + 0.001 * (i + 1) as f64, SITE.1).await;
            vehicles.push(ws);
        }
        let dispatcher = post(
            &http,
            format!("{base}/api/v1/tokens"),
            ADMIN,
            json!({ "role": "dispatcher", "subject": "D-1" }),
        )
        .await
        .1["token"]
            .as_str()
            .unwrap()
            .to_owned();

        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let (http, url, token) = (
                    http.clone(),
                    format!("{base}/api/v1/tickets"),
                    dispatcher.clone(),
                );
                actix_web::rt::spawn(async move {
                    let mut answered = Vec::new();
                    for n in 0..LEADS_PER_CLIENT {
                        let body = lead(&format!("K-{round}-{c}-{n}"), "unlicensed_transport");
                        let Ok(res) = http.post(&url).bearer_auth(&token).json(&body).send().await
                        else {
                            break; // killed
                        };
                        let status = res.status();
                        let Ok(t) = res.json::<Value>().await else {
                            break;
                        };
                        assert_eq!(status, StatusCode::CREATED, "{t}");
                        answered.push(t);
                    }
                    answered
                })
            })
            .collect();
        let kill_after = rand::rng().random_range(KILL_AFTER_MS);
        actix_web::rt::time::sleep(Duration::from_millis(kill_after)).await;
        engine.take().kill9();
        let mut answered = Vec::new();
        for c in clients {
            answered.extend(c.await.unwrap());
        }
        drop(vehicles);

        for t in &answered {
            assert_eq!(t["seq"], 2, "answered with its offer made: {t}");
        }
        let engine = Running(Some(crate::common::ChildEngine::start_with(&store, &vars)));
        let base = engine.base.clone();
        let tickets = all_tickets(&http, &base, &dispatcher).await;
        assert!(
            tickets.len() >= answered.len(),
            "every answered intake is kept"
        );
        for t in &tickets {
            let id = t["id"].as_str().unwrap();
            let res = http
                .get(format!("{base}/api/v1/tickets/{id}/events"))
                .bearer_auth(&dispatcher)
                .send()
                .await
                .unwrap();
            let events: Vec<Value> = res.json().await.unwrap();
            let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
            assert!(
                kinds.len() >= 2 && kinds[..2] == ["ticket.received", "offer.sent"],
                "round {round}: ticket {id} kept without its offer: {kinds:?}"
            );
            let ids = (
                events[0]["event_id"].as_u64(),
                events[1]["event_id"].as_u64(),
            );
            assert_eq!(ids.1, ids.0.map(|i| i + 1), "one commit: {events:?}");
        }
        eprintln!(
            "round {round}: killed after {kill_after} ms; {} answered, {} in the store",
            answered.len(),
            tickets.len()
        );
        answered_in_all += answered.len();
        unanswered_in_store += tickets.len() - answered.len();
        engine.take().terminate();
    }
    eprintln!(
        "fast track under kill -9: {answered_in_all} answered, {unanswered_in_store} kept \
         unanswered (in flight at the kill), all with their offers"
    );
}
