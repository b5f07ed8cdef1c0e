//! The public read routes: no reporter anywhere (canaries, with the dispatcher's view as
//! the control), hidden grades and embargoed categories held back until closed, open and
//! closed, the filters, and tokens.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{NAME_FIRST, NAME_LAST, PHONE, canary_fields, get, submit_ok, ticket_by_number};
use crate::common::{TestApp, intake, spawn_app};

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
        .iter()
        .map(|r| r["service_request_id"].as_str().expect("id").to_owned())
        .collect()
}

async fn listed(app: &TestApp, query: &str) -> Vec<String> {
    let (status, body) = get(app, &format!("/requests.json{query}")).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    ids(&body)
}

/// Transfers the ticket numbered `number` back to the platform, which closes it.
async fn transfer_out(app: &TestApp, dispatcher: &str, number: &str) {
    let t = ticket_by_number(app, dispatcher, number).await;
    let id = t["id"].as_str().expect("id");
    let (status, body) = app
        .post(
            &format!("/tickets/{id}/transfer"),
            dispatcher,
            json!({ "to": "platform", "reason": "不属本单位管辖" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "transferred");
}

#[actix_web::test]
async fn public_views_carry_no_reporter_and_only_a_coarse_place() {
    let app = spawn_app().await;
    let platform = app.token("platform", None).await;
    let dispatcher = app.token("dispatcher", None).await;
    let id = submit_ok(&app, &canary_fields(&platform, "counterfeit")).await;

    // Control: the dispatcher sees who reported it and the exact place.
    let inside = ticket_by_number(&app, &dispatcher, &id).await.to_string();
    for secret in [NAME_LAST, PHONE, "正街18号", "30.02", "115.585"] {
        assert!(inside.contains(secret), "control lacks {secret}: {inside}");
    }

    let (s1, list) = get(&app, "/requests.json").await;
    let (s2, one) = get(&app, &format!("/requests/{id}.json")).await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK), "{list} {one}");
    assert_eq!(ids(&list), vec![id.clone()]);
    let r = &one[0];
    assert_eq!(r["service_request_id"], id);
    assert_eq!(r["status"], "open");
    assert_eq!(r["status_notes"], "intake");
    assert_eq!(r["service_code"], "counterfeit");
    assert_eq!(r["agency_responsible"], "专卖");
    assert_eq!(r["address"], "梅川镇");
    assert!(r["lat"].is_f64() && r["long"].is_f64(), "{r}");
    assert!(r["expected_datetime"].is_string(), "{r}");
    assert!(
        r["description"]
            .as_str()
            .is_some_and(|d| d.contains("假冒卷烟"))
    );
    for text in [list.to_string(), one.to_string()] {
        for secret in [
            NAME_LAST,
            NAME_FIRST,
            "CANARY",
            PHONE,
            "canary@example.org",
            "正街18号",
            "30.02,",
            "115.585",
        ] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
    }
    app.stop().await;
}

#[actix_web::test]
async fn hidden_grades_and_embargoed_categories_show_only_once_closed() {
    let app = spawn_app().await;
    let platform = app.token("platform", None).await;
    let dispatcher = app.token("dispatcher", None).await;
    let shown = submit_ok(&app, &canary_fields(&platform, "counterfeit")).await;
    let embargoed = submit_ok(&app, &canary_fields(&platform, "unlicensed_transport")).await;
    let mut body = intake("plat-1", Some("counterfeit"), "report");
    body["urgency"] = json!("I");
    let (status, t) = app.post("/tickets", &platform, body).await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let grade_one = t["number"].as_str().expect("number").to_owned();

    assert_eq!(listed(&app, "").await, vec![shown.clone()]);
    let all = format!("?service_request_id={shown},{embargoed},{grade_one}");
    assert_eq!(listed(&app, &all).await, vec![shown.clone()]);
    for hidden in [&embargoed, &grade_one] {
        for path in [
            format!("/requests/{hidden}.json"),
            format!("/tokens/{hidden}.json"),
        ] {
            let (status, body) = get(&app, &path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
            assert_eq!(body[0]["code"], 404);
        }
    }

    // Closed, they may be shown; an open one turns closed.
    for number in [&shown, &embargoed, &grade_one] {
        transfer_out(&app, &dispatcher, number).await;
    }
    let mut now = listed(&app, "").await;
    now.sort();
    let mut want = vec![shown.clone(), embargoed.clone(), grade_one.clone()];
    want.sort();
    assert_eq!(now, want);
    let (_, one) = get(&app, &format!("/requests/{embargoed}.json")).await;
    assert_eq!(one[0]["status"], "closed", "{one}");
    assert_eq!(one[0]["status_notes"], "transferred");
    assert!(one[0]["expected_datetime"].is_null());
    app.stop().await;
}

#[actix_web::test]
async fn requests_filter_by_status_service_and_dates() {
    let app = spawn_app().await;
    let platform = app.token("platform", None).await;
    let dispatcher = app.token("dispatcher", None).await;
    let old_fake = submit_ok(&app, &canary_fields(&platform, "counterfeit")).await;
    let old_late = submit_ok(&app, &canary_fields(&platform, "late_delivery")).await;
    transfer_out(&app, &dispatcher, &old_late).await;
    app.clock.advance(time::Duration::days(2));
    let new_fake = submit_ok(&app, &canary_fields(&platform, "counterfeit")).await;

    assert_eq!(
        listed(&app, "").await,
        vec![new_fake.clone(), old_late.clone(), old_fake.clone()],
        "newest first"
    );
    assert_eq!(
        listed(&app, "?status=open").await,
        vec![new_fake.clone(), old_fake.clone()]
    );
    assert_eq!(listed(&app, "?status=closed").await, vec![old_late.clone()]);
    assert_eq!(
        listed(&app, "?service_code=late_delivery").await,
        vec![old_late.clone()]
    );
    assert_eq!(
        listed(&app, "?service_code=counterfeit&status=open").await,
        vec![new_fake.clone(), old_fake.clone()]
    );
    let split = "2026-11-28T00:00:00Z";
    assert_eq!(
        listed(&app, &format!("?start_date={split}")).await,
        vec![new_fake.clone()]
    );
    assert_eq!(
        listed(&app, &format!("?end_date={split}")).await,
        vec![old_late.clone(), old_fake.clone()]
    );

    // 90 days back by default; an explicit start reaches further.
    app.clock.advance(time::Duration::days(89));
    assert_eq!(listed(&app, "").await, vec![new_fake.clone()]);
    assert_eq!(
        listed(&app, "?start_date=2026-11-01T00:00:00Z").await.len(),
        3
    );

    for bad in [
        "?status=pending",
        "?service_code=no_such",
        "?start_date=yesterday",
        "?end_date=2026-13-01",
    ] {
        let (status, body) = get(&app, &format!("/requests.json{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body[0]["code"], 400, "{bad}: {body}");
    }
    app.stop().await;
}

#[actix_web::test]
async fn a_token_is_its_request_id() {
    let app = spawn_app().await;
    let platform = app.token("platform", None).await;
    let id = submit_ok(&app, &canary_fields(&platform, "counterfeit")).await;
    let (status, body) = get(&app, &format!("/tokens/{id}.json")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!([{ "service_request_id": id, "token": id }]));
    for unknown in ["WX-2026-999999", "nothing"] {
        let (status, body) = get(&app, &format!("/tokens/{unknown}.json")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        let (status, body) = get(&app, &format!("/requests/{unknown}.json")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(body[0]["code"], 404);
    }
    app.stop().await;
}
