//! Services and submissions: what a platform posts becomes a ticket through the engine's
//! intake; anything wrong is refused in the spec's error form and registers nothing.

use reqwest::StatusCode;

use super::{
    NAME_FIRST, NAME_LAST, PHONE, canary_fields, get, post_form, submit_ok, ticket_by_number,
    ticket_count,
};
use crate::common::spawn_app;

#[actix_web::test]
async fn services_are_the_guides_categories_and_unknown_definitions_are_404() {
    let app = spawn_app().await;
    let (status, body) = get(&app, "/services.json").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let list = body.as_array().expect("array");
    let guide = hotline_dispatch::domain::catalog::Catalog::from_toml(
        hotline_dispatch::domain::catalog::BUILTIN_CATALOG,
        "catalog.toml",
    )
    .expect("guide");
    assert_eq!(list.len(), guide.categories().len(), "{body}");
    assert!(
        list.iter()
            .any(|s| s["service_code"] == "licence_consultation"),
        "{body}"
    );
    let fake = list
        .iter()
        .find(|s| s["service_code"] == "counterfeit")
        .expect("counterfeit");
    assert_eq!(fake["metadata"], false);
    assert_eq!(fake["type"], "realtime");
    assert_eq!(fake["group"], "专卖");
    assert!(fake["service_name"].as_str().is_some_and(|n| !n.is_ascii()));

    let (status, body) = get(&app, "/services/counterfeit.json").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["service_code"], "counterfeit");
    assert_eq!(body["attributes"], serde_json::json!([]));

    let (status, body) = get(&app, "/services/no_such.json").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body[0]["code"], 404, "{body}");
    assert!(body[0]["description"].is_string());

    // The routes are in the served OpenAPI document.
    let (status, doc) = crate::common::send(
        &app.client,
        app.client.get(format!("{}/openapi.json", app.base)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/open311/v2/services.json",
        "/open311/v2/services/{code}.json",
        "/open311/v2/requests.json",
        "/open311/v2/requests/{id}.json",
        "/open311/v2/tokens/{token}.json",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} not documented");
    }
    assert!(doc["paths"]["/open311/v2/requests.json"]["post"].is_object());
    app.stop().await;
}

#[actix_web::test]
async fn a_submission_is_a_ticket_the_dispatcher_sees_with_its_reporter() {
    let app = spawn_app().await;
    let platform = app.token("platform", None).await;
    let dispatcher = app.token("dispatcher", None).await;
    let (status, body) = post_form(&app, &canary_fields(&platform, "counterfeit")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body[0]["service_request_id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert!(id.starts_with("WX-2026-"), "{id}");
    assert!(body[0]["account_id"].is_null());
    assert!(
        body[0]["service_notice"]
            .as_str()
            .is_some_and(|n| n.contains(&id))
    );

    let t = ticket_by_number(&app, &dispatcher, &id).await;
    assert_eq!(t["source"], "open311");
    assert_eq!(t["category"], "counterfeit");
    assert_eq!(t["kind"], "report");
    assert_eq!(t["reporter"]["name"], format!("{NAME_LAST}{NAME_FIRST}"));
    assert_eq!(t["reporter"]["phone"], PHONE);
    assert_eq!(t["location"]["address_text"], "梅川镇正街18号");
    assert_eq!(t["location"]["position"]["lat"], 30.02);
    assert_eq!(t["location"]["position"]["lng"], 115.585);
    assert!(t["description"].as_str().is_some_and(|d| d.contains(PHONE)));

    // Without the (non-standard) external id every submission is new; with one, a repeat
    // answers 200 with the same request.
    let again = submit_ok(&app, &canary_fields(&platform, "counterfeit")).await;
    assert_ne!(again, id);
    let mut keyed = canary_fields(&platform, "late_delivery");
    keyed.push(("external_id", "app-42"));
    let first = submit_ok(&app, &keyed).await;
    let (status, body) = post_form(&app, &keyed).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body[0]["service_request_id"], first);
    assert_eq!(ticket_count(&app, &dispatcher).await, 3);
    app.stop().await;
}

#[actix_web::test]
async fn bad_keys_and_bad_fields_are_refused_and_register_nothing() {
    let app = spawn_app().await;
    let platform = app.token("platform", None).await;
    let dispatcher = app.token("dispatcher", None).await;

    // Not a key, a key of another role, no key at all: 403.
    for key in ["nope", dispatcher.as_str(), ""] {
        let (status, body) = post_form(&app, &canary_fields(key, "counterfeit")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{key}: {body}");
        assert_eq!(body[0]["code"], 403, "{body}");
    }

    let without = |name: &str| -> Vec<(&str, &str)> {
        canary_fields(&platform, "counterfeit")
            .into_iter()
            .filter(|(k, _)| *k != name)
            .collect()
    };
    let replaced = |name: &'static str, value: &'static str| -> Vec<(&str, &str)> {
        let mut f = without(name);
        f.push((name, value));
        f
    };
    let long_description = "假".repeat(4001);
    let mut too_long = without("description");
    too_long.push(("description", &long_description));
    let no_location: Vec<(&str, &str)> = canary_fields(&platform, "counterfeit")
        .into_iter()
        .filter(|(k, _)| !["lat", "long", "address_string"].contains(k))
        .collect();
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("missing service_code", without("service_code")),
        ("unknown service_code", replaced("service_code", "no_such")),
        ("no location", no_location),
        (
            "lat alone",
            without("long")
                .into_iter()
                .filter(|(k, _)| *k != "address_string")
                .collect(),
        ),
        ("lat out of range", replaced("lat", "95")),
        ("lat not a number", replaced("lat", "north")),
        ("phone with letters", replaced("phone", "138abc")),
        ("description too long", too_long),
    ];
    for (what, fields) in cases {
        let (status, body) = post_form(&app, &fields).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
        assert_eq!(body[0]["code"], 400, "{what}: {body}");
        assert!(body[0]["description"].is_string(), "{what}: {body}");
    }

    // JSON is not the spec's encoding.
    let (status, body) = crate::common::send(
        &app.client,
        app.client
            .post(super::url(&app, "/requests.json"))
            .json(&serde_json::json!({ "api_key": platform, "service_code": "counterfeit" })),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(ticket_count(&app, &dispatcher).await, 0);

    // A location by address alone or by a licence (address_id) is enough.
    let mut by_address = no_location_fields(&platform);
    by_address.push(("address_string", "梅川镇正街18号"));
    submit_ok(&app, &by_address).await;
    let mut by_licence = no_location_fields(&platform);
    by_licence.push(("address_id", "421182100123"));
    submit_ok(&app, &by_licence).await;
    assert_eq!(ticket_count(&app, &dispatcher).await, 2);
    app.stop().await;
}

fn no_location_fields(platform: &str) -> Vec<(&str, &str)> {
    canary_fields(platform, "counterfeit")
        .into_iter()
        .filter(|(k, _)| !["lat", "long", "address_string"].contains(k))
        .collect()
}
