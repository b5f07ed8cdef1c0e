//! A dispatcher's group at work: reading rights, chat, tasks, the lead-only report, the
//! timeline; membership changes, dissolution and forming again; dissolution when the
//! ticket is archived, transferred or merged.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{
    People, file, form, people, report_body, reporting, step, three_members, types, until_group,
};
use crate::common::{TestApp, spawn_app};

async fn say(app: &TestApp, token: &str, id: &str, text: &str) -> (StatusCode, Value) {
    app.post(
        &format!("/groups/{id}/messages"),
        token,
        json!({ "text": text }),
    )
    .await
}

async fn done(
    app: &TestApp,
    token: &str,
    id: &str,
    task: &str,
    body: Value,
) -> (StatusCode, Value) {
    app.post(&format!("/groups/{id}/tasks/{task}/done"), token, body)
        .await
}

fn group_events(all: &[String]) -> Vec<&str> {
    all.iter()
        .map(String::as_str)
        .filter(|t| t.starts_with("group."))
        .collect()
}

#[actix_web::test]
async fn a_dispatchers_group_chats_finishes_tasks_and_only_its_lead_reports() {
    let app = spawn_app().await;
    let p = people(&app).await;
    let id = reporting(&app, &p, "g-flow", "smuggled").await;
    let g = form(&app, &p, &id, three_members()).await;
    assert_eq!(g["id"], id);
    assert_eq!(
        (g["active"].clone(), g["auto"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(g["generation"], 1);
    assert_eq!(g["lead"], "S-1");
    assert!(g["name"].as_str().unwrap().contains("协作受理小组"), "{g}");
    assert_eq!(g["members"][0]["name"], "市管员一");
    assert_eq!(g["members"][0]["role"], "lead");
    assert_eq!(g["members"][1]["department"], "marketing");
    assert_eq!(g["members"][2]["task"]["id"], 3);
    assert_eq!(
        (g["tasks_done"].clone(), g["tasks_total"].clone()),
        (json!(0), json!(3))
    );
    assert_eq!(g["messages"], json!([]));
    assert_eq!(
        g["ticket_status"], "reporting",
        "forming never moves the ticket"
    );

    // Members (own token, or a vehicle carrying one), dispatchers and supervisors read it.
    for token in [&p.s5, &p.v7, &p.v1, &p.dispatcher, &p.supervisor] {
        let (s, b) = app.get(&format!("/groups/{id}"), token).await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    // S-2 rides V-1 but is not a member; S-9 is nobody's.
    for token in [&p.s2, &p.s9, &p.v9] {
        let (s, b) = app.get(&format!("/groups/{id}"), token).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("not_group_member"))
        );
    }

    // Chat: members write as themselves (V-7 as its crew's S-7), the centre as itself.
    let lines = [
        (&p.s5, "我调取订货记录", Some("S-5"), "field"),
        (&p.v7, "配送记录已调出", Some("S-7"), "field"),
        (&p.dispatcher, "请今天内反馈", None, "dispatcher"),
        (&p.supervisor, "注意取证规范", None, "supervisor"),
    ];
    for (n, (token, text, author, role)) in lines.iter().enumerate() {
        let (s, m) = say(&app, token, &id, text).await;
        assert_eq!(s, StatusCode::CREATED, "{m}");
        assert_eq!(m["message_no"], n + 1);
        assert_eq!(m["author"].as_str(), *author);
        assert_eq!(m["by_role"], *role);
    }
    for token in [&p.s2, &p.s9] {
        let (s, b) = say(&app, token, &id, "我也来").await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("not_group_member"))
        );
    }

    // Tasks: only the holder (or a dispatcher) finishes one, once.
    let (s, b) = done(&app, &p.s7, &id, "1", json!({})).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_task_holder"))
    );
    let (s, g) = done(&app, &p.s5, &id, "2", json!({ "note": "订货量异常" })).await;
    assert_eq!(s, StatusCode::OK, "{g}");
    assert_eq!(g["members"][1]["task"]["done"], true);
    assert_eq!(g["members"][1]["task"]["done_by"], "S-5");
    assert_eq!(g["members"][1]["task"]["note"], "订货量异常");
    let (s, b) = done(&app, &p.dispatcher, &id, "2", json!({})).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::CONFLICT, Some("task_done"))
    );
    for task in ["99", "x"] {
        let (s, _) = done(&app, &p.dispatcher, &id, task, json!({})).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "task {task}");
    }
    let res = app
        .client
        .post(app.url(&format!("/groups/{id}/tasks/3/done")))
        .bearer_auth(&p.dispatcher)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "no body is fine");
    let g: Value = res.json().await.unwrap();
    assert_eq!(g["tasks_done"], 2);
    assert!(g["members"][2]["task"].get("done_by").is_none(), "{g}");

    // A member reads the ticket (without the reporter); an outsider does not.
    let (s, t) = app.get(&format!("/tickets/{id}"), &p.s5).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert!(!t.to_string().contains("CANARY"), "{t}");
    let (s, _) = app.get(&format!("/tickets/{id}"), &p.s9).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Only the lead submits the report.
    let report = format!("/tickets/{id}/report");
    for token in [&p.s2, &p.s7] {
        let (s, b) = app.post(&report, token, report_body()).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("not_group_lead"))
        );
        assert!(b["message"].as_str().unwrap().contains("S-1"), "{b}");
    }
    let (s, t) = app.post(&report, &p.s1, report_body()).await;
    assert_eq!(
        (s, t["status"].as_str()),
        (StatusCode::OK, Some("in_review")),
        "{t}"
    );

    let (_, g) = app.get(&format!("/groups/{id}"), &p.s7).await;
    assert_eq!(g["message_count"], 4);
    let texts: Vec<&str> = g["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "我调取订货记录",
            "配送记录已调出",
            "请今天内反馈",
            "注意取证规范"
        ]
    );
    assert_eq!(g["messages"][1]["author_name"], "送货员七");

    let all = types(&app, &p.dispatcher, &id).await;
    assert_eq!(
        group_events(&all),
        [
            "group.formed",
            "group.message",
            "group.message",
            "group.message",
            "group.message",
            "group.task_done",
            "group.task_done"
        ]
    );
    assert_eq!(
        all.last().map(String::as_str),
        Some("ticket.report_submitted")
    );
    app.stop().await;
}

