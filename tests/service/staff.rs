//! A person out of service: tokens revoked, crews and groups left (a lead hands the lead
//! on), every change in the ticket's timeline; no token, crew or group until they are back.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{out_of_service, timeline};
use crate::common::{ADMIN, TestApp};
use crate::groups::{People, file, people, step, three_members};

async fn form(app: &TestApp, p: &People, id: &str, members: Value) {
    let (s, b) = app
        .post(&format!("/tickets/{id}/group"), &p.dispatcher, members)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}

async fn group(app: &TestApp, p: &People, id: &str) -> Value {
    let (s, g) = app.get(&format!("/groups/{id}"), &p.dispatcher).await;
    assert_eq!(s, StatusCode::OK, "{g}");
    g
}

fn member_ids(g: &Value) -> Vec<String> {
    g["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["staff_id"].as_str().unwrap().to_owned())
        .collect()
}

fn alerts(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["type"] == "alert")
        .map(|e| e["data"]["reason"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn a_group_lead_out_of_service_hands_the_lead_to_the_crew_aboard() {
    let app = crate::common::spawn_app().await;
    let p = people(&app).await;
    let d = &p.dispatcher;
    // Smuggling: no assisting department, so no group forms by itself.
    let id = file(&app, &p, "SO-1", "smuggled").await;
    step(&app, d, &id, "triage", json!({})).await;
    let send = json!({ "vehicle_id": "V-1", "assign": true });
    step(&app, d, &id, "dispatch", send).await;
    form(&app, &p, &id, three_members()).await;

    // S-1 leads; aboard V-1 with S-2, who takes over.
    let out = out_of_service(&app, &p.supervisor, "/staff/S-1", "病假").await;
    assert_eq!(out["changed"], true);
    assert_eq!(out["tokens_revoked"], 1);
    assert_eq!(out["crews_left"], json!(["V-1"]));
    assert_eq!(out["staff"]["in_service"], false);
    assert_eq!(out["staff"]["service"]["reason"], "病假");
    let groups = out["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{out}");
    assert_eq!(groups[0]["ticket_id"], id.as_str());
    assert_eq!(groups[0]["outcome"], "lead_passed");
    assert_eq!(groups[0]["lead"], "S-2");
    assert!(
        groups[0].get("unheld_task").is_none(),
        "the new lead took the task"
    );

    let g = group(&app, &p, &id).await;
    assert_eq!(g["lead"], "S-2");
    assert_eq!(member_ids(&g), ["S-5", "S-7", "S-2"]);
    let lead = &g["members"][2];
    assert_eq!(
        lead["task"]["text"], "牵头检查并撰写报告",
        "the lead's task goes on"
    );
    assert_eq!(lead["in_service"], true);

    // The timeline says so, without the personal reason.
    let events = timeline(&app, d, &id).await;
    let change = &events
        .iter()
        .rev()
        .find(|e| e["type"] == "group.members_changed")
        .expect("group.members_changed")["data"];
    assert_eq!(change["removed"], json!(["S-1"]));
    assert_eq!(change["previous_lead"], "S-1");
    assert_eq!(change["lead"], "S-2");
    assert_eq!(change["added"][0]["staff_id"], "S-2");
    assert_eq!(change["reason"], "S-1 was taken out of service");
    let by = events
        .iter()
        .rev()
        .find(|e| e["type"] == "group.members_changed")
        .unwrap();
    assert_eq!(by["by_role"], "system");
    assert!(!events.iter().any(|e| e.to_string().contains("病假")));

    // Their token is refused and none is issued; the vehicle keeps the rest of its crew.
    let (s, _) = app.get(&format!("/groups/{id}"), &p.s1).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let subject = json!({ "role": "field", "subject": "S-1" });
    let (s, b) = app.post("/tokens", ADMIN, subject.clone()).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::CONFLICT, Some("out_of_service")),
        "{b}"
    );
    let (_, v1) = app.get("/vehicles/V-1", d).await;
    assert_eq!(v1["crew"], json!(["S-2"]));
    assert_eq!(v1["in_service"], true, "the vehicle is not out of service");
    let (_, s2) = app.get("/staff/S-2", d).await;
    assert_eq!(s2["in_service"], true);
    let (_, listed) = app.get("/staff", d).await;
    let s1 = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "S-1")
        .unwrap();
    assert_eq!(s1["in_service"], false);
    assert_eq!(s1["service"]["by"], "supervisor:chief-1");

    // Nobody can put them in a group or a crew meanwhile.
    let add = json!({ "add": [{ "staff_id": "S-1", "role": "assist", "task": "协助" }] });
    let (s, b) = app.post(&format!("/groups/{id}/members"), d, add).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::CONFLICT, Some("out_of_service")),
        "{b}"
    );
    let crew = json!({ "plate": "鄂J·V-1", "team_id": "T-1", "department": "enforcement", "crew": ["S-1", "S-2"] });
    let (s, b) = app.put("/vehicles/V-1", ADMIN, crew).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::CONFLICT, Some("out_of_service")),
        "{b}"
    );
    // A PUT of the record never brings them back.
    let same = json!({ "name": "市管员一", "role": "inspector", "department": "enforcement",
                       "team_id": "T-1", "badge": "BS-1", "in_service": true });
    let (s, b) = app.put("/staff/S-1", ADMIN, same).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["in_service"], false);

    // Back in service: a token may be issued again; crews and groups are not restored.
    let (s, back) = app.post("/staff/S-1/in-service", d, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{back}");
    assert_eq!(
        (&back["changed"], &back["in_service"]),
        (&json!(true), &json!(true))
    );
    let (s, b) = app.post("/tokens", ADMIN, subject).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (_, v1) = app.get("/vehicles/V-1", d).await;
    assert_eq!(v1["crew"], json!(["S-2"]));
    app.stop().await;
}

