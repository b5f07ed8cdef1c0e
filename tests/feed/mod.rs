//! The status feed to the 12313 platform: every status of a platform ticket reaches a
//! receiver in order, signed; a refused message is retried, parked, shown to supervisors
//! and delivered by a retry; and (`crash.rs`) a kill -9 mid-delivery loses nothing.

#![allow(clippy::unwrap_used, reason = "tests")]

mod crash;
mod receiver;

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{ADMIN, TestApp, all_evidence, intake, ok, spawn_app_with};
use receiver::{Behaviour, Got, Receiver};

pub const SECRET: &str = "feed-test-secret-0123456789";

/// Settings that point the feed at `receiver`, with quick back-off.
pub fn feed_vars(receiver: &Receiver, max_attempts: &str) -> Vec<(&'static str, String)> {
    vec![
        ("APP__FEED__URL", receiver.url.clone()),
        ("APP__FEED__SECRET", SECRET.to_owned()),
        ("APP__FEED__MAX_ATTEMPTS", max_attempts.to_owned()),
        ("APP__FEED__BACKOFF_BASE_MS", "10".to_owned()),
        ("APP__FEED__BACKOFF_CAP_MS", "40".to_owned()),
        ("APP__FEED__TIMEOUT_S", "5".to_owned()),
        ("APP__FEED__POLL_MS", "20".to_owned()),
    ]
}

async fn spawn(receiver: &Receiver, max_attempts: &str) -> TestApp {
    let vars = feed_vars(receiver, max_attempts);
    let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    spawn_app_with(&pairs).await
}

/// Checks a message's signature, id header and timestamp header.
pub fn check_signed(g: &Got) {
    let expected = hotline_dispatch::feed::sign::signature(SECRET, &g.raw);
    assert_eq!(g.signature, expected, "signature of {}", g.id);
    assert_eq!(
        g.body["id"],
        g.id.as_str(),
        "the id header names the body's id"
    );
    assert!(
        g.timestamp.parse::<i64>().is_ok(),
        "timestamp {}",
        g.timestamp
    );
}

