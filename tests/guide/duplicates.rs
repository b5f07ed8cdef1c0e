//! Duplicates: the same retailer, or the same category within 50 m, marks a new ticket as
//! a possible duplicate of the open one; merging keeps both timelines.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{intake, spawn_app};

#[actix_web::test]
async fn repeats_are_marked_and_can_be_merged() {
    let app = spawn_app().await;
    let d = app.token("dispatcher", None).await;
    let (_, first) = app
        .post("/tickets", &d, intake("D-1", Some("counterfeit"), "report"))
        .await;
    let first_id = first["id"].as_str().expect("id").to_owned();
    assert!(first["possible_duplicate_of"].is_null());

    // Same category, ~30 m away: a possible duplicate.
    let mut near = intake("D-2", Some("counterfeit"), "report");
    near["location"] = json!({ "lat": 30.02027, "lng": 115.585 });
    let (_, second) = app.post("/tickets", &d, near).await;
    assert_eq!(second["possible_duplicate_of"], first_id.as_str());

    // Same place, another category; or the same category 200 m away: not a duplicate.
    let (_, other) = app
        .post(
            "/tickets",
            &d,
            intake("D-3", Some("late_delivery"), "complaint"),
        )
        .await;
    assert!(other["possible_duplicate_of"].is_null());
    let mut far = intake("D-4", Some("counterfeit"), "report");
    far["location"] = json!({ "lat": 30.0218, "lng": 115.585 });
    let (_, far) = app.post("/tickets", &d, far).await;
    assert!(far["possible_duplicate_of"].is_null());

    // The same retailer, anywhere: a duplicate.
    let mut shop = intake("D-5", Some("licence_violation"), "report");
    shop["retailer_licence"] = json!("421182100123");
    shop["location"] = json!({ "lat": 29.9, "lng": 115.5 });
    let (_, shop_first) = app.post("/tickets", &d, shop.clone()).await;
    shop["external_id"] = json!("D-6");
    shop["category"] = json!("counterfeit");
    shop["location"] = json!({ "lat": 29.95, "lng": 115.6 });
    let (_, shop_again) = app.post("/tickets", &d, shop).await;
    assert_eq!(shop_again["possible_duplicate_of"], shop_first["id"]);

    // Merge the second into the first; once the first is closed, a new report is new again.
    let dup = second["id"].as_str().expect("id");
    let (s, merged) = app
        .post(
            &format!("/tickets/{first_id}/merge"),
            &d,
            json!({ "duplicate_id": dup }),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(merged["duplicates"], json!([dup]));
    let (s, _) = app
        .post(
            &format!("/tickets/{first_id}/transfer"),
            &d,
            json!({ "to": "platform", "reason": "非本单位管辖" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, fresh) = app
        .post("/tickets", &d, intake("D-7", Some("counterfeit"), "report"))
        .await;
    assert!(
        fresh["possible_duplicate_of"].is_null(),
        "closed tickets are not duplicates"
    );
    app.stop().await;
}
