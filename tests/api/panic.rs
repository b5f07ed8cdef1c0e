//! Panic containment: a ticket actor that panics is rebuilt from the store; its ticket
//! answers again with its state intact, and other tickets never notice.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{intake, spawn_app};

#[actix_web::test]
async fn a_panicking_ticket_actor_is_rebuilt_and_others_are_unaffected() {
    let app = spawn_app().await;
    let d = app.token("dispatcher", None).await;
    let s = app.token("supervisor", None).await;
    let (_, victim) = app
        .post("/tickets", &d, intake("P-1", Some("counterfeit"), "report"))
        .await;
    let (_, other) = app
        .post("/tickets", &d, intake("P-2", Some("counterfeit"), "report"))
        .await;
    let victim = victim["id"].as_str().expect("id").to_owned();
    let other = other["id"].as_str().expect("id").to_owned();
    let (st, _) = app
        .post(&format!("/tickets/{victim}/triage"), &d, json!({}))
        .await;
    assert_eq!(st, StatusCode::OK);

    let notice = hotline_dispatch::api::FAULT_INJECTION_NOTICE;
    let (st, body) = app
        .post(
            &format!("/tickets/{victim}/supervise"),
            &s,
            json!({ "notice": notice }),
        )
        .await;
    assert_eq!(st, StatusCode::ACCEPTED);
    assert_eq!(
        body["actor_died"], true,
        "the actor panicked and its mailbox closed"
    );

    // The next command rebuilds the actor from the store and succeeds.
    let (st, t) = app
        .post(
            &format!("/tickets/{victim}/supervise"),
            &s,
            json!({ "notice": "请加快处理" }),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{t}");
    assert_eq!(t["status"], "triaged", "state survived the panic");
    assert_eq!(t["seq"], 3);
    let (st, t) = app
        .post(
            &format!("/tickets/{victim}/dispatch"),
            &d,
            json!({ "vehicle_id": "V-404" }),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{t}");

    // The other ticket carries on, and the engine is still ready.
    let (st, t) = app
        .post(&format!("/tickets/{other}/triage"), &d, json!({}))
        .await;
    assert_eq!(
        (st, t["status"].clone()),
        (StatusCode::OK, json!("triaged"))
    );
    let text = app.metrics().await;
    assert!(
        text.contains("hotline_ticket_actor_rebuilds_total"),
        "rebuild counted"
    );
    app.stop().await;
}
