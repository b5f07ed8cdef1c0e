//! The routes behind the pages, over HTTP: the embedded pages and assets (types, caching,
//! 304, 404), the map layers (grid GeoJSON for any token, retailers by bounding box for
//! staff) and the stats trend.

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use serde_json::Value;

use crate::common::{intake, send, spawn_app};

fn header(res: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

#[actix_web::test]
async fn the_field_page_is_installable() {
    let app = spawn_app().await;
    let c = reqwest::Client::new();
    let manifest = c
        .get(format!("{}/field.webmanifest", app.base))
        .send()
        .await
        .expect("get");
    assert_eq!(manifest.status(), StatusCode::OK);
    assert_eq!(header(&manifest, CONTENT_TYPE), "application/manifest+json");
    let m: Value = manifest.json().await.expect("json");
    assert_eq!(m["start_url"], "/field");
    assert_eq!(m["scope"], "/field");
    for icon in m["icons"].as_array().expect("icons") {
        let src = icon["src"].as_str().expect("src");
        let res = c
            .get(format!("{}{src}", app.base))
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), StatusCode::OK, "{src}");
    }
    let worker = c
        .get(format!("{}/field-sw.js", app.base))
        .send()
        .await
        .expect("get");
    assert_eq!(worker.status(), StatusCode::OK);
    assert_eq!(
        header(&worker, CONTENT_TYPE),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(
        header(&worker, CACHE_CONTROL),
        "no-cache",
        "always revalidated"
    );
    let text = worker.text().await.expect("body");
    let version = text
        .split("const VERSION = '")
        .nth(1)
        .and_then(|v| v.split('\'').next())
        .expect("a version");
    assert_eq!(version.len(), 16, "{version}");
    // Every file it keeps is served.
    let shell: Vec<String> = serde_json::from_str(
        text.split("const SHELL = ")
            .nth(1)
            .and_then(|v| v.split(";\n").next())
            .expect("a shell"),
    )
    .expect("a JSON list");
    assert!(shell.contains(&"/field".to_owned()));
    for path in &shell {
        let res = c
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), StatusCode::OK, "{path}");
    }
    // It never keeps an API answer.
    assert!(
        shell
            .iter()
            .all(|p| !p.starts_with("/api/") && !p.starts_with("/ws/"))
    );
    app.stop().await;
}

#[actix_web::test]
async fn pages_and_assets_are_served_from_the_binary() {
    let app = spawn_app().await;
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for page in ["/console", "/board", "/stats", "/field", "/console/"] {
        let res = c
            .get(format!("{}{page}", app.base))
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), StatusCode::OK, "{page}");
        assert_eq!(header(&res, CONTENT_TYPE), "text/html; charset=utf-8");
        assert_eq!(header(&res, CACHE_CONTROL), "no-cache");
        assert!(header(&res, CONTENT_SECURITY_POLICY).contains("default-src 'self'"));
        let body = res.text().await.expect("body");
        assert!(
            body.contains("lang=\"zh-CN\""),
            "{page} is Chinese by default"
        );
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "{page} loads nothing from elsewhere"
        );
    }
    let js = c
        .get(format!("{}/assets/js/console.js", app.base))
        .send()
        .await
        .expect("get");
    assert_eq!(js.status(), StatusCode::OK);
    assert_eq!(header(&js, CONTENT_TYPE), "text/javascript; charset=utf-8");
    let etag = header(&js, ETAG);
    assert!(etag.starts_with('"'), "an ETag: {etag}");
    let again = c
        .get(format!("{}/assets/js/console.js", app.base))
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .expect("get");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let leaflet = c
        .get(format!("{}/assets/vendor/leaflet/leaflet.js", app.base))
        .send()
        .await
        .expect("get");
    assert_eq!(leaflet.status(), StatusCode::OK);
    assert!(header(&leaflet, CACHE_CONTROL).contains("max-age=86400"));
    let png = c
        .get(format!(
            "{}/assets/vendor/leaflet/images/layers.png",
            app.base
        ))
        .send()
        .await
        .expect("get");
    assert_eq!(header(&png, CONTENT_TYPE), "image/png");
    let (s, body) = send(&c, c.get(format!("{}/assets/js/nope.js", app.base))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "not_found");
    let (s, _) = send(&c, c.get(format!("{}/assets/../Cargo.toml", app.base))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let head = c
        .head(format!("{}/board", app.base))
        .send()
        .await
        .expect("head");
    assert_eq!(head.status(), StatusCode::OK, "HEAD for monitors");
    let root = c.get(format!("{}/", app.base)).send().await.expect("get");
    assert_eq!(root.status(), StatusCode::FOUND);
    assert_eq!(header(&root, reqwest::header::LOCATION), "/console");
    app.stop().await;
}

fn kinds(geo: &Value, kind: &str) -> usize {
    geo["features"]
        .as_array()
        .expect("features")
        .iter()
        .filter(|f| f["properties"]["kind"] == kind)
        .count()
}

