//! Evidence files against the real engine: uploads checked by size and content with nothing
//! stored for a refused file (`upload`), the hash in the event, the on-site record and the
//! report, and who may read a file — never the board or Open311 (`custody`), a file showing
//! the reporter erased with them and orphans collected (`retention`), a kill -9 mid-upload,
//! backup, restore and `verify` with the real binary (`durability`).

mod custody;
mod durability;
mod retention;
mod upload;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::{Answer, TestApp, intake, ok};

/// One part of a multipart body.
pub struct Part<'a> {
    pub name: &'a str,
    pub filename: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
}

/// A `kind` text part.
pub fn kind(k: &str) -> Part<'_> {
    Part {
        name: "kind",
        filename: None,
        content_type: None,
        body: k.as_bytes(),
    }
}

/// A `file` part.
pub fn file<'a>(content_type: &'a str, body: &'a [u8]) -> Part<'a> {
    Part {
        name: "file",
        filename: Some("evidence.bin"),
        content_type: Some(content_type),
        body,
    }
}

pub const BOUNDARY: &str = "----hotline-evidence-7d3f";

/// A multipart/form-data body of `parts`, written out by hand so a test controls every
/// byte and header.
pub fn multipart(parts: &[Part]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        out.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", p.name);
        if let Some(f) = p.filename {
            disposition.push_str(&format!("; filename=\"{f}\""));
        }
        out.extend_from_slice(disposition.as_bytes());
        out.extend_from_slice(b"\r\n");
        if let Some(ct) = p.content_type {
            out.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(p.body);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

pub fn content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// POSTs `parts` to the ticket's evidence route as `token`.
pub async fn upload(app: &TestApp, id: &str, token: &str, parts: &[Part<'_>]) -> Answer {
    crate::common::send(
        &app.client,
        app.client
            .post(app.url(&format!("/tickets/{id}/evidence")))
            .bearer_auth(token)
            .header("content-type", content_type())
            .body(multipart(parts)),
    )
    .await
}

pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A real (tiny) JPEG with EXIF time and GPS near the intake's site (30.02, 115.585).
pub fn photo() -> Vec<u8> {
    hotline_dispatch::evidence::exif::sample_jpeg("2026:11:27 16:02:11", 30.0202, 115.5852)
}

/// A PNG's first bytes and a little more.
pub fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    b.extend_from_slice(&[7u8; 64]);
    b
}

/// Tokens of every role around one ticket on site: its vehicle V-1 (crew S-1, S-2) and
/// another vehicle V-2.
pub struct Scene {
    pub id: String,
    pub number: String,
    pub dispatcher: String,
    pub supervisor: String,
    pub vehicle: String,
    pub crew: String,
    pub other_vehicle: String,
    pub board: String,
    pub platform: String,
}

/// A counterfeit report, triaged and sent to V-1, which has arrived.
pub async fn on_site(app: &TestApp) -> Scene {
    let vehicle = app.fleet().await;
    let v2 = json!({ "id": "V-2", "plate": "鄂J·Z0002", "team_id": "T-1", "department": "enforcement", "crew": [] });
    let (s, b) = app.post("/vehicles", crate::common::ADMIN, v2).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let scene_tokens = (
        app.token("dispatcher", None).await,
        app.token("supervisor", None).await,
        app.token("field", Some(&vehicle)).await,
        app.token("field", Some("S-1")).await,
        app.token("field", Some("V-2")).await,
        app.token("board", None).await,
        app.token("platform", None).await,
    );
    let (dispatcher, supervisor, field, crew, other, board, platform) = scene_tokens;
    let t = ok(
        app,
        "/tickets",
        &dispatcher,
        intake("EV-1", Some("counterfeit"), "report"),
    )
    .await;
    let id = t["id"].as_str().expect("id").to_owned();
    let number = t["number"].as_str().expect("number").to_owned();
    ok(
        app,
        &format!("/tickets/{id}/triage"),
        &dispatcher,
        json!({}),
    )
    .await;
    ok(
        app,
        &format!("/tickets/{id}/dispatch"),
        &dispatcher,
        json!({ "vehicle_id": "V-1", "assign": true }),
    )
    .await;
    ok(app, &format!("/tickets/{id}/arrive"), &field, json!(null)).await;
    Scene {
        id,
        number,
        dispatcher,
        supervisor,
        vehicle: field,
        crew,
        other_vehicle: other,
        board,
        platform,
    }
}

/// The ticket's timeline events of `kind`.
pub async fn events(app: &TestApp, id: &str, token: &str, kind: &str) -> Vec<Value> {
    let (s, body) = app.get(&format!("/tickets/{id}/events"), token).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let list = body
        .as_array()
        .cloned()
        .or_else(|| body["events"].as_array().cloned())
        .unwrap_or_default();
    list.into_iter().filter(|e| e["type"] == kind).collect()
}

/// Files kept in the store's evidence directory (by name) and temp files left.
pub fn on_disk(app: &TestApp) -> (Vec<String>, usize) {
    let files = hotline_dispatch::evidence::FileStore::of_store(&app.engine.settings.store.path);
    let kept = files
        .stored()
        .expect("list")
        .into_iter()
        .map(|s| s.sha256)
        .collect();
    (kept, files.temps().expect("temps").len())
}
