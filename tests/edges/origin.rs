//! Pages of other sites may not open the engine's sockets: the handshake's `Origin` must be
//! the engine's own or a listed one; clients that send none (devices, apps) are let in.

use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use super::{issue, register_fleet};
use crate::common::{ChildEngine, temp_store};

/// The handshake's HTTP status with this `Origin` (or none): 101 when the socket opens.
async fn handshake(engine: &ChildEngine, path: &str, token: &str, origin: Option<&str>) -> u16 {
    let url = format!(
        "{}{path}?token={token}",
        engine.base.replacen("http", "ws", 1)
    );
    let mut request = url.into_client_request().expect("request");
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("Origin", HeaderValue::from_str(origin).expect("header"));
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((_, res)) => res.status().as_u16(),
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            let body = res
                .body()
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            if res.status().as_u16() == 403 {
                assert!(body.contains("origin_not_allowed"), "{path}: {body}");
            }
            res.status().as_u16()
        }
        Err(e) => panic!("{path}: handshake failed: {e}"),
    }
}

#[actix_web::test]
async fn sockets_refuse_pages_of_other_origins_and_admit_their_own_and_devices() {
    let (_dir, store) = temp_store();
    let listed = "https://console.example:8443";
    let engine = ChildEngine::start_with(&store, &[("APP__SERVER__ALLOWED_ORIGINS", listed)]);
    let client = reqwest::Client::new();
    register_fleet(&client, &engine).await;
    let (_, dispatcher) = issue(&client, &engine, "dispatcher", None).await;
    let (_, board) = issue(&client, &engine, "board", None).await;
    let (_, vehicle) = issue(&client, &engine, "field", Some("V-1")).await;
    let (_, staff) = issue(&client, &engine, "field", Some("S-1")).await;
    let own = engine.base.clone();
    for (path, token) in [
        ("/ws/console", &dispatcher),
        ("/ws/board", &board),
        ("/ws/vehicle", &vehicle),
        ("/ws/field", &staff),
    ] {
        assert_eq!(
            handshake(&engine, path, token, Some("http://evil.example")).await,
            403,
            "{path}: evil"
        );
        assert_eq!(
            handshake(&engine, path, token, Some("null")).await,
            403,
            "{path}: null"
        );
        // Same host, other port: another site as far as browsers are concerned.
        let other_port = own
            .rsplit_once(':')
            .map(|(h, _)| format!("{h}:1"))
            .expect("port");
        assert_eq!(
            handshake(&engine, path, token, Some(&other_port)).await,
            403,
            "{path}: port"
        );
        assert_eq!(
            handshake(&engine, path, token, None).await,
            101,
            "{path}: no origin"
        );
        assert_eq!(
            handshake(&engine, path, token, Some(&own)).await,
            101,
            "{path}: own"
        );
        assert_eq!(
            handshake(&engine, path, token, Some(listed)).await,
            101,
            "{path}: listed"
        );
    }
}
