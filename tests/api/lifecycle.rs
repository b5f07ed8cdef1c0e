//! Tickets along their whole paths: full, no_onsite, direct_answer; returns, reopen,
//! transfer, merge and idempotent intake.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, intake, ok, spawn_app};

struct Actors {
    dispatcher: String,
    supervisor: String,
    field: String,
}

async fn actors(app: &TestApp) -> Actors {
    let vehicle = app.fleet().await;
    Actors {
        dispatcher: app.token("dispatcher", None).await,
        supervisor: app.token("supervisor", None).await,
        field: app.token("field", Some(&vehicle)).await,
    }
}

fn full_report() -> Value {
    json!({ "sections": {
        "facts": "举报属实", "onsite_findings": "查获假烟 20 条", "handling": "先行登记保存",
        "legal_basis": "《烟草专卖法》", "conclusion": "立案查处" }, "evidence": crate::common::all_evidence() })
}

/// The first report draft of the `counterfeit` ticket of `intake`, after an on-site record
/// of "查获假烟" / "登记保存" with a photo and an inspection record: every section the guide
/// requires, prefilled from the ticket, the on-site record and the template.
fn check_first_draft(draft: &Value) {
    let guide = hotline_dispatch::domain::catalog::Catalog::from_toml(
        hotline_dispatch::domain::catalog::BUILTIN_CATALOG,
        "catalog.toml",
    )
    .expect("guide");
    let c = guide.get("counterfeit").expect("category");
    let expected = json!({
        "facts": intake("x", None, "report")["description"],
        "onsite_findings": "查获假烟",
        "handling": "登记保存",
        "legal_basis": c.legal_basis.join("；"),
        "conclusion": "",
    });
    assert_eq!(draft["sections"], expected, "{draft}");
    assert_eq!(draft["required"], json!(c.report_sections));
    assert_eq!(draft["required_evidence"], json!(c.report_evidence));
    assert_eq!(draft["handling_steps"], json!(c.handling_steps));
    // Missing: the empty conclusion, then every required kind the on-site record lacks.
    let mut missing = vec!["conclusion".to_owned()];
    missing.extend(
        c.report_evidence
            .iter()
            .filter(|k| !["photo", "inspection_record"].contains(&k.as_str()))
            .map(|k| format!("evidence:{k}")),
    );
    assert_eq!(draft["missing"], json!(missing), "{draft}");
}

/// Creates a ticket and returns its id.
async fn create(
    app: &TestApp,
    token: &str,
    ext: &str,
    category: Option<&str>,
    kind: &str,
) -> String {
    let (status, t) = app
        .post("/tickets", token, intake(ext, category, kind))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    t["id"].as_str().expect("id").to_owned()
}

