//! With the real binary: a kill -9 in the middle of an upload leaves no half file under a
//! name and nothing referenced, and the temp file is collected after the restart; backup
//! (online and offline) carries the files, restore puts them back, `verify` re-hashes
//! every file and names an altered or a missing one.

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{BOUNDARY, content_type, file, kind, multipart, photo, sha256};
use crate::common::{ADMIN, ChildEngine, intake, run_binary, temp_store, text};

async fn call(http: &reqwest::Client, req: reqwest::RequestBuilder, want: StatusCode) -> Value {
    let _ = http;
    let res = req.send().await.expect("sent");
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(status, want, "{body}");
    body
}

/// A ticket on the engine with a dispatcher token: (ticket id, token).
async fn ticket(http: &reqwest::Client, engine: &ChildEngine, ext: &str) -> (String, String) {
    let t = call(
        http,
        http.post(engine.url("/tokens"))
            .bearer_auth(ADMIN)
            .json(&json!({ "role": "dispatcher", "subject": "desk-1" })),
        StatusCode::CREATED,
    )
    .await;
    let token = t["token"].as_str().expect("token").to_owned();
    let t = call(
        http,
        http.post(engine.url("/tickets"))
            .bearer_auth(&token)
            .json(&intake(ext, Some("counterfeit"), "report")),
        StatusCode::CREATED,
    )
    .await;
    (t["id"].as_str().expect("id").to_owned(), token)
}

async fn upload(
    http: &reqwest::Client,
    engine: &ChildEngine,
    id: &str,
    token: &str,
    bytes: &[u8],
) -> Value {
    call(
        http,
        http.post(engine.url(&format!("/tickets/{id}/evidence")))
            .bearer_auth(token)
            .header("content-type", content_type())
            .body(multipart(&[kind("photo"), file("image/jpeg", bytes)])),
        StatusCode::CREATED,
    )
    .await
}

fn store_files(store: &Path) -> hotline_dispatch::evidence::FileStore {
    hotline_dispatch::evidence::FileStore::of_store(store)
}

