//! The retailer registry over HTTP: a file with bad rows imports nothing and lists every
//! bad row with its line; the demo registry imports and is found by fuzzy search; roles;
//! re-import replaces; size and media-type limits; the registry reloads from the store;
//! rows naming staff who are not on the roster are imported with a warning each.

#![allow(clippy::unwrap_used, reason = "tests")]

use std::sync::Arc;

use hotline_dispatch::retailers::RetailerBook;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::common::{ADMIN, Answer, TestApp, send, spawn_app, spawn_app_with};

const HEADER: &str = "licence,name,owner,address,town,lat,lng,market_inspector,account_manager\n";

async fn import(app: &TestApp, token: &str, content_type: &str, body: Vec<u8>) -> Answer {
    let req = app
        .client
        .post(app.url("/retailers/import"))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body);
    send(&app.client, req).await
}

async fn import_csv(app: &TestApp, csv: &str) -> Answer {
    import(
        app,
        ADMIN,
        "text/csv; charset=utf-8",
        csv.as_bytes().to_vec(),
    )
    .await
}

fn demo_csv() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/demo/retailers.csv"
    ))
    .unwrap()
}

fn search_path(q: &str, limit: Option<usize>) -> String {
    let q: String = crate::common::url_encode(q);
    match limit {
        Some(l) => format!("/retailers/search?q={q}&limit={l}"),
        None => format!("/retailers/search?q={q}"),
    }
}

#[actix_web::test]
async fn a_file_with_bad_rows_imports_nothing_and_lists_every_bad_row() {
    let app = spawn_app().await;
    let csv = format!(
        "{HEADER}\
         421182105001,梅川镇老李烟酒店,李某,梅川镇正街18号,梅川镇,30.02,115.585,S-001,S-005\n\
         421182105002,梅川镇兴旺超市,王某,梅川镇正街20号,火星镇,30.02,115.585,,\n\
         421182105001,重复的店,张某,梅川镇新街1号,梅川镇,30.02,115.585,,\n\
         421182105004,,赵某,梅川镇新街2号,梅川镇,north,115.585,,\n\
         421182105005,远方小店,钱某,北京,梅川镇,39.9,116.4,,\n"
    );
    let (status, body) = import_csv(&app, &csv).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "bad_rows");
    let rows = body["details"]["rows"].as_array().unwrap();
    let got: Vec<(u64, &str)> = rows
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        vec![
            (3, "town"),
            (4, "licence"),
            (5, "lat"),
            (5, "name"),
            (6, "lat"),
            (6, "lng")
        ],
        "{body}"
    );
    assert_eq!(body["details"]["total"], 6);
    assert!(
        rows.iter()
            .all(|r| !r["message"].as_str().unwrap().is_empty())
    );
    // Nothing was imported, not even the good first row.
    let (status, _) = app.get("/retailers/421182105001", ADMIN).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, found) = app.get(&search_path("老李烟酒店", None), ADMIN).await;
    assert_eq!(found["hits"], Value::Array(vec![]));
    assert!(app.engine.retailers.is_empty());
    app.stop().await;
}

