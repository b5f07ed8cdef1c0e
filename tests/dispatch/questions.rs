//! Questions over HTTP: a citizen's licensing question, filed as a consultation, is
//! proposed as a licensing question, confirmed straight to the reply and never offered to
//! a vehicle; a report put as a question ("隔壁店卖假烟怎么举报") stays a report and is
//! offered to the nearest vehicle once triaged.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{SITE, fleet, on_duty};
use crate::common::TestApp;
use crate::common::spawn_app;

fn question(ext: &str, text: &str) -> Value {
    json!({
        "source": "12313", "external_id": ext, "kind": "consultation",
        "description": text,
        "address_text": "梅川镇正街18号",
        "location": { "lat": SITE.0, "lng": SITE.1 },
    })
}

async fn offers(app: &TestApp, token: &str, id: &str) -> usize {
    let (s, events) = app.get(&format!("/tickets/{id}/events"), token).await;
    assert_eq!(s, StatusCode::OK, "{events}");
    events
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["type"].as_str().is_some_and(|t| t.starts_with("offer.")))
        .count()
}

#[actix_web::test]
async fn a_licensing_question_is_answered_directly_and_a_question_form_report_goes_on_site() {
    let app = spawn_app().await;
    let tokens = fleet(&app, 1).await;
    let d = app.token("dispatcher", Some("console-1")).await;
    let mut v1 = on_duty(&app, &tokens[0], SITE.0 + 0.01, SITE.1).await;

    // How to apply for a licence: a licensing question, answered by the licence office.
    let (s, t) = app
        .post(
            "/tickets",
            &d,
            question("Q-1", "请问办烟草零售许可证需要什么材料"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let sug = &t["triage"]["suggestion"];
    assert_eq!(sug["category"], "licence_consultation", "{t}");
    assert_eq!(sug["question"], true, "{sug}");
    assert_eq!(sug["urgency"], "IV");
    assert!(sug["confidence"].as_f64().is_some_and(|c| c < 1.0), "{sug}");
    assert!(
        sug["why"].as_array().is_some_and(|w| !w.is_empty()),
        "{sug}"
    );
    assert_eq!(t["status"], "received");
    let id = t["id"].as_str().expect("id").to_owned();
    let (s, t) = app
        .post(&format!("/tickets/{id}/triage"), &d, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["status"], "replying", "straight to the answer: {t}");
    assert_eq!(t["department"], "enforcement");
    let (s, refused) = app
        .post(&format!("/tickets/{id}/dispatch"), &d, json!({}))
        .await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "no vehicle for a ticket being answered: {refused}"
    );
    assert_eq!(offers(&app, &d, &id).await, 0, "no vehicle was offered it");
    let (s, t) = app
        .post(
            &format!("/tickets/{id}/reply"),
            &d,
            json!({ "text": "您好，办理烟草专卖零售许可证需携带身份证、营业执照和经营场所证明到政务服务中心烟草窗口申请。" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["status"], "awaiting_visit");

    // A report put as a question: still fakes at a shop, sent on site.
    let (s, t) = app
        .post(
            "/tickets",
            &d,
            question("Q-2", "我想问一下，隔壁店卖假烟怎么举报"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let sug = &t["triage"]["suggestion"];
    assert_eq!(sug["category"], "counterfeit", "{t}");
    assert!(sug.get("question").is_none_or(|q| q == false), "{sug}");
    let id = t["id"].as_str().expect("id").to_owned();
    let (s, t) = app
        .post(&format!("/tickets/{id}/triage"), &d, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["status"], "triaged", "{t}");
    // Tests offer grade II explicitly (`auto_offer_grades` is I here).
    let (s, t) = app
        .post(&format!("/tickets/{id}/dispatch"), &d, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let offer = v1.next_of("offer").await;
    assert_eq!(offer["ticket"]["id"], id.as_str());
    assert_eq!(offers(&app, &d, &id).await, 1);
    app.stop().await;
}
