//! Groups the engine forms from the handling guide: on triage of a category with assisting
//! departments (lead from the squad covering the place, the guide's task wording), from the
//! retailer registry's contacts, from the crew of a fast-tracked vehicle, and again after a
//! reopen; none for a category without assisting departments.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{file, people, report_body, step, types, until_group};
use crate::common::{ADMIN, spawn_app};

fn ids(g: &Value) -> Vec<(String, String)> {
    g["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["staff_id"].as_str().unwrap().to_owned(),
                m["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pair(s: &str, r: &str) -> (String, String) {
    (s.to_owned(), r.to_owned())
}

#[actix_web::test]
async fn triage_forms_the_guides_group_and_its_lead_reports() {
    let app = spawn_app().await;
    let p = people(&app).await;
    let d = &p.dispatcher;
    // Smuggling has no assisting department; counterfeit is assisted by logistics.
    let plain = file(&app, &p, "a-plain", "smuggled").await;
    step(&app, d, &plain, "triage", json!({})).await;
    let id = file(&app, &p, "a-counterfeit", "counterfeit").await;
    step(&app, d, &id, "triage", json!({})).await;
    let g = until_group(&app, d, &id, |s, _| s == StatusCode::OK).await;
    assert_eq!(g["auto"], true);
    // The place is 梅川镇: T-1's first inspector leads; the only driver assists.
    assert_eq!(ids(&g), [pair("S-1", "lead"), pair("S-7", "assist")]);
    let (_, guide) = app.get("/catalog/counterfeit", d).await;
    assert_eq!(
        g["members"][0]["task"]["text"],
        guide["group_tasks"]["enforcement"]
    );
    assert_eq!(
        g["members"][1]["task"]["text"],
        guide["group_tasks"]["logistics"]
    );
    // The bus is followed in order: the earlier triage was handled, and formed nothing.
    let (s, _) = app.get(&format!("/groups/{plain}"), d).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, events) = app.get(&format!("/tickets/{id}/events"), d).await;
    let formed = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "group.formed")
        .unwrap()
        .clone();
    assert_eq!(
        (formed["by_role"].as_str(), formed["data"]["auto"].as_bool()),
        (Some("system"), Some(true))
    );
    let all = types(&app, d, &id).await;
    let at = |t: &str| all.iter().position(|x| x == t).unwrap();
    assert!(at("ticket.triaged") < at("group.formed"), "{all:?}");

    // V-1 carries the lead S-1 and writes the report; S-2 on the same crew may not.
    let send = json!({ "vehicle_id": "V-1", "assign": true, "override": true });
    step(&app, d, &id, "dispatch", send).await;
    step(&app, &p.v1, &id, "arrive", json!({})).await;
    let onsite = json!({ "findings": "柜台内发现可疑卷烟", "actions": "登记保存" });
    step(&app, &p.v1, &id, "onsite-record", onsite).await;
    let (s, b) = app
        .post(&format!("/tickets/{id}/report"), &p.s2, report_body())
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_group_lead"))
    );
    step(&app, &p.v1, &id, "report", report_body()).await;

    // Closed and reopened: the guide's group forms again, as a new generation.
    step(&app, d, &id, "review", json!({ "decision": "pass" })).await;
    step(
        &app,
        &p.supervisor,
        &id,
        "approval",
        json!({ "decision": "approve" }),
    )
    .await;
    step(
        &app,
        d,
        &id,
        "reply",
        json!({ "text": "经查属实，已依法处理" }),
    )
    .await;
    step(
        &app,
        d,
        &id,
        "return-visit",
        json!({ "satisfaction": "satisfied" }),
    )
    .await;
    step(&app, d, &id, "archive", json!({})).await;
    until_group(&app, d, &id, |_, g| g["active"] == false).await;
    step(
        &app,
        d,
        &id,
        "reopen",
        json!({ "reason": "群众反映问题仍存在" }),
    )
    .await;
    let g = until_group(&app, d, &id, |_, g| {
        g["generation"] == 2 && g["active"] == true
    })
    .await;
    assert_eq!(g["auto"], true);
    app.stop().await;
}

#[actix_web::test]
async fn the_shops_registry_contacts_join_and_a_fast_tracked_crew_leads() {
    let app = spawn_app().await;
    let p = people(&app).await;
    let d = &p.dispatcher;
    let csv = "licence,name,owner,address,town,lat,lng,market_inspector,account_manager\n\
               421182100123,梅川正街烟酒店,李某,梅川镇正街18号,梅川镇,30.02,115.585,S-2,S-5\n";
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

    // Outflow (marketing and logistics assist) at the registry's shop: its inspector S-2
    // leads, its account manager S-5 and the driver assist.
    let mut body = crate::common::intake("a-shop", Some("outflow"), "report");
    body["retailer_licence"] = json!("421182100123");
    let (s, t) = app.post("/tickets", d, body).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_str().unwrap().to_owned();
    step(
        &app,
        d,
        &id,
        "triage",
        json!({ "retailer_licence": "421182100123" }),
    )
    .await;
    let g = until_group(&app, d, &id, |s, _| s == StatusCode::OK).await;
    assert_eq!(
        ids(&g),
        [
            pair("S-2", "lead"),
            pair("S-5", "assist"),
            pair("S-7", "assist")
        ]
    );

    // A grade I counterfeit lead sent straight to V-9 (fast track, before triage): its
    // crew's inspector S-9 leads, though T-1 covers the place.
    let mut body = crate::common::intake("a-fast", Some("counterfeit"), "report");
    body["urgency"] = json!("I");
    let (s, t) = app.post("/tickets", d, body).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_str().unwrap().to_owned();
    let send = json!({ "vehicle_id": "V-9", "assign": true, "override": true });
    let t = step(&app, d, &id, "dispatch", send).await;
    assert_eq!(t["status"], "en_route");
    let g = until_group(&app, d, &id, |s, _| s == StatusCode::OK).await;
    assert_eq!(ids(&g), [pair("S-9", "lead"), pair("S-7", "assist")]);
    let (s, _) = app.get(&format!("/groups/{id}"), &p.v9).await;
    assert_eq!(s, StatusCode::OK);
    app.stop().await;
}
