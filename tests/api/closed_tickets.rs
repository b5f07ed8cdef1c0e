//! Closed tickets stay reachable: the list filters by a closed status or by `closed`, and
//! `q` finds a ticket by its number, external id or words, open or closed. The search is
//! for dispatchers and supervisors; bad searches are refused.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, intake, spawn_app};

/// The numbers of the tickets a listing answers, sorted.
async fn numbers(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let (status, page) = app.get(&format!("/tickets?{query}"), token).await;
    assert_eq!(status, StatusCode::OK, "{query}: {page}");
    let mut out: Vec<String> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|t| t["number"].as_str().expect("number").to_owned())
        .collect();
    out.sort();
    out
}

#[actix_web::test]
async fn closed_tickets_are_listed_by_status_and_found_by_number_external_id_and_words() {
    let app = spawn_app().await;
    let dispatcher = app.token("dispatcher", None).await;
    let supervisor = app.token("supervisor", None).await;
    let file = |body: Value| {
        let app = &app;
        let dispatcher = &dispatcher;
        async move {
            let (status, t) = app.post("/tickets", dispatcher, body).await;
            assert_eq!(status, StatusCode::CREATED, "{t}");
            (
                t["id"].as_str().expect("id").to_owned(),
                t["number"].as_str().expect("number").to_owned(),
            )
        }
    };
    let (a, a_no) = file(intake("CL-1", Some("counterfeit"), "report")).await;
    let mut other = intake("CL-2", Some("online_sale"), "report");
    other["description"] = json!("龙坪镇有人在网上售烟，微信号 WX-7788");
    other["address_text"] = json!("龙坪镇新街");
    let (b, b_no) = file(other).await;
    let (c, c_no) = file(intake("CL-3", Some("counterfeit"), "report")).await;

    // A goes back to the platform; C is folded into B.
    let (s, t) = app
        .post(
            &format!("/tickets/{a}/transfer"),
            &dispatcher,
            json!({ "to": "platform", "reason": "不属本单位职责" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["status"], "transferred");
    let (s, t) = app
        .post(
            &format!("/tickets/{b}/merge"),
            &dispatcher,
            json!({ "duplicate_id": c }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");

    // By status, and closed or open as a whole.
    assert_eq!(
        numbers(&app, &dispatcher, "status=transferred").await,
        [a_no.as_str()]
    );
    assert_eq!(
        numbers(&app, &dispatcher, "status=merged").await,
        [c_no.as_str()]
    );
    let mut closed = vec![a_no.clone(), c_no.clone()];
    closed.sort();
    assert_eq!(numbers(&app, &supervisor, "closed=true").await, closed);
    assert_eq!(
        numbers(&app, &dispatcher, "closed=false").await,
        [b_no.as_str()]
    );

    // By number (whole or a part), external id, and words (all of them, any case).
    let q = |s: &str| format!("q={}", crate::common::url_encode(s));
    assert_eq!(numbers(&app, &dispatcher, &q(&a_no)).await, [a_no.as_str()]);
    let tail = &c_no[c_no.len() - 6..];
    assert_eq!(numbers(&app, &dispatcher, &q(tail)).await, [c_no.as_str()]);
    assert_eq!(
        numbers(&app, &dispatcher, &q("cl-1")).await,
        [a_no.as_str()]
    );
    assert_eq!(
        numbers(&app, &dispatcher, &q("龙坪镇  wx-7788")).await,
        [b_no.as_str()]
    );
    assert!(
        numbers(&app, &dispatcher, &q("龙坪镇 假冒"))
            .await
            .is_empty()
    );
    // Closed ones only: B (open) also names 梅川镇 nowhere, A and C do.
    assert_eq!(
        numbers(&app, &dispatcher, &format!("closed=true&{}", q("梅川镇"))).await,
        closed
    );
    assert_eq!(
        numbers(&app, &dispatcher, &format!("status=merged&{}", q("梅川镇"))).await,
        [c_no.as_str()]
    );
    // The reporter's name is not searched: it is not the ticket's own text.
    assert!(
        numbers(&app, &dispatcher, &q("CANARY-NAME"))
            .await
            .is_empty()
    );

    app.stop().await;
}

#[actix_web::test]
async fn a_search_is_refused_to_field_tokens_and_when_blank_or_too_long() {
    let app = spawn_app().await;
    let vehicle = app.fleet().await;
    let dispatcher = app.token("dispatcher", None).await;
    let field = app.token("field", Some(&vehicle)).await;
    let (s, t) = app
        .post(
            "/tickets",
            &dispatcher,
            intake("CL-9", Some("counterfeit"), "report"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");

    // A field device lists its own tickets, but never searches the citizen's words.
    let (s, _) = app.get("/tickets?closed=false", &field).await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = app.get("/tickets?q=%E6%A2%85%E5%B7%9D", &field).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    assert_eq!(e["code"], "forbidden");

    let (s, e) = app.get("/tickets?q=%20%20", &dispatcher).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["code"], "malformed");
    let long = "梅".repeat(201);
    let (s, e) = app
        .get(
            &format!("/tickets?q={}", crate::common::url_encode(&long)),
            &dispatcher,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["code"], "too_long");
    let (s, e) = app.get("/tickets?closed=maybe", &dispatcher).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");

    app.stop().await;
}