#[actix_web::test]
async fn a_full_ticket_walks_all_five_stages_with_returns() {
    let app = spawn_app().await;
    let a = actors(&app).await;
    let id = create(&app, &a.dispatcher, "F-1", Some("counterfeit"), "report").await;
    let t = |p: &str| format!("/tickets/{id}/{p}");

    let v = ok(&app, &t("triage"), &a.dispatcher, json!({})).await;
    assert_eq!(v["status"], "triaged");
    assert_eq!(v["triage"]["confirmed"], true);
    let v = ok(
        &app,
        &t("dispatch"),
        &a.dispatcher,
        json!({ "vehicle_id": "V-1", "assign": true }),
    )
    .await;
    assert_eq!(v["status"], "en_route");
    assert_eq!(v["assignment"]["team_id"], "T-1");
    assert_eq!(v["stage"], "on_site");
    let v = ok(&app, &t("arrive"), &a.field, json!(null)).await;
    assert_eq!(v["status"], "on_site");
    let v = ok(
        &app,
        &t("onsite-record"),
        &a.field,
        json!({ "findings": "查获假烟", "actions": "登记保存", "evidence": [
            { "kind": "photo", "reference": "att-p" },
            { "kind": "inspection_record", "reference": "att-i" } ] }),
    )
    .await;
    assert_eq!(v["status"], "reporting");

    let (status, draft) = app.get(&t("report/draft"), &a.field).await;
    assert_eq!(status, StatusCode::OK);
    check_first_draft(&draft);

    let v = ok(&app, &t("report"), &a.field, full_report()).await;
    assert_eq!(v["status"], "in_review");
    let v = ok(
        &app,
        &t("review"),
        &a.supervisor,
        json!({ "decision": "return", "reasons": ["缺少证据照片"] }),
    )
    .await;
    assert_eq!(v["status"], "reporting");
    assert_eq!(v["review_returns"], 1);
    // After a return the draft is the report as written, with nothing missing.
    let (_, draft) = app.get(&t("report/draft"), &a.field).await;
    assert_eq!(draft["sections"], full_report()["sections"]);
    assert_eq!(draft["missing"], json!([]));
    ok(&app, &t("report"), &a.field, full_report()).await;
    let v = ok(
        &app,
        &t("review"),
        &a.dispatcher,
        json!({ "decision": "pass" }),
    )
    .await;
    assert_eq!(v["status"], "in_approval");
    let v = ok(
        &app,
        &t("approval"),
        &a.supervisor,
        json!({ "decision": "return", "return_to": "in_review", "reasons": ["定性不准"] }),
    )
    .await;
    assert_eq!(v["status"], "in_review");
    ok(
        &app,
        &t("review"),
        &a.dispatcher,
        json!({ "decision": "pass" }),
    )
    .await;
    let v = ok(
        &app,
        &t("approval"),
        &a.supervisor,
        json!({ "decision": "return", "reasons": ["补充法律依据"] }),
    )
    .await;
    assert_eq!(v["status"], "reporting");
    assert_eq!(v["approval_returns"], 2);
    ok(&app, &t("report"), &a.field, full_report()).await;
    ok(
        &app,
        &t("review"),
        &a.dispatcher,
        json!({ "decision": "pass" }),
    )
    .await;
    let v = ok(
        &app,
        &t("approval"),
        &a.supervisor,
        json!({ "decision": "approve" }),
    )
    .await;
    assert_eq!(v["status"], "replying");
    let (status, draft) = app.get(&t("reply/draft"), &a.dispatcher).await;
    assert_eq!(status, StatusCode::OK);
    let text = draft["text"].as_str().expect("draft").to_owned();
    assert!(
        text.contains("WX-2026-") && text.contains("立案查处"),
        "{text}"
    );
    assert!(!text.contains('{'), "every placeholder is filled: {text}");
    let v = ok(&app, &t("reply"), &a.dispatcher, json!({ "text": text })).await;
    assert_eq!(v["status"], "awaiting_visit");
    let v = ok(
        &app,
        &t("return-visit"),
        &a.dispatcher,
        json!({ "satisfaction": "satisfied" }),
    )
    .await;
    assert_eq!(v["visit"]["satisfaction"], "satisfied");
    let v = ok(&app, &t("archive"), &a.dispatcher, json!(null)).await;
    assert_eq!(v["status"], "archived");
    assert_eq!(v["stage"], "closed");

    // Stage spans cover every stage in order, all but the last closed.
    let stages: Vec<&str> = v["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| s["stage"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(stages.first(), Some(&"intake"));
    assert!(
        stages.contains(&"on_site")
            && stages.contains(&"approval")
            && stages.contains(&"return_visit")
    );
    assert_eq!(stages.last(), Some(&"closed"));

    // A reopen without a target goes where the guide says for the category
    // (counterfeit: back to intake for a new on-site check).
    let v = ok(
        &app,
        &t("reopen"),
        &a.supervisor,
        json!({ "reason": "市民再次来电" }),
    )
    .await;
    assert_eq!(v["status"], "triaged");
    assert_eq!(v["reopen_count"], 1);

    // The timeline has one event per accepted command, with dense per-ticket seq.
    let (status, events) = app.get(&t("events"), &a.dispatcher).await;
    assert_eq!(status, StatusCode::OK);
    let events = events.as_array().expect("timeline");
    assert_eq!(events.len() as u64, v["seq"].as_u64().expect("seq"));
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["seq"], json!(i + 1));
    }
    assert_eq!(events[0]["type"], "ticket.received");
    assert_eq!(
        events.last().map(|e| e["type"].clone()),
        Some(json!("ticket.reopened"))
    );
    let ids: Vec<u64> = events
        .iter()
        .map(|e| e["event_id"].as_u64().expect("event id"))
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "global ids increase along a timeline"
    );
    app.stop().await;
}

