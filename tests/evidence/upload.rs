//! Uploads are checked before anything is kept: size while streaming (413), type by
//! content and against the declared type (415), an empty file, no file, a kind the guide
//! does not know or the file does not fit (422). A refused file leaves no file and no temp
//! file, and no event.

use reqwest::StatusCode;

use super::*;
use crate::common::spawn_app_with;

#[actix_web::test]
async fn uploads_are_checked_by_size_and_content_and_a_refused_file_leaves_nothing() {
    let app = spawn_app_with(&[("APP__EVIDENCE__MAX_BYTES", "4096")]).await;
    let s = on_site(&app).await;
    let refused = |(status, body): Answer, want: StatusCode, code: &str| {
        assert_eq!(status, want, "{body}");
        assert_eq!(body["code"], code, "{body}");
    };
    // Over the limit: cut off at 4096 bytes.
    let mut big = photo();
    big.resize(10_000, 0x42);
    let a = upload(
        &app,
        &s.id,
        &s.vehicle,
        &[kind("photo"), file("image/jpeg", &big)],
    )
    .await;
    assert_eq!(a.1["details"]["max_bytes"], 4096, "{}", a.1);
    refused(a, StatusCode::PAYLOAD_TOO_LARGE, "too_large");
    // A type not allowed (plain text), whatever it is declared as.
    let text = b"just some words, not a photo";
    let a = upload(
        &app,
        &s.id,
        &s.vehicle,
        &[kind("document"), file("text/plain", text)],
    )
    .await;
    refused(
        a,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "evidence_type_not_allowed",
    );
    // A declared JPEG that is not one: text bytes, and PNG bytes.
    let a = upload(
        &app,
        &s.id,
        &s.vehicle,
        &[kind("photo"), file("image/jpeg", text)],
    )
    .await;
    refused(
        a,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "evidence_type_not_allowed",
    );
    let a = upload(
        &app,
        &s.id,
        &s.vehicle,
        &[kind("photo"), file("image/jpeg", &png())],
    )
    .await;
    assert_eq!(a.1["details"]["found"], "image/png", "{}", a.1);
    refused(
        a,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "evidence_type_mismatch",
    );
    // Empty; no file part at all.
    let a = upload(
        &app,
        &s.id,
        &s.vehicle,
        &[kind("photo"), file("image/jpeg", b"")],
    )
    .await;
    refused(a, StatusCode::UNPROCESSABLE_ENTITY, "evidence_empty");
    let a = upload(&app, &s.id, &s.vehicle, &[kind("photo")]).await;
    refused(a, StatusCode::UNPROCESSABLE_ENTITY, "evidence_file_missing");
    // A kind the guide does not know; a kind the file does not fit.
    let jpeg = photo();
    let a = upload(
        &app,
        &s.id,
        &s.vehicle,
        &[kind("photos"), file("image/jpeg", &jpeg)],
    )
    .await;
    assert!(
        a.1["details"]["allowed"]
            .as_array()
            .is_some_and(|k| k.contains(&"photo".into()))
    );
    refused(a, StatusCode::UNPROCESSABLE_ENTITY, "unknown_evidence_kind");
    let pdf = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n";
    let a = upload(
        &app,
        &s.id,
        &s.vehicle,
        &[kind("photo"), file("application/pdf", pdf)],
    )
    .await;
    refused(
        a,
        StatusCode::UNPROCESSABLE_ENTITY,
        "evidence_kind_mismatch",
    );
    // Not multipart at all.
    let a = app
        .post(
            &format!("/tickets/{}/evidence", s.id),
            &s.vehicle,
            json!({ "kind": "photo" }),
        )
        .await;
    refused(
        a,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );

    assert_eq!(on_disk(&app), (vec![], 0), "a refused file leaves nothing");
    assert!(
        events(&app, &s.id, &s.dispatcher, "evidence.attached")
            .await
            .is_empty()
    );

    // Within the limit, a real JPEG: kept and attached. A PDF as a document too, declared
    // as a generic binary.
    let (status, body) = upload(
        &app,
        &s.id,
        &s.vehicle,
        &[kind("photo"), file("image/jpeg", &jpeg)],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = upload(
        &app,
        &s.id,
        &s.dispatcher,
        &[kind("document"), file("application/octet-stream", pdf)],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["content_type"], "application/pdf");
    let mut want = vec![sha256(&jpeg), sha256(pdf)];
    want.sort();
    assert_eq!(on_disk(&app), (want, 0));
    app.stop().await;
}

#[actix_web::test]
async fn the_ticket_and_the_caller_are_checked_before_the_body_is_read() {
    let app = spawn_app_with(&[]).await;
    let s = on_site(&app).await;
    let jpeg = photo();
    for (token, want) in [
        (&s.other_vehicle, StatusCode::FORBIDDEN),
        (&s.supervisor, StatusCode::FORBIDDEN),
        (&s.board, StatusCode::FORBIDDEN),
        (&s.platform, StatusCode::FORBIDDEN),
    ] {
        let (status, body) = upload(
            &app,
            &s.id,
            token,
            &[kind("photo"), file("image/jpeg", &jpeg)],
        )
        .await;
        assert_eq!(status, want, "{body}");
    }
    let unknown = "0193a7c2-8a4e-7c1d-9f3b-2a6e4d5c7b81";
    let (status, _) = upload(
        &app,
        unknown,
        &s.dispatcher,
        &[kind("photo"), file("image/jpeg", &jpeg)],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The crew member (a staff token) may, like the vehicle.
    let (status, body) = upload(
        &app,
        &s.id,
        &s.crew,
        &[kind("photo"), file("image/jpeg", &jpeg)],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["by_subject"], "staff:S-1");
    // A closed ticket takes no more files.
    let t = ok(
        &app,
        "/tickets",
        &s.dispatcher,
        intake("EV-2", Some("counterfeit"), "report"),
    )
    .await;
    let closed = t["id"].as_str().expect("id");
    ok(
        &app,
        &format!("/tickets/{closed}/transfer"),
        &s.dispatcher,
        json!({ "to": "platform", "reason": "不属本单位管辖" }),
    )
    .await;
    let (status, body) = upload(
        &app,
        closed,
        &s.dispatcher,
        &[kind("photo"), file("image/jpeg", &jpeg)],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(on_disk(&app).0, vec![sha256(&jpeg)]);
    app.stop().await;
}

/// Starts an upload on a raw connection that sends its headers and part of its body, then
/// holds until told to send the rest; the thread answers the response's status line.
fn slow_upload(
    url: &str,
    token: &str,
    body: Vec<u8>,
) -> (std::sync::mpsc::Sender<()>, std::thread::JoinHandle<String>) {
    use std::io::{Read, Write};
    let url = reqwest::Url::parse(url).expect("url");
    let addr = format!(
        "{}:{}",
        url.host_str().expect("host"),
        url.port().expect("port")
    );
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        url.path(),
        content_type(),
        body.len()
    );
    let (go, wait) = std::sync::mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        let mut conn = std::net::TcpStream::connect(&addr).expect("connect");
        let half = body.len() / 2;
        conn.write_all(head.as_bytes()).expect("head");
        conn.write_all(&body[..half]).expect("first half");
        conn.flush().expect("flush");
        wait.recv().expect("go");
        conn.write_all(&body[half..]).expect("second half");
        let mut answer = Vec::new();
        conn.read_to_end(&mut answer).expect("answer");
        let answer = String::from_utf8_lossy(&answer).into_owned();
        answer.lines().next().unwrap_or_default().to_owned()
    });
    (go, thread)
}

