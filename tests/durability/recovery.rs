//! Restart recovery on the real binary: a store with a roster, tokens and ~20 tickets spread
//! over the lifecycle is stopped (SIGTERM, then separately kill -9) and restarted; every
//! ticket, every timeline, the list and the global event counter must come back identical,
//! and the recovered engine must carry on (per-ticket `seq`, global `event_id`, numbers).

#![allow(clippy::unwrap_used, reason = "tests")]

use std::collections::{BTreeMap, BTreeSet};

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::Running;
use crate::common::{ADMIN, Answer, ChildEngine, intake, send, temp_store};

/// A client of one running child engine.
struct Http {
    client: reqwest::Client,
    base: String,
}

impl Http {
    fn new(engine: &ChildEngine) -> Self {
        Self {
            client: reqwest::Client::new(),
            base: engine.base.clone(),
        }
    }

    fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        let req = self
            .client
            .post(self.api(path))
            .bearer_auth(token)
            .json(&body);
        send(&self.client, req).await
    }

    async fn get(&self, path: &str, token: &str) -> Answer {
        send(
            &self.client,
            self.client.get(self.api(path)).bearer_auth(token),
        )
        .await
    }

    /// `GET /readyz` → `last_event_id`.
    async fn last_event_id(&self) -> u64 {
        let (s, b) = send(
            &self.client,
            self.client.get(format!("{}/readyz", self.base)),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "readyz: {b}");
        b["last_event_id"]
            .as_u64()
            .expect("readyz carries last_event_id")
    }

    async fn token(&self, role: &str, subject: Option<&str>) -> String {
        let (s, b) = self
            .post(
                "/tokens",
                ADMIN,
                json!({ "role": role, "subject": subject }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "issue {role} token: {b}");
        b["token"].as_str().expect("token").to_owned()
    }
}

struct Tokens {
    dispatcher: String,
    supervisor: String,
    field: String,
    platform: String,
}