#[actix_web::test]
async fn an_assistant_leaves_and_a_lead_nobody_can_replace_stays_with_alerts_to_the_dispatchers() {
    let app = crate::common::spawn_app().await;
    let p = people(&app).await;
    let d = &p.dispatcher;
    let id = file(&app, &p, "SO-2", "smuggled").await;
    step(&app, d, &id, "triage", json!({})).await;
    step(&app, d, &id, "assign", json!({ "staff_id": "S-9" })).await;
    let members = json!({ "members": [
        { "staff_id": "S-9", "role": "lead", "task": "牵头核查" },
        { "staff_id": "S-7", "role": "assist", "task": "调取配送签收记录" },
    ]});
    form(&app, &p, &id, members).await;

    // The assistant leaves; their unfinished task is named for a dispatcher.
    let out = out_of_service(&app, d, "/staff/S-7", "离职").await;
    let left = &out["groups"][0];
    assert_eq!(left["outcome"], "left");
    assert_eq!(left["lead"], "S-9");
    assert_eq!(left["unheld_task"], 2);
    assert_eq!(out["crews_left"], json!(["V-7"]));
    let g = group(&app, &p, &id).await;
    assert_eq!(member_ids(&g), ["S-9"]);
    let events = timeline(&app, d, &id).await;
    let change = &events
        .iter()
        .rev()
        .find(|e| e["type"] == "group.members_changed")
        .unwrap()["data"];
    assert_eq!(change["removed"], json!(["S-7"]));
    assert_eq!(change["lead"], "S-9");
    assert!(
        change.get("previous_lead").is_none_or(Value::is_null),
        "{change}"
    );
    let said = alerts(&events);
    assert!(
        said.iter()
            .any(|a| a.contains("S-7") && a.contains("task 2") && a.contains("调取配送签收记录")),
        "{said:?}"
    );

    // The lead has nobody to hand over to: they stay lead, flagged, and the dispatchers are
    // asked to name one; as the named handler they are flagged too.
    let out = out_of_service(&app, d, "/staff/S-9", "停职").await;
    assert_eq!(out["groups"][0]["outcome"], "lead_kept");
    assert_eq!(out["handled_tickets"], json!([id.as_str()]));
    let g = group(&app, &p, &id).await;
    assert_eq!(g["lead"], "S-9");
    assert_eq!(g["members"][0]["in_service"], false);
    let said = alerts(&timeline(&app, d, &id).await);
    assert!(
        said.iter()
            .any(|a| a.contains("S-9") && a.contains("name a new lead")),
        "{said:?}"
    );
    assert!(
        said.iter()
            .any(|a| a.contains("handler S-9") && a.contains("assign another")),
        "{said:?}"
    );
    assert!(
        !said
            .iter()
            .any(|a| a.contains("停职") || a.contains("离职"))
    );

    // A repeat says nothing twice.
    let again = out_of_service(&app, d, "/staff/S-9", "停职").await;
    assert_eq!(again["changed"], false);
    assert_eq!(alerts(&timeline(&app, d, &id).await).len(), said.len());

    // A dispatcher names a new lead: the old one can be removed as usual.
    let change = json!({ "add": [{ "staff_id": "S-2", "role": "lead", "task": "牵头核查" }], "remove": ["S-9"] });
    let (s, b) = app.post(&format!("/groups/{id}/members"), d, change).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["lead"], "S-2");
    app.stop().await;
}
