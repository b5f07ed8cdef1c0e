//! Crash durability: rounds of 50 concurrent intake clients against the real binary, each
//! round ended by kill -9 at a random moment with requests in flight. Every intake answered
//! 2xx (in any round) must be present after the restart, with the same number. One store is
//! kept across rounds, so earlier rounds' tickets must survive every later crash too. The
//! store's group commit shows in `/metrics`: far fewer flushes than writes.

#![allow(clippy::unwrap_used, reason = "tests")]

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;
use std::time::Duration;

use futures_util::StreamExt;
use rand::Rng;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::Running;
use crate::common::{ADMIN, intake, temp_store};

const ROUNDS: usize = 10;
const CLIENTS: usize = 50;
/// The kill comes this many milliseconds after the load starts.
const KILL_AFTER_MS: std::ops::RangeInclusive<u64> = 600..=1500;
/// Least acknowledged intakes per round (debug build, 2 cores).
const MIN_ACKED: usize = 100;

/// An intake the engine acknowledged with a 2xx answer.
#[derive(Clone, Debug)]
struct Acked {
    id: String,
    number: String,
    external_id: String,
}

#[derive(Default)]
struct ClientOutcome {
    acked: Vec<Acked>,
    /// Non-2xx HTTP answers by status.
    refused: BTreeMap<u16, usize>,
    /// Transport errors before the kill.
    early_errors: usize,
    /// Transport errors after the kill (connection reset or refused).
    errors: usize,
}

/// The engine's `/metrics` text.
async fn metrics(http: &reqwest::Client, base: &str) -> String {
    http.get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client")
}

async fn issue(client: &reqwest::Client, base: &str, role: &str) -> String {
    let res = client
        .post(format!("{base}/api/v1/tokens"))
        .bearer_auth(ADMIN)
        .json(&json!({ "role": role, "subject": format!("crash-{role}") }))
        .send()
        .await
        .expect("token request");
    assert_eq!(res.status(), StatusCode::CREATED, "issue {role} token");
    let body: Value = res.json().await.expect("token body");
    body["token"].as_str().expect("token").to_owned()
}

/// One client: files intakes back to back until `stop`, or until the engine is gone.
async fn intake_loop(
    client: reqwest::Client,
    url: String,
    token: String,
    prefix: String,
    stop: Rc<Cell<bool>>,
    in_flight: Rc<Cell<usize>>,
) -> ClientOutcome {
    let mut out = ClientOutcome::default();
    let mut n = 0usize;
    while !stop.get() {
        let external_id = format!("{prefix}-{n}");
        n += 1;
        let body = intake(&external_id, Some("counterfeit"), "report");
        in_flight.set(in_flight.get() + 1);
        let answer = match client
            .post(&url)
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
        {
            Ok(res) => {
                let status = res.status();
                // The answer counts only once its body has fully arrived.
                res.json::<Value>().await.map(|b| (status, b))
            }
            Err(e) => Err(e),
        };
        in_flight.set(in_flight.get() - 1);
        match answer {
            Ok((status, b)) if status.is_success() => {
                assert_eq!(
                    status,
                    StatusCode::CREATED,
                    "a fresh external id answers 201: {b}"
                );
                out.acked.push(Acked {
                    id: b["id"]
                        .as_str()
                        .expect("acknowledged ticket has an id")
                        .to_owned(),
                    number: b["number"]
                        .as_str()
                        .expect("acknowledged ticket has a number")
                        .to_owned(),
                    external_id,
                });
            }
            Ok((status, _)) => *out.refused.entry(status.as_u16()).or_default() += 1,
            Err(_) => {
                if stop.get() {
                    out.errors += 1;
                } else {
                    out.early_errors += 1;
                }
                // The engine is gone (or going): stop rather than spin on refused connects.
                break;
            }
        }
    }
    out
}

