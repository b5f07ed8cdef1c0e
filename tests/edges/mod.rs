//! The engine at its edges, tried as an attacker and a careless client would, through the
//! real binary: a device flooding its socket, revoked tokens on open sockets, pages of
//! other sites opening sockets.

mod flood;
mod origin;
mod revocation;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{ADMIN, ChildEngine, send};

/// A squad, two inspectors and vehicle V-1 crewed by them, registered on a running binary.
async fn register_fleet(client: &reqwest::Client, engine: &ChildEngine) {
    for (path, body) in [
        (
            "/teams",
            json!({ "id": "T-1", "name": "一中队", "department": "enforcement" }),
        ),
        (
            "/staff",
            json!({ "id": "S-1", "name": "市管员", "role": "inspector", "department": "enforcement", "team_id": "T-1", "badge": "ZM-1" }),
        ),
        (
            "/staff",
            json!({ "id": "S-2", "name": "市管员", "role": "inspector", "department": "enforcement", "team_id": "T-1", "badge": "ZM-2" }),
        ),
        (
            "/vehicles",
            json!({ "id": "V-1", "plate": "鄂J·Z0001", "team_id": "T-1", "department": "enforcement", "crew": ["S-1", "S-2"] }),
        ),
    ] {
        let (s, b) = post(client, engine, path, ADMIN, body).await;
        assert_eq!(s, StatusCode::CREATED, "{path}: {b}");
    }
}

async fn post(
    client: &reqwest::Client,
    engine: &ChildEngine,
    path: &str,
    token: &str,
    body: Value,
) -> (StatusCode, Value) {
    send(
        client,
        client.post(engine.url(path)).bearer_auth(token).json(&body),
    )
    .await
}

/// Issues a token; returns its id and secret.
async fn issue(
    client: &reqwest::Client,
    engine: &ChildEngine,
    role: &str,
    subject: Option<&str>,
) -> (String, String) {
    let (s, b) = post(
        client,
        engine,
        "/tokens",
        ADMIN,
        json!({ "role": role, "subject": subject }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    (
        b["id"].as_str().expect("id").to_owned(),
        b["token"].as_str().expect("token").to_owned(),
    )
}

/// The resident memory of a process, in KiB (`VmRSS` in `/proc/PID/status`).
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// The sum of a counter's samples whose labels contain `label` in Prometheus text.
fn counter(metrics: &str, name: &str, label: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with(name) && l.contains(label))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}
