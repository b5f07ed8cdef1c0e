//! A collaboration group, live: its members' field sockets (a staff member's own device,
//! and the vehicle whose crew includes a member) and the consoles get every group frame in
//! order; a non-member's device gets none; closing the ticket dissolves the group and says
//! so to everyone.

use serde_json::{Value, json};

use super::connect;
use crate::common::spawn_app;
use crate::common::ws::WsClient;
use crate::groups::flow::archive;
use crate::groups::{form, people, reporting, three_members};

/// The `group.*` frames of a socket, in order, up to and including one of type `last`.
async fn group_frames(ws: &mut WsClient, last: &str) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let frame = ws.next_any().await.expect("the socket stays open");
        let kind = frame["type"].as_str().unwrap_or_default().to_owned();
        if kind.starts_with("group.") {
            out.push(frame);
            if kind == last {
                return out;
            }
        }
    }
}

#[actix_web::test]
async fn group_frames_reach_every_member_device_and_the_console() {
    let app = spawn_app().await;
    let p = people(&app).await;
    let id = reporting(&app, &p, "g-live", "smuggled").await;
    let mut console = connect(&app, "/ws/console", &p.dispatcher).await;
    console.next_of("snapshot").await;
    let mut marketing = connect(&app, "/ws/field", &p.s5).await;
    marketing.next_of("snapshot").await;
    let mut driver_van = WsClient::connect(&app.base, "/ws/vehicle", &p.v7).await;
    driver_van.next_of("hello").await;
    let mut outsider = connect(&app, "/ws/field", &p.s9).await;
    outsider.next_of("snapshot").await;

    form(&app, &p, &id, three_members()).await;
    let (s, b) = app
        .post(
            &format!("/groups/{id}/messages"),
            &p.s7,
            json!({ "text": "签收记录已调取" }),
        )
        .await;
    assert!(s.is_success(), "{b}");
    let (s, b) = app
        .post(
            &format!("/groups/{id}/tasks/2/done"),
            &p.s5,
            json!({ "note": "订货记录正常" }),
        )
        .await;
    assert!(s.is_success(), "{b}");
    archive(&app, &p, &id).await;

    let want = [
        "group.formed",
        "group.message",
        "group.task_done",
        "group.dissolved",
    ];
    for (who, ws) in [
        ("S-5", &mut marketing),
        ("V-7", &mut driver_van),
        ("console", &mut console),
    ] {
        let frames = group_frames(ws, "group.dissolved").await;
        let kinds: Vec<&str> = frames.iter().filter_map(|f| f["type"].as_str()).collect();
        assert_eq!(kinds, want, "{who}: {frames:#?}");
        let seqs: Vec<u64> = frames.iter().filter_map(|f| f["seq"].as_u64()).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{who}: {seqs:?}");
        assert_eq!(frames[0]["group"]["lead"], "S-1", "{who}");
        assert_eq!(
            frames[0]["group"]["members"].as_array().map(Vec::len),
            Some(3)
        );
        assert_eq!(
            frames[1]["event"]["data"]["text"], "签收记录已调取",
            "{who}"
        );
        assert_eq!(frames[2]["group"]["tasks_done"], 1, "{who}");
        assert_eq!(frames[3]["group"]["active"], false, "{who}");
    }

    // The outsider heard nothing of it.
    outsider.send(json!({ "type": "ping" })).await;
    loop {
        let frame = outsider.next_any().await.expect("open");
        match frame["type"].as_str() {
            Some("pong") => break,
            Some("hello") => {}
            _ => panic!("S-9 is in no group: {frame}"),
        }
    }

    // A member reconnecting with `since` gets the group's frames again from the store.
    let since = 0;
    let mut again = connect(&app, &format!("/ws/field?since={since}"), &p.s5).await;
    let replayed = group_frames(&mut again, "group.dissolved").await;
    assert_eq!(
        replayed.first().map(|f| f["type"].clone()),
        Some(json!("group.formed"))
    );
}

#[actix_web::test]
async fn a_member_let_go_hears_of_it_and_then_nothing_more() {
    let app = spawn_app().await;
    let p = people(&app).await;
    let id = reporting(&app, &p, "g-leave", "smuggled").await;
    form(&app, &p, &id, three_members()).await;
    let mut marketing = connect(&app, "/ws/field", &p.s5).await;
    marketing.next_of("snapshot").await;

    let change = json!({ "remove": ["S-5"], "reason": "营销核查已完成" });
    let (s, b) = app
        .post(&format!("/groups/{id}/members"), &p.dispatcher, change)
        .await;
    assert!(s.is_success(), "{b}");
    let (s, b) = app
        .post(
            &format!("/groups/{id}/messages"),
            &p.s7,
            json!({ "text": "之后的消息" }),
        )
        .await;
    assert!(s.is_success(), "{b}");

    let frame = marketing.next_of("group.members_changed").await;
    assert_eq!(frame["event"]["data"]["removed"], json!(["S-5"]), "{frame}");
    marketing.send(json!({ "type": "ping" })).await;
    loop {
        let frame = marketing.next_any().await.expect("open");
        match frame["type"].as_str() {
            Some("pong") => break,
            Some("hello") => {}
            other => panic!("S-5 left the group and still got {other:?}: {frame}"),
        }
    }
}