#[actix_web::test]
async fn a_kill9_mid_upload_leaves_no_half_file_and_its_temp_file_is_collected() {
    let (_dir, store) = temp_store();
    let quick = [
        ("APP__EVIDENCE__SWEEP_EVERY_S", "1"),
        ("APP__EVIDENCE__ORPHAN_GRACE_S", "1"),
    ];
    let engine = ChildEngine::start_with(&store, &quick);
    let http = reqwest::Client::new();
    let (id, token) = ticket(&http, &engine, "K9-1").await;
    // An upload of 4 MiB, of which the engine is sent the first half, then killed.
    let mut body_start = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nphoto\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.jpg\"\r\n\
         Content-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    let mut picture = photo();
    picture.resize(4 * 1024 * 1024, 0x5A);
    let total = body_start.len() + picture.len() + format!("\r\n--{BOUNDARY}--\r\n").len();
    let addr = engine.base.trim_start_matches("http://").to_owned();
    let mut socket = std::net::TcpStream::connect(&addr).expect("connect");
    let head = format!(
        "POST /api/v1/tickets/{id}/evidence HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: {}\r\nContent-Length: {total}\r\n\r\n",
        content_type()
    );
    socket.write_all(head.as_bytes()).expect("head");
    body_start.extend_from_slice(&picture[..2 * 1024 * 1024]);
    socket.write_all(&body_start).expect("half the body");
    socket.flush().expect("flush");
    // Wait until the engine is writing the temp file, then kill it.
    let files = store_files(&store);
    let mut writing = false;
    for _ in 0..400 {
        if files
            .temps()
            .expect("temps")
            .iter()
            .any(|(p, _)| std::fs::metadata(p).is_ok_and(|m| m.len() > 0))
        {
            writing = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        writing,
        "the upload reached the temp file: {}",
        engine.log()
    );
    engine.kill9();
    drop(socket);
    assert!(
        files.stored().expect("list").is_empty(),
        "no half file under a name"
    );
    assert_eq!(
        files.temps().expect("temps").len(),
        1,
        "the cut-off upload's temp file"
    );

    // Restarted: nothing is attached, and the temp file is collected.
    let engine = ChildEngine::start_with(&store, &quick);
    let list = call(
        &http,
        http.get(engine.url(&format!("/tickets/{id}/evidence")))
            .bearer_auth(&token),
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["files"], json!([]), "nothing referenced");
    let mut collected = false;
    for _ in 0..300 {
        if files.temps().expect("temps").is_empty() {
            collected = true;
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(collected, "the temp file is collected: {}", engine.log());
    // The same upload, whole this time, is attached.
    let up = upload(&http, &engine, &id, &token, &picture).await;
    assert_eq!(up["sha256"], sha256(&picture));
    assert!(engine.terminate().success());
    let out = run_binary(
        &["verify"],
        &[("APP__STORE__PATH", &store.display().to_string())],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("1 evidence files"),
        "{}",
        text(&out.stdout)
    );
}

#[actix_web::test]
async fn backup_restore_and_verify_carry_and_check_the_files() {
    let (dir, store) = temp_store();
    let engine = ChildEngine::start(&store);
    let http = reqwest::Client::new();
    let (id, token) = ticket(&http, &engine, "BK-1").await;
    let first = photo();
    let mut second = photo();
    second.extend_from_slice(b"second picture");
    upload(&http, &engine, &id, &token, &first).await;
    upload(&http, &engine, &id, &token, &second).await;
    let vars = |s: &Path| vec![("APP__STORE__PATH".to_owned(), s.display().to_string())];
    let run = |args: &[&str], s: &Path| {
        let v = vars(s);
        let v: Vec<(&str, &str)> = v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        run_binary(args, &v)
    };
    // Online, through the serving engine.
    let online = dir.path().join("online.backup");
    let out = actix_web::rt::task::spawn_blocking({
        let (online, base, store) = (online.clone(), engine.base.clone(), store.clone());
        move || {
            let v = vars(&store);
            let v: Vec<(&str, &str)> = v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            run_binary(
                &[
                    "backup",
                    online.to_str().expect("path"),
                    "--url",
                    &base,
                    "--token",
                    ADMIN,
                ],
                &v,
            )
        }
    })
    .await
    .expect("backup");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("evidence files 2"),
        "{}",
        text(&out.stdout)
    );
    assert!(engine.terminate().success());
    // Offline, from the store.
    let offline = dir.path().join("offline.backup");
    let out = run(&["backup", offline.to_str().expect("path")], &store);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("evidence files 2"),
        "{}",
        text(&out.stdout)
    );

    for (name, backup) in [("online", &online), ("offline", &offline)] {
        let target = dir.path().join(format!("restored-{name}"));
        let out = run(
            &[
                "restore",
                backup.to_str().expect("path"),
                target.to_str().expect("path"),
            ],
            &target,
        );
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        let files = store_files(&target);
        for bytes in [&first, &second] {
            let mut f = files.open(&sha256(bytes)).expect("open").expect("restored");
            let got = hotline_dispatch::evidence::files::hash_reader(&mut f).expect("hash");
            assert_eq!(got, sha256(bytes), "{name}");
        }
        let out = run(&["verify"], &target);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains("2 evidence files"),
            "{}",
            text(&out.stdout)
        );
    }
    // verify names an altered file, then a missing one.
    let target = dir.path().join("restored-offline");
    let files = store_files(&target);
    let path = files.path_of(&sha256(&second));
    let mut altered = second.clone();
    let last = altered.len() - 1;
    altered[last] ^= 1;
    std::fs::write(&path, &altered).expect("alter");
    let out = run(&["verify"], &target);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains(&sha256(&second)) && err.contains("does not hash"),
        "{err}"
    );
    std::fs::remove_file(&path).expect("remove");
    let out = run(&["verify"], &target);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains(&sha256(&second)) && err.contains("missing"),
        "{err}"
    );
}