/// Team, two inspectors and a vehicle crewed by them; then the tokens.
async fn roster_and_tokens(http: &Http) -> Tokens {
    let (s, b) = http
        .post(
            "/teams",
            ADMIN,
            json!({ "id": "T-1", "name": "一中队", "department": "enforcement" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "team: {b}");
    for (id, badge) in [("S-1", "ZM-1"), ("S-2", "ZM-2")] {
        let staff = json!({ "id": id, "name": "市管员", "role": "inspector", "department": "enforcement", "team_id": "T-1", "badge": badge });
        let (s, b) = http.post("/staff", ADMIN, staff).await;
        assert_eq!(s, StatusCode::CREATED, "staff {id}: {b}");
    }
    let vehicle = json!({ "id": "V-1", "plate": "鄂J·Z0001", "team_id": "T-1", "department": "enforcement", "crew": ["S-1", "S-2"] });
    let (s, b) = http.post("/vehicles", ADMIN, vehicle).await;
    assert_eq!(s, StatusCode::CREATED, "vehicle: {b}");
    Tokens {
        dispatcher: http.token("dispatcher", Some("console-1")).await,
        supervisor: http.token("supervisor", Some("chief-1")).await,
        field: http.token("field", Some("V-1")).await,
        platform: http.token("platform", Some("12313")).await,
    }
}

/// Runs one lifecycle step; it must succeed. Returns the ticket.
async fn step(http: &Http, token: &str, id: &str, action: &str, body: Value) -> Value {
    let (s, b) = http
        .post(&format!("/tickets/{id}/{action}"), token, body)
        .await;
    assert_eq!(s, StatusCode::OK, "{action} on {id}: {b}");
    b
}

fn report_body() -> Value {
    json!({ "sections": {
        "facts": "群众举报该店销售假冒卷烟",
        "onsite_findings": "现场查获疑似假冒卷烟12条",
        "handling": "先行登记保存，下达通知书",
        "legal_basis": "《烟草专卖法》第三十二条",
        "conclusion": "举报属实",
    }, "evidence": crate::common::all_evidence() })
}

/// Files 20 tickets and moves them along their paths; returns their ids in filing order.
async fn populate(http: &Http, t: &Tokens) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..20 {
        let (category, kind) = match i {
            0..=9 => (Some("counterfeit"), "report"),
            10..=12 => (Some("order_consultation"), "consultation"),
            13..=14 => (Some("online_sale"), "report"),
            _ => (None, "complaint"),
        };
        let (s, b) = http
            .post(
                "/tickets",
                &t.platform,
                intake(&format!("recovery-{i}"), category, kind),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "intake {i}: {b}");
        ids.push(b["id"].as_str().expect("id").to_owned());
    }
    let (d, sup, f) = (
        t.dispatcher.as_str(),
        t.supervisor.as_str(),
        t.field.as_str(),
    );
    let dispatch = || json!({ "vehicle_id": "V-1", "assign": true, "override": true });
    let onsite = || json!({ "findings": "柜台内发现疑似假烟", "actions": "登记保存" });

    // 0: the whole full path, archived.
    let id = &ids[0];
    step(http, d, id, "triage", json!({})).await;
    step(http, d, id, "dispatch", dispatch()).await;
    step(http, f, id, "arrive", json!({})).await;
    step(http, f, id, "onsite-record", onsite()).await;
    step(http, f, id, "report", report_body()).await;
    step(http, d, id, "review", json!({ "decision": "pass" })).await;
    step(http, sup, id, "approval", json!({ "decision": "approve" })).await;
    step(
        http,
        d,
        id,
        "reply",
        json!({ "text": "经查举报属实，已依法处理" }),
    )
    .await;
    step(
        http,
        d,
        id,
        "return-visit",
        json!({ "satisfaction": "satisfied" }),
    )
    .await;
    let done = step(http, d, id, "archive", json!({})).await;
    assert_eq!(done["status"], "archived", "{done}");

    // 1: reviewed, waiting for approval (with one review return on the way).
    let id = &ids[1];
    step(http, d, id, "triage", json!({ "urgency": "I" })).await;
    step(http, d, id, "dispatch", dispatch()).await;
    step(http, f, id, "arrive", json!({})).await;
    step(http, f, id, "onsite-record", onsite()).await;
    step(http, f, id, "report", report_body()).await;
    step(
        http,
        sup,
        id,
        "review",
        json!({ "decision": "return", "reasons": ["补充证据"] }),
    )
    .await;
    step(http, f, id, "report", report_body()).await;
    let b = step(http, d, id, "review", json!({ "decision": "pass" })).await;
    assert_eq!(b["status"], "in_approval", "{b}");

    // 2: reporting; 3: on site; 4: en route; 5: triaged.
    for (n, steps) in [(2, 4), (3, 3), (4, 2), (5, 1)] {
        let id = &ids[n];
        step(http, d, id, "triage", json!({})).await;
        if steps >= 2 {
            step(http, d, id, "dispatch", dispatch()).await;
        }
        if steps >= 3 {
            step(http, f, id, "arrive", json!({})).await;
        }
        if steps >= 4 {
            step(http, f, id, "onsite-record", onsite()).await;
        }
    }

    // 6: transferred back to the platform (closed).
    let b = step(
        http,
        d,
        &ids[6],
        "transfer",
        json!({ "to": "platform", "reason": "不属本单位职责" }),
    )
    .await;
    assert_eq!(b["status"], "transferred", "{b}");

    // 8 is a duplicate of 7.
    let b = step(http, d, &ids[7], "merge", json!({ "duplicate_id": ids[8] })).await;
    assert_eq!(b["duplicates"], json!([ids[8]]), "{b}");

    // 9: a supervision notice while still received.
    step(
        http,
        sup,
        &ids[9],
        "supervise",
        json!({ "notice": "请尽快核查" }),
    )
    .await;

    // 10: consultation answered and visited; 11: waiting for the reply.
    step(http, d, &ids[10], "triage", json!({})).await;
    step(
        http,
        d,
        &ids[10],
        "reply",
        json!({ "text": "订货请联系客户经理" }),
    )
    .await;
    step(
        http,
        d,
        &ids[10],
        "return-visit",
        json!({ "satisfaction": "basically_satisfied" }),
    )
    .await;
    let b = step(http, d, &ids[11], "triage", json!({})).await;
    assert_eq!(b["status"], "replying", "{b}");

    // 13: no on-site stage, straight to reporting.
    let b = step(http, d, &ids[13], "triage", json!({})).await;
    assert_eq!(b["status"], "reporting", "{b}");

    // 15: classified late, then transferred to another department (stays open).
    step(
        http,
        d,
        &ids[15],
        "triage",
        json!({ "category": "late_delivery" }),
    )
    .await;
    step(
        http,
        d,
        &ids[15],
        "transfer",
        json!({ "to": "enforcement", "reason": "涉嫌违法经营" }),
    )
    .await;
    ids
}

/// Everything the API says about the store.
#[derive(Debug, PartialEq)]
struct Snapshot {
    tickets: BTreeMap<String, Value>,
    timelines: BTreeMap<String, Value>,
    list: Vec<Value>,
    last_event_id: u64,
    vehicles: Value,
    staff: Value,
    teams: Value,
}

async fn list_all(http: &Http, token: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/tickets?limit=7&cursor={c}"),
            None => "/tickets?limit=7".to_owned(),
        };
        let (s, b) = http.get(&path, token).await;
        assert_eq!(s, StatusCode::OK, "list: {b}");
        items.extend(b["items"].as_array().expect("items").iter().cloned());
        match b["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(items.len() <= 1000, "the list pages do not end");
    }
    items
}

