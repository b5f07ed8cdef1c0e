//! Collaboration groups over HTTP on the real application: forming by a dispatcher and from
//! the handling guide, chat, tasks, membership, the lead-only report, reading rights,
//! dissolution when the ticket closes, the timeline, bad inputs, and coordinators rebuilt
//! after a panic and after a restart.

#![allow(clippy::unwrap_used, reason = "tests")]

mod auto;
mod crew;
pub mod flow;
mod outsiders;
mod recovery;
mod rules;

use std::time::Duration as StdDuration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{ADMIN, TestApp, all_evidence, intake};

/// Tokens of everyone the tests act as.
pub struct People {
    pub dispatcher: String,
    pub supervisor: String,
    /// V-1 carries inspectors S-1 and S-2 (enforcement, squad T-1 of 梅川镇).
    pub v1: String,
    /// V-7 carries driver S-7 (logistics).
    pub v7: String,
    pub s1: String,
    pub s2: String,
    /// Account manager (marketing).
    pub s5: String,
    pub s7: String,
    /// An inspector of another squad (T-2, 武穴街道), in no group; V-9 carries them.
    pub s9: String,
    pub v9: String,
}

/// Squads, staff and vehicles of three departments, and a token for each person.
pub async fn people(app: &TestApp) -> People {
    let teams = [
        ("T-1", "梅川执法中队", "enforcement", "梅川镇"),
        ("T-2", "武穴执法中队", "enforcement", "武穴街道"),
        ("T-5", "营销组", "marketing", "梅川镇"),
        ("T-7", "配送组", "logistics", "刊江街道"),
    ];
    for (id, name, department, area) in teams {
        let body = json!({ "id": id, "name": name, "department": department, "area": area });
        let (s, b) = app.post("/teams", ADMIN, body).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let staff = [
        ("S-1", "市管员一", "inspector", "enforcement", "T-1"),
        ("S-2", "市管员二", "inspector", "enforcement", "T-1"),
        ("S-5", "客户经理五", "account_manager", "marketing", "T-5"),
        ("S-7", "送货员七", "driver", "logistics", "T-7"),
        ("S-9", "市管员九", "inspector", "enforcement", "T-2"),
    ];
    for (id, name, role, department, team) in staff {
        let body = json!({ "id": id, "name": name, "role": role, "department": department,
                           "team_id": team, "badge": format!("B{id}") });
        let (s, b) = app.post("/staff", ADMIN, body).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let vehicles = [
        ("V-1", "T-1", "enforcement", vec!["S-1", "S-2"]),
        ("V-7", "T-7", "logistics", vec!["S-7"]),
        ("V-9", "T-2", "enforcement", vec!["S-9"]),
    ];
    for (id, team, department, crew) in vehicles {
        let body = json!({ "id": id, "plate": format!("鄂J·{id}"), "team_id": team,
                           "department": department, "crew": crew });
        let (s, b) = app.post("/vehicles", ADMIN, body).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    People {
        dispatcher: app.token("dispatcher", Some("console-1")).await,
        supervisor: app.token("supervisor", Some("chief-1")).await,
        v1: app.token("field", Some("V-1")).await,
        v7: app.token("field", Some("V-7")).await,
        s1: app.token("field", Some("S-1")).await,
        s2: app.token("field", Some("S-2")).await,
        s5: app.token("field", Some("S-5")).await,
        s7: app.token("field", Some("S-7")).await,
        s9: app.token("field", Some("S-9")).await,
        v9: app.token("field", Some("V-9")).await,
    }
}

/// Runs a lifecycle step; it must succeed.
pub async fn step(app: &TestApp, token: &str, id: &str, action: &str, body: Value) -> Value {
    let (s, b) = app
        .post(&format!("/tickets/{id}/{action}"), token, body)
        .await;
    assert_eq!(s, StatusCode::OK, "{action} on {id}: {b}");
    b
}

/// Files a ticket of `category`; returns its id.
pub async fn file(app: &TestApp, p: &People, ext: &str, category: &str) -> String {
    let (s, b) = app
        .post(
            "/tickets",
            &p.dispatcher,
            intake(ext, Some(category), "report"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_str().unwrap().to_owned()
}

/// A ticket of `category` triaged, sent to V-1, on site and recorded: being reported.
pub async fn reporting(app: &TestApp, p: &People, ext: &str, category: &str) -> String {
    let id = file(app, p, ext, category).await;
    let d = &p.dispatcher;
    step(app, d, &id, "triage", json!({})).await;
    let send = json!({ "vehicle_id": "V-1", "assign": true, "override": true });
    step(app, d, &id, "dispatch", send).await;
    step(app, &p.v1, &id, "arrive", json!({})).await;
    let onsite = json!({ "findings": "柜台内发现可疑卷烟", "actions": "登记保存" });
    let t = step(app, &p.v1, &id, "onsite-record", onsite).await;
    assert_eq!(t["status"], "reporting", "{t}");
    id
}

pub fn report_body() -> Value {
    json!({ "sections": {
        "facts": "群众举报该店销售违法卷烟",
        "onsite_findings": "现场查获可疑卷烟12条",
        "handling": "先行登记保存，下达通知书",
        "legal_basis": "《烟草专卖法》",
        "conclusion": "举报属实",
    }, "evidence": all_evidence() })
}

/// The three-member group of the flow tests: S-1 leads, S-5 and S-7 assist.
pub fn three_members() -> Value {
    json!({ "members": [
        { "staff_id": "S-1", "role": "lead", "task": "牵头检查并撰写报告" },
        { "staff_id": "S-5", "role": "assist", "task": "调取该户订货记录" },
        { "staff_id": "S-7", "role": "assist", "task": "调取配送签收记录" },
    ] })
}

/// Forms the group of ticket `id`; it must succeed.
pub async fn form(app: &TestApp, p: &People, id: &str, body: Value) -> Value {
    let (s, g) = app
        .post(&format!("/tickets/{id}/group"), &p.dispatcher, body)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    g
}

/// Polls `GET /groups/{id}` until `pred` holds (the group watch follows the bus); a bound,
/// not a sleep-and-assert.
pub async fn until_group(
    app: &TestApp,
    token: &str,
    id: &str,
    pred: impl Fn(StatusCode, &Value) -> bool,
) -> Value {
    for _ in 0..200 {
        let (s, g) = app.get(&format!("/groups/{id}"), token).await;
        if pred(s, &g) {
            return g;
        }
        tokio::time::sleep(StdDuration::from_millis(25)).await;
    }
    panic!("group {id} never reached the expected state");
}

/// The event types of a ticket's timeline, in order.
pub async fn types(app: &TestApp, token: &str, id: &str) -> Vec<String> {
    let (s, events) = app.get(&format!("/tickets/{id}/events"), token).await;
    assert_eq!(s, StatusCode::OK, "{events}");
    events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}