/// Distinct statuses in first-arrival order (duplicates by id dropped).
fn statuses(got: &[Got]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    got.iter()
        .filter(|g| seen.insert(g.id.clone()))
        .map(|g| g.body["status"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[actix_web::test]
async fn every_status_of_a_platform_ticket_arrives_in_order_signed() {
    let receiver = Receiver::start(Behaviour::default());
    let app = spawn(&receiver, "5").await;
    let vehicle = app.fleet().await;
    let dispatcher = app.token("dispatcher", None).await;
    let supervisor = app.token("supervisor", None).await;
    let field = app.token("field", Some(&vehicle)).await;
    // A phone ticket is never sent to the platform.
    let mut phone = intake("PHONE-1", Some("counterfeit"), "report");
    phone["source"] = json!("phone");
    let (s, _) = app.post("/tickets", &dispatcher, phone).await;
    assert_eq!(s, StatusCode::CREATED);

    let (s, t) = app
        .post(
            "/tickets",
            &dispatcher,
            intake("P-FLOW", Some("counterfeit"), "report"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_str().unwrap().to_owned();
    let number = t["number"].as_str().unwrap().to_owned();
    let p = |step: &str| format!("/tickets/{id}/{step}");
    ok(&app, &p("triage"), &dispatcher, json!({})).await;
    let send = json!({ "vehicle_id": vehicle, "assign": true });
    ok(&app, &p("dispatch"), &dispatcher, send).await;
    ok(&app, &p("arrive"), &field, json!(null)).await;
    let record = json!({ "findings": "查获假烟", "actions": "登记保存", "evidence": [] });
    ok(&app, &p("onsite-record"), &field, record).await;
    let report = json!({ "sections": {
        "facts": "举报属实", "onsite_findings": "查获假烟 10 条", "handling": "先行登记保存",
        "legal_basis": "《烟草专卖法》", "conclusion": "立案查处" }, "evidence": all_evidence() });
    ok(&app, &p("report"), &field, report).await;
    ok(
        &app,
        &p("review"),
        &dispatcher,
        json!({ "decision": "pass" }),
    )
    .await;
    ok(
        &app,
        &p("approval"),
        &supervisor,
        json!({ "decision": "approve" }),
    )
    .await;
    let reply = json!({ "text": "经查属实，已依法处理" });
    ok(&app, &p("reply"), &dispatcher, reply).await;
    let visit = json!({ "satisfaction": "satisfied", "comment": "CANARY-COMMENT" });
    ok(&app, &p("return-visit"), &dispatcher, visit).await;
    ok(&app, &p("archive"), &dispatcher, json!(null)).await;

    receiver
        .wait_for(30, "the archived status", |got| {
            got.iter().any(|g| g.body["status"] == "archived")
        })
        .await;
    let got = receiver.accepted("P-FLOW");
    assert_eq!(
        statuses(&got),
        [
            "received",
            "triaged",
            "dispatched",
            "on_site",
            "replied",
            "return_visited",
            "archived"
        ]
    );
    let mut last = 0;
    for g in &got {
        check_signed(g);
        let event_id = g.body["event_id"].as_u64().unwrap();
        assert!(event_id > last, "in event order");
        last = event_id;
        assert_eq!(g.body["number"], number.as_str());
        assert_eq!(g.body["id"], format!("evt-{event_id}"));
        let text = String::from_utf8_lossy(&g.raw);
        for canary in ["CANARY", "13899990000", "梅川镇正街", "30.02"] {
            assert!(!text.contains(canary), "no personal data: {text}");
        }
    }
    let triaged = &got[1].body;
    assert_eq!(triaged["category"], "counterfeit");
    assert_eq!(triaged["department"], "enforcement");
    assert_eq!(got[4].body["reply"], "经查属实，已依法处理");
    assert_eq!(got[5].body["satisfaction"], "satisfied");
    assert!(
        receiver
            .got()
            .iter()
            .all(|g| g.body["external_id"] == "P-FLOW"),
        "only the platform's ticket is sent"
    );
    app.stop().await;
}

#[actix_web::test]
async fn a_refused_message_is_retried_parked_shown_and_delivered_by_a_retry() {
    let receiver = Receiver::start(Behaviour {
        refuse_external: Some("P-BAD".into()),
        ..Default::default()
    });
    let app = spawn(&receiver, "3").await;
    let dispatcher = app.token("dispatcher", None).await;
    let supervisor = app.token("supervisor", None).await;
    let consultation = |ext: &str| {
        let mut body = intake(ext, Some("order_consultation"), "consultation");
        body["description"] = json!("请问每周几可以订烟");
        body
    };
    let (s, bad) = app
        .post("/tickets", &dispatcher, consultation("P-BAD"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{bad}");
    let bad_id = bad["id"].as_str().unwrap().to_owned();
    ok(
        &app,
        &format!("/tickets/{bad_id}/triage"),
        &dispatcher,
        json!({}),
    )
    .await;
    // Another platform ticket flows past the parked one.
    let (s, good) = app
        .post("/tickets", &dispatcher, consultation("P-GOOD"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{good}");
    receiver
        .wait_for(30, "the other ticket's message", |got| {
            got.iter()
                .any(|g| g.accepted && g.body["external_id"] == "P-GOOD")
        })
        .await;

    // Three attempts at the first message, then parked; the second parked behind it.
    let parked = loop {
        let (s, list) = app.get("/feed/parked", &supervisor).await;
        assert_eq!(s, StatusCode::OK, "{list}");
        if list["parked"].as_array().unwrap().len() == 2 {
            break list;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(parked["enabled"], true);
    let first = &parked["parked"][0];
    let second = &parked["parked"][1];
    assert_eq!(first["status"], "received");
    assert_eq!(first["attempts"], 3);
    assert_eq!(first["last_error"], "http_503");
    assert_eq!(second["status"], "triaged");
    assert_eq!(second["attempts"], 0);
    assert_eq!(second["last_error"], "behind_parked");
    let refused: Vec<Got> = receiver.got().into_iter().filter(|g| !g.accepted).collect();
    assert_eq!(refused.len(), 3, "three attempts, then parked");
    assert!(refused.iter().all(|g| g.body["status"] == "received"));
    refused.iter().for_each(check_signed);

    let (s, _) = app.get("/feed/parked", &dispatcher).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "supervisors and admins only");
    let metrics = app.metrics().await;
    for name in [
        "hotline_feed_parked",
        "hotline_feed_failed_total",
        "hotline_feed_delivered_total",
        "hotline_feed_lag_events",
    ] {
        assert!(metrics.contains(name), "{name} in /metrics");
    }

    // The receiver is fixed; a retry of the later message sends both, in order.
    receiver.set(Behaviour::default());
    let later = second["event_id"].as_u64().unwrap();
    let (s, queued) = app
        .post(
            &format!("/feed/parked/{later}/retry"),
            &supervisor,
            json!(null),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{queued}");
    assert_eq!(queued["queued"].as_array().unwrap().len(), 2, "{queued}");
    receiver
        .wait_for(30, "the parked messages", |got| {
            got.iter().any(|g| {
                g.accepted && g.body["external_id"] == "P-BAD" && g.body["status"] == "triaged"
            })
        })
        .await;
    assert_eq!(
        statuses(&receiver.accepted("P-BAD")),
        ["received", "triaged"]
    );
    loop {
        let (_, list) = app.get("/feed/parked", ADMIN).await;
        if list["parked"].as_array().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Later messages of that ticket flow again.
    ok(
        &app,
        &format!("/tickets/{bad_id}/reply"),
        &dispatcher,
        json!({ "text": "每周二订货" }),
    )
    .await;
    receiver
        .wait_for(30, "the reply", |got| {
            got.iter().any(|g| {
                g.accepted && g.body["external_id"] == "P-BAD" && g.body["status"] == "replied"
            })
        })
        .await;
    let (s, _) = app
        .post("/feed/parked/999999/retry", &supervisor, json!(null))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[actix_web::test]
async fn the_feed_is_off_by_default_and_says_so() {
    let app = spawn_app_with(&[]).await;
    let supervisor = app.token("supervisor", None).await;
    let (s, list) = app.get("/feed/parked", &supervisor).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list["enabled"], false);
    assert_eq!(list["parked"], json!([]));
    let (s, body) = app
        .post("/feed/parked/1/retry", &supervisor, json!(null))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "feed_off");
    app.stop().await;
}
