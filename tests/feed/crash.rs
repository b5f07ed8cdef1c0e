//! The feed survives kill -9: the real binary walks platform tickets through every status
//! while a slow receiver (refusing every seventh request) takes their messages; the engine
//! is killed mid-delivery and started again on the same store. Every status of every
//! ticket must arrive, in order per ticket; duplicates are allowed, with the same id and
//! the same body.

use std::collections::{BTreeMap, HashMap};

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::receiver::{Behaviour, Receiver};
use super::{check_signed, feed_vars};
use crate::common::{ADMIN, ChildEngine, intake, temp_store};

const TICKETS: usize = 16;
const STATUSES: [&str; 5] = [
    "received",
    "triaged",
    "replied",
    "return_visited",
    "archived",
];

async fn post(client: &reqwest::Client, url: String, token: &str, body: Value) -> Value {
    let res = client
        .post(&url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "POST {url}: {status} {body}");
    body
}

#[actix_web::test]
async fn every_status_arrives_in_order_across_a_kill9_mid_delivery() {
    let receiver = Receiver::start(Behaviour {
        refuse_every: 7,
        delay_ms: 60,
        ..Default::default()
    });
    let vars = feed_vars(&receiver, "50");
    let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (_dir, store) = temp_store();
    let engine = ChildEngine::start_with(&store, &pairs);
    let client = reqwest::Client::new();
    let token = {
        let res = client
            .post(engine.url("/tokens"))
            .bearer_auth(ADMIN)
            .json(&json!({ "role": "dispatcher", "subject": "feed-crash" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    for i in 0..TICKETS {
        let mut body = intake(
            &format!("K-{i}"),
            Some("order_consultation"),
            "consultation",
        );
        body["description"] = json!("请问每周几可以订烟");
        let t = post(&client, engine.url("/tickets"), &token, body).await;
        let id = t["id"].as_str().unwrap().to_owned();
        let p = |step: &str| engine.url(&format!("/tickets/{id}/{step}"));
        post(&client, p("triage"), &token, json!({})).await;
        post(&client, p("reply"), &token, json!({ "text": "每周二订货" })).await;
        let visit = json!({ "satisfaction": "satisfied" });
        post(&client, p("return-visit"), &token, visit).await;
        post(&client, p("archive"), &token, json!({})).await;
    }
    let total = TICKETS * STATUSES.len();
    receiver
        .wait_for(60, "some deliveries", |got| {
            got.iter().filter(|g| g.accepted).count() >= 10
        })
        .await;
    let before = receiver.got().iter().filter(|g| g.accepted).count();
    engine.kill9();
    assert!(before < total, "killed mid-delivery ({before} of {total})");

    let engine = ChildEngine::start_with(&store, &pairs);
    let expected: Vec<(String, &str)> = (0..TICKETS)
        .flat_map(|i| STATUSES.iter().map(move |s| (format!("K-{i}"), *s)))
        .collect();
    receiver
        .wait_for(120, "every status of every ticket", |got| {
            expected.iter().all(|(ext, status)| {
                got.iter().any(|g| {
                    g.accepted
                        && g.body["external_id"] == ext.as_str()
                        && g.body["status"] == *status
                })
            })
        })
        .await;

    // Per ticket, first arrivals by id are in order; a duplicate repeats the same body.
    let mut bodies: HashMap<String, Vec<u8>> = HashMap::new();
    let mut per_ticket: BTreeMap<String, Vec<(u64, String)>> = BTreeMap::new();
    let mut duplicates = 0;
    for g in receiver.got().into_iter().filter(|g| g.accepted) {
        check_signed(&g);
        if let Some(first) = bodies.get(&g.id) {
            assert_eq!(first, &g.raw, "a duplicate of {} repeats its body", g.id);
            duplicates += 1;
            continue;
        }
        bodies.insert(g.id.clone(), g.raw.clone());
        let ext = g.body["external_id"].as_str().unwrap().to_owned();
        let event_id = g.body["event_id"].as_u64().unwrap();
        let status = g.body["status"].as_str().unwrap().to_owned();
        per_ticket.entry(ext).or_default().push((event_id, status));
    }
    assert_eq!(per_ticket.len(), TICKETS);
    for (ext, messages) in &per_ticket {
        let statuses: Vec<&str> = messages.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(
            statuses, STATUSES,
            "{ext}: every status, in order, none lost"
        );
        assert!(
            messages.windows(2).all(|w| w[0].0 < w[1].0),
            "{ext}: in event order"
        );
    }
    let refused = receiver.got().iter().filter(|g| !g.accepted).count();
    assert!(
        refused > 0,
        "the receiver refused some requests, which were retried"
    );
    eprintln!("feed crash: {before} delivered before the kill, {duplicates} duplicates after");
    engine.kill9();
}
