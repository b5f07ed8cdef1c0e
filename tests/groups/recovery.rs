//! Coordinators come back: one that panicked is rebuilt from the store and the timeline on
//! the next request, and after the real binary is killed (-9) and restarted on the same
//! store every active group has its coordinator again, with its members, tasks and
//! messages, and carries on where it stopped.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{form, people, reporting, three_members};
use crate::common::{ADMIN, Answer, ChildEngine, send, spawn_app, success, temp_store};

#[actix_web::test]
async fn a_panicked_coordinator_is_rebuilt_with_its_messages() {
    let app = spawn_app().await;
    let p = people(&app).await;
    let id = reporting(&app, &p, "r-panic", "smuggled").await;
    form(&app, &p, &id, three_members()).await;
    for text in ["第一条", "第二条"] {
        let (s, b) = app
            .post(
                &format!("/groups/{id}/messages"),
                &p.s5,
                json!({ "text": text }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let (_, before) = app.get(&format!("/groups/{id}"), &p.dispatcher).await;
    let ticket_id = id.parse().unwrap();
    assert!(
        app.engine.groups.inject_panic(&ticket_id).await,
        "the coordinator died"
    );
    assert_eq!(app.engine.groups.live(), 0);
    let (s, after) = app.get(&format!("/groups/{id}"), &p.dispatcher).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(after, before, "rebuilt from the store and the timeline");
    assert_eq!(app.engine.groups.live(), 1);
    let (s, m) = app
        .post(
            &format!("/groups/{id}/messages"),
            &p.s7,
            json!({ "text": "第三条" }),
        )
        .await;
    assert_eq!(
        (s, m["message_no"].clone()),
        (StatusCode::CREATED, json!(3))
    );
    app.stop().await;
}

/// A client of one child engine.
struct Http {
    client: reqwest::Client,
    base: String,
}

impl Http {
    async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        let req = self
            .client
            .post(format!("{}/api/v1{path}", self.base))
            .bearer_auth(token)
            .json(&body);
        send(&self.client, req).await
    }

    async fn get(&self, path: &str, token: &str) -> Answer {
        let req = self
            .client
            .get(format!("{}/api/v1{path}", self.base))
            .bearer_auth(token);
        send(&self.client, req).await
    }

    async fn ok(&self, path: &str, token: &str, body: Value) -> Value {
        success(&format!("POST {path}"), self.post(path, token, body).await)
    }

    async fn token(&self, role: &str, subject: &str) -> String {
        let b = self
            .ok(
                "/tokens",
                ADMIN,
                json!({ "role": role, "subject": subject }),
            )
            .await;
        b["token"].as_str().unwrap().to_owned()
    }
}

#[actix_web::test]
async fn after_kill_9_and_a_restart_groups_carry_on() {
    let (_dir, store) = temp_store();
    let engine = ChildEngine::start(&store);
    let http = Http {
        client: reqwest::Client::new(),
        base: engine.base.clone(),
    };
    http.ok(
        "/teams",
        ADMIN,
        json!({ "id": "T-1", "name": "一中队", "department": "enforcement" }),
    )
    .await;
    for (id, role, department) in [
        ("S-1", "inspector", "enforcement"),
        ("S-5", "account_manager", "marketing"),
    ] {
        let body = json!({ "id": id, "name": format!("员工{id}"), "role": role, "department": department, "badge": id });
        http.ok("/staff", ADMIN, body).await;
    }
    let vehicle = json!({ "id": "V-1", "plate": "鄂J·Z0001", "team_id": "T-1", "department": "enforcement", "crew": ["S-1"] });
    http.ok("/vehicles", ADMIN, vehicle).await;
    let d = http.token("dispatcher", "console-1").await;
    let v1 = http.token("field", "V-1").await;
    let s5 = http.token("field", "S-5").await;

    let t = http
        .ok(
            "/tickets",
            &d,
            crate::common::intake("r-restart", Some("smuggled"), "report"),
        )
        .await;
    let id = t["id"].as_str().unwrap().to_owned();
    http.ok(&format!("/tickets/{id}/triage"), &d, json!({}))
        .await;
    let send = json!({ "vehicle_id": "V-1", "assign": true, "override": true });
    http.ok(&format!("/tickets/{id}/dispatch"), &d, send).await;
    let members = json!({ "members": [
        { "staff_id": "S-1", "role": "lead", "task": "牵头检查" },
        { "staff_id": "S-5", "role": "assist", "task": "调取订货记录" } ] });
    http.ok(&format!("/tickets/{id}/group"), &d, members).await;
    http.ok(
        &format!("/groups/{id}/messages"),
        &s5,
        json!({ "text": "记录已调出" }),
    )
    .await;
    http.ok(
        &format!("/groups/{id}/messages"),
        &v1,
        json!({ "text": "收到，正在现场" }),
    )
    .await;
    http.ok(
        &format!("/groups/{id}/tasks/2/done"),
        &s5,
        json!({ "note": "订货正常" }),
    )
    .await;
    let (_, before) = http.get(&format!("/groups/{id}"), &d).await;
    assert_eq!(before["messages"].as_array().unwrap().len(), 2, "{before}");
    engine.kill9();

    let engine = ChildEngine::start(&store);
    let http = Http {
        client: reqwest::Client::new(),
        base: engine.base.clone(),
    };
    // The start-up line may still be on its way through the log pipe.
    let mut log = engine.log();
    for _ in 0..200 {
        if log.contains("engine recovered") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        log = engine.log();
    }
    assert!(
        log.contains("\"active_groups\":1"),
        "the coordinator was restarted at start: {log}"
    );
    let (s, after) = http.get(&format!("/groups/{id}"), &s5).await;
    assert_eq!(s, StatusCode::OK, "{after}");
    assert_eq!(after, before);
    let m = http
        .ok(
            &format!("/groups/{id}/messages"),
            &v1,
            json!({ "text": "已完成检查" }),
        )
        .await;
    assert_eq!(
        (m["message_no"].clone(), m["author"].clone()),
        (json!(3), json!("S-1"))
    );
    let (s, b) = http
        .post(&format!("/groups/{id}/tasks/2/done"), &d, json!({}))
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::CONFLICT, Some("task_done"))
    );
    engine.kill9();
}
