//! The vehicle socket keeps the crew informed after the on-site record: the report, review
//! and approval returns, the archive and a reopen reach `/ws/vehicle` as `ticket.updated`
//! while the vehicle is `returning` with no ticket.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{SITE, fleet, lead, on_duty};
use crate::common::{all_evidence, ok, spawn_app};

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
    let p = |action: &str| format!("/tickets/{id}/{action}");
    let offer = v.next_of("offer").await;
    v.send(json!({ "type": "offer.accept", "offer_id": offer["offer_id"] }))
        .await;
    v.next_of("ack").await;
    ok(&app, &p("triage"), &d, json!({})).await;
    v.send(json!({ "type": "arrived" })).await;
    v.next_update("on_site").await;
    let onsite = json!({ "findings": "查获走私卷烟", "actions": "登记保存" });
    ok(&app, &p("onsite-record"), field, onsite).await;
    v.next_update("reporting").await;
    let (_, live) = app.get("/vehicles/V-1/live", &d).await;
    assert_eq!(live["status"], "returning");
    assert!(live["ticket_id"].is_null());

    // The report goes in and comes back from review: the device hears both.
    ok(&app, &p("report"), field, report()).await;
    let f = v.next_update("in_review").await;
    assert_eq!(f["event"], "ticket.report_submitted");
    let back = json!({ "decision": "return", "reasons": ["缺少证据照片"] });
    ok(&app, &p("review"), &d, back).await;
    let f = v.next_update("reporting").await;
    assert_eq!(
        (f["ticket_id"].as_str(), f["event"].as_str()),
        (Some(id.as_str()), Some("ticket.reviewed"))
    );
    // Approval returns it to the writer.
    ok(&app, &p("report"), field, report()).await;
    ok(&app, &p("review"), &d, json!({ "decision": "pass" })).await;
    let back = json!({ "decision": "return", "reasons": ["补充法律依据"] });
    ok(&app, &p("approval"), &sup, back).await;
    let f = v.next_update("reporting").await;
    assert_eq!(f["event"], "ticket.approval_decided");
    // Approved, answered, visited, archived, then reopened back to intake.
    ok(&app, &p("report"), field, report()).await;
    ok(&app, &p("review"), &d, json!({ "decision": "pass" })).await;
    ok(&app, &p("approval"), &sup, json!({ "decision": "approve" })).await;
    assert_eq!(
        v.next_update("replying").await["event"],
        "ticket.approval_decided"
    );
    ok(
        &app,
        &p("reply"),
        &d,
        json!({ "text": "经查属实，已依法处理" }),
    )
    .await;
    let visit = json!({ "satisfaction": "satisfied" });
    ok(&app, &p("return-visit"), &d, visit).await;
    ok(&app, &p("archive"), &d, json!({})).await;
    assert_eq!(v.next_update("archived").await["event"], "ticket.archived");
    let reopen = json!({ "reason": "群众反映问题仍存在", "to": "triaged" });
    ok(&app, &p("reopen"), &d, reopen).await;
    let f = v.next_update("triaged").await;
    assert_eq!(f["event"], "ticket.reopened");
    // The vehicle's own state did not move.
    let (_, live) = app.get("/vehicles/V-1/live", &d).await;
    assert_eq!(live["status"], "returning");
    app.stop().await;
}
