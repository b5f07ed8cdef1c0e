//! Triage over HTTP: the dispatcher's override of the classifier's proposal is recorded in
//! the ticket's triage fields and in the `ticket.triaged` event, with the proposal kept.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, intake, spawn_app};

/// Files a ticket with no category (the classifier proposes one) and returns it.
async fn unclassified(app: &TestApp, token: &str, ext: &str) -> Value {
    let (s, t) = app
        .post("/tickets", token, intake(ext, None, "report"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["triage"]["confirmed"], false);
    assert_eq!(t["category"], t["triage"]["suggestion"]["category"], "{t}");
    t
}

/// The last `ticket.triaged` event of ticket `id`.
async fn triaged_event(app: &TestApp, token: &str, id: &str) -> Value {
    let (s, events) = app.get(&format!("/tickets/{id}/events"), token).await;
    assert_eq!(s, StatusCode::OK, "{events}");
    events
        .as_array()
        .and_then(|e| e.iter().rev().find(|e| e["type"] == "ticket.triaged"))
        .cloned()
        .expect("a ticket.triaged event")
}

/// A grade below I (no fast track) other than `not`.
fn other_grade(not: &Value) -> &'static str {
    if not == "III" { "II" } else { "III" }
}

#[actix_web::test]
async fn an_override_of_the_proposal_is_recorded_with_the_proposal_kept() {
    let app = spawn_app().await;
    let d = app.token("dispatcher", None).await;
    let guide = hotline_dispatch::domain::catalog::Catalog::from_toml(
        hotline_dispatch::domain::catalog::BUILTIN_CATALOG,
        "catalog.toml",
    )
    .expect("guide");

    // Category and grade both changed: the dispatcher picks the second alternative.
    let t0 = unclassified(&app, &d, "T-1").await;
    let suggestion = t0["triage"]["suggestion"].clone();
    let alternatives = suggestion["alternatives"].as_array().expect("alternatives");
    assert!(alternatives.len() >= 2, "{suggestion}");
    assert_eq!(alternatives[0][0], suggestion["category"], "best first");
    let picked = alternatives[1][0].as_str().expect("code").to_owned();
    let grade = other_grade(&t0["urgency"]);
    let id = t0["id"].as_str().expect("id");
    let (s, t) = app
        .post(
            &format!("/tickets/{id}/triage"),
            &d,
            json!({ "category": picked, "urgency": grade }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let lead = guide.get(&picked).expect("picked category").lead_department;
    assert_eq!(
        (&t["category"], &t["urgency"], &t["department"]),
        (&json!(picked), &json!(grade), &json!(lead.as_str()))
    );
    assert_eq!(t["triage"]["confirmed"], true);
    assert_eq!(t["triage"]["overridden"], true, "{t}");
    assert_eq!(t["triage"]["urgency_from_default"], false);
    assert_eq!(
        t["triage"]["suggestion"], suggestion,
        "the proposal is kept"
    );
    let e = triaged_event(&app, &d, id).await;
    assert_eq!(
        (&e["data"]["category"], &e["data"]["urgency"]),
        (&json!(picked), &json!(grade))
    );
    assert_eq!(e["data"]["overridden"], true, "{e}");
    assert_eq!(e["by_role"], "dispatcher");

    // The category confirmed as proposed, the grade changed: still an override.
    let t1 = unclassified(&app, &d, "T-2").await;
    let id = t1["id"].as_str().expect("id");
    let grade = other_grade(&t1["urgency"]);
    let (s, t) = app
        .post(
            &format!("/tickets/{id}/triage"),
            &d,
            json!({ "category": t1["category"], "urgency": grade }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(
        (&t["category"], &t["urgency"]),
        (&t1["category"], &json!(grade))
    );
    assert_eq!(t["triage"]["overridden"], true, "{t}");
    let e = triaged_event(&app, &d, id).await;
    assert_eq!(e["data"]["overridden"], true, "{e}");
    assert_eq!(e["data"]["urgency"], grade);

    // Both as proposed: confirmed, no override.
    let t2 = unclassified(&app, &d, "T-3").await;
    let id = t2["id"].as_str().expect("id");
    let (s, t) = app
        .post(
            &format!("/tickets/{id}/triage"),
            &d,
            json!({ "category": t2["category"], "urgency": t2["urgency"] }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["triage"]["overridden"], false, "{t}");
    assert_eq!(
        triaged_event(&app, &d, id).await["data"]["overridden"],
        false
    );
    app.stop().await;
}