#[actix_web::test]
async fn a_no_onsite_complaint_is_reported_by_an_assigned_account_manager() {
    let app = spawn_app().await;
    let a = actors(&app).await;
    let id = create(
        &app,
        &a.dispatcher,
        "N-1",
        Some("late_delivery"),
        "complaint",
    )
    .await;
    let t = |p: &str| format!("/tickets/{id}/{p}");
    let v = ok(&app, &t("triage"), &a.dispatcher, json!({})).await;
    assert_eq!(v["status"], "reporting", "no on-site stage");
    let (status, body) = app
        .post(
            &t("dispatch"),
            &a.dispatcher,
            json!({ "vehicle_id": "V-1", "assign": true }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    let writer = app.token("field", Some("S-2")).await;
    let (status, _) = app.get(&format!("/tickets/{id}"), &writer).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not assigned yet");
    ok(
        &app,
        &t("assign"),
        &a.dispatcher,
        json!({ "staff_id": "S-2" }),
    )
    .await;
    let (status, seen) = app.get(&format!("/tickets/{id}"), &writer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        seen.get("reporter").is_none(),
        "field never sees the reporter"
    );

    let sections = json!({ "sections": { "facts": "a", "verification": "b", "handling": "c", "conclusion": "d" }, "evidence": crate::common::all_evidence() });
    let v = ok(&app, &t("report"), &writer, sections).await;
    assert_eq!(v["status"], "in_review");
    ok(
        &app,
        &t("review"),
        &a.dispatcher,
        json!({ "decision": "pass" }),
    )
    .await;
    ok(
        &app,
        &t("approval"),
        &a.supervisor,
        json!({ "decision": "approve" }),
    )
    .await;
    ok(
        &app,
        &t("reply"),
        &a.dispatcher,
        json!({ "text": "已协调配送" }),
    )
    .await;
    // Unsatisfied: reopened automatically back to reporting.
    let v = ok(
        &app,
        &t("return-visit"),
        &a.dispatcher,
        json!({ "satisfaction": "unsatisfied", "comment": "仍未送达" }),
    )
    .await;
    assert_eq!(v["status"], "reporting");
    assert_eq!(v["reopen_count"], 1);
    app.stop().await;
}

#[actix_web::test]
async fn a_consultation_is_answered_directly_and_archived() {
    let app = spawn_app().await;
    let a = actors(&app).await;
    // No category from the platform: the classifier proposes one, unconfirmed.
    let mut body = intake("C-1", None, "consultation");
    body["description"] = json!("请问网上订烟每周几可以下单，订货系统怎么操作");
    let (s, t0) = app.post("/tickets", &a.dispatcher, body).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(t0["status"], "received");
    assert_eq!(t0["triage"]["confirmed"], false);
    assert_eq!(
        t0["triage"]["suggestion"]["category"], "order_consultation",
        "{t0}"
    );
    assert!(
        t0["triage"]["suggestion"]["confidence"]
            .as_f64()
            .is_some_and(|c| c > 0.0)
    );
    let id = t0["id"].as_str().expect("id").to_owned();
    let t = |p: &str| format!("/tickets/{id}/{p}");
    let v = ok(
        &app,
        &t("triage"),
        &a.dispatcher,
        json!({ "category": "order_consultation" }),
    )
    .await;
    assert_eq!(v["triage"]["confirmed"], true);
    assert_eq!(v["triage"]["overridden"], false, "confirmed as proposed");
    assert_eq!(v["status"], "replying");
    assert_eq!(v["urgency"], "IV");
    ok(
        &app,
        &t("reply"),
        &a.dispatcher,
        json!({ "text": "每周二订货" }),
    )
    .await;
    let (status, body) = app.post(&t("archive"), &a.dispatcher, json!({})).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the visit comes first: {body}"
    );
    assert_eq!(body["code"], "return_visit_missing");
    ok(
        &app,
        &t("return-visit"),
        &a.dispatcher,
        json!({ "satisfaction": "basically_satisfied" }),
    )
    .await;
    let v = ok(
        &app,
        &t("archive"),
        &a.dispatcher,
        json!({ "note": "结案" }),
    )
    .await;
    assert_eq!(v["status"], "archived");
    app.stop().await;
}

#[actix_web::test]
async fn intake_is_idempotent_on_source_and_external_id() {
    let app = spawn_app().await;
    let token = app.token("platform", Some("12313")).await;
    let (s1, first) = app
        .post(
            "/tickets",
            &token,
            intake("DUP-1", Some("counterfeit"), "report"),
        )
        .await;
    let (s2, again) = app
        .post(
            "/tickets",
            &token,
            intake("DUP-1", Some("counterfeit"), "report"),
        )
        .await;
    assert_eq!(s1, StatusCode::CREATED);
    assert_eq!(s2, StatusCode::OK);
    assert_eq!(first["id"], again["id"]);
    assert_eq!(first["number"], again["number"]);
    assert!(
        first["number"]
            .as_str()
            .expect("number")
            .starts_with("WX-2026-")
    );
    // Concurrent repeats still make one ticket.
    let calls = (0..8).map(|_| app.post("/tickets", &token, intake("DUP-2", None, "report")));
    let answers = futures_util::future::join_all(calls).await;
    let ids: std::collections::HashSet<String> =
        answers.iter().map(|(_, b)| b["id"].to_string()).collect();
    assert_eq!(ids.len(), 1, "one ticket for one external id");
    assert_eq!(
        answers
            .iter()
            .filter(|(s, _)| *s == StatusCode::CREATED)
            .count(),
        1
    );
    // Without an external id every intake is new.
    let mut body = intake("x", None, "report");
    body.as_object_mut().expect("object").remove("external_id");
    let (a, x) = app.post("/tickets", &token, body.clone()).await;
    let (b, y) = app.post("/tickets", &token, body).await;
    assert_eq!((a, b), (StatusCode::CREATED, StatusCode::CREATED));
    assert_ne!(x["id"], y["id"]);
    app.stop().await;
}

#[actix_web::test]
async fn transfer_within_the_unit_keeps_it_open_and_out_of_the_unit_closes_it() {
    let app = spawn_app().await;
    let a = actors(&app).await;
    let id = create(&app, &a.dispatcher, "T-1", Some("counterfeit"), "report").await;
    let v = ok(
        &app,
        &format!("/tickets/{id}/transfer"),
        &a.dispatcher,
        json!({ "to": "marketing", "reason": "属营销范畴" }),
    )
    .await;
    assert_eq!(v["status"], "received");
    assert_eq!(v["department"], "marketing");
    let v = ok(
        &app,
        &format!("/tickets/{id}/transfer"),
        &a.dispatcher,
        json!({ "to": "platform", "reason": "不属本单位管辖" }),
    )
    .await;
    assert_eq!(v["status"], "transferred");
    let (status, body) = app
        .post(&format!("/tickets/{id}/triage"), &a.dispatcher, json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["details"]["status"], "transferred");
    app.stop().await;
}

#[actix_web::test]
async fn merging_folds_a_duplicate_and_keeps_both_timelines() {
    let app = spawn_app().await;
    let a = actors(&app).await;
    let target = create(&app, &a.dispatcher, "M-1", Some("counterfeit"), "report").await;
    let dup = create(&app, &a.dispatcher, "M-2", Some("counterfeit"), "report").await;
    let v = ok(
        &app,
        &format!("/tickets/{target}/merge"),
        &a.dispatcher,
        json!({ "duplicate_id": dup }),
    )
    .await;
    assert_eq!(v["duplicates"], json!([dup]));
    let (_, d) = app.get(&format!("/tickets/{dup}"), &a.dispatcher).await;
    assert_eq!(d["status"], "merged");
    assert_eq!(d["merged_into"], json!(target));
    let (_, te) = app
        .get(&format!("/tickets/{target}/events"), &a.dispatcher)
        .await;
    let (_, de) = app
        .get(&format!("/tickets/{dup}/events"), &a.dispatcher)
        .await;
    assert_eq!(
        te.as_array()
            .and_then(|e| e.last())
            .map(|e| e["type"].clone()),
        Some(json!("ticket.duplicate_merged"))
    );
    assert_eq!(
        de.as_array()
            .and_then(|e| e.last())
            .map(|e| e["type"].clone()),
        Some(json!("ticket.merged"))
    );
    // Merging into itself, or again, is refused and changes nothing.
    let (s, _) = app
        .post(
            &format!("/tickets/{target}/merge"),
            &a.dispatcher,
            json!({ "duplicate_id": target }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, b) = app
        .post(
            &format!("/tickets/{target}/merge"),
            &a.dispatcher,
            json!({ "duplicate_id": dup }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["code"], "already_merged");
    let (_, after) = app.get(&format!("/tickets/{target}"), &a.dispatcher).await;
    assert_eq!(after["seq"], v["seq"]);
    app.stop().await;
}

#[actix_web::test]
async fn a_grade_one_lead_can_be_sent_before_triage_and_lists_filter_and_page() {
    let app = spawn_app().await;
    let a = actors(&app).await;
    let id = create(
        &app,
        &a.dispatcher,
        "G-1",
        Some("unlicensed_transport"),
        "report",
    )
    .await;
    let v = ok(
        &app,
        &format!("/tickets/{id}/dispatch"),
        &a.dispatcher,
        json!({ "vehicle_id": "V-1", "assign": true }),
    )
    .await;
    assert_eq!(v["status"], "en_route");
    let other = create(&app, &a.dispatcher, "G-2", Some("counterfeit"), "report").await;
    let (s, _) = app
        .post(
            &format!("/tickets/{other}/dispatch"),
            &a.dispatcher,
            json!({ "vehicle_id": "V-1", "assign": true }),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "grade II waits for triage");
    for i in 0..5 {
        create(
            &app,
            &a.dispatcher,
            &format!("P-{i}"),
            Some("late_delivery"),
            "complaint",
        )
        .await;
    }
    let (_, page) = app.get("/tickets?urgency=I", &a.dispatcher).await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    let (_, page) = app
        .get("/tickets?category=late_delivery&limit=2", &a.dispatcher)
        .await;
    let mut seen: Vec<String> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|t| t["id"].to_string())
        .collect();
    let mut cursor = page["next_cursor"].as_str().map(str::to_owned);
    while let Some(c) = cursor {
        let (_, page) = app
            .get(
                &format!("/tickets?category=late_delivery&limit=2&cursor={c}"),
                &a.dispatcher,
            )
            .await;
        seen.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|t| t["id"].to_string()),
        );
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen.len(), 5, "paging returns each ticket once");
    let unique: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), 5);
    let (_, page) = app.get("/tickets?stage=on_site", &a.dispatcher).await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    let (_, page) = app.get("/tickets?team=T-1", &a.dispatcher).await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    // The field token lists only its own ticket.
    let (_, mine) = app.get("/tickets", &a.field).await;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(1));
    assert!(mine["items"][0].get("reporter").is_none());
    app.stop().await;
}

#[actix_web::test]
async fn tickets_are_numbered_by_the_command_centres_year() {
    use hotline_dispatch::domain::Timestamp;
    let app = spawn_app().await;
    let token = app.token("dispatcher", None).await;
    // 23:30 on 31 December in Wuxue (UTC+8), then 00:30 on 1 January.
    app.clock
        .set(Timestamp::parse("2026-12-31T15:30:00Z").expect("time"));
    let (_, old) = app
        .post("/tickets", &token, intake("Y-1", None, "report"))
        .await;
    app.clock
        .set(Timestamp::parse("2026-12-31T16:30:00Z").expect("time"));
    let (_, new) = app
        .post("/tickets", &token, intake("Y-2", None, "report"))
        .await;
    let number = |t: &serde_json::Value| t["number"].as_str().expect("number").to_owned();
    assert!(number(&old).starts_with("WX-2026-"), "{old}");
    assert_eq!(number(&new), "WX-2027-000001", "{new}");
}
