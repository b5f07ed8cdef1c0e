//! The tamper-evident record and personal data retention, checked with the real binary's
//! `verify` on a copy of the store: an edited, removed or reordered event is named; an
//! erasure of personal data (after `privacy.retain_days`, on the manual clock) leaves
//! every hash valid and no trace of the reporter in the store.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, intake, ok, run_binary, spawn_app_with, text};

const NAME: &str = "CANARY-NAME-张三";
const PHONE: &str = "13899990000";
const ADDRESS: &str = "梅川镇幸福路9号";

/// A consultation from intake to archive, its texts quoting the reporter; returns its id.
async fn archived_consultation(app: &TestApp, token: &str, ext: &str) -> String {
    let mut body = intake(ext, Some("order_consultation"), "consultation");
    body["description"] = json!(format!(
        "我是{NAME}，住{ADDRESS}，请回电{PHONE}，问订货时间"
    ));
    body["reporter"]["address"] = json!(ADDRESS);
    let (s, t) = app.post("/tickets", token, body).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_str().expect("id").to_owned();
    let step = |p: &str| format!("/tickets/{id}/{p}");
    ok(
        app,
        &step("triage"),
        token,
        json!({ "category": "order_consultation" }),
    )
    .await;
    let reply = format!("{NAME}您好，每周二订货，如有疑问请拨打12313");
    ok(app, &step("reply"), token, json!({ "text": reply })).await;
    let comment = format!("已电话{PHONE}回访，满意");
    let visit = json!({ "satisfaction": "satisfied", "comment": comment });
    ok(app, &step("return-visit"), token, visit).await;
    let t = ok(app, &step("archive"), token, json!({})).await;
    assert_eq!(t["status"], "archived", "{t}");
    id
}

/// A copy of a quiet store's files: every acknowledged write is flushed, so the copy opens
/// as the store would after a crash at this moment.
fn copy_store(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("copy dir");
    for entry in std::fs::read_dir(from).expect("store dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_store(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy file");
        }
    }
}

fn snapshot(app: &TestApp, dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    copy_store(&app.engine.settings.store.path, &to);
    to
}

/// `hotline-dispatch verify` on `store`: (passed, what it printed).
fn verify(store: &Path) -> (bool, String) {
    let path = store.display().to_string();
    let out = run_binary(&["verify"], &[("APP__STORE__PATH", &path)]);
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    match out.status.code() {
        Some(0) => (true, said),
        Some(1) => (false, said),
        other => panic!("verify exits 0 or 1, not {other:?}: {said}"),
    }
}

/// Changes one stored value of the copy at `store` with sled itself.
fn tamper(store: &Path, change: impl FnOnce(&sled::Tree)) {
    let db = sled::open(store).expect("the copy opens");
    let main = db.open_tree("main").expect("main tree");
    change(&main);
    db.flush().expect("flush");
}

fn event_key(id: u64) -> Vec<u8> {
    let mut k = vec![b'e'];
    k.extend_from_slice(&id.to_be_bytes());
    k
}

fn stored_event(main: &sled::Tree, id: u64) -> Value {
    serde_json::from_slice(&main.get(event_key(id)).expect("get").expect("event")).expect("json")
}

