//! A file marked as showing the reporter is erased with the reporter's data: the event
//! and its hash stay, reading it answers 410, its bytes leave the disk (unless another
//! ticket holds the same bytes). Files no event refers to, and temp files an upload left,
//! are collected after the grace period; referenced ones stay.

use std::time::Duration;

use reqwest::StatusCode;

use super::*;
use crate::common::spawn_app_with;

/// Polls `check` every 100 ms for up to 15 s.
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..150 {
        if check().await {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: not within 15 s");
}

fn shows_reporter() -> Part<'static> {
    Part {
        name: "shows_reporter",
        filename: None,
        content_type: None,
        body: b"true",
    }
}

#[actix_web::test]
async fn a_file_showing_the_reporter_is_erased_with_their_data_and_reads_410() {
    let app = spawn_app_with(&[
        ("APP__PRIVACY__RETAIN_DAYS", "1"),
        ("APP__PRIVACY__SWEEP_EVERY_S", "1"),
        ("APP__EVIDENCE__SWEEP_EVERY_S", "1"),
        ("APP__EVIDENCE__ORPHAN_GRACE_S", "1"),
    ])
    .await;
    let dispatcher = app.token("dispatcher", None).await;
    let supervisor = app.token("supervisor", None).await;
    let new = |ext: &str| crate::common::intake(ext, Some("counterfeit"), "report");
    let t = ok(&app, "/tickets", &dispatcher, new("ER-1")).await;
    let id = t["id"].as_str().expect("id").to_owned();
    let face = photo();
    let mut scene = photo();
    scene.extend_from_slice(b"another picture");
    let pdf = b"%PDF-1.4\n% the shop's licence\n%%EOF\n".to_vec();
    // The face first sent without the mark; sent again with it, the file shows the
    // reporter and the answer says so.
    let (status, body) = upload(
        &app,
        &id,
        &dispatcher,
        &[kind("photo"), file("image/jpeg", &face)],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["shows_reporter"], false, "{body}");
    assert!(body["hint"]["taken_at"].is_string(), "{body}");
    for (k, bytes, shows) in [
        ("photo", &face, true),
        ("photo", &scene, false),
        ("document", &pdf, true),
    ] {
        let ct = if k == "photo" {
            "image/jpeg"
        } else {
            "application/pdf"
        };
        let mut parts = vec![kind(k), file(ct, bytes)];
        if shows {
            parts.push(shows_reporter());
        }
        let (status, body) = upload(&app, &id, &dispatcher, &parts).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["shows_reporter"], shows);
    }
    // The same document on another, open ticket: its bytes stay for that one.
    let other = ok(&app, "/tickets", &dispatcher, new("ER-2")).await;
    let other = other["id"].as_str().expect("id").to_owned();
    let (status, body) = upload(
        &app,
        &other,
        &dispatcher,
        &[kind("document"), file("application/pdf", &pdf)],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    ok(
        &app,
        &format!("/tickets/{id}/transfer"),
        &dispatcher,
        json!({ "to": "platform", "reason": "不属本单位管辖" }),
    )
    .await;
    app.clock.advance(time::Duration::days(3));
    let list = format!("/tickets/{id}/evidence");
    eventually("the reporter's files are erased", async || {
        let (_, l) = app.get(&list, &supervisor).await;
        l["files"][0]["erased"] == true
    })
    .await;
    let (_, l) = app.get(&list, &supervisor).await;
    assert_eq!(l["files"][0]["erased"], true, "{l}");
    assert!(
        l["files"][0]["hint"].is_null(),
        "the photo's own place and time go with it: {l}"
    );
    assert_eq!(l["files"][1]["erased"], false, "{l}");
    assert!(l["files"][1]["hint"]["taken_at"].is_string(), "{l}");
    assert_eq!(l["files"][2]["erased"], true, "{l}");
    let (status, body) = app
        .get(
            &format!("/tickets/{id}/evidence/{}", sha256(&face)),
            &supervisor,
        )
        .await;
    assert_eq!(status, StatusCode::GONE, "{body}");
    assert_eq!(body["code"], "evidence_erased");
    // The event that erased them names them; the attaching events keep their hashes.
    let erased = events(&app, &id, &dispatcher, "ticket.personal_data_erased").await;
    let mut named: Vec<String> = erased[0]["data"]["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|h| h.as_str().expect("hash").to_owned())
        .collect();
    named.sort();
    let mut want = vec![sha256(&face), sha256(&pdf)];
    want.sort();
    assert_eq!(named, want);
    assert_eq!(
        events(&app, &id, &dispatcher, "evidence.attached")
            .await
            .len(),
        4
    );
    // The face's bytes leave the disk; the scene stays, and so does the document another
    // ticket holds.
    eventually("the erased bytes are collected", async || {
        !on_disk(&app).0.contains(&sha256(&face))
    })
    .await;
    let kept = on_disk(&app).0;
    assert!(
        kept.contains(&sha256(&scene)) && kept.contains(&sha256(&pdf)),
        "{kept:?}"
    );
    let (status, _) = app
        .get(
            &format!("/tickets/{other}/evidence/{}", sha256(&pdf)),
            &supervisor,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.stop().await;
}

#[actix_web::test]
async fn files_no_event_refers_to_are_collected_after_the_grace() {
    let app = spawn_app_with(&[
        ("APP__EVIDENCE__SWEEP_EVERY_S", "1"),
        ("APP__EVIDENCE__ORPHAN_GRACE_S", "2"),
    ])
    .await;
    let s = on_site(&app).await;
    let jpeg = photo();
    let (status, body) = upload(
        &app,
        &s.id,
        &s.vehicle,
        &[kind("photo"), file("image/jpeg", &jpeg)],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // What a crash between storing and attaching leaves: a file nothing names, and a temp
    // file of an upload cut off.
    let files = hotline_dispatch::evidence::FileStore::of_store(&app.engine.settings.store.path);
    let orphan = b"%PDF-1.4\n% stored, never attached\n".to_vec();
    files.put(&sha256(&orphan), &orphan).expect("put");
    let mut cut = files.incoming().expect("temp");
    cut.write(b"half an upl").expect("write");
    std::mem::forget(cut);
    assert_eq!(on_disk(&app).1, 1);
    eventually("the orphan and the temp file are collected", async || {
        on_disk(&app) == (vec![sha256(&jpeg)], 0)
    })
    .await;
    // The attached file is still served.
    let res = app
        .client
        .get(app.url(&format!("/tickets/{}/evidence/{}", s.id, sha256(&jpeg))))
        .bearer_auth(&s.dispatcher)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
    app.stop().await;
}
