//! Auth: every route × every role (401 without a token, 403 with a wrong role), tokens
//! stored hashed and revocable, and field tokens limited to their own tickets without the
//! reporter's identity.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{ADMIN, TestApp, intake, send, spawn_app, spawn_app_with};

const ROLES: [&str; 6] = [
    "platform",
    "dispatcher",
    "supervisor",
    "field",
    "board",
    "admin",
];

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> StatusCode {
    let mut req = app.client.request(method.clone(), app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if method != Method::GET && method != Method::DELETE {
        req = req.json(body);
    }
    send(&app.client, req).await.0
}

#[actix_web::test]
async fn every_route_checks_the_token_and_the_role() {
    // Every route is asked without a token and with a bad one: far past the failed-
    // authentication budget of one address, which `throttle.rs` tests on its own.
    let app = spawn_app_with(&[("APP__AUTH__FAILED_BURST", "100000")]).await;
    app.fleet().await;
    let mut tokens = std::collections::HashMap::new();
    for role in ROLES {
        let subject = (role == "field").then_some("V-1");
        tokens.insert(role, app.token(role, subject).await);
    }
    let (_, t) = app.post("/tickets", ADMIN, json!({})).await;
    assert_eq!(t["code"], "forbidden", "admin does not file tickets");
    let (_, t) = app
        .post(
            "/tickets",
            &tokens["dispatcher"],
            intake("A-1", Some("counterfeit"), "report"),
        )
        .await;
    let id = t["id"].as_str().expect("id").to_owned();
    let tk = |p: &str| format!("/tickets/{id}{p}");
    let e = json!({});
    let routes: Vec<(Method, String, &[&str], Value)> = vec![
        (
            Method::POST,
            "/tickets".into(),
            &["platform", "dispatcher"],
            intake("A-2", None, "report"),
        ),
        (
            Method::GET,
            "/tickets".into(),
            &["dispatcher", "supervisor", "field"],
            e.clone(),
        ),
        (
            Method::GET,
            tk(""),
            &["dispatcher", "supervisor", "field"],
            e.clone(),
        ),
        (
            Method::GET,
            tk("/events"),
            &["dispatcher", "supervisor"],
            e.clone(),
        ),
        (Method::POST, tk("/triage"), &["dispatcher"], e.clone()),
        (
            Method::POST,
            tk("/dispatch"),
            &["dispatcher"],
            json!({ "vehicle_id": "V-1" }),
        ),
        (
            Method::POST,
            tk("/assign"),
            &["dispatcher"],
            json!({ "staff_id": "S-1" }),
        ),
        (Method::POST, tk("/arrive"), &["field"], e.clone()),
        (
            Method::POST,
            tk("/onsite-record"),
            &["field"],
            json!({ "findings": "x" }),
        ),
        (
            Method::GET,
            tk("/report/draft"),
            &["field", "dispatcher", "supervisor"],
            e.clone(),
        ),
        (
            Method::POST,
            tk("/report"),
            &["field"],
            json!({ "sections": {} }),
        ),
        (
            Method::POST,
            tk("/review"),
            &["dispatcher", "supervisor"],
            json!({ "decision": "pass" }),
        ),
        (
            Method::POST,
            tk("/approval"),
            &["supervisor"],
            json!({ "decision": "approve" }),
        ),
        (
            Method::POST,
            tk("/reply"),
            &["dispatcher"],
            json!({ "text": "x" }),
        ),
        (
            Method::POST,
            tk("/return-visit"),
            &["dispatcher"],
            json!({ "satisfaction": "satisfied" }),
        ),
        (Method::POST, tk("/archive"), &["dispatcher"], e.clone()),
        (
            Method::POST,
            tk("/reopen"),
            &["dispatcher", "supervisor"],
            json!({ "reason": "x" }),
        ),
        (
            Method::POST,
            tk("/supervise"),
            &["supervisor"],
            json!({ "notice": "x" }),
        ),
        (
            Method::POST,
            tk("/transfer"),
            &["dispatcher"],
            json!({ "to": "marketing", "reason": "x" }),
        ),
        (
            Method::POST,
            tk("/merge"),
            &["dispatcher"],
            json!({ "duplicate_id": id }),
        ),
        (
            Method::POST,
            "/staff".into(),
            &["admin"],
            json!({ "name": "x", "role": "driver", "department": "logistics", "badge": "B" }),
        ),
        (
            Method::GET,
            "/staff".into(),
            &["admin", "dispatcher", "supervisor"],
            e.clone(),
        ),
        (
            Method::GET,
            "/staff/S-1".into(),
            &["admin", "dispatcher", "supervisor"],
            e.clone(),
        ),
        (
            Method::PUT,
            "/staff/S-1".into(),
            &["admin"],
            json!({ "name": "x", "role": "inspector", "department": "enforcement", "badge": "ZM-1" }),
        ),
        (
            Method::POST,
            "/teams".into(),
            &["admin"],
            json!({ "name": "x", "department": "marketing" }),
        ),
        (
            Method::GET,
            "/teams".into(),
            &["admin", "dispatcher", "supervisor"],
            e.clone(),
        ),
        (
            Method::POST,
            "/vehicles".into(),
            &["admin"],
            json!({ "plate": "x", "team_id": "T-1", "department": "enforcement" }),
        ),
        (
            Method::GET,
            "/vehicles".into(),
            &["admin", "dispatcher", "supervisor"],
            e.clone(),
        ),
        (
            Method::GET,
            "/vehicles/V-1".into(),
            &["admin", "dispatcher", "supervisor"],
            e.clone(),
        ),
        (
            Method::POST,
            "/tokens".into(),
            &["admin"],
            json!({ "role": "board" }),
        ),
        (Method::GET, "/tokens".into(), &["admin"], e.clone()),
        (
            Method::DELETE,
            "/tokens/nonexistent".into(),
            &["admin"],
            e.clone(),
        ),
        (Method::GET, "/catalog".into(), &ROLES, e.clone()),
        (
            Method::GET,
            "/catalog/counterfeit".into(),
            &ROLES,
            e.clone(),
        ),
    ];
    for (method, path, allowed, body) in &routes {
        let status = call(&app, method.clone(), path, None, body).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} without a token"
        );
        for role in ROLES {
            let status = call(&app, method.clone(), path, Some(&tokens[role]), body).await;
            if allowed.contains(&role) {
                assert_ne!(
                    status,
                    StatusCode::UNAUTHORIZED,
                    "{method} {path} as {role}"
                );
                let field_not_assigned = role == "field" && path.starts_with("/tickets/");
                if !field_not_assigned {
                    assert_ne!(status, StatusCode::FORBIDDEN, "{method} {path} as {role}");
                }
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{method} {path} as {role} must be refused"
                );
            }
        }
    }
    app.stop().await;
}