#[actix_web::test]
async fn members_change_the_lead_moves_and_a_dissolved_group_can_form_again() {
    let app = spawn_app().await;
    let p = people(&app).await;
    let id = reporting(&app, &p, "g-members", "smuggled").await;
    form(&app, &p, &id, three_members()).await;
    let members = format!("/groups/{id}/members");
    let change = json!({ "add": [{ "staff_id": "S-9", "role": "assist", "task": "协查" }],
                         "remove": ["S-7"], "reason": "改由本中队协查" });
    let (s, g) = app.post(&members, &p.dispatcher, change).await;
    assert_eq!(s, StatusCode::OK, "{g}");
    let ids: Vec<&str> = g["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["staff_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["S-1", "S-5", "S-9"]);
    assert_eq!(
        g["members"][2]["task"]["id"], 4,
        "task ids are never reused"
    );
    let (s, _) = app.get(&format!("/groups/{id}"), &p.s7).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "S-7 left");
    let (s, _) = app.get(&format!("/tickets/{id}"), &p.s9).await;
    assert_eq!(s, StatusCode::OK, "S-9 joined and reads the ticket");

    let (s, b) = app
        .post(&members, &p.supervisor, json!({ "lead": "S-5" }))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let (s, g) = app
        .post(&members, &p.dispatcher, json!({ "lead": "S-5" }))
        .await;
    assert_eq!(s, StatusCode::OK, "{g}");
    assert_eq!(g["lead"], "S-5");
    assert_eq!(g["members"][0]["role"], "assist");
    let (s, b) = app
        .post(&format!("/tickets/{id}/report"), &p.v1, report_body())
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_group_lead"))
    );

    let (s, g) = app
        .post(
            &format!("/groups/{id}/dissolve"),
            &p.dispatcher,
            json!({ "reason": "协查完毕" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{g}");
    assert_eq!(
        (g["active"].clone(), g["dissolved_reason"].clone()),
        (json!(false), json!("协查完毕"))
    );
    let (s, b) = app
        .post(
            &format!("/groups/{id}/messages"),
            &p.s5,
            json!({ "text": "还在吗" }),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::CONFLICT, Some("no_active_group"))
    );
    let (s, _) = app
        .post(
            &format!("/groups/{id}/dissolve"),
            &p.dispatcher,
            json!({ "reason": "再次" }),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, g) = app.get(&format!("/groups/{id}"), &p.s9).await;
    assert_eq!(
        (s, g["active"].clone()),
        (StatusCode::OK, json!(false)),
        "the record stays readable"
    );
    let (s, _) = app.get(&format!("/tickets/{id}"), &p.s9).await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "a former member no longer reads the ticket"
    );

    let g = form(&app, &p, &id, three_members()).await;
    assert_eq!(
        (g["generation"].clone(), g["message_count"].clone()),
        (json!(2), json!(0))
    );
    let (s, t) = app
        .post(&format!("/tickets/{id}/report"), &p.v1, report_body())
        .await;
    assert_eq!(s, StatusCode::OK, "V-1 carries the new lead S-1: {t}");
    assert_eq!(
        group_events(&types(&app, &p.dispatcher, &id).await),
        [
            "group.formed",
            "group.members_changed",
            "group.members_changed",
            "group.dissolved",
            "group.formed"
        ]
    );
    app.stop().await;
}