async fn events(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    let (s, v) = app.get(&format!("/tickets/{id}/events"), token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array().cloned().expect("events")
}

#[actix_web::test]
async fn verify_names_an_edited_removed_or_reordered_event() {
    let app = spawn_app_with(&[]).await;
    let token = app.token("dispatcher", None).await;
    let first = archived_consultation(&app, &token, "REC-1").await;
    archived_consultation(&app, &token, "REC-2").await;
    let timeline = events(&app, &token, &first).await;
    let ids: Vec<u64> = timeline
        .iter()
        .map(|e| e["event_id"].as_u64().expect("event id"))
        .collect();
    assert!(ids.len() >= 4, "{timeline:?}");
    let dir = tempfile::tempdir().expect("dir");

    let intact = snapshot(&app, dir.path(), "intact");
    let (passed, said) = verify(&intact);
    assert!(passed, "{said}");
    assert!(
        said.contains("intact") && said.contains("sha256:"),
        "{said}"
    );

    // One character of a reply's text.
    let edited = snapshot(&app, dir.path(), "edited");
    let replied = timeline
        .iter()
        .find(|e| e["type"] == "ticket.replied")
        .and_then(|e| e["event_id"].as_u64())
        .expect("a reply event");
    tamper(&edited, |main| {
        let mut e = stored_event(main, replied);
        e["text"] = json!(e["text"].as_str().expect("text").replace("周二", "周三"));
        let bytes = serde_json::to_vec(&e).expect("json");
        main.insert(event_key(replied), bytes).expect("insert");
    });
    let (passed, said) = verify(&edited);
    assert!(!passed, "an edited event is found: {said}");
    assert!(said.contains(&format!("event {replied}")), "{said}");
    assert!(said.contains("edited"), "{said}");

    // An event removed from the middle of the log.
    let removed = snapshot(&app, dir.path(), "removed");
    tamper(&removed, |main| {
        main.remove(event_key(ids[1])).expect("remove");
    });
    let (passed, said) = verify(&removed);
    assert!(!passed, "{said}");
    assert!(
        said.contains(&format!("event {} is missing", ids[1])),
        "{said}"
    );

    // Two events of the ticket swapped, each keeping its own id.
    let swapped = snapshot(&app, dir.path(), "swapped");
    tamper(&swapped, |main| {
        let (a, b) = (stored_event(main, ids[1]), stored_event(main, ids[2]));
        let mut a2 = b.clone();
        a2["event_id"] = a["event_id"].clone();
        let mut b2 = a.clone();
        b2["event_id"] = b["event_id"].clone();
        main.insert(event_key(ids[1]), serde_json::to_vec(&a2).expect("json"))
            .expect("insert");
        main.insert(event_key(ids[2]), serde_json::to_vec(&b2).expect("json"))
            .expect("insert");
    });
    let (passed, said) = verify(&swapped);
    assert!(!passed, "{said}");
    assert!(said.contains(&format!("event {}", ids[1])), "{said}");

    // The ticket's last event re-hashed consistently by someone who kept its link's shape:
    // the head beside the snapshot no longer matches.
    let last = *ids.last().expect("last");
    let rehashed = snapshot(&app, dir.path(), "rehashed");
    tamper(&rehashed, |main| {
        let mut e = stored_event(main, last);
        e["chain"]["hash"] = json!("00".repeat(32));
        main.insert(event_key(last), serde_json::to_vec(&e).expect("json"))
            .expect("insert");
    });
    let (passed, said) = verify(&rehashed);
    assert!(!passed, "{said}");

    app.stop().await;
}

#[actix_web::test]
async fn personal_data_is_erased_after_retain_days_and_the_record_still_verifies() {
    let app = spawn_app_with(&[("APP__PRIVACY__SWEEP_EVERY_S", "1")]).await;
    let token = app.token("dispatcher", None).await;
    let id = archived_consultation(&app, &token, "RET-1").await;
    let open = app
        .post(
            "/tickets",
            &token,
            intake("RET-OPEN", Some("counterfeit"), "report"),
        )
        .await
        .1;
    let open_id = open["id"].as_str().expect("id").to_owned();
    let dir = tempfile::tempdir().expect("dir");
    let (passed, said) = verify(&snapshot(&app, dir.path(), "before"));
    assert!(passed, "{said}");

    // A day short of the default 365: nothing is erased.
    app.clock.advance(time::Duration::days(364));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (_, t) = app.get(&format!("/tickets/{id}"), &token).await;
    assert_eq!(t["reporter"]["phone"], PHONE, "{t}");

    app.clock.advance(time::Duration::days(2));
    let mut erased = None;
    for _ in 0..60 {
        let timeline = events(&app, &token, &id).await;
        if let Some(e) = timeline
            .iter()
            .find(|e| e["type"] == "ticket.personal_data_erased")
        {
            erased = Some((e.clone(), timeline.clone()));
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let (event, timeline) = erased.expect("the erasure is recorded as an event");
    assert_eq!(event["data"]["retain_days"], 365, "{event}");
    let fields = &event["data"]["fields"];
    assert_eq!(*fields, json!(["name", "phone", "address"]), "{event}");
    assert_eq!(event["by_role"], "system", "{event}");

    let (_, t) = app.get(&format!("/tickets/{id}"), &token).await;
    let shown = t.to_string() + &Value::Array(timeline).to_string();
    for secret in [NAME, PHONE, ADDRESS] {
        assert!(!shown.contains(secret), "{secret} is gone: {shown}");
    }
    // The rest of the record stays.
    assert_eq!(t["status"], "archived", "{t}");
    assert!(
        t["description"]
            .as_str()
            .expect("text")
            .contains("问订货时间"),
        "{t}"
    );
    assert!(
        t["reply"]["text"]
            .as_str()
            .expect("reply")
            .contains("每周二订货"),
        "{t}"
    );
    assert_eq!(t["reporter"]["anonymous"], false, "{t}");

    // An open ticket keeps its reporter, however old.
    let (_, o) = app.get(&format!("/tickets/{open_id}"), &token).await;
    assert_eq!(o["reporter"]["phone"], "13899990000", "{o}");

    let after = snapshot(&app, dir.path(), "after");
    let (passed, said) = verify(&after);
    assert!(passed, "the erasure leaves every hash valid: {said}");
    // Nowhere in the store any more, but for the open ticket's own reporter.
    let db = sled::open(&after).expect("copy opens");
    let main = db.open_tree("main").expect("main");
    for kv in main.iter() {
        let (k, v) = kv.expect("kv");
        let v = String::from_utf8_lossy(&v);
        if v.contains("RET-OPEN") {
            continue;
        }
        for secret in [NAME, ADDRESS] {
            assert!(!v.contains(secret), "{secret} left under {k:?}: {v}");
        }
    }
    app.stop().await;
}

#[actix_web::test]
async fn a_store_from_before_the_chain_is_linked_once_at_open() {
    let app = spawn_app_with(&[]).await;
    let token = app.token("dispatcher", None).await;
    archived_consultation(&app, &token, "OLD-1").await;
    app.post(
        "/tickets",
        &token,
        intake("OLD-2", Some("counterfeit"), "report"),
    )
    .await;
    let dir = tempfile::tempdir().expect("dir");
    let old = snapshot(&app, dir.path(), "old");
    app.stop().await;
    // The store as written before events carried links: no `chain`, no heads, no mark.
    tamper(&old, |main| {
        for kv in main.scan_prefix([b'e']) {
            let (k, v) = kv.expect("event");
            let mut e: Value = serde_json::from_slice(&v).expect("json");
            e.as_object_mut().expect("object").remove("chain");
            main.insert(k, serde_json::to_vec(&e).expect("json"))
                .expect("insert");
        }
        for kv in main.scan_prefix([b'h']) {
            main.remove(kv.expect("head").0).expect("remove");
        }
        main.remove(b"m/chain").expect("remove");
    });
    let (passed, said) = verify(&old);
    assert!(!passed && said.contains("not linked"), "{said}");
    // The engine links it when it opens it, and the record verifies.
    let options = hotline_dispatch::store::StoreOptions {
        path: old.clone(),
        cache_capacity: 16 * 1024 * 1024,
        max_batch: 64,
        queue_capacity: 64,
        number_prefix: "WX".into(),
    };
    let bus = std::sync::Arc::new(hotline_dispatch::bus::EventBus::new());
    let store = hotline_dispatch::store::SledStore::open(&options, bus).expect("opens");
    drop(store);
    let (passed, said) = verify(&old);
    assert!(passed, "{said}");
}