#[actix_web::test]
async fn rows_naming_unknown_staff_are_imported_with_warnings() {
    let app = spawn_app().await;
    let (s, b) = app
        .post(
            "/teams",
            ADMIN,
            serde_json::json!({ "id": "T-1", "name": "一中队", "department": "enforcement" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let staff = serde_json::json!({ "id": "S-001", "name": "市管员", "role": "inspector",
        "department": "enforcement", "team_id": "T-1", "badge": "ZM-1" });
    let (s, b) = app.post("/staff", ADMIN, staff).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let csv = format!(
        "{HEADER}\
         421182105001,梅川镇老李烟酒店,李某,梅川镇正街18号,梅川镇,30.02,115.585,S-001,S-404\n\
         421182105002,梅川镇兴旺超市,王某,梅川镇正街20号,梅川镇,30.02,115.585,S-999,\n\
         421182105003,梅川镇便民店,赵某,梅川镇新街2号,梅川镇,30.02,115.585,S-001,\n"
    );
    let (status, body) = import_csv(&app, &csv).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["imported"], 3);
    assert_eq!(body["warnings_total"], 2);
    let warnings: Vec<(u64, &str, &str, &str)> = body["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["line"].as_u64().unwrap(),
                w["licence"].as_str().unwrap(),
                w["field"].as_str().unwrap(),
                w["staff_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        warnings,
        [
            (2, "421182105001", "account_manager", "S-404"),
            (3, "421182105002", "market_inspector", "S-999"),
        ],
        "{body}"
    );
    assert!(
        body["warnings"][1]["message"]
            .as_str()
            .unwrap()
            .contains("own-team preference"),
        "{body}"
    );
    // Imported all the same, with the staff ids as given.
    let (status, one) = app.get("/retailers/421182105002", ADMIN).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(one["market_inspector"], "S-999");

    // A file whose staff are all known has no warnings.
    let known = format!(
        "{HEADER}421182105003,梅川镇便民店,赵某,梅川镇新街2号,梅川镇,30.02,115.585,S-001,\n"
    );
    let (status, body) = import_csv(&app, &known).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["warnings"], Value::Array(vec![]));
    assert_eq!(body["warnings_total"], 0);
    app.stop().await;
}

#[actix_web::test]
async fn the_demo_registry_imports_and_is_found_by_fuzzy_search() {
    // The import route reads its own body with a 20 MB bound, whatever the global limit.
    let app = spawn_app_with(&[("APP__SERVER__MAX_BODY_BYTES", "4096")]).await;
    let csv = demo_csv();
    let rows = csv.lines().count() - 1;
    let (status, body) = import_csv(&app, &format!("\u{feff}{csv}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["imported"].as_u64(), Some(rows as u64));
    assert_eq!(body["replaced"], 0);

    let dispatcher = app.token("dispatcher", None).await;
    let line = csv.lines().nth(2).unwrap();
    let fields: Vec<&str> = line.split(',').collect();
    let (licence, name) = (fields[0], fields[1]);
    // Traditional characters and extra spaces still find it.
    let query = format!(" {} ", name.replace('烟', "煙").replace('镇', "鎮"));
    let (status, body) = app.get(&search_path(&query, Some(3)), &dispatcher).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let hits = body["hits"].as_array().unwrap();
    assert!(!hits.is_empty() && hits.len() <= 3, "{body}");
    assert_eq!(hits[0]["licence"], licence, "{body}");
    assert!(hits[0]["score"].as_f64().unwrap() > 0.8);
    for key in ["name", "address", "town", "owner"] {
        assert!(hits[0][key].is_string(), "{key} in {body}");
    }
    assert!(hits[0]["position"]["lat"].is_f64());

    let (status, one) = app.get(&format!("/retailers/{licence}"), &dispatcher).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(one["name"], name);
    assert!(one["owner"].as_str().unwrap().contains('某'));
    assert_eq!(
        one["market_inspector"]
            .as_str()
            .map(|s| s.starts_with("S-")),
        Some(true)
    );

    for bad in [
        search_path("", None),
        search_path(&"店".repeat(101), None),
        search_path("超市", Some(0)),
        search_path("超市", Some(51)),
        "/retailers/search".into(),
    ] {
        let (status, body) = app.get(&bad, &dispatcher).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    let (_, body) = app.get(&search_path("超市", Some(50)), &dispatcher).await;
    assert_eq!(body["hits"].as_array().unwrap().len(), 50);

    // A licence number, whole or its last digits as read off the wall, finds the shop.
    for q in [licence, &licence[licence.len() - 7..]] {
        let (_, body) = app.get(&search_path(q, Some(3)), &dispatcher).await;
        assert_eq!(body["hits"][0]["licence"], licence, "{q}: {body}");
    }

    // Intake's free-text matching finds it too, confidently.
    let town = fields[4].trim_end_matches("街道").trim_end_matches('镇');
    let text = format!("{town}的{}好像卖假烟", name);
    let found = app.engine.retailers.match_text(&text, "", 3);
    assert!(found.confident, "{text}: {found:?}");
    assert_eq!(found.candidates[0].0.licence().as_str(), licence);
    let vague = app.engine.retailers.match_text("有人在路边卖烟", "", 3);
    assert!(!vague.confident, "{vague:?}");

    // What was imported is durable: a registry loaded afresh from the store has it all.
    let reloaded = RetailerBook::load(Arc::clone(&app.engine.store)).unwrap();
    assert_eq!(reloaded.len(), rows);
    assert_eq!(reloaded.get(licence).unwrap().name(), name);
    app.stop().await;
}

#[actix_web::test]
async fn a_re_import_replaces_retailers_with_the_same_licence() {
    let app = spawn_app().await;
    let first = format!(
        "{HEADER}421182105001,梅川镇老李烟酒店,李某,梅川镇正街18号,梅川镇,30.02,115.585,,\n\
         421182105002,梅川镇兴旺超市,王某,梅川镇正街20号,梅川镇,30.021,115.586,,\n"
    );
    let (status, body) = import_csv(&app, &first).await;
    assert_eq!(
        (status, body["imported"].as_u64()),
        (StatusCode::OK, Some(2)),
        "{body}"
    );
    let second = format!(
        "{HEADER}421182105001,梅川镇老张便利店,张某,梅川镇新街3号,梅川镇,30.03,115.59,S-002,\n\
         421182105003,余川镇惠民超市,刘某,余川镇正街1号,余川镇,30.065,115.64,,\n"
    );
    let (status, body) = import_csv(&app, &second).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["imported"].as_u64(), body["replaced"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(app.engine.retailers.len(), 3);
    let (_, one) = app.get("/retailers/421182105001", ADMIN).await;
    assert_eq!(
        (one["name"].as_str(), one["market_inspector"].as_str()),
        (Some("梅川镇老张便利店"), Some("S-002"))
    );
    let (_, found) = app.get(&search_path("老张便利店", Some(1)), ADMIN).await;
    assert_eq!(found["hits"][0]["licence"], "421182105001");
    let (_, found) = app.get(&search_path("老李烟酒店", None), ADMIN).await;
    assert!(
        found["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["name"] != "梅川镇老李烟酒店"),
        "{found}"
    );
    app.stop().await;
}

#[actix_web::test]
async fn roles_media_type_and_size_are_checked() {
    let app = spawn_app().await;
    let csv = format!(
        "{HEADER}421182105001,梅川镇老李烟酒店,李某,梅川镇正街18号,梅川镇,30.02,115.585,,\n"
    );
    let routes = [
        (Method::POST, "/retailers/import"),
        (Method::GET, "/retailers/search?q=%E8%80%81%E6%9D%8E"),
        (Method::GET, "/retailers/421182105001"),
    ];
    for (method, path) in &routes {
        let req = app
            .client
            .request(method.clone(), app.url(path))
            .body(csv.clone());
        assert_eq!(
            send(&app.client, req).await.0,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
    for role in ["platform", "field", "board"] {
        let subject = (role == "field").then_some("S-1");
        if role == "field" {
            app.fleet().await;
        }
        let token = app.token(role, subject).await;
        for (method, path) in &routes {
            let req = app
                .client
                .request(method.clone(), app.url(path))
                .bearer_auth(&token)
                .header("content-type", "text/csv")
                .body(csv.clone());
            assert_eq!(
                send(&app.client, req).await.0,
                StatusCode::FORBIDDEN,
                "{role} {path}"
            );
        }
    }
    for role in ["dispatcher", "supervisor"] {
        let token = app.token(role, None).await;
        // A wrong role is 403 whatever the body.
        assert_eq!(
            import(&app, &token, "text/csv", b"garbage".to_vec())
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            app.get("/retailers/search?q=%E8%80%81%E6%9D%8E", &token)
                .await
                .0,
            StatusCode::OK
        );
        assert_eq!(
            app.get("/retailers/421182105001", &token).await.0,
            StatusCode::NOT_FOUND
        );
    }
    let (status, body) = import(&app, ADMIN, "application/json", csv.clone().into_bytes()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Some("unsupported_media_type")
        )
    );
    // Over 20 MB: refused as a whole.
    let huge = vec![b'x'; 20 * 1024 * 1024 + 1];
    let (status, body) = import(&app, ADMIN, "text/csv", huge).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large"))
    );
    let not_utf8 = [HEADER.as_bytes(), b"1,\xC0\xCF\xC0\xEE,a,b,c,1,2,,\n"].concat();
    let (status, body) = import(&app, ADMIN, "text/csv", not_utf8).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["details"]["rows"][0]["line"], 2, "{body}");
    assert!(app.engine.retailers.is_empty());
    let (_, spec) = send(
        &app.client,
        app.client.get(format!("{}/openapi.json", app.base)),
    )
    .await;
    for (path, method) in [
        ("/api/v1/retailers/import", "post"),
        ("/api/v1/retailers/search", "get"),
        ("/api/v1/retailers/{licence}", "get"),
    ] {
        assert!(
            spec["paths"][path][method].is_object(),
            "{path} in the OpenAPI document"
        );
    }
    app.stop().await;
}