async fn snapshot(http: &Http, token: &str) -> Snapshot {
    let last_event_id = http.last_event_id().await;
    let list = list_all(http, token).await;
    let mut tickets = BTreeMap::new();
    let mut timelines = BTreeMap::new();
    for item in &list {
        let id = item["id"].as_str().expect("id").to_owned();
        let (s, ticket) = http.get(&format!("/tickets/{id}"), token).await;
        assert_eq!(s, StatusCode::OK, "ticket {id}: {ticket}");
        let (s, events) = http.get(&format!("/tickets/{id}/events"), token).await;
        assert_eq!(s, StatusCode::OK, "timeline {id}: {events}");
        tickets.insert(id.clone(), ticket);
        timelines.insert(id, events);
    }
    let mut roster = Vec::new();
    for path in ["/vehicles", "/staff", "/teams"] {
        let (s, b) = http.get(path, token).await;
        assert_eq!(s, StatusCode::OK, "{path}: {b}");
        roster.push(b);
    }
    let [vehicles, staff, teams] = <[Value; 3]>::try_from(roster).unwrap();
    let snap = Snapshot {
        tickets,
        timelines,
        list,
        last_event_id,
        vehicles,
        staff,
        teams,
    };
    check_consistent(&snap);
    snap
}

/// Per ticket: seq 1..=n matching the ticket's `seq`; over all timelines: event ids exactly
/// 1..=last_event_id, each once.
fn check_consistent(snap: &Snapshot) {
    let mut all_ids = Vec::new();
    for (id, events) in &snap.timelines {
        let events = events.as_array().expect("timeline is an array");
        let seqs: Vec<u64> = events
            .iter()
            .map(|e| e["seq"].as_u64().expect("seq"))
            .collect();
        let expected: Vec<u64> = (1..=events.len() as u64).collect();
        assert_eq!(seqs, expected, "per-ticket seq of {id}");
        assert_eq!(
            snap.tickets[id]["seq"].as_u64(),
            Some(events.len() as u64),
            "ticket {id} seq vs its timeline"
        );
        let ids: Vec<u64> = events
            .iter()
            .map(|e| e["event_id"].as_u64().expect("event_id"))
            .collect();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "event ids of {id} not increasing: {ids:?}"
        );
        for e in events {
            assert_eq!(
                e["ticket_id"].as_str(),
                Some(id.as_str()),
                "event of another ticket in {id}'s timeline"
            );
        }
        all_ids.extend(ids);
    }
    all_ids.sort_unstable();
    let expected: Vec<u64> = (1..=snap.last_event_id).collect();
    assert_eq!(
        all_ids, expected,
        "global event ids are not dense 1..=last_event_id"
    );
    let numbers: BTreeSet<&str> = snap
        .tickets
        .values()
        .map(|t| t["number"].as_str().expect("number"))
        .collect();
    assert_eq!(
        numbers.len(),
        snap.tickets.len(),
        "ticket numbers are not unique"
    );
}