/// Parses one unlabelled sample of the Prometheus text format.
fn sample(metrics: &str, name: &str) -> Option<f64> {
    metrics.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?;
        let value = if let Some(labelled) = rest.strip_prefix('{') {
            labelled.split_once('}')?.1
        } else {
            rest
        };
        if !value.starts_with(' ') {
            return None; // a longer name with the same prefix
        }
        value.split_whitespace().next()?.parse().ok()
    })
}

/// Every acknowledged ticket by id: 200 with the same number and external id.
async fn check_each(client: &reqwest::Client, base: &str, token: &str, acked: &[Acked]) -> usize {
    let missing: Vec<String> = futures_util::stream::iter(acked.iter())
        .map(|a| {
            let req = client
                .get(format!("{base}/api/v1/tickets/{}", a.id))
                .bearer_auth(token);
            async move {
                let res = req.send().await.expect("read ticket");
                let status = res.status();
                let body: Value = res.json().await.unwrap_or(Value::Null);
                if status != StatusCode::OK {
                    return Some(format!("{} ({}): {status} {body}", a.id, a.number));
                }
                if body["number"].as_str() != Some(a.number.as_str())
                    || body["external_id"].as_str() != Some(a.external_id.as_str())
                {
                    return Some(format!(
                        "{} acknowledged as {} / {}, now {} / {}",
                        a.id, a.number, a.external_id, body["number"], body["external_id"]
                    ));
                }
                None
            }
        })
        .buffer_unordered(16)
        .filter_map(|x| async move { x })
        .collect()
        .await;
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged tickets lost or changed, e.g. {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(5)]
    );
    acked.len()
}

/// The whole ticket list (paged): every acknowledged ticket is in it with its number, and
/// numbers are unique.
async fn check_list(client: &reqwest::Client, base: &str, token: &str, acked: &[Acked]) -> usize {
    let mut listed: HashMap<String, String> = HashMap::new();
    let mut numbers = HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{base}/api/v1/tickets?limit=500");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let res = client
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .expect("list");
        assert_eq!(res.status(), StatusCode::OK, "list tickets");
        let page: Value = res.json().await.expect("list body");
        for t in page["items"].as_array().expect("items") {
            let number = t["number"].as_str().expect("number").to_owned();
            assert!(
                numbers.insert(number.clone()),
                "ticket number {number} listed twice"
            );
            listed.insert(t["id"].as_str().expect("id").to_owned(), number);
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    for a in acked {
        assert_eq!(
            listed.get(&a.id),
            Some(&a.number),
            "acknowledged ticket {} ({}) missing from the list",
            a.id,
            a.number
        );
    }
    listed.len()
}

struct Round {
    acked: usize,
    in_flight_at_kill: usize,
    refused: BTreeMap<u16, usize>,
    /// Transport errors before the kill (there should be none).
    early_errors: usize,
    /// Transport errors after the kill (expected: connections reset or refused).
    errors: usize,
    kill_after_ms: u64,
    flushes: f64,
    writes: f64,
}

/// Runs the load on `engine` and kills it at a random moment; returns what was
/// acknowledged.
async fn crash_round(engine: Running, round: usize, all: &mut Vec<Acked>) -> Round {
    let base = engine.base.clone();
    let http = client();
    let platform = issue(&http, &base, "platform").await;

    let stop = Rc::new(Cell::new(false));
    let in_flight = Rc::new(Cell::new(0usize));
    let url = format!("{base}/api/v1/tickets");
    let load = client();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            actix_web::rt::spawn(intake_loop(
                load.clone(),
                url.clone(),
                platform.clone(),
                format!("crash-r{round}-c{c}"),
                stop.clone(),
                in_flight.clone(),
            ))
        })
        .collect();

    let kill_after_ms = rand::rng().random_range(KILL_AFTER_MS);
    actix_web::rt::time::sleep(Duration::from_millis(kill_after_ms)).await;
    // Group commit, read while the 50 clients are busy.
    let text = metrics(&http, &base).await;
    let flushes = sample(&text, "hotline_store_flushes_total")
        .expect("hotline_store_flushes_total in /metrics");
    let writes = sample(&text, "hotline_store_writes_total")
        .expect("hotline_store_writes_total in /metrics");
    // No await between reading the counter and the kill: it is exact.
    let in_flight_at_kill = in_flight.get();
    stop.set(true);
    engine.take().kill9();

    let mut outcome = ClientOutcome::default();
    for task in tasks {
        let o = task.await.expect("client task");
        outcome.acked.extend(o.acked);
        outcome.errors += o.errors;
        outcome.early_errors += o.early_errors;
        for (s, n) in o.refused {
            *outcome.refused.entry(s).or_default() += n;
        }
    }
    let acked = outcome.acked.len();
    all.extend(outcome.acked);
    Round {
        acked,
        in_flight_at_kill,
        refused: outcome.refused,
        early_errors: outcome.early_errors,
        errors: outcome.errors,
        kill_after_ms,
        flushes,
        writes,
    }
}

