//! The report draft is what the report route applies: its `missing` is the route's 422,
//! and after a review return the evidence of the returned version carries over, so the
//! draft's sections sent back with one new photo are accepted.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{intake, spawn_app};

#[actix_web::test]
async fn after_a_review_return_the_drafts_sections_with_one_new_photo_are_accepted() {
    let app = spawn_app().await;
    let vehicle = app.fleet().await;
    let dispatcher = app.token("dispatcher", None).await;
    let supervisor = app.token("supervisor", None).await;
    let field = app.token("field", Some(&vehicle)).await;
    let (status, t) = app
        .post(
            "/tickets",
            &dispatcher,
            intake("RD-1", Some("counterfeit"), "report"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let id = t["id"].as_str().expect("id").to_owned();
    let p = |s: &str| format!("/tickets/{id}/{s}");
    let ok = |(status, body): (StatusCode, Value)| {
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    };

    ok(app.post(&p("triage"), &dispatcher, json!({})).await);
    ok(app
        .post(
            &p("dispatch"),
            &dispatcher,
            json!({ "vehicle_id": vehicle, "assign": true }),
        )
        .await);
    ok(app.post(&p("arrive"), &field, json!(null)).await);
    ok(app
        .post(
            &p("onsite-record"),
            &field,
            json!({ "findings": "查获假烟", "actions": "登记保存", "evidence": [
                { "kind": "photo", "reference": "att-p" },
                { "kind": "inspection_record", "reference": "att-i" } ] }),
        )
        .await);

    // The first draft's gaps are exactly the route's 422.
    let draft = ok(app.get(&p("report/draft"), &field).await);
    assert!(
        draft["missing"]
            .as_array()
            .is_some_and(|m| m.contains(&json!("evidence:statement"))),
        "{draft}"
    );
    let (status, refused) = app
        .post(
            &p("report"),
            &field,
            json!({ "sections": draft["sections"], "evidence": draft["evidence"] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["details"]["missing"], draft["missing"], "{refused}");

    // Version 1: complete, with the statement and the notice receipt.
    let mut sections = draft["sections"].clone();
    sections["conclusion"] = json!("立案查处");
    let first = json!([
        { "kind": "sampling_record", "reference": "att-s" },
        { "kind": "identification_report", "reference": "att-id" },
        { "kind": "seizure_list", "reference": "att-sl" },
        { "kind": "statement", "reference": "att-st" },
        { "kind": "notice_receipt", "reference": "att-nr" },
    ]);
    let v = ok(app
        .post(
            &p("report"),
            &field,
            json!({ "sections": sections, "evidence": first }),
        )
        .await);
    assert_eq!(v["status"], "in_review");
    ok(app
        .post(
            &p("review"),
            &supervisor,
            json!({ "decision": "return", "reasons": [{ "code": "missing_evidence", "note": "补一张门头照片" }] }),
        )
        .await);

    // The draft says nothing is missing and shows the evidence that stays on the report.
    let draft = ok(app.get(&p("report/draft"), &field).await);
    assert_eq!(draft["missing"], json!([]), "{draft}");
    assert_eq!(draft["evidence"], first, "{draft}");

    // Its sections with one new photo: accepted, and version 2 keeps version 1's evidence.
    let photo = json!({ "kind": "photo", "reference": "att-door" });
    let v = ok(app
        .post(
            &p("report"),
            &field,
            json!({ "sections": draft["sections"], "evidence": [photo] }),
        )
        .await);
    assert_eq!(v["status"], "in_review", "{v}");
    assert_eq!(v["report"]["version"], 2, "{v}");
    let mut want = first.as_array().expect("array").clone();
    want.push(photo);
    assert_eq!(v["report"]["evidence"], json!(want), "{v}");
    app.stop().await;
}