/// Walks a reporting ticket with a group to `archived` (the lead reports).
pub async fn archive(app: &TestApp, p: &People, id: &str) {
    let d = &p.dispatcher;
    step(app, &p.s1, id, "report", report_body()).await;
    step(app, d, id, "review", json!({ "decision": "pass" })).await;
    step(
        app,
        &p.supervisor,
        id,
        "approval",
        json!({ "decision": "approve" }),
    )
    .await;
    step(
        app,
        d,
        id,
        "reply",
        json!({ "text": "经查属实，已依法处理" }),
    )
    .await;
    step(
        app,
        d,
        id,
        "return-visit",
        json!({ "satisfaction": "satisfied" }),
    )
    .await;
    let t = step(app, d, id, "archive", json!({})).await;
    assert_eq!(t["status"], "archived");
}

#[actix_web::test]
async fn closing_the_ticket_dissolves_its_group() {
    let app = spawn_app().await;
    let p = people(&app).await;
    // Archived.
    let id = reporting(&app, &p, "g-archive", "smuggled").await;
    form(&app, &p, &id, three_members()).await;
    archive(&app, &p, &id).await;
    let g = until_group(&app, &p.dispatcher, &id, |_, g| g["active"] == false).await;
    assert_eq!(g["dissolved_reason"], "the ticket was archived");
    assert_eq!(g["ticket_status"], "archived");
    let all = types(&app, &p.dispatcher, &id).await;
    assert_eq!(
        &all[all.len() - 2..],
        ["ticket.archived", "group.dissolved"]
    );
    let (_, events) = app
        .get(&format!("/tickets/{id}/events"), &p.dispatcher)
        .await;
    let last = events.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["by_role"].as_str(), last["data"]["on_close"].as_bool()),
        (Some("system"), Some(true))
    );
    assert_eq!(
        last["status"], "archived",
        "dissolving leaves the ticket closed"
    );
    let (s, _) = app.get(&format!("/tickets/{id}"), &p.s5).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Transferred out of the unit.
    let id = file(&app, &p, "g-transfer", "smuggled").await;
    form(&app, &p, &id, three_members()).await;
    step(
        &app,
        &p.dispatcher,
        &id,
        "transfer",
        json!({ "to": "platform", "reason": "不属本单位管辖" }),
    )
    .await;
    let g = until_group(&app, &p.dispatcher, &id, |_, g| g["active"] == false).await;
    assert_eq!(
        g["dissolved_reason"],
        "the ticket was transferred out of this unit"
    );

    // Merged into another ticket.
    let target = file(&app, &p, "g-target", "smuggled").await;
    let dup = file(&app, &p, "g-dup", "smuggled").await;
    form(&app, &p, &dup, three_members()).await;
    step(
        &app,
        &p.dispatcher,
        &target,
        "merge",
        json!({ "duplicate_id": dup }),
    )
    .await;
    let g = until_group(&app, &p.dispatcher, &dup, |_, g| g["active"] == false).await;
    assert!(
        g["dissolved_reason"]
            .as_str()
            .unwrap()
            .starts_with("the ticket was merged into"),
        "{g}"
    );
    app.stop().await;
}