#[actix_web::test]
async fn acknowledged_intakes_survive_kill9() {
    let (_dir, store) = temp_store();
    let mut all: Vec<Acked> = Vec::new();
    let mut rounds = Vec::new();
    let mut engine = Running::start(&store);
    for round in 0..ROUNDS {
        let before = all.len();
        let r = crash_round(engine, round, &mut all).await;

        // Restart: this round's acknowledgements one by one, all rounds' in the list. The
        // restarted engine takes the next round's load.
        engine = Running::start(&store);
        let http = client();
        let dispatcher = issue(&http, &engine.base, "dispatcher").await;
        let present = check_each(&http, &engine.base, &dispatcher, &all[before..]).await;
        let listed = check_list(&http, &engine.base, &dispatcher, &all).await;

        eprintln!(
            "round {round:>2}: kill after {:>4} ms: acked {:>5}, in flight at kill {:>2}, \
             present after restart {present:>5} (listed {listed:>6}); refused {:?}, \
             transport errors {} before / {} after the kill; store {} flushes / {} writes",
            r.kill_after_ms,
            r.acked,
            r.in_flight_at_kill,
            r.refused,
            r.early_errors,
            r.errors,
            r.flushes,
            r.writes
        );
        assert!(
            r.in_flight_at_kill > 0,
            "round {round}: nothing in flight at the kill"
        );
        assert!(
            r.acked >= MIN_ACKED,
            "round {round}: only {} intakes acknowledged",
            r.acked
        );
        assert!(
            r.refused.is_empty(),
            "round {round}: intakes refused under load: {:?}",
            r.refused
        );
        assert_eq!(
            r.early_errors, 0,
            "round {round}: transport errors before the kill"
        );
        assert!(
            r.writes >= r.acked as f64 * 0.5,
            "round {round}: {} writes counted for {} acks",
            r.writes,
            r.acked
        );
        // Every round must batch at least somewhat; the strong check is over all rounds
        // below, so one round starved of CPU by other tests cannot fail it alone.
        assert!(
            r.flushes < r.writes,
            "round {round}: no group commit: {} flushes for {} writes",
            r.flushes,
            r.writes
        );
        rounds.push(r);
    }

    // After the last crash: every acknowledged ticket of every round, by id.
    let http = client();
    let dispatcher = issue(&http, &engine.base, "dispatcher").await;
    let present = check_each(&http, &engine.base, &dispatcher, &all).await;
    let numbers: HashSet<&str> = all.iter().map(|a| a.number.as_str()).collect();
    assert_eq!(
        numbers.len(),
        all.len(),
        "two acknowledged tickets share a number"
    );
    let ids: HashSet<&str> = all.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        ids.len(),
        all.len(),
        "two acknowledged intakes share a ticket id"
    );

    // Acknowledged intakes stay idempotent across the crashes: a repeat answers 200 with
    // the same ticket.
    let platform = issue(&http, &engine.base, "platform").await;
    for a in all.iter().step_by(all.len() / 20 + 1) {
        let res = http
            .post(format!("{}/api/v1/tickets", engine.base))
            .bearer_auth(&platform)
            .json(&intake(&a.external_id, Some("counterfeit"), "report"))
            .send()
            .await
            .expect("repeat intake");
        assert_eq!(res.status(), StatusCode::OK, "repeat of {}", a.external_id);
        let b: Value = res.json().await.expect("body");
        assert_eq!(
            b["id"].as_str(),
            Some(a.id.as_str()),
            "repeat of {}",
            a.external_id
        );
        assert_eq!(
            b["number"].as_str(),
            Some(a.number.as_str()),
            "repeat of {}",
            a.external_id
        );
    }
    let log = engine.stderr.clone();
    let status = engine.take().terminate();
    assert!(
        status.success(),
        "graceful stop exits 0, got {status}; log:\n{}",
        log.lock().unwrap()
    );

    let flushes: f64 = rounds.iter().map(|r| r.flushes).sum();
    let writes: f64 = rounds.iter().map(|r| r.writes).sum();
    // How many writes share a flush depends on how fast requests reach the writer compared
    // with a flush: in this test build the HTTP side is the bottleneck and a flush carries
    // 1.5-9 writes (release under the intake benchmark, more). Below 1.2 on average writes
    // would not be grouped at all.
    assert!(
        flushes * 1.2 < writes,
        "no group commit: {flushes} flushes for {writes} writes over {ROUNDS} rounds"
    );
    eprintln!(
        "crash: {ROUNDS} rounds, {} acknowledged in all, {present} present by id after the last \
         crash; group commit: {flushes} flushes for {writes} writes ({:.1} writes per flush)",
        all.len(),
        writes / flushes.max(1.0)
    );
}