#[actix_web::test]
async fn tokens_are_revocable_and_field_tokens_need_a_registered_subject() {
    let app = spawn_app().await;
    app.fleet().await;
    let (s, issued) = app
        .post(
            "/tokens",
            ADMIN,
            json!({ "role": "dispatcher", "subject": "desk-1" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let secret = issued["token"].as_str().expect("secret").to_owned();
    let (s, _) = app.get("/tickets", &secret).await;
    assert_eq!(s, StatusCode::OK);
    let (_, list) = app.get("/tokens", ADMIN).await;
    assert!(
        !list.to_string().contains(&secret),
        "secrets are never listed"
    );
    let del = app
        .client
        .delete(app.url(&format!("/tokens/{}", issued["id"].as_str().expect("id"))))
        .bearer_auth(ADMIN);
    assert_eq!(send(&app.client, del).await.0, StatusCode::NO_CONTENT);
    let (s, _) = app.get("/tickets", &secret).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "revoked at once");
    let (s, b) = app.post("/tokens", ADMIN, json!({ "role": "field" })).await;
    assert_eq!(
        (s, b["code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("subject_required"))
    );
    let (s, b) = app
        .post(
            "/tokens",
            ADMIN,
            json!({ "role": "field", "subject": "V-404" }),
        )
        .await;
    assert_eq!(
        (s, b["code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("unknown_subject"))
    );
    let (s, b) = app
        .post(
            "/tokens",
            ADMIN,
            json!({ "role": "field", "subject": "staff:S-1" }),
        )
        .await;
    assert_eq!(
        (s, b["subject"].clone()),
        (StatusCode::CREATED, json!("staff:S-1"))
    );
    // Only the hash is stored.
    let raw = app
        .engine
        .store
        .records(hotline_dispatch::store::RecordKind::Token)
        .expect("tokens");
    assert!(
        raw.iter()
            .all(|r| !String::from_utf8_lossy(r).contains(&secret))
    );
    app.stop().await;
}

#[actix_web::test]
async fn field_devices_see_only_their_tickets_and_never_the_reporter() {
    let app = spawn_app().await;
    app.fleet().await;
    let d = app.token("dispatcher", None).await;
    let sup = app.token("supervisor", None).await;
    let vehicle = app.token("field", Some("V-1")).await;
    let crew = app.token("field", Some("S-2")).await;
    let platform = app.token("platform", None).await;
    let (_, mine) = app
        .post(
            "/tickets",
            &d,
            intake("FD-1", Some("counterfeit"), "report"),
        )
        .await;
    let (_, theirs) = app
        .post(
            "/tickets",
            &d,
            intake("FD-2", Some("counterfeit"), "report"),
        )
        .await;
    let mine = mine["id"].as_str().expect("id").to_owned();
    let theirs = theirs["id"].as_str().expect("id").to_owned();
    app.post(&format!("/tickets/{mine}/triage"), &d, json!({}))
        .await;
    let (s, _) = app
        .post(
            &format!("/tickets/{mine}/dispatch"),
            &d,
            json!({ "vehicle_id": "V-1", "assign": true }),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    for token in [&vehicle, &crew] {
        let (s, t) = app.get(&format!("/tickets/{mine}"), token).await;
        assert_eq!(s, StatusCode::OK);
        let text = t.to_string();
        assert!(
            !text.contains("CANARY-NAME") && !text.contains("13899990000"),
            "no reporter identity: {text}"
        );
        let (s, _) = app.get(&format!("/tickets/{theirs}"), token).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = app
            .post(&format!("/tickets/{theirs}/arrive"), token, json!({}))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (_, list) = app.get("/tickets", token).await;
        let text = list.to_string();
        assert!(text.contains(&mine) && !text.contains(&theirs));
        assert!(!text.contains("CANARY-NAME") && !text.contains("13899990000"));
    }
    // A crew member may act for the vehicle.
    let (s, _) = app
        .post(&format!("/tickets/{mine}/arrive"), &crew, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    // Dispatchers and supervisors see the reporter; the platform's intake answer does not echo it.
    for token in [&d, &sup] {
        let (_, t) = app.get(&format!("/tickets/{mine}"), token).await;
        assert_eq!(t["reporter"]["name"], "CANARY-NAME-张三");
        assert_eq!(t["reporter"]["phone"], "13899990000");
    }
    let (_, t) = app
        .post("/tickets", &platform, intake("FD-3", None, "report"))
        .await;
    assert!(t.get("reporter").is_none());
    app.stop().await;
}

#[actix_web::test]
async fn me_says_who_a_token_speaks_for_and_which_vehicle_it_drives() {
    let app = spawn_app().await;
    app.fleet().await;
    let manager = json!({ "id": "S-9", "name": "客户经理", "role": "account_manager", "department": "marketing", "badge": "YX-9", "phone": "13800000000" });
    let (s, b) = app.post("/staff", ADMIN, manager).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    let vehicle = app.token("field", Some("vehicle:V-1")).await;
    let (s, me) = app.get("/me", &vehicle).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["role"], "field");
    assert_eq!(me["subject"], "vehicle:V-1");
    assert!(me.get("staff").is_none(), "a vehicle token is nobody: {me}");
    assert_eq!(me["vehicle"]["plate"], "鄂J·Z0001");
    let crew: Vec<&str> = me["vehicle"]["crew"]
        .as_array()
        .expect("crew")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    assert_eq!(crew, ["S-1", "S-2"]);

    let rider = app.token("field", Some("staff:S-2")).await;
    let (_, me) = app.get("/me", &rider).await;
    assert_eq!(me["staff"]["id"], "S-2");
    assert_eq!(me["staff"]["badge"], "ZM-2");
    assert_eq!(
        me["vehicle"]["id"], "V-1",
        "a crew member drives its vehicle"
    );

    let walker = app.token("field", Some("staff:S-9")).await;
    let (s, me) = app.get("/me", &walker).await;
    assert_eq!(
        s,
        StatusCode::OK,
        "staff in no crew is an answer, not an error: {me}"
    );
    assert_eq!(me["staff"]["name"], "客户经理");
    assert!(me.get("vehicle").is_none(), "{me}");
    assert!(
        !me.to_string().contains("13800000000"),
        "no phone numbers: {me}"
    );

    let dispatcher = app.token("dispatcher", Some("desk 1")).await;
    let (_, me) = app.get("/me", &dispatcher).await;
    assert_eq!(me["role"], "dispatcher");
    assert_eq!(me["subject"], "desk 1");
    assert!(me.get("vehicle").is_none() && me.get("staff").is_none());

    let (s, _) = app.get("/me", "not-a-token").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    app.stop().await;
}
