//! `serve --demo`, the real binary as a child process: the synthetic registry (at least
//! 2,000 retailers across all 12 towns) is loaded and served, the printed tokens work, and
//! the printed console URL serves the console and its assets.

use std::collections::{BTreeSet, HashSet};

use hotline_dispatch::domain::retailer::Town;
use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{ChildEngine, send, temp_store};

/// The county's box (west, south, east, north) split at 115.6° E into two halves, each
/// holding fewer retailers than one map answer lists, so nothing is cut off.
const HALVES: [&str; 2] = ["115.30,29.75,115.60,30.30", "115.60,29.75,115.90,30.30"];

/// The token printed for `role` in the demo banner (`  dispatcher   <token>`).
fn printed_token(engine: &ChildEngine, role: &str) -> String {
    let line = engine
        .printed_line(&format!("  {role} "))
        .unwrap_or_else(|| {
            panic!(
                "no {role} token printed: {}",
                engine.stdout.lock().expect("out")
            )
        });
    line.split_whitespace().last().expect("token").to_owned()
}

#[actix_web::test]
async fn serve_demo_loads_the_synthetic_registry_and_prints_a_working_console_url() {
    let (_dir, store) = temp_store();
    let engine = ChildEngine::start_args(&store, &["serve", "--demo"], &[]);
    let client = reqwest::Client::new();
    let out = engine.stdout.lock().expect("out").clone();
    assert!(out.contains("synthetic Wuxue demo data"), "{out}");
    let dispatcher = printed_token(&engine, "dispatcher");

    let mut licences = HashSet::new();
    let mut towns = BTreeSet::new();
    for bbox in HALVES {
        let req = client
            .get(engine.url(&format!("/map/retailers?bbox={bbox}&limit=2000")))
            .bearer_auth(&dispatcher);
        let (s, page) = send(&client, req).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert_eq!(page["truncated"], false, "{bbox}: {}", page["total"]);
        for r in page["items"].as_array().expect("items") {
            licences.insert(r["licence"].as_str().expect("licence").to_owned());
            towns.insert(r["town"].as_str().expect("town").to_owned());
        }
    }
    assert!(licences.len() >= 2000, "{} retailers", licences.len());
    let all: BTreeSet<String> = Town::ALL.iter().map(|t| t.name().to_owned()).collect();
    assert_eq!(towns, all);

    // A shop is found by name, with its synthetic registry fields.
    let req = client
        .get(engine.url("/retailers/search?q=%E6%A2%85%E5%B7%9D&limit=3"))
        .bearer_auth(&dispatcher);
    let (s, found) = send(&client, req).await;
    assert_eq!(s, StatusCode::OK, "{found}");
    assert!(
        found["hits"].as_array().is_some_and(|h| !h.is_empty()),
        "{found}"
    );

    // The console URL as printed serves the page, and the page's own assets load.
    let line = engine
        .printed_line("  console")
        .expect("console URL printed");
    let url = line.split_whitespace().last().expect("url").to_owned();
    assert!(url.starts_with(&engine.base), "{line}");
    let res = client.get(&url).send().await.expect("console");
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("html");
    assert!(html.contains("/assets/js/console.js"), "{html}");
    for asset in ["/assets/js/console.js", "/assets/css/console.css"] {
        let res = client
            .get(format!("{}{asset}", engine.base))
            .send()
            .await
            .expect("asset");
        assert_eq!(res.status(), StatusCode::OK, "{asset}");
    }
    // And the API behind it answers the printed token.
    let req = client
        .get(engine.url("/tickets?limit=1"))
        .bearer_auth(&dispatcher);
    let (s, page): (StatusCode, Value) = send(&client, req).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(
        page["items"].as_array().is_some_and(|i| !i.is_empty()),
        "demo tickets are there: {page}"
    );
    // The demo registry's inspectors and account managers are all on the demo roster.
    assert!(
        !engine.log().contains("demo registry names staff"),
        "{}",
        engine.log()
    );
    let status = engine.terminate();
    assert!(status.success(), "{status:?}");
}
