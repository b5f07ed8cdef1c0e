//! Backup and restore with the real binary: `hotline-dispatch backup` against an engine
//! taking writes gives a consistent store (dense events, snapshots matching their
//! timelines, the header's last event id), a backup once writes stopped restores to exactly
//! the original store, and `verify` passes on both. Restore refuses a non-empty target and
//! a damaged file without creating anything; a wrong token is refused with exit status 1.

#![allow(clippy::unwrap_used, reason = "tests")]

use std::cell::Cell;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use hotline_dispatch::bus::EventBus;
use hotline_dispatch::domain::ids::TicketId;
use hotline_dispatch::store::{SledStore, Store, StoreOptions};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::Running;
use crate::common::{ADMIN, intake, run_binary, temp_store, text};

/// The binary with `args` on the store `store`.
fn run(args: &[&str], store: &Path) -> Output {
    let store = store.display().to_string();
    run_binary(args, &[("APP__STORE__PATH", &store)])
}

/// [`run`] on a blocking thread, so the writers on this thread keep going meanwhile.
async fn run_async(args: Vec<String>, store: PathBuf) -> Output {
    actix_web::rt::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&args, &store)
    })
    .await
    .unwrap()
}

fn open(path: &Path) -> SledStore {
    let options = StoreOptions {
        path: path.to_owned(),
        cache_capacity: 16 * 1024 * 1024,
        max_batch: 64,
        queue_capacity: 64,
        number_prefix: "WX".into(),
    };
    SledStore::open(&options, Arc::new(EventBus::new())).unwrap()
}

