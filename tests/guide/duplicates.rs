//! Duplicates: an open ticket of the same retailer, or a ticket of the same category within
//! 50 m received within 30 days (open or closed since), marks a new ticket as a possible
//! duplicate, at intake or when triage names the shop or the place; merging keeps both
//! timelines and a refused merge changes neither ticket.

use reqwest::StatusCode;
use serde_json::{Value, json};

use hotline_dispatch::domain::{ManualClock, Timestamp};

use crate::common::restart::ThreadApp;
use crate::common::{ADMIN, TestApp, intake, send, spawn_app, temp_store};
use hotline_dispatch::domain::ticket::steps;

fn id(t: &Value) -> String {
    t["id"].as_str().expect("id").to_owned()
}

/// A counterfeit report at latitude `lat` (same longitude throughout).
fn report_at(ext: &str, lat: f64) -> Value {
    let mut body = intake(ext, Some("counterfeit"), "report");
    body["location"] = json!({ "lat": lat, "lng": 115.585 });
    body
}

async fn close_by_transfer(app: &TestApp, token: &str, ticket: &str) {
    let (s, b) = app
        .post(
            &format!("/tickets/{ticket}/transfer"),
            token,
            json!({ "to": "platform", "reason": "非本单位管辖" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

async fn event_types(app: &TestApp, token: &str, ticket: &str) -> Vec<(u64, String)> {
    let (s, events) = app.get(&format!("/tickets/{ticket}/events"), token).await;
    assert_eq!(s, StatusCode::OK);
    events
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            (
                e["event_id"].as_u64().expect("event id"),
                e["type"].as_str().expect("type").to_owned(),
            )
        })
        .collect()
}

/// A ticket as read and its timeline.
async fn snapshot(app: &TestApp, token: &str, ticket: &str) -> (Value, Vec<(u64, String)>) {
    let (_, t) = app.get(&format!("/tickets/{ticket}"), token).await;
    (t, event_types(app, token, ticket).await)
}

#[actix_web::test]
async fn repeats_are_marked_and_can_be_merged() {
    let app = spawn_app().await;
    let d = app.token("dispatcher", None).await;
    let (_, first) = app
        .post("/tickets", &d, intake("D-1", Some("counterfeit"), "report"))
        .await;
    let first_id = id(&first);
    assert!(first["possible_duplicate_of"].is_null());

    // Same category, ~30 m away: a possible duplicate.
    let (_, second) = app.post("/tickets", &d, report_at("D-2", 30.02027)).await;
    assert_eq!(second["possible_duplicate_of"], first_id.as_str());
    // Recorded in the event log, not only in the snapshot.
    let (_, events) = app
        .get(&format!("/tickets/{}/events", id(&second)), &d)
        .await;
    assert_eq!(events[0]["type"], "ticket.received");
    assert_eq!(
        events[0]["data"]["possible_duplicate_of"],
        first_id.as_str()
    );

    // Same place, another category; or the same category 200 m away: not a duplicate.
    let (_, other) = app
        .post(
            "/tickets",
            &d,
            intake("D-3", Some("late_delivery"), "complaint"),
        )
        .await;
    assert!(other["possible_duplicate_of"].is_null());
    let (_, far) = app.post("/tickets", &d, report_at("D-4", 30.0218)).await;
    assert!(far["possible_duplicate_of"].is_null());

    // The same retailer, anywhere: a duplicate.
    let mut shop = intake("D-5", Some("licence_violation"), "report");
    shop["retailer_licence"] = json!("421182100123");
    shop["location"] = json!({ "lat": 29.9, "lng": 115.5 });
    let (_, shop_first) = app.post("/tickets", &d, shop.clone()).await;
    shop["external_id"] = json!("D-6");
    shop["category"] = json!("counterfeit");
    shop["location"] = json!({ "lat": 29.95, "lng": 115.6 });
    let (_, shop_again) = app.post("/tickets", &d, shop.clone()).await;
    assert_eq!(shop_again["possible_duplicate_of"], shop_first["id"]);

    // Merge the second into the first: the first records it, then the second closes.
    let dup = id(&second);
    let (s, merged) = app
        .post(
            &format!("/tickets/{first_id}/merge"),
            &d,
            json!({ "duplicate_id": dup }),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(merged["duplicates"], json!([dup]));
    let (_, gone) = app.get(&format!("/tickets/{dup}"), &d).await;
    assert_eq!(gone["status"], "merged");
    let recorded = event_types(&app, &d, &first_id).await;
    let closed = event_types(&app, &d, &dup).await;
    let at = |events: &[(u64, String)], name: &str| {
        events
            .iter()
            .find(|(_, t)| t == name)
            .map(|(n, _)| *n)
            .expect(name)
    };
    assert!(
        at(&recorded, "ticket.duplicate_merged") < at(&closed, "ticket.merged"),
        "the target records the merge before the duplicate closes"
    );

    // Closed, the first still counts nearby for 30 days from its receipt; the merged
    // second never does (the first carries its case on).
    close_by_transfer(&app, &d, &first_id).await;
    let (_, fresh) = app.post("/tickets", &d, report_at("D-7", 30.02027)).await;
    assert_eq!(fresh["possible_duplicate_of"], first_id.as_str());
    // ... but a retailer's closed ticket does not: that rule asks for an open one.
    close_by_transfer(&app, &d, &id(&shop_first)).await;
    close_by_transfer(&app, &d, &id(&shop_again)).await;
    shop["external_id"] = json!("D-8");
    shop["category"] = json!("licence_violation");
    shop["location"] = json!({ "lat": 29.7, "lng": 115.4 });
    let (_, shop_later) = app.post("/tickets", &d, shop).await;
    assert!(shop_later["possible_duplicate_of"].is_null());
    app.stop().await;
}

#[actix_web::test]
async fn the_place_rule_looks_back_thirty_days_from_receipt() {
    let app = spawn_app().await;
    let d = app.token("dispatcher", None).await;
    // Day 0: one closed and one open case at each of two places.
    let (_, closed_a) = app.post("/tickets", &d, report_at("W-1", 30.02)).await;
    close_by_transfer(&app, &d, &id(&closed_a)).await;
    let (_, closed_b) = app.post("/tickets", &d, report_at("W-2", 30.05)).await;
    close_by_transfer(&app, &d, &id(&closed_b)).await;
    let (_, open_c) = app.post("/tickets", &d, report_at("W-3", 30.08)).await;
    let (_, open_d) = app.post("/tickets", &d, report_at("W-4", 30.11)).await;

    // Day 29: inside the window, closed or open.
    app.clock.advance(time::Duration::days(29));
    let (_, again_a) = app.post("/tickets", &d, report_at("W-5", 30.0201)).await;
    assert_eq!(again_a["possible_duplicate_of"], closed_a["id"]);
    let (_, again_c) = app.post("/tickets", &d, report_at("W-6", 30.0801)).await;
    assert_eq!(again_c["possible_duplicate_of"], open_c["id"]);

    // Day 31: outside it, closed or open.
    app.clock.advance(time::Duration::days(2));
    let (_, late_b) = app.post("/tickets", &d, report_at("W-7", 30.0501)).await;
    assert!(late_b["possible_duplicate_of"].is_null(), "{late_b}");
    let (_, late_d) = app.post("/tickets", &d, report_at("W-8", 30.1101)).await;
    assert!(late_d["possible_duplicate_of"].is_null(), "{late_d}");
    assert!(open_d["possible_duplicate_of"].is_null());
    app.stop().await;
}

#[actix_web::test]
async fn triage_that_names_the_shop_or_the_place_checks_again() {
    let app = spawn_app().await;
    let csv = "licence,name,owner,address,town,lat,lng,market_inspector,account_manager
421182100001,梅川镇老李烟酒店,李某甲,梅川镇正街18号,梅川镇,30.0200,115.5850,,
";
    let import = app
        .client
        .post(app.url("/retailers/import"))
        .bearer_auth(ADMIN)
        .header("content-type", "text/csv")
        .body(csv);
    let (s, b) = send(&app.client, import).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let d = app.token("dispatcher", None).await;
    let vague = |ext: &str| {
        json!({ "source": "12313", "external_id": ext, "kind": "report",
            "category": "counterfeit", "description": "有人反映附近在卖假烟" })
    };

    // An open ticket about the shop, filed with its licence far from any other case.
    let mut shop = intake("T-1", Some("licence_violation"), "report");
    shop["retailer_licence"] = json!("421182100001");
    shop["location"] = json!({ "lat": 29.9, "lng": 115.5 });
    let (_, shop) = app.post("/tickets", &d, shop).await;

    // A vague report: nothing to compare at intake; triage names the shop.
    let (_, t) = app.post("/tickets", &d, vague("T-2")).await;
    assert!(t["possible_duplicate_of"].is_null(), "{t}");
    assert!(t["location"]["retailer_licence"].is_null(), "{t}");
    let (s, triaged) = app
        .post(
            &format!("/tickets/{}/triage", id(&t)),
            &d,
            json!({ "retailer_licence": "421182100001" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{triaged}");
    assert_eq!(triaged["possible_duplicate_of"], shop["id"]);
    let (_, events) = app.get(&format!("/tickets/{}/events", id(&t)), &d).await;
    let last = &events.as_array().expect("events").last().cloned();
    let last = last.as_ref().expect("an event");
    assert_eq!(last["type"], "ticket.triaged");
    assert_eq!(last["data"]["possible_duplicate_of"], shop["id"]);

    // Once named, a later triage does not replace it.
    let (_, again) = app
        .post(
            &format!("/tickets/{}/triage", id(&t)),
            &d,
            json!({ "location": { "lat": 29.5, "lng": 115.2 } }),
        )
        .await;
    assert_eq!(again["possible_duplicate_of"], shop["id"]);

    // A place given at triage, 20 m from a case closed last week: marked too.
    let mut old = vague("T-3");
    old["location"] = json!({ "lat": 30.1, "lng": 115.585 });
    let (_, old) = app.post("/tickets", &d, old).await;
    close_by_transfer(&app, &d, &id(&old)).await;
    app.clock.advance(time::Duration::days(7));
    let (_, u) = app.post("/tickets", &d, vague("T-4")).await;
    assert!(u["possible_duplicate_of"].is_null(), "{u}");
    let (_, placed) = app
        .post(
            &format!("/tickets/{}/triage", id(&u)),
            &d,
            json!({ "location": { "lat": 30.10018, "lng": 115.585 } }),
        )
        .await;
    assert_eq!(placed["possible_duplicate_of"], old["id"]);
    app.stop().await;
}

#[actix_web::test]
async fn a_refused_merge_changes_neither_ticket() {
    let app = spawn_app().await;
    let d = app.token("dispatcher", None).await;
    let (_, target) = app.post("/tickets", &d, report_at("M-1", 30.02)).await;
    let (_, dup) = app.post("/tickets", &d, report_at("M-2", 30.0201)).await;
    let (target, dup) = (id(&target), id(&dup));
    close_by_transfer(&app, &d, &target).await;
    let before = (
        snapshot(&app, &d, &target).await,
        snapshot(&app, &d, &dup).await,
    );

    // Into a closed target.
    let (s, b) = app
        .post(
            &format!("/tickets/{target}/merge"),
            &d,
            json!({ "duplicate_id": dup }),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_eq!(b["code"], "illegal_transition");
    // A ticket into itself, and an unknown duplicate.
    let (s, b) = app
        .post(
            &format!("/tickets/{dup}/merge"),
            &d,
            json!({ "duplicate_id": dup }),
        )
        .await;
    assert_eq!(
        (s, b["code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("merge_into_itself"))
    );
    let (s, _) = app
        .post(
            &format!("/tickets/{dup}/merge"),
            &d,
            json!({ "duplicate_id": "0190a0a0-0000-7000-8000-000000000000" }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let after = (
        snapshot(&app, &d, &target).await,
        snapshot(&app, &d, &dup).await,
    );
    assert_eq!(before, after);
    assert_eq!(after.1.0["status"], "received");
    assert_eq!(after.0.0["duplicates"], json!([]));
    app.stop().await;
}

#[actix_web::test]
async fn closed_and_open_cases_are_indexed_again_after_a_restart() {
    let (_dir, store) = temp_store();
    let clock = ManualClock::new(Timestamp::parse("2026-11-27T08:00:00Z").expect("time"));
    let app = ThreadApp::start(&store, &clock);
    let (s, issued) = app
        .post("/tokens", ADMIN, json!({ "role": "dispatcher" }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{issued}");
    let d = issued["token"].as_str().expect("token").to_owned();
    let (_, closed) = app.post("/tickets", &d, report_at("R-1", 30.02)).await;
    let (s, b) = app
        .post(
            &format!("/tickets/{}/transfer", id(&closed)),
            &d,
            json!({ "to": "platform", "reason": "非本单位管辖" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let mut shop = report_at("R-2", 29.9);
    shop["retailer_licence"] = json!("421182100123");
    let (_, open) = app.post("/tickets", &d, shop.clone()).await;

    app.stop().await;
    clock.advance(time::Duration::days(3));
    let app = ThreadApp::start(&store, &clock);
    let (_, near) = app.post("/tickets", &d, report_at("R-3", 30.0201)).await;
    assert_eq!(near["possible_duplicate_of"], closed["id"], "{near}");
    shop["external_id"] = json!("R-4");
    shop["location"] = json!({ "lat": 29.5, "lng": 115.2 });
    let (_, same_shop) = app.post("/tickets", &d, shop).await;
    assert_eq!(
        same_shop["possible_duplicate_of"], open["id"],
        "{same_shop}"
    );
    app.stop().await;
}

#[actix_web::test]
async fn a_merge_cut_in_half_is_undone_by_the_repair_pass() {
    use hotline_dispatch::domain::ids::TicketId;
    use hotline_dispatch::domain::role::Principal;
    use hotline_dispatch::domain::ticket::Command;
    let app = spawn_app().await;
    let d = app.token("dispatcher", None).await;
    let (_, a) = app.post("/tickets", &d, report_at("HM-1", 30.02)).await;
    let (_, b) = app.post("/tickets", &d, report_at("HM-2", 30.0201)).await;
    let parse = |t: &Value| id(t).parse::<TicketId>().expect("ticket id");
    let (target, dup) = (parse(&a), parse(&b));
    let number = app
        .engine
        .store
        .ticket(&dup)
        .expect("store")
        .expect("duplicate")
        .number;
    // The first step of a merge only, as when the engine stops between the two.
    app.engine
        .tickets
        .execute(
            target,
            Command::AbsorbDuplicate(steps::AbsorbDuplicate {
                duplicate: dup,
                duplicate_number: number,
            }),
            Principal::system(),
        )
        .await
        .expect("absorb");
    let (_, t) = app.get(&format!("/tickets/{}", id(&a)), &d).await;
    assert_eq!(t["duplicates"], json!([id(&b)]));

    assert_eq!(app.engine.tickets.repair_merges().await.expect("repair"), 1);
    let (_, t) = app.get(&format!("/tickets/{}", id(&a)), &d).await;
    assert_eq!(t["duplicates"], json!([]), "{t}");
    let (_, events) = app.get(&format!("/tickets/{}/events", id(&a)), &d).await;
    assert!(
        events
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["type"] == "ticket.duplicate_released"),
        "{events}"
    );
    let (_, other) = app.get(&format!("/tickets/{}", id(&b)), &d).await;
    assert_ne!(other["status"], "merged", "{other}");
    // Nothing more to repair; a whole merge is left alone.
    assert_eq!(app.engine.tickets.repair_merges().await.expect("repair"), 0);
    let (s, m) = app
        .post(
            &format!("/tickets/{}/merge", id(&a)),
            &d,
            json!({ "duplicate_id": id(&b) }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert_eq!(app.engine.tickets.repair_merges().await.expect("repair"), 0);
}