#[actix_web::test]
async fn the_grid_is_geojson_for_any_token_and_checks_its_resolution() {
    let app = spawn_app().await;
    let board = app.token("board", None).await;
    let (s, body) = send(&app.client, app.client.get(app.url("/map/grid"))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    let (s, geo) = app.get("/map/grid?res=7", &board).await;
    assert_eq!(s, StatusCode::OK, "{geo}");
    assert_eq!(geo["type"], "FeatureCollection");
    assert_eq!(geo["approximate"], true);
    assert_eq!(kinds(&geo, "county"), 1);
    assert_eq!(kinds(&geo, "town"), 12);
    let cells = kinds(&geo, "cell");
    assert_eq!(geo["cells"], cells);
    assert!((150..600).contains(&cells), "{cells} res-7 cells");
    let (_, coarse) = app.get("/map/grid?res=6", &board).await;
    assert!(
        kinds(&coarse, "cell") < cells / 4,
        "coarser grid, fewer cells"
    );
    for bad in ["/map/grid?res=9", "/map/grid?res=4", "/map/grid?res=x"] {
        let (s, e) = app.get(bad, &board).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {e}");
        assert_eq!(e["code"], "malformed");
    }
    app.stop().await;
}

#[actix_web::test]
async fn retailers_come_by_bounding_box_to_staff_only() {
    let app = spawn_app().await;
    let d = app.token("dispatcher", None).await;
    let board = app.token("board", None).await;
    let csv = "licence,name,owner,address,town,lat,lng,market_inspector,account_manager\n\
               421182101001,玉湖烟酒店,业主甲,武穴街道玉湖路1号,武穴街道,29.8415,115.5626,,\n\
               421182101002,滨江副食店,业主乙,武穴街道滨江路2号,武穴街道,29.8357,115.5555,,\n\
               421182501001,梅川商店,业主丙,梅川镇正街3号,梅川镇,30.0200,115.5850,,\n";
    app.engine
        .retailers
        .import(csv.as_bytes().to_vec(), &app.engine.roster)
        .await
        .expect("import");
    let (s, page) = app
        .get("/map/retailers?bbox=115.55,29.83,115.57,29.85", &d)
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(page["total"], 2);
    assert_eq!(page["truncated"], false);
    assert_eq!(page["items"][0]["licence"], "421182101001");
    assert!(
        page["items"][0].get("owner").is_none(),
        "no owner on the map"
    );
    let (_, one) = app
        .get("/map/retailers?bbox=115.55,29.83,115.57,29.85&limit=1", &d)
        .await;
    assert_eq!(one["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(one["truncated"], true);
    let (s, _) = app
        .get("/map/retailers?bbox=115.55,29.83,115.57,29.85", &board)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for bad in [
        "/map/retailers",
        "/map/retailers?bbox=1,2,3",
        "/map/retailers?bbox=115.6,29.8,115.5,29.9",
        "/map/retailers?bbox=a,b,c,d",
        "/map/retailers?bbox=115.5,29.8,115.6,91",
        "/map/retailers?bbox=115.5,29.8,115.6,29.9&limit=0",
    ] {
        let (s, e) = app.get(bad, &d).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {e}");
    }
    app.stop().await;
}

#[actix_web::test]
async fn the_trend_lists_every_bucket_as_json_and_csv() {
    let app = spawn_app().await;
    let d = app.token("dispatcher", None).await;
    for i in 0..3 {
        let (s, b) = app
            .post(
                "/tickets",
                &d,
                intake(
                    &format!("TR-{i}"),
                    Some("order_consultation"),
                    "consultation",
                ),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    // The clock reads 2026-11-27T08:00Z (16:00 local); three local days up to the 29th.
    let q = "from=2026-11-26T16:00:00Z&to=2026-11-29T16:00:00Z";
    let (s, rows) = app.get(&format!("/stats/trend?{q}"), &d).await;
    assert_eq!(s, StatusCode::OK, "{rows}");
    let rows = rows.as_array().expect("rows").clone();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["label"], "2026-11-27");
    assert_eq!(rows[0]["received"], 3);
    assert_eq!(rows[1]["received"], 0);
    let (_, weeks) = app.get(&format!("/stats/trend?{q}&bucket=week"), &d).await;
    // Friday the 27th to Monday the 30th: one week, from Monday the 23rd.
    assert_eq!(weeks.as_array().map(Vec::len), Some(1), "{weeks}");
    assert_eq!(weeks[0]["label"], "2026-11-23");
    let res = app
        .client
        .get(app.url(&format!("/stats/trend?{q}&format=csv")))
        .bearer_auth(&d)
        .send()
        .await
        .expect("csv");
    assert_eq!(header(&res, CONTENT_TYPE), "text/csv; charset=utf-8");
    let text = res.text().await.expect("body");
    assert!(text.starts_with("\u{feff}start,label,received,answered"));
    assert_eq!(text.lines().count(), 4);
    let (s, rows) = app.get("/stats/trend", &d).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        rows.as_array().map(Vec::len),
        Some(31),
        "default: the 30 days before now, by local day"
    );
    for bad in [
        format!("/stats/trend?{q}&bucket=month"),
        "/stats/trend?from=2026-11-28T00:00:00Z&to=2026-11-27T00:00:00Z".to_owned(),
        "/stats/trend?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z".to_owned(),
        "/stats/trend?from=yesterday".to_owned(),
    ] {
        let (s, e) = app.get(&bad, &d).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {e}");
    }
    let field = app.token("board", None).await;
    let (s, _) = app.get(&format!("/stats/trend?{q}"), &field).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    app.stop().await;
}
