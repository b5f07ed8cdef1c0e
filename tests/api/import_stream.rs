//! A registry import is read as it arrives and stored in generations: a body over the
//! route's limit is 413 however it is sent, and what a restart reads is the last import whole (an older store's
//! per-licence records included, which the first import converts).

#![allow(clippy::unwrap_used, reason = "tests")]

use std::sync::Arc;
use std::time::Duration;

use hotline_dispatch::domain::retailer::{Retailer, RetailerDraft};
use hotline_dispatch::retailers::RetailerBook;
use hotline_dispatch::store::{RecordKind, Write};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{ADMIN, TestApp, spawn_app};

const HEADER: &str = "licence,name,owner,address,town,lat,lng,market_inspector,account_manager\n";

fn rows(from: usize, count: usize, tag: &str) -> String {
    (from..from + count)
        .map(|i| {
            format!(
                "4211821{i:05},梅川镇{tag}烟酒店{i},李某,梅川镇正街{i}号,梅川镇,30.02,115.585,,\n"
            )
        })
        .collect()
}

async fn import(app: &TestApp, csv: String) -> (StatusCode, serde_json::Value) {
    let res = app
        .client
        .post(app.url("/retailers/import"))
        .bearer_auth(ADMIN)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap_or_default())
}

/// Opens a chunked-encoding import, sends `first` as one chunk and leaves the body open;
/// returns the connection.
async fn open_import(app: &TestApp, first: &[u8]) -> tokio::net::TcpStream {
    let addr = app.base.trim_start_matches("http://");
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/v1/retailers/import HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {ADMIN}\r\n\
         Content-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(format!("{:x}\r\n", first.len()).as_bytes())
        .await
        .unwrap();
    tcp.write_all(first).await.unwrap();
    tcp.write_all(b"\r\n").await.unwrap();
    tcp
}

/// The status line of the answer, read within ten seconds.
async fn status_line(tcp: &mut tokio::net::TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    tokio::time::timeout(Duration::from_secs(10), async {
        while !got.windows(2).any(|w| w == b"\r\n") {
            let n = tcp.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed without an answer");
            got.extend_from_slice(&buf[..n]);
        }
    })
    .await
    .expect("an answer before the body was complete");
    String::from_utf8_lossy(&got)
        .lines()
        .next()
        .unwrap()
        .to_owned()
}

#[actix_web::test]
async fn a_bad_file_is_answered_before_its_body_has_all_come_in() {
    let app = spawn_app().await;
    // The header is wrong; the rest of the body never comes.
    let mut tcp = open_import(&app, b"licence,nme,owner\n").await;
    let status = status_line(&mut tcp).await;
    assert!(status.starts_with("HTTP/1.1 422"), "{status}");
    assert_eq!(app.engine.retailers.len(), 0);
    app.stop().await;
}

#[actix_web::test]
async fn a_body_over_the_limit_is_413_without_a_content_length_too() {
    let app = spawn_app().await;
    let limit = 20 * 1024 * 1024;
    // A header and blank lines (which the parser skips), sent chunk by chunk.
    let mut tcp = open_import(&app, HEADER.as_bytes()).await;
    let blank = vec![b'\n'; 1024 * 1024];
    let mut sent = HEADER.len();
    while sent <= limit {
        let chunk = format!("{:x}\r\n", blank.len());
        if tcp.write_all(chunk.as_bytes()).await.is_err()
            || tcp.write_all(&blank).await.is_err()
            || tcp.write_all(b"\r\n").await.is_err()
        {
            break; // the engine stopped reading: it has answered
        }
        sent += blank.len();
    }
    let status = status_line(&mut tcp).await;
    assert!(status.starts_with("HTTP/1.1 413"), "{status}");
    assert_eq!(app.engine.retailers.len(), 0);
    app.stop().await;
}

fn chunk(app: &TestApp, id: &str) -> Option<Vec<u8>> {
    app.engine
        .store
        .record(RecordKind::RetailerChunk, id)
        .unwrap()
}

#[actix_web::test]
async fn imports_are_stored_as_generations_and_a_restart_reads_the_last_whole() {
    let app = spawn_app().await;
    let (s, b) = import(&app, format!("{HEADER}{}", rows(0, 2500, "甲"))).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(chunk(&app, "1-0").is_some() && chunk(&app, "1-2").is_some());
    assert!(chunk(&app, "1-3").is_none(), "2,500 rows are three chunks");
    // A second import: ten rows, the first replacing row 2499 of the first file.
    let (s, b) = import(&app, format!("{HEADER}{}", rows(2499, 10, "乙"))).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (b["imported"].as_u64(), b["replaced"].as_u64()),
        (Some(10), Some(1))
    );
    assert!(chunk(&app, "2-2").is_some());
    assert!(
        chunk(&app, "1-0").is_none(),
        "the previous generation is deleted"
    );
    let reloaded = RetailerBook::load(Arc::clone(&app.engine.store)).unwrap();
    assert_eq!(reloaded.len(), 2509);
    assert_eq!(
        reloaded.get("421182102499").unwrap().name(),
        "梅川镇乙烟酒店2499"
    );
    assert_eq!(
        reloaded.get("421182100000").unwrap().name(),
        "梅川镇甲烟酒店0"
    );
    app.stop().await;
}

#[actix_web::test]
async fn an_older_store_with_a_record_per_retailer_is_read_and_converted() {
    let app = spawn_app().await;
    let store = Arc::clone(&app.engine.store);
    let items = (0..3)
        .map(|i| {
            let r = Retailer::new(RetailerDraft {
                licence: format!("42118290000{i}"),
                name: format!("余川镇老店{i}"),
                owner: None,
                address: format!("余川镇正街{i}号"),
                town: "余川镇".into(),
                lat: 30.065,
                lng: 115.64,
                market_inspector: None,
                account_manager: None,
            })
            .unwrap();
            (r.licence().to_string(), serde_json::to_vec(&r).unwrap())
        })
        .collect();
    store
        .submit(Write::PutRecords {
            kind: RecordKind::Retailer,
            items,
        })
        .await
        .unwrap();
    let book = RetailerBook::load(Arc::clone(&store)).unwrap();
    assert_eq!(book.len(), 3, "the per-licence records are read");
    let csv = format!("{HEADER}{}", rows(0, 2, "丙"));
    book.import(csv.into_bytes(), &app.engine.roster)
        .await
        .unwrap();
    assert_eq!(book.len(), 5);
    assert!(
        store.records(RecordKind::Retailer).unwrap().is_empty(),
        "converted to a generation"
    );
    let reloaded = RetailerBook::load(Arc::clone(&store)).unwrap();
    assert_eq!(reloaded.len(), 5);
    assert!(reloaded.get("421182900001").is_some());
    app.stop().await;
}