async fn issue(http: &reqwest::Client, base: &str, role: &str) -> String {
    let res = http
        .post(format!("{base}/api/v1/tokens"))
        .bearer_auth(ADMIN)
        .json(&json!({ "role": role, "subject": format!("backup-{role}") }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "issue {role} token");
    res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn post(http: &reqwest::Client, url: String, token: &str, body: Value) -> Value {
    let res = http
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{status}: {body}");
    body
}

/// One writer: creates a ticket, triages it, supervises it twice, and again, until `stop`.
async fn writer(
    base: String,
    dispatcher: String,
    supervisor: String,
    name: String,
    stop: Rc<Cell<bool>>,
    acked: Rc<Cell<usize>>,
) {
    let http = reqwest::Client::new();
    let mut n = 0;
    while !stop.get() {
        let t = post(
            &http,
            format!("{base}/api/v1/tickets"),
            &dispatcher,
            intake(&format!("{name}-{n}"), Some("counterfeit"), "report"),
        )
        .await;
        n += 1;
        let id = t["id"].as_str().unwrap().to_owned();
        post(
            &http,
            format!("{base}/api/v1/tickets/{id}/triage"),
            &dispatcher,
            json!({}),
        )
        .await;
        for notice in ["请加快处理", "请今日内回复"] {
            post(
                &http,
                format!("{base}/api/v1/tickets/{id}/supervise"),
                &supervisor,
                json!({ "notice": notice }),
            )
            .await;
        }
        acked.set(acked.get() + 4);
    }
}

/// The last event id a backup file's header names.
fn header_last_id(file: &Path) -> u64 {
    let bytes = std::fs::read(file).unwrap();
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned();
    let mut lines = head.lines();
    assert_eq!(lines.next(), Some("hotline-dispatch backup 1"));
    lines
        .next()
        .and_then(|l| l.strip_prefix("last_event_id "))
        .unwrap()
        .parse()
        .unwrap()
}

/// Every event, every ticket's snapshot and timeline, as JSON.
struct Contents {
    last: u64,
    events: Vec<Value>,
    tickets: Vec<(Value, Vec<Value>)>,
}

fn contents(store: &SledStore) -> Contents {
    let last = store.last_event_id();
    let events = store.events_since(0, usize::MAX).unwrap();
    let ids: BTreeSet<TicketId> = events.iter().map(|e| e.ticket_id).collect();
    let tickets = ids
        .iter()
        .map(|id| {
            let t = store
                .ticket(id)
                .unwrap()
                .expect("every ticket with events has a snapshot");
            let timeline = store.timeline(id).unwrap();
            (
                serde_json::to_value(t).unwrap(),
                timeline
                    .iter()
                    .map(|e| serde_json::to_value(e).unwrap())
                    .collect(),
            )
        })
        .collect();
    Contents {
        last,
        events: events
            .iter()
            .map(|e| serde_json::to_value(e).unwrap())
            .collect(),
        tickets,
    }
}

/// A store that is whole on its own: events 1..=last with no gap, every event of a known
/// ticket, every snapshot at its last event's seq.
fn assert_consistent(c: &Contents, what: &str) {
    let ids: Vec<u64> = c
        .events
        .iter()
        .map(|e| e["event_id"].as_u64().unwrap())
        .collect();
    assert_eq!(
        ids,
        (1..=c.last).collect::<Vec<_>>(),
        "{what}: events dense 1..=last"
    );
    for (ticket, timeline) in &c.tickets {
        let last = timeline.last().expect("a ticket has events");
        assert_eq!(
            ticket["seq"], last["seq"],
            "{what}: snapshot at its last event: {ticket}"
        );
        assert!(
            last["event_id"].as_u64().unwrap() <= c.last,
            "{what}: {last}"
        );
    }
    let in_timelines: usize = c.tickets.iter().map(|(_, tl)| tl.len()).sum();
    assert_eq!(
        in_timelines,
        c.events.len(),
        "{what}: every event is in a timeline"
    );
}

fn restore(file: &Path, target: &Path) -> Output {
    run(
        &["restore", file.to_str().unwrap(), target.to_str().unwrap()],
        Path::new("/nonexistent-store"),
    )
}

#[actix_web::test]
async fn a_backup_under_writes_restores_to_a_consistent_store_and_a_quiet_one_to_the_same() {
    let (dir, store) = temp_store();
    let engine = Running::start(&store);
    let base = engine.base.clone();
    let http = reqwest::Client::new();
    let dispatcher = issue(&http, &base, "dispatcher").await;
    let supervisor = issue(&http, &base, "supervisor").await;

    let stop = Rc::new(Cell::new(false));
    let acked = Rc::new(Cell::new(0usize));
    let writers: Vec<_> = (0..6)
        .map(|w| {
            actix_web::rt::spawn(writer(
                base.clone(),
                dispatcher.clone(),
                supervisor.clone(),
                format!("bk-{w}"),
                stop.clone(),
                acked.clone(),
            ))
        })
        .collect();
    while acked.get() < 200 {
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }

    // Under writes.
    let busy = dir.path().join("busy.backup");
    let before = acked.get();
    let out = run_async(
        vec![
            "backup".into(),
            busy.to_str().unwrap().into(),
            "--url".into(),
            base.clone(),
            "--token".into(),
            ADMIN.into(),
        ],
        store.clone(),
    )
    .await;
    let during = acked.get() - before;
    assert!(out.status.success(), "{out:?}");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("backup written to"), "{stdout}");
    assert!(
        stdout.contains("the engine serving at"),
        "taken by the engine: {stdout}"
    );
    assert!(stdout.contains("last event id"), "{stdout}");
    assert!(during > 0, "writes went on while the backup ran");
    assert!(!hotline_dispatch::store::backup::partial_path(&busy).exists());

    // A wrong token: refused, nothing written.
    let refused = dir.path().join("refused.backup");
    let out = run_async(
        vec![
            "backup".into(),
            refused.to_str().unwrap().into(),
            "--url".into(),
            base.clone(),
            "--token".into(),
            "not-a-token".into(),
        ],
        store.clone(),
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("the engine refused the token"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(!refused.exists() && !hotline_dispatch::store::backup::partial_path(&refused).exists());

    stop.set(true);
    for w in writers {
        w.await.unwrap();
    }
    let quiet = dir.path().join("quiet.backup");
    let out = run_async(
        vec![
            "backup".into(),
            quiet.to_str().unwrap().into(),
            "--url".into(),
            base.clone(),
            "--token".into(),
            ADMIN.into(),
        ],
        store.clone(),
    )
    .await;
    assert!(out.status.success(), "{out:?}");
    let log = engine.log();
    let status = engine.take().terminate();
    assert!(status.success(), "graceful stop: {status}; log:\n{log}");

    let busy_last = header_last_id(&busy);
    let quiet_last = header_last_id(&quiet);
    assert!(
        busy_last > 0 && busy_last < quiet_last,
        "the busy backup is a point in the middle: {busy_last} < {quiet_last}"
    );

    let restored_busy = dir.path().join("restored-busy");
    let restored_quiet = dir.path().join("restored-quiet");
    for (file, target, last) in [
        (&busy, &restored_busy, busy_last),
        (&quiet, &restored_quiet, quiet_last),
    ] {
        let out = restore(file, target);
        assert!(out.status.success(), "{out:?}");
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains(&format!("last event id  {last}")),
            "{stdout}"
        );
        assert!(stdout.contains("tickets"), "{stdout}");
        let out = run(&["verify"], target);
        assert_eq!(
            out.status.code(),
            Some(0),
            "verify {}: {out:?}",
            target.display()
        );
    }

    let original = contents(&open(&store));
    let quiet_back = contents(&open(&restored_quiet));
    assert_consistent(&original, "the original");
    assert_eq!(quiet_back.last, original.last);
    assert_eq!(quiet_back.last, quiet_last);
    assert_eq!(quiet_back.events, original.events, "every event");
    assert_eq!(
        quiet_back.tickets, original.tickets,
        "every ticket and timeline"
    );

    let busy_back = contents(&open(&restored_busy));
    assert_eq!(busy_back.last, busy_last, "the header's last event id");
    assert_consistent(&busy_back, "the backup taken under writes");
    // Exactly the original's first `busy_last` events.
    assert_eq!(busy_back.events[..], original.events[..busy_last as usize]);
}

#[actix_web::test]
async fn restore_refuses_a_non_empty_target_and_a_damaged_file_creating_nothing() {
    let (dir, store) = temp_store();
    let engine = Running::start(&store);
    let http = reqwest::Client::new();
    let dispatcher = issue(&http, &engine.base, "dispatcher").await;
    for n in 0..5 {
        post(
            &http,
            engine.url("/tickets"),
            &dispatcher,
            intake(&format!("rf-{n}"), Some("counterfeit"), "report"),
        )
        .await;
    }
    engine.take().terminate();

    // No engine: the store is read directly.
    let file = dir.path().join("offline.backup");
    let out = run(&["backup", file.to_str().unwrap()], &store);
    assert!(out.status.success(), "{out:?}");
    assert!(
        text(&out.stdout).contains("no engine serving it"),
        "{out:?}"
    );

    let full = dir.path().join("full");
    std::fs::create_dir(&full).unwrap();
    std::fs::write(full.join("keep"), b"x").unwrap();
    let out = restore(&file, &full);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(text(&out.stderr).contains("is not empty"), "{out:?}");
    assert_eq!(std::fs::read_dir(&full).unwrap().count(), 1, "left alone");

    let bytes = std::fs::read(&file).unwrap();
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 0x20;
    for (name, damaged) in [
        ("flipped", flipped),
        ("truncated", bytes[..bytes.len() * 2 / 3].to_vec()),
        ("no-trailer", bytes[..bytes.len() - 41].to_vec()),
    ] {
        let path = dir.path().join(format!("{name}.backup"));
        std::fs::write(&path, damaged).unwrap();
        let target = dir.path().join(format!("{name}-store"));
        let out = restore(&path, &target);
        assert_eq!(out.status.code(), Some(1), "{name}: {out:?}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains("is not a valid backup"), "{name}: {stderr}");
        assert!(!target.exists(), "{name}: nothing created");
    }

    // The undamaged file restores into an empty directory.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = restore(&file, &empty);
    assert!(out.status.success(), "{out:?}");
    assert!(text(&out.stdout).contains("tickets        5"), "{out:?}");
}
