//! Returned reports with the guide's reason codes: the old plain-text form still works,
//! unknown codes are refused with the allowed list and change nothing, returns are
//! counted per writer, crew, category and reason (JSON and CSV), and an unsatisfied
//! return visit reopens the ticket where the guide says.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, all_evidence, intake, ok, spawn_app};

struct Tokens {
    dispatcher: String,
    supervisor: String,
    field: String,
}

fn report() -> Value {
    json!({ "sections": {
        "facts": "举报属实", "onsite_findings": "查获假烟 20 条", "handling": "先行登记保存",
        "legal_basis": "《烟草专卖法》", "conclusion": "立案查处" }, "evidence": all_evidence() })
}

/// A counterfeit ticket taken by V-1 (crew S-1, S-2) to its first report, in review.
async fn in_review(app: &TestApp, ext: &str) -> (Tokens, String) {
    let vehicle = app.fleet().await;
    let tokens = Tokens {
        dispatcher: app.token("dispatcher", None).await,
        supervisor: app.token("supervisor", None).await,
        field: app.token("field", Some(&vehicle)).await,
    };
    let (s, t) = app
        .post(
            "/tickets",
            &tokens.dispatcher,
            intake(ext, Some("counterfeit"), "report"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_str().expect("id").to_owned();
    let p = |step: &str| format!("/tickets/{id}/{step}");
    ok(app, &p("triage"), &tokens.dispatcher, json!({})).await;
    ok(
        app,
        &p("dispatch"),
        &tokens.dispatcher,
        json!({ "vehicle_id": vehicle, "assign": true }),
    )
    .await;
    ok(app, &p("arrive"), &tokens.field, json!(null)).await;
    ok(
        app,
        &p("onsite-record"),
        &tokens.field,
        json!({ "findings": "查获假烟", "actions": "登记保存" }),
    )
    .await;
    let t = ok(app, &p("report"), &tokens.field, report()).await;
    assert_eq!(t["status"], "in_review");
    (tokens, id)
}

#[actix_web::test]
async fn returns_carry_reason_codes_and_are_counted_per_writer_crew_category_and_reason() {
    let app = spawn_app().await;
    let (a, id) = in_review(&app, "RR-1").await;
    let p = |step: &str| format!("/tickets/{id}/{step}");

    // An unknown code: 422 with the allowed codes, and nothing changes.
    let (s, e) = app
        .post(
            &p("review"),
            &a.supervisor,
            json!({ "decision": "return", "reasons": [{ "code": "sloppy" }] }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["code"], "unknown_reason_code");
    assert_eq!(e["details"]["code"], "sloppy");
    let allowed: Vec<&str> = e["details"]["allowed"]
        .as_array()
        .expect("allowed")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for code in [
        "missing_evidence",
        "facts_unclear",
        "wrong_legal_basis",
        "other",
    ] {
        assert!(allowed.contains(&code), "{allowed:?}");
    }
    // `other` must say what it is.
    let (s, e) = app
        .post(
            &p("review"),
            &a.supervisor,
            json!({ "decision": "return", "reasons": [{ "code": "other" }] }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["code"], "reasons_required");
    // A misspelt key is refused, not dropped with the reviewer's words.
    let (s, e) = app
        .post(
            &p("review"),
            &a.supervisor,
            json!({ "decision": "return", "reasons": [{ "code": "facts_unclear", "notes": "时间不清" }] }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["code"], "unknown_reason_field");
    let (_, t) = app.get(&format!("/tickets/{id}"), &a.dispatcher).await;
    assert_eq!(
        (t["status"].clone(), t["review_returns"].clone()),
        (json!("in_review"), json!(0))
    );

    // A code with a note, a plain string equal to a code, and plain text (filed as other).
    let t = ok(
        &app,
        &p("review"),
        &a.supervisor,
        json!({ "decision": "return", "reasons": [
            { "code": "missing_evidence", "note": "缺少鉴别检验报告" },
            "facts_unclear",
            "写得太乱"
        ] }),
    )
    .await;
    assert_eq!(t["status"], "reporting");
    let (_, events) = app
        .get(&format!("/tickets/{id}/events"), &a.dispatcher)
        .await;
    let reviewed = events
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["type"] == "ticket.reviewed")
        .expect("the return is in the timeline");
    assert_eq!(
        reviewed["data"]["reasons"],
        json!([
            { "code": "missing_evidence", "note": "缺少鉴别检验报告" },
            { "code": "facts_unclear" },
            { "code": "other", "note": "写得太乱" }
        ])
    );

    // Rewritten, passed, then returned by approval for its legal basis.
    ok(&app, &p("report"), &a.field, report()).await;
    ok(
        &app,
        &p("review"),
        &a.dispatcher,
        json!({ "decision": "pass" }),
    )
    .await;
    ok(
        &app,
        &p("approval"),
        &a.supervisor,
        json!({ "decision": "return", "reasons": [{ "code": "wrong_legal_basis" }] }),
    )
    .await;
    ok(&app, &p("report"), &a.field, report()).await;

    let (s, r) = app.get("/stats/returns", &a.supervisor).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        (r["reports"].clone(), r["returns"].clone()),
        (json!(3), json!(2))
    );
    let row = |group: &str, key: &str| -> Value {
        r[group]
            .as_array()
            .expect(group)
            .iter()
            .find(|x| x["key"] == key)
            .cloned()
            .unwrap_or_else(|| panic!("{group} {key}: {r}"))
    };
    let writer = row("by_handler", "vehicle:V-1");
    assert_eq!(
        (writer["reports"].clone(), writer["returns"].clone()),
        (json!(3), json!(2))
    );
    assert_eq!(writer["reasons"]["missing_evidence"], 1);
    assert_eq!(writer["reasons"]["wrong_legal_basis"], 1);
    for crew in ["S-1", "S-2"] {
        assert_eq!(row("by_staff", crew)["returns"], 2, "{r}");
    }
    let cat = row("by_category", "counterfeit");
    assert_eq!(cat["returns"], 2);
    assert_eq!(cat["reasons"]["other"], 1);
    let count = |code: &str| {
        r["by_reason"]
            .as_array()
            .expect("by_reason")
            .iter()
            .find(|x| x["code"] == code)
            .map(|x| x["returns"].clone())
    };
    assert_eq!(count("missing_evidence"), Some(json!(1)));
    assert_eq!(count("facts_unclear"), Some(json!(1)));
    assert_eq!(count("format"), Some(json!(0)), "every code is listed");
    assert_eq!(r["notes"][0], json!(["写得太乱", 1]));

    // One reason only; an unknown one is refused with the allowed codes.
    let (_, only) = app
        .get("/stats/returns?reason=wrong_legal_basis", &a.supervisor)
        .await;
    assert_eq!(only["returns"], 1);
    let (s, e) = app.get("/stats/returns?reason=sloppy", &a.supervisor).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        e["details"]["allowed"]
            .as_array()
            .is_some_and(|l| !l.is_empty())
    );

    let res = app
        .client
        .get(app.url("/stats/returns?format=csv"))
        .bearer_auth(&a.supervisor)
        .send()
        .await
        .expect("csv");
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().await.unwrap_or_default();
    let mut lines = body.lines();
    let header = lines
        .next()
        .unwrap_or_default()
        .trim_start_matches('\u{feff}');
    assert!(
        header.starts_with("group,key,reports,returns,return_rate,missing_evidence,"),
        "{header}"
    );
    let column = |name: &str| header.split(',').position(|h| h == name).expect(name);
    let (evidence, legal) = (column("missing_evidence"), column("wrong_legal_basis"));
    let total: Vec<&str> = body
        .lines()
        .find(|l| l.starts_with("total,all,"))
        .expect("total row")
        .split(',')
        .collect();
    assert_eq!(&total[..4], ["total", "all", "3", "2"]);
    assert_eq!((total[evidence], total[legal]), ("1", "1"));
    assert!(body.contains("\nhandler,vehicle:V-1,3,2,"), "{body}");
    assert!(body.contains("\nstaff,S-1,3,2,"), "{body}");
    assert!(body.contains("\ncategory,counterfeit,3,2,"), "{body}");

    // The guide lists its reasons for consoles.
    let (_, guide) = app.get("/catalog", &a.field).await;
    assert!(
        guide["return_reasons"]
            .as_array()
            .is_some_and(|l| l.iter().any(|x| x["code"] == "missing_evidence"))
    );
    app.stop().await;
}

#[actix_web::test]
async fn an_unsatisfied_visit_reopens_where_the_guide_says() {
    let app = spawn_app().await;
    let (a, id) = in_review(&app, "RV-1").await;
    let p = |step: &str| format!("/tickets/{id}/{step}");
    ok(
        &app,
        &p("review"),
        &a.dispatcher,
        json!({ "decision": "pass" }),
    )
    .await;
    ok(
        &app,
        &p("approval"),
        &a.supervisor,
        json!({ "decision": "approve" }),
    )
    .await;
    ok(
        &app,
        &p("reply"),
        &a.dispatcher,
        json!({ "text": "已依法处理" }),
    )
    .await;
    // Counterfeit: the guide sends it back for a new on-site check, not a rewrite.
    let t = ok(
        &app,
        &p("return-visit"),
        &a.dispatcher,
        json!({ "satisfaction": "unsatisfied", "comment": "店里还在卖" }),
    )
    .await;
    assert_eq!(t["status"], "triaged");
    assert_eq!(t["reopen_count"], 1);
    let t = ok(
        &app,
        &p("dispatch"),
        &a.dispatcher,
        json!({ "vehicle_id": "V-1", "assign": true }),
    )
    .await;
    assert_eq!(t["status"], "en_route");
    app.stop().await;
}