/// Every group commit syncs the store's data file (`fdatasync`, past sled's
/// `sync_file_range`) before its writes are answered: once the acknowledged intakes of 20
/// concurrent clients are in, the engine has synced exactly as often as it flushed, and at
/// least once per acknowledged batch.
#[actix_web::test]
async fn every_acknowledged_batch_is_synced_to_the_data_file() {
    let (_dir, store) = temp_store();
    let engine = Running::start(&store);
    let base = engine.base.clone();
    let http = client();
    let platform = issue(&http, &base, "platform").await;
    let url = format!("{base}/api/v1/tickets");
    let acks: Vec<_> = (0..20)
        .map(|c| {
            let (http, url, token) = (http.clone(), url.clone(), platform.clone());
            actix_web::rt::spawn(async move {
                for i in 0..5 {
                    let res = http
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&intake(
                            &format!("sync-{c}-{i}"),
                            Some("counterfeit"),
                            "report",
                        ))
                        .send()
                        .await
                        .expect("intake sent");
                    assert_eq!(res.status(), StatusCode::CREATED);
                }
            })
        })
        .collect();
    for task in acks {
        task.await.expect("client");
    }
    // A commit of the engine's own (a vehicle's state) may be between its sync and its
    // count when read: read again until none is.
    let (mut flushes, mut syncs, mut writes) = (0.0, -1.0, 0.0);
    for _ in 0..20 {
        let text = metrics(&http, &base).await;
        flushes = sample(&text, "hotline_store_flushes_total").expect("flushes");
        syncs = sample(&text, "hotline_store_data_syncs_total").expect("data syncs");
        writes = sample(&text, "hotline_store_writes_total").expect("writes");
        if syncs == flushes {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(writes >= 100.0, "100 intakes written: {writes}");
    assert!(flushes >= 1.0 && flushes <= writes, "{flushes} flushes");
    assert_eq!(syncs, flushes, "one data sync per group commit");
    engine.take().terminate();
}