fn assert_same(before: &Snapshot, after: &Snapshot, how: &str) {
    assert_eq!(
        after.last_event_id, before.last_event_id,
        "last_event_id after {how}"
    );
    assert_eq!(
        after.tickets.keys().collect::<Vec<_>>(),
        before.tickets.keys().collect::<Vec<_>>(),
        "ticket ids after {how}"
    );
    for (id, t) in &before.tickets {
        assert_eq!(&after.tickets[id], t, "ticket {id} after {how}");
        assert_eq!(
            &after.timelines[id], &before.timelines[id],
            "timeline of {id} after {how}"
        );
    }
    assert_eq!(after.list, before.list, "ticket list after {how}");
    assert_eq!(after.vehicles, before.vehicles, "vehicles after {how}");
    assert_eq!(after.staff, before.staff, "staff after {how}");
    assert_eq!(after.teams, before.teams, "teams after {how}");
    assert_eq!(after, before, "snapshot after {how}");
}

fn number_suffix(number: &str) -> (String, u64) {
    let (head, n) = number
        .rsplit_once('-')
        .expect("number looks like WX-2026-000123");
    (head.to_owned(), n.parse().expect("numeric suffix"))
}

#[derive(Clone, Copy, Debug)]
enum Stop {
    Term,
    Kill9,
}

