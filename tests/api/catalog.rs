//! The handling guide over HTTP: a known category is served, an unknown one is a 404 with
//! the API's error body.

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