#[actix_web::test]
async fn uploads_past_the_limit_at_once_are_refused_with_429_until_one_is_done() {
    let app = spawn_app_with(&[("APP__EVIDENCE__MAX_CONCURRENT_UPLOADS", "1")]).await;
    let s = on_site(&app).await;
    let url = app.url(&format!("/tickets/{}/evidence", s.id));
    let mut big = photo();
    big.extend(std::iter::repeat_n(7u8, 256 * 1024));
    let (go, slow) = slow_upload(
        &url,
        &s.vehicle,
        multipart(&[kind("photo"), file("image/jpeg", &big)]),
    );
    // The slow upload is being received: its temp file is open.
    for _ in 0..150 {
        if on_disk(&app).1 == 1 {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(on_disk(&app).1, 1, "the slow upload reached its temp file");
    let second = || {
        app.client
            .post(&url)
            .bearer_auth(&s.vehicle)
            .header("content-type", content_type())
            .body(multipart(&[kind("photo"), file("image/png", &png())]))
            .send()
    };
    let res = second().await.expect("sent");
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        res.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["code"], "busy", "{body}");
    // The slow one finishes; its slot is free again.
    go.send(()).expect("go");
    let status = actix_web::rt::task::spawn_blocking(move || slow.join().expect("thread"))
        .await
        .expect("joined");
    assert!(status.contains("201"), "{status}");
    let res = second().await.expect("sent");
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(on_disk(&app).0.len(), 2);
    app.stop().await;
}
