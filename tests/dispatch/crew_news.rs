//! The vehicle socket keeps the crew informed after the on-site record: the report, review
//! and approval returns, the archive and a reopen reach `/ws/vehicle` as `ticket.updated`
//! while the vehicle is `returning` with no ticket.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{SITE, fleet, lead, on_duty};
use crate::common::{TestApp, all_evidence, spawn_app};

async fn ok(app: &TestApp, token: &str, id: &str, action: &str, body: Value) -> Value {
    let (s, b) = app
        .post(&format!("/tickets/{id}/{action}"), token, body)
        .await;
    assert_eq!(s, StatusCode::OK, "{action}: {b}");
    b
}

fn report() -> Value {
    json!({ "sections": {
        "facts": "群众举报有人运输走私卷烟", "onsite_findings": "现场查获卷烟20条",
        "handling": "先行登记保存", "legal_basis": "《烟草专卖法》", "conclusion": "举报属实",
    }, "evidence": all_evidence() })
}

#[actix_web::test]
async fn returns_approval_archive_and_reopen_reach_the_vehicle_that_worked_the_ticket() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 1).await;
    let d = app.token("dispatcher", None).await;
    let sup = app.token("supervisor", None).await;
    let field = &tokens[0];
    let mut v = on_duty(&app, field, SITE.0, SITE.1).await;
    let mut body = lead("CN-1", "smuggled");
    body["urgency"] = json!("I");
    let (s, t) = app.post("/tickets", &d, body).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_str().expect("id").to_owned();
    let offer = v.next_of("offer").await;
    v.send(json!({ "type": "offer.accept", "offer_id": offer["offer_id"] }))
        .await;
    v.next_of("ack").await;
    ok(&app, &d, &id, "triage", json!({})).await;
    v.send(json!({ "type": "arrived" })).await;
    v.next_update("on_site").await;
    let onsite = json!({ "findings": "查获走私卷烟", "actions": "登记保存" });
    ok(&app, field, &id, "onsite-record", onsite).await;
    v.next_update("reporting").await;
    let (_, live) = app.get("/vehicles/V-1/live", &d).await;
    assert_eq!(live["status"], "returning");
    assert!(live["ticket_id"].is_null());

    // The report goes in and comes back from review: the device hears both.
    ok(&app, field, &id, "report", report()).await;
    let f = v.next_update("in_review").await;
    assert_eq!(f["event"], "ticket.report_submitted");
    let back = json!({ "decision": "return", "reasons": ["缺少证据照片"] });
    ok(&app, &d, &id, "review", back).await;
    let f = v.next_update("reporting").await;
    assert_eq!(
        (f["ticket_id"].as_str(), f["event"].as_str()),
        (Some(id.as_str()), Some("ticket.reviewed"))
    );
    // Approval returns it to the writer.
    ok(&app, field, &id, "report", report()).await;
    ok(&app, &d, &id, "review", json!({ "decision": "pass" })).await;
    let back = json!({ "decision": "return", "reasons": ["补充法律依据"] });
    ok(&app, &sup, &id, "approval", back).await;
    let f = v.next_update("reporting").await;
    assert_eq!(f["event"], "ticket.approval_decided");
    // Approved, answered, visited, archived, then reopened back to intake.
    ok(&app, field, &id, "report", report()).await;
    ok(&app, &d, &id, "review", json!({ "decision": "pass" })).await;
    ok(
        &app,
        &sup,
        &id,
        "approval",
        json!({ "decision": "approve" }),
    )
    .await;
    assert_eq!(
        v.next_update("replying").await["event"],
        "ticket.approval_decided"
    );
    ok(
        &app,
        &d,
        &id,
        "reply",
        json!({ "text": "经查属实，已依法处理" }),
    )
    .await;
    let visit = json!({ "satisfaction": "satisfied" });
    ok(&app, &d, &id, "return-visit", visit).await;
    ok(&app, &d, &id, "archive", json!({})).await;
    assert_eq!(v.next_update("archived").await["event"], "ticket.archived");
    let reopen = json!({ "reason": "群众反映问题仍存在", "to": "triaged" });
    ok(&app, &d, &id, "reopen", reopen).await;
    let f = v.next_update("triaged").await;
    assert_eq!(f["event"], "ticket.reopened");
    // The vehicle's own state did not move.
    let (_, live) = app.get("/vehicles/V-1/live", &d).await;
    assert_eq!(live["status"], "returning");
    app.stop().await;
}
