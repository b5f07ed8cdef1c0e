//! Revoking a token closes every socket opened with it at once, with the close code the
//! pages read as "signed out" (4001); other sockets carry on; the token opens nothing new.

use reqwest::StatusCode;
use serde_json::json;

use super::{issue, register_fleet};
use crate::common::ws::WsClient;
use crate::common::{ADMIN, ChildEngine, send, temp_store};

const SIGNED_OUT: u16 = 4001;

async fn revoke(client: &reqwest::Client, engine: &ChildEngine, id: &str) {
    let res = client
        .delete(engine.url(&format!("/tokens/{id}")))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("revoke");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

#[actix_web::test]
async fn revoking_a_token_closes_every_socket_opened_with_it() {
    let (_dir, store) = temp_store();
    let engine = ChildEngine::start(&store);
    let client = reqwest::Client::new();
    register_fleet(&client, &engine).await;
    let (console_id, console) = issue(&client, &engine, "dispatcher", None).await;
    let (_, other) = issue(&client, &engine, "dispatcher", None).await;
    let (vehicle_id, vehicle) = issue(&client, &engine, "field", Some("V-1")).await;
    let (staff_id, staff) = issue(&client, &engine, "field", Some("S-1")).await;

    // Two consoles on the revoked token, one on another; the vehicle and a crew phone.
    let mut c1 = WsClient::connect(&engine.base, "/ws/console", &console).await;
    let mut c2 = WsClient::connect(&engine.base, "/ws/console", &console).await;
    let mut kept = WsClient::connect(&engine.base, "/ws/console", &other).await;
    let mut v = WsClient::connect(&engine.base, "/ws/vehicle", &vehicle).await;
    let mut f = WsClient::connect(&engine.base, "/ws/field", &staff).await;
    for c in [&mut c1, &mut c2, &mut kept, &mut f] {
        c.next_of("snapshot").await;
    }
    v.next_of("hello").await;

    for (id, sockets) in [
        (&console_id, vec![&mut c1, &mut c2]),
        (&vehicle_id, vec![&mut v]),
        (&staff_id, vec![&mut f]),
    ] {
        let revoked_at = tokio::time::Instant::now();
        revoke(&client, &engine, id).await;
        for socket in sockets {
            let (code, at) = socket.close_code().await.expect("closed with a code");
            assert_eq!(code, SIGNED_OUT);
            eprintln!(
                "token {id}: socket closed {} ms after the revocation was sent",
                (at - revoked_at).as_secs_f64() * 1e3
            );
        }
    }

    // The other console carries on.
    kept.send(json!({ "type": "ping" })).await;
    kept.next_of("pong").await;
    // The revoked tokens open nothing and are refused over HTTP.
    for token in [&console, &vehicle, &staff] {
        let (s, b) = send(
            &client,
            client.get(engine.url("/catalog")).bearer_auth(token),
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
    }
    for (path, token) in [
        ("/ws/console", &console),
        ("/ws/vehicle", &vehicle),
        ("/ws/field", &staff),
    ] {
        let url = format!(
            "{}{path}?token={token}",
            engine.base.replacen("http", "ws", 1)
        );
        let refused = tokio_tungstenite::connect_async(url).await;
        match refused {
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
                assert_eq!(res.status().as_u16(), 401, "{path}");
            }
            other => panic!(
                "{path}: a revoked token opened a socket: {:?}",
                other.is_ok()
            ),
        }
    }
}

#[actix_web::test]
async fn a_revoked_console_cannot_command_and_sees_no_more_tickets() {
    let (_dir, store) = temp_store();
    let engine = ChildEngine::start(&store);
    let client = reqwest::Client::new();
    let (id, console) = issue(&client, &engine, "dispatcher", None).await;
    let (_, platform) = issue(&client, &engine, "platform", None).await;
    let mut c = WsClient::connect(&engine.base, "/ws/console", &console).await;
    c.next_of("snapshot").await;
    revoke(&client, &engine, &id).await;
    // A ticket with a reporter arrives after the revocation; a command is attempted.
    let body = json!({
        "source": "12313", "external_id": "RV-1", "kind": "report",
        "description": "有人卖假烟", "reporter": { "name": "金丝雀", "phone": "13800000000" },
        "location": { "lat": 29.85, "lng": 115.56 }
    });
    let (s, t) = send(
        &client,
        client
            .post(engine.url("/tickets"))
            .bearer_auth(&platform)
            .json(&body),
    )
    .await;
    assert!(s.is_success(), "{t}");
    c.send_text(
        &json!({ "type": "command", "request_id": "r1", "action": "triage", "ticket_id": t["id"], "body": { "urgency": "I" } })
            .to_string(),
    )
    .await;
    let (code, _) = c.close_code().await.expect("closed with a code");
    assert_eq!(code, SIGNED_OUT);
    assert!(
        !c.pending_has("ticket.created") && !c.pending_has("result"),
        "the revoked console saw the new ticket or ran the command"
    );
    let d = issue(&client, &engine, "dispatcher", None).await.1;
    let ticket: serde_json::Value = client
        .get(engine.url(&format!("/tickets/{}", t["id"].as_str().expect("id"))))
        .bearer_auth(&d)
        .send()
        .await
        .expect("ticket")
        .json()
        .await
        .expect("json");
    assert_ne!(ticket["urgency"], "I", "the revoked console's command ran");
}
