//! The handling guide over HTTP: a known category is served, an unknown one is a 404 with
//! the API's error body; and the real binary refuses to start on a broken guide, saying
//! once which file, category and field are wrong.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::spawn_app;

#[actix_web::test]
async fn an_unknown_category_is_not_found_with_the_error_body() {
    let app = spawn_app().await;
    let token = app.token("dispatcher", None).await;
    let (s, b) = app.get("/catalog/counterfeit", &token).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["code"], "counterfeit");

    let (s, b) = app.get("/catalog/counterfeits", &token).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    assert_eq!(b["code"], json!("not_found"));
    let message = b["message"].as_str().unwrap_or_default();
    assert!(message.contains("`counterfeits`"), "{b}");
    let keys: Vec<&String> = b
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys, ["code", "message"], "{b}");
    app.stop().await;
}

#[test]
fn the_binary_refuses_a_broken_guide_naming_file_category_and_field_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let guide = dir.path().join("catalog.toml");
    let text = hotline_dispatch::domain::catalog::BUILTIN_CATALOG.replacen(
        "code = \"smuggled\"",
        "code = \"smuggled\"\nkeyword = []",
        1,
    );
    std::fs::write(&guide, text).expect("write guide");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hotline-dispatch"))
        .arg("serve")
        .env("APP__TICKETS__CATALOG", &guide)
        .env("APP__STORE__PATH", dir.path().join("store"))
        .env("APP__SERVER__PORT", "0")
        .env_remove("RUST_LOG")
        .output()
        .expect("binary runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let what = format!(
        "{}: category `smuggled`, field `keyword`: unknown field `keyword`",
        guide.display()
    );
    assert_eq!(err.matches(&what).count(), 1, "{err}");
}
