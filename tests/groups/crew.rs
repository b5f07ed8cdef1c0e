//! The crew sent leads: a group formed at triage is led by the shop's market inspector;
//! the vehicle that accepts the offer is another squad's, and once it is sent its crew's
//! inspector takes the lead (the engine's `group.members_changed`), the former lead assists
//! with their task, and the vehicle's own token files the report.

use reqwest::StatusCode;
use serde_json::json;

use super::{people, report_body, step, until_group};
use crate::common::ADMIN;
use crate::common::spawn_app;
use crate::dispatch::on_duty;

#[actix_web::test]
async fn the_vehicle_sent_takes_the_lead_and_its_token_files_the_report() {
    let app = spawn_app().await;
    let p = people(&app).await;
    let d = &p.dispatcher;
    // The shop's inspector is S-9 (squad T-2), not on V-1.
    let csv = "licence,name,owner,address,town,lat,lng,market_inspector,account_manager\n\
               421182100777,梅川正街烟酒店,李某,梅川镇正街18号,梅川镇,30.02,115.585,S-9,\n";
    let res = app
        .client
        .post(app.url("/retailers/import"))
        .bearer_auth(ADMIN)
        .header("content-type", "text/csv; charset=utf-8")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    let mut body = crate::common::intake("crew-1", Some("counterfeit"), "report");
    body["retailer_licence"] = json!("421182100777");
    body["urgency"] = json!("III");
    let (s, t) = app.post("/tickets", d, body).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_str().unwrap().to_owned();
    let triage = json!({ "retailer_licence": "421182100777",
                         "location": { "lat": 30.02, "lng": 115.585 } });
    step(&app, d, &id, "triage", triage).await;
    let g = until_group(&app, d, &id, |s, _| s == StatusCode::OK).await;
    assert_eq!(g["members"][0]["staff_id"], "S-9");
    assert_eq!(g["members"][0]["role"], "lead");
    let s9_task = g["members"][0]["task"].clone();

    // V-1 (S-1, S-2 of T-1) is offered the ticket and accepts over its socket.
    let mut v1 = on_duty(&app, &p.v1, 30.021, 115.585).await;
    step(&app, d, &id, "dispatch", json!({ "vehicle_id": "V-1" })).await;
    let offer = v1.next_of("offer").await;
    v1.send(json!({ "type": "offer.accept", "offer_id": offer["offer_id"] }))
        .await;
    assert_eq!(v1.next_of("ack").await["request"], "offer.accept");

    // Its inspector S-1 leads; S-9 assists with the task they had.
    let g = until_group(&app, d, &id, |_, g| {
        g["members"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m["staff_id"] == "S-1"))
    })
    .await;
    let role = |who: &str| {
        g["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["staff_id"] == who)
            .map(|m| (m["role"].clone(), m["task"]["text"].clone()))
            .unwrap()
    };
    assert_eq!(role("S-1").0, "lead", "{g}");
    assert_eq!(
        role("S-9"),
        (json!("assist"), s9_task["text"].clone()),
        "{g}"
    );
    let (_, events) = app.get(&format!("/tickets/{id}/events"), d).await;
    let events = events.as_array().unwrap();
    let accepted = events
        .iter()
        .position(|e| e["type"] == "offer.accepted")
        .unwrap();
    let change = events
        .iter()
        .position(|e| e["type"] == "group.members_changed")
        .expect("the hand-over is in the timeline");
    assert!(accepted < change);
    let e = &events[change];
    assert_eq!(e["by_role"], "system");
    assert_eq!(e["data"]["lead"], "S-1");
    assert_eq!(e["data"]["previous_lead"], "S-9");
    assert!(
        e["data"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("V-1")),
        "{e}"
    );

    // Arrive, record on site, report: the vehicle's token speaks for its crew's lead.
    step(&app, &p.v1, &id, "arrive", json!({})).await;
    let onsite = json!({ "findings": "柜台内发现可疑卷烟", "actions": "登记保存" });
    step(&app, &p.v1, &id, "onsite-record", onsite).await;
    // S-2 rode along but does not lead; S-9 assists: neither files the report.
    for token in [&p.s2, &p.s9] {
        let (s, b) = app
            .post(&format!("/tickets/{id}/report"), token, report_body())
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
        assert_eq!(b["code"], "not_group_lead", "{b}");
    }
    let t = step(&app, &p.v1, &id, "report", report_body()).await;
    assert_eq!(t["status"], "in_review", "{t}");
    app.stop().await;
}
