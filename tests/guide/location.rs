//! Location resolution at intake against the retailer registry, confirmation at triage,
//! and the retailer's own inspector's squad preferred within the ETA margin (more on that
//! in `own_team.rs`); a licence the registry does not hold is kept for the dispatcher and
//! the text is matched instead.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{ADMIN, TestApp, send, spawn_app};
use crate::dispatch::on_duty;

const CSV: &str = "licence,name,owner,address,town,lat,lng,market_inspector,account_manager
421182100001,梅川镇老李烟酒店,李某甲,梅川镇正街18号,梅川镇,30.0200,115.5850,S-2,
421182100002,梅川镇兴旺超市,王某乙,梅川镇新街3号,梅川镇,30.0300,115.5900,S-1,
421182100003,余川镇兴旺副食店,张某丙,余川镇老街9号,余川镇,30.0650,115.6400,,
";

#[actix_web::test]
async fn intake_finds_the_shop_and_dispatch_prefers_its_inspectors_squad() {
    let app = spawn_app().await;
    let import = app
        .client
        .post(app.url("/retailers/import"))
        .bearer_auth(ADMIN)
        .header("content-type", "text/csv")
        .body(CSV);
    let (s, b) = send(&app.client, import).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    for (team, staff, vehicle) in [("T-1", "S-1", "V-1"), ("T-2", "S-2", "V-2")] {
        app.post(
            "/teams",
            ADMIN,
            json!({ "id": team, "name": team, "department": "enforcement" }),
        )
        .await;
        app.post("/staff", ADMIN, json!({ "id": staff, "name": "市管员", "role": "inspector", "department": "enforcement", "team_id": team, "badge": staff })).await;
        let (s, b) = app.post("/vehicles", ADMIN, json!({ "id": vehicle, "plate": vehicle, "team_id": team, "department": "enforcement", "crew": [staff] })).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let d = app.token("dispatcher", None).await;

    // The shop is named in the text: the ticket knows the retailer and its position.
    let body = json!({ "source": "12313", "external_id": "L-1", "kind": "report", "category": "counterfeit",
        "description": "梅川镇老李烟酒店在卖假中华，包装很粗糙" });
    let (s, t) = app.post("/tickets", &d, body).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(t["location"]["retailer_licence"], "421182100001");
    assert_eq!(t["location"]["position"]["lat"], 30.02);
    let id = t["id"].as_str().expect("id").to_owned();

    // Vague: candidates for the dispatcher, confirmed at triage.
    let body = json!({ "source": "12313", "external_id": "L-2", "kind": "report", "category": "counterfeit",
        "description": "兴旺那家店好像卖假烟" });
    let (_, vague) = app.post("/tickets", &d, body).await;
    assert!(vague["location"]["retailer_licence"].is_null());
    let names: Vec<&str> = vague["retailer_candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(
        names.contains(&"梅川镇兴旺超市") && names.contains(&"余川镇兴旺副食店"),
        "{names:?}"
    );
    let vid = vague["id"].as_str().expect("id");
    let (s, t) = app
        .post(
            &format!("/tickets/{vid}/triage"),
            &d,
            json!({ "retailer_licence": "421182100003" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(t["location"]["position"]["lat"], 30.065);
    assert_eq!(t["retailer_candidates"], json!([]));
    let (s, b) = app
        .post(
            &format!("/tickets/{vid}/triage"),
            &d,
            json!({ "retailer_licence": "999" }),
        )
        .await;
    assert_eq!(
        (s, b["code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("unknown_retailer"))
    );

    // V-1 is nearest (1.1 km); V-2 is the shop's inspector's squad, 2.2 km: within the
    // 300 s margin, so it is offered first.
    let t1 = app.token("field", Some("V-1")).await;
    let t2 = app.token("field", Some("V-2")).await;
    let mut v1 = on_duty(&app, &t1, 30.03, 115.585).await;
    let mut v2 = on_duty(&app, &t2, 30.04, 115.585).await;
    let (s, _) = app
        .post(&format!("/tickets/{id}/triage"), &d, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = app
        .post(&format!("/tickets/{id}/dispatch"), &d, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let offer = v2.next_of("offer").await;
    assert_eq!(offer["ticket"]["id"], id.as_str());
    v1.sync().await;
    app.stop().await;
}

async fn import_registry(app: &TestApp) {
    let import = app
        .client
        .post(app.url("/retailers/import"))
        .bearer_auth(ADMIN)
        .header("content-type", "text/csv")
        .body(CSV);
    let (s, b) = send(&app.client, import).await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

fn report(ext: &str, licence: &str, description: &str) -> serde_json::Value {
    json!({ "source": "12313", "external_id": ext, "kind": "report", "category": "counterfeit",
        "retailer_licence": licence, "description": description })
}

#[actix_web::test]
async fn an_intake_licence_is_trimmed_and_a_blank_one_is_refused() {
    let app = spawn_app().await;
    import_registry(&app).await;
    let d = app.token("dispatcher", None).await;

    for blank in ["", "   "] {
        let (s, b) = app
            .post("/tickets", &d, report("B-1", blank, "有店卖假烟"))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(b["code"], "blank_retailer_licence", "{b}");
    }
    let (_, list) = app.get("/tickets", &d).await;
    assert_eq!(
        list["items"].as_array().map(Vec::len),
        Some(0),
        "nothing filed"
    );

    let (s, t) = app
        .post(
            "/tickets",
            &d,
            report("B-2", " 421182100002\t", "有店卖假烟"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["location"]["retailer_licence"], "421182100002");
    assert_eq!(t["location"]["position"]["lat"], 30.03);
    assert!(t["location"]["reported_licence"].is_null(), "{t}");

    // Triage trims too, and refuses a blank licence.
    let id = t["id"].as_str().expect("id");
    let (s, b) = app
        .post(
            &format!("/tickets/{id}/triage"),
            &d,
            json!({ "retailer_licence": "  " }),
        )
        .await;
    assert_eq!(
        (s, b["code"].clone()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!("blank_retailer_licence")
        )
    );
    let (s, t) = app
        .post(
            &format!("/tickets/{id}/triage"),
            &d,
            json!({ "retailer_licence": " 421182100001 " }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["location"]["retailer_licence"], "421182100001");
    app.stop().await;
}

#[actix_web::test]
async fn an_unknown_intake_licence_is_kept_for_the_dispatcher_and_the_text_is_matched() {
    let app = spawn_app().await;
    import_registry(&app).await;
    let d = app.token("dispatcher", None).await;
    let platform = app.token("platform", None).await;

    // The shop is named in the text: matched as if no licence had been sent.
    let (s, t) = app
        .post(
            "/tickets",
            &platform,
            report(
                "U-1",
                "421182199999",
                "梅川镇老李烟酒店在卖假中华，包装很粗糙",
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_str().expect("id").to_owned();
    let (_, t) = app.get(&format!("/tickets/{id}"), &d).await;
    assert_eq!(t["location"]["reported_licence"], "421182199999", "{t}");
    assert_eq!(t["location"]["retailer_licence"], "421182100001", "{t}");
    assert_eq!(t["location"]["position"]["lat"], 30.02);

    // Vague: the candidates are offered, the platform's licence stays visible.
    let (s, t) = app
        .post(
            "/tickets",
            &platform,
            report("U-2", " 42118210000X ", "兴旺那家店好像卖假烟"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_str().expect("id").to_owned();
    let (_, t) = app.get(&format!("/tickets/{id}"), &d).await;
    assert_eq!(t["location"]["reported_licence"], "42118210000X", "{t}");
    assert!(t["location"]["retailer_licence"].is_null(), "{t}");
    assert!(t["location"]["position"].is_null(), "{t}");
    let names: Vec<&str> = t["retailer_candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(names.contains(&"梅川镇兴旺超市"), "{names:?}");
    // A second report naming the same licence is linked to it as a possible duplicate.
    let (s, again) = app
        .post(
            "/tickets",
            &platform,
            report("U-3", "42118210000X", "那家店还在卖假烟"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{again}");
    assert_eq!(again["possible_duplicate_of"], id.as_str(), "{again}");

    // The dispatcher confirms a registry shop; what the platform sent is still on record.
    let (s, t) = app
        .post(
            &format!("/tickets/{id}/triage"),
            &d,
            json!({ "retailer_licence": "421182100002" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["location"]["retailer_licence"], "421182100002");
    assert_eq!(t["location"]["reported_licence"], "42118210000X");
    assert_eq!(t["retailer_candidates"], json!([]));
    app.stop().await;
}