async fn restart_recovers_everything(stop: Stop) {
    let (_dir, store) = temp_store();
    let engine = Running::start(&store);
    let http = Http::new(&engine);
    let tokens = roster_and_tokens(&http).await;
    let ids = populate(&http, &tokens).await;
    let mut before = snapshot(&http, &tokens.dispatcher).await;
    assert_eq!(before.tickets.len(), 20);
    assert!(
        before.last_event_id >= 50,
        "expected a busy store, got {} events",
        before.last_event_id
    );

    // One last write just before the stop, so that no background flush during the snapshot
    // can have saved it: only the flush behind its acknowledgement does.
    let last_one = &ids[9];
    let notice = json!({ "notice": "最后督办" });
    step(&http, &tokens.supervisor, last_one, "supervise", notice).await;
    let (s, ticket) = http
        .get(&format!("/tickets/{last_one}"), &tokens.dispatcher)
        .await;
    assert_eq!(s, StatusCode::OK, "{ticket}");
    let (s, events) = http
        .get(&format!("/tickets/{last_one}/events"), &tokens.dispatcher)
        .await;
    assert_eq!(s, StatusCode::OK, "{events}");
    for item in before
        .list
        .iter_mut()
        .filter(|t| t["id"] == json!(last_one))
    {
        *item = ticket.clone();
    }
    before.tickets.insert(last_one.clone(), ticket);
    before.timelines.insert(last_one.clone(), events);
    before.last_event_id += 1;
    check_consistent(&before);
    eprintln!(
        "{stop:?}: {} tickets, last_event_id {}",
        before.tickets.len(),
        before.last_event_id
    );

    let log = engine.stderr.clone();
    match stop {
        Stop::Term => {
            let status = engine.take().terminate();
            assert!(
                status.success(),
                "graceful shutdown must exit 0, got {status}; log:\n{}",
                log.lock().unwrap()
            );
        }
        Stop::Kill9 => engine.take().kill9(),
    }

    let engine = Running::start(&store);
    let http = Http::new(&engine);
    let after = snapshot(&http, &tokens.dispatcher).await;
    assert_same(&before, &after, &format!("{stop:?} and restart"));

    // The recovered engine carries on: an open ticket (5, triaged) takes the next step with
    // the next seq and the next global event id; the field token still works (4, en route).
    let last = after.last_event_id;
    let open = &ids[5];
    let seq = after.tickets[open]["seq"].as_u64().unwrap();
    let b = step(
        &http,
        &tokens.dispatcher,
        open,
        "dispatch",
        json!({ "vehicle_id": "V-1", "assign": true, "override": true }),
    )
    .await;
    assert_eq!(b["status"], "en_route", "{b}");
    assert_eq!(
        b["seq"].as_u64(),
        Some(seq + 1),
        "seq continues on {open}: {b}"
    );
    let (s, events) = http
        .get(&format!("/tickets/{open}/events"), &tokens.dispatcher)
        .await;
    assert_eq!(s, StatusCode::OK);
    let newest = events.as_array().unwrap().last().unwrap();
    assert_eq!(
        newest["event_id"].as_u64(),
        Some(last + 1),
        "global event id continues: {newest}"
    );
    assert_eq!(newest["seq"].as_u64(), Some(seq + 1), "{newest}");
    assert_eq!(newest["type"], "ticket.dispatched", "{newest}");

    let en_route = &ids[4];
    let seq4 = after.tickets[en_route]["seq"].as_u64().unwrap();
    let b = step(&http, &tokens.field, en_route, "arrive", json!({})).await;
    assert_eq!(b["status"], "on_site", "{b}");
    assert_eq!(b["seq"].as_u64(), Some(seq4 + 1), "{b}");

    // An approval on the recovered ticket waiting for it.
    let b = step(
        &http,
        &tokens.supervisor,
        &ids[1],
        "approval",
        json!({ "decision": "approve" }),
    )
    .await;
    assert_eq!(b["status"], "replying", "{b}");

    // A closed ticket stays closed; the merged duplicate refuses work.
    let (s, b) = http
        .post(
            &format!("/tickets/{}/triage", ids[8]),
            &tokens.dispatcher,
            json!({}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "merged duplicate after {stop:?}: {b}"
    );

    // Intake is still idempotent on the recovered external index, and numbering continues.
    let (s, b) = http
        .post(
            "/tickets",
            &tokens.platform,
            intake("recovery-3", Some("counterfeit"), "report"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "repeat intake after {stop:?}: {b}");
    assert_eq!(b["id"].as_str(), Some(ids[3].as_str()), "{b}");
    let (s, b) = http
        .post(
            "/tickets",
            &tokens.platform,
            intake("recovery-new", Some("counterfeit"), "report"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (head, n) = number_suffix(b["number"].as_str().unwrap());
    let highest = before
        .tickets
        .values()
        .map(|t| number_suffix(t["number"].as_str().unwrap()))
        .filter(|(h, _)| *h == head)
        .map(|(_, n)| n)
        .max();
    if let Some(highest) = highest {
        assert_eq!(n, highest + 1, "ticket numbers continue after {stop:?}");
    }

    let now = snapshot(&http, &tokens.dispatcher).await;
    assert_eq!(
        now.last_event_id,
        last + 4,
        "four new events after {stop:?}"
    );
    assert_eq!(now.tickets.len(), 21);
    let status = engine.take().terminate();
    assert!(
        status.success(),
        "graceful shutdown must exit 0, got {status}"
    );
}

#[actix_web::test]
async fn sigterm_then_restart_recovers_everything() {
    restart_recovers_everything(Stop::Term).await;
}

#[actix_web::test]
async fn kill9_then_restart_recovers_everything() {
    restart_recovers_everything(Stop::Kill9).await;
}
