//! Chain of custody: the attaching event carries the hash, size, type, kind, who and when;
//! the on-site record and the report name files by hash (only files of this ticket), so the
//! timeline shows which bytes were on the report reviewed and approved. Who may read a
//! file: dispatchers, supervisors, the ticket's own field principals — never another
//! vehicle, the board, the platform, Open311.

use reqwest::StatusCode;

use super::*;
use crate::common::spawn_app;

fn full_sections() -> Value {
    json!({
        "facts": "举报属实", "onsite_findings": "查获假烟 20 条", "handling": "先行登记保存",
        "legal_basis": "《烟草专卖法》", "conclusion": "立案查处" })
}

#[actix_web::test]
async fn the_hash_is_in_the_event_the_record_and_the_report_as_reviewed_and_approved() {
    let app = spawn_app().await;
    let s = on_site(&app).await;
    // The vehicle's own position, from a GPS gateway: a few metres from where the photo
    // says it was taken.
    let gateway = app.token("platform", Some("gps-gateway")).await;
    let fix = json!([{ "vehicle_id": "V-1", "lat": 30.0203, "lng": 115.5851 }]);
    ok(&app, "/positions", &gateway, fix).await;
    for _ in 0..100 {
        let (_, live) = app.get("/vehicles/V-1/live", &s.dispatcher).await;
        if live.to_string().contains("30.0203") {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let jpeg = photo();
    let hash = sha256(&jpeg);
    let (status, up) = upload(
        &app,
        &s.id,
        &s.vehicle,
        &[kind("photo"), file("image/jpeg", &jpeg)],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{up}");
    assert_eq!(up["sha256"], hash);
    assert_eq!(up["size"], jpeg.len());
    assert_eq!(up["content_type"], "image/jpeg");
    assert_eq!(up["by_subject"], "vehicle:V-1");
    // What the photo says of itself: taken ~25 m from the site, a hint.
    let hint = &up["hint"];
    assert_eq!(hint["taken_at"], "2026-11-27T16:02:11", "{up}");
    let from_site = hint["from_site_m"]
        .as_f64()
        .expect("distance from the site");
    assert!((10.0..60.0).contains(&from_site), "{hint}");
    let from_vehicle = hint["from_vehicle_m"]
        .as_f64()
        .expect("distance from the vehicle");
    assert!(from_vehicle < 30.0, "{hint}");
    assert_eq!(hint["vehicle_fix_at"], "2026-11-27T08:00:00Z", "{hint}");
    // Taken 16:02:11 in the centre's time (08:02:11Z); the fix is from 08:00:00Z.
    assert_eq!(hint["fix_gap_s"], -131, "{hint}");

    let attached = events(&app, &s.id, &s.dispatcher, "evidence.attached").await;
    assert_eq!(attached.len(), 1);
    let e = &attached[0];
    assert_eq!(e["event_id"], up["event_id"]);
    assert_eq!(e["data"]["sha256"], hash);
    assert_eq!(e["data"]["size"], jpeg.len());
    assert_eq!(e["data"]["kind"], "photo");
    assert_eq!(e["by_subject"], "vehicle:V-1");
    assert!(e["at"].is_string());

    // A hash this ticket does not hold is refused; a malformed one too.
    let stranger = sha256(b"a file attached nowhere");
    let (status, body) = app
        .post(
            &format!("/tickets/{}/onsite-record", s.id),
            &s.vehicle,
            json!({ "findings": "查获假烟", "evidence": [{ "kind": "photo", "sha256": stranger }] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "evidence_not_attached");
    let (status, body) = app
        .post(
            &format!("/tickets/{}/onsite-record", s.id),
            &s.vehicle,
            json!({ "findings": "查获假烟", "evidence": [{ "kind": "photo", "sha256": "abc" }] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "bad_evidence");
    // By hash, and a plain reference as before.
    let t = ok(
        &app,
        &format!("/tickets/{}/onsite-record", s.id),
        &s.vehicle,
        json!({ "findings": "查获假烟", "actions": "登记保存", "evidence": [
            { "kind": "photo", "sha256": hash },
            { "kind": "inspection_record", "reference": "att-i" } ] }),
    )
    .await;
    assert_eq!(t["onsite"]["evidence"][0]["sha256"], hash, "{t}");
    assert_eq!(
        t["onsite"]["evidence"][0]["reference"],
        format!("evidence/{hash}")
    );
    let mut evidence = crate::common::all_evidence();
    evidence
        .as_array_mut()
        .expect("list")
        .push(json!({ "kind": "photo", "sha256": hash, "note": "门店货架" }));
    ok(
        &app,
        &format!("/tickets/{}/report", s.id),
        &s.vehicle,
        json!({ "sections": full_sections(), "evidence": evidence }),
    )
    .await;
    ok(
        &app,
        &format!("/tickets/{}/review", s.id),
        &s.supervisor,
        json!({ "decision": "pass" }),
    )
    .await;
    ok(
        &app,
        &format!("/tickets/{}/approval", s.id),
        &s.supervisor,
        json!({ "decision": "approve" }),
    )
    .await;
    // The timeline: the report carrying the file, then its review and approval.
    let (_, all) = app
        .get(&format!("/tickets/{}/events", s.id), &s.dispatcher)
        .await;
    let all = all.as_array().expect("events").clone();
    let at = |kind: &str| all.iter().position(|e| e["type"] == kind).expect(kind);
    let report = &all[at("ticket.report_submitted")];
    let carried: Vec<&Value> = report["data"]["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .filter(|e| e["sha256"] == hash)
        .collect();
    assert_eq!(carried.len(), 1, "{report}");
    assert!(at("evidence.attached") < at("ticket.report_submitted"));
    assert!(at("ticket.report_submitted") < at("ticket.reviewed"));
    assert!(at("ticket.reviewed") < at("ticket.approval_decided"));
    app.stop().await;
}

#[actix_web::test]
async fn a_file_is_read_only_by_dispatchers_supervisors_and_the_tickets_own_devices() {
    let app = spawn_app().await;
    let s = on_site(&app).await;
    let jpeg = photo();
    let hash = sha256(&jpeg);
    let (status, up) = upload(
        &app,
        &s.id,
        &s.vehicle,
        &[kind("photo"), file("image/jpeg", &jpeg)],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{up}");
    let admin = crate::common::ADMIN.to_owned();
    let path = format!("/tickets/{}/evidence/{hash}", s.id);
    for (who, token, want) in [
        ("dispatcher", &s.dispatcher, StatusCode::OK),
        ("supervisor", &s.supervisor, StatusCode::OK),
        ("the ticket's vehicle", &s.vehicle, StatusCode::OK),
        ("its crew", &s.crew, StatusCode::OK),
        ("another vehicle", &s.other_vehicle, StatusCode::FORBIDDEN),
        ("the board", &s.board, StatusCode::FORBIDDEN),
        ("the platform", &s.platform, StatusCode::FORBIDDEN),
        ("an admin", &admin, StatusCode::FORBIDDEN),
    ] {
        let res = app
            .client
            .get(app.url(&path))
            .bearer_auth(token)
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), want, "{who} reading the file");
        let h = |n: &str| {
            res.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        if want == StatusCode::OK {
            assert_eq!(h("content-type"), "image/jpeg");
            assert_eq!(h("cache-control"), "no-store");
            assert_eq!(h("x-content-type-options"), "nosniff");
            assert!(h("content-disposition").starts_with("inline; filename=\"photo-"));
            let bytes = res.bytes().await.expect("bytes");
            assert_eq!(sha256(&bytes), hash, "{who} gets the very bytes");
        }
        let (status, list) = app.get(&format!("/tickets/{}/evidence", s.id), token).await;
        assert_eq!(status, want, "{who} listing: {list}");
        if want == StatusCode::OK {
            assert_eq!(list["files"][0]["sha256"], hash);
            assert_eq!(list["files"][0]["url"], format!("/api/v1{path}"));
        }
    }
    // Without a token; a hash the ticket does not hold; not a hash.
    let res = app.client.get(app.url(&path)).send().await.expect("sent");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    for other in [sha256(b"elsewhere"), "nope".to_owned()] {
        let (status, body) = app
            .get(
                &format!("/tickets/{}/evidence/{other}", s.id),
                &s.dispatcher,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }
    app.stop().await;
}

#[actix_web::test]
async fn no_file_reaches_the_board_or_open311() {
    let app = spawn_app().await;
    let s = on_site(&app).await;
    let jpeg = photo();
    let hash = sha256(&jpeg);
    let (status, up) = upload(
        &app,
        &s.id,
        &s.vehicle,
        &[kind("photo"), file("image/jpeg", &jpeg)],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{up}");
    ok(
        &app,
        &format!("/tickets/{}/onsite-record", s.id),
        &s.vehicle,
        json!({ "findings": "查获假烟", "evidence": [{ "kind": "photo", "sha256": hash }] }),
    )
    .await;
    let (status, board) = app.get("/board", &s.board).await;
    assert_eq!(status, StatusCode::OK, "{board}");
    let open311 = app
        .client
        .get(format!(
            "{}/open311/v2/requests/{}.json",
            app.base, s.number
        ))
        .send()
        .await
        .expect("sent");
    assert_eq!(open311.status(), StatusCode::OK);
    let open311 = open311.text().await.expect("text");
    let listed = app
        .client
        .get(format!("{}/open311/v2/requests.json", app.base))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text");
    for (what, text) in [
        ("board", board.to_string()),
        ("open311 request", open311),
        ("open311 list", listed),
    ] {
        assert!(
            !text.contains(&hash) && !text.contains("/evidence"),
            "{what} shows a file: {text}"
        );
    }
    // The board's own token cannot reach the file route either (checked above), nor the
    // list: 403.
    let (status, _) = app
        .get(&format!("/tickets/{}/evidence", s.id), &s.board)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.stop().await;
}
