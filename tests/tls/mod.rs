//! TLS on the engine's port, end to end with the real binary: `gen-cert` writes a
//! self-signed pair, `serve` serves HTTPS and WSS with it, and real clients that trust only
//! that certificate read `/readyz`, issue a token and open the console socket; plain HTTP
//! on the same port is not served; a missing, unreadable or mismatched file stops the
//! engine at start with a message naming the setting and the file, before the store opens.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

use crate::common::{ADMIN, ChildEngine, run_binary, temp_store, text};

/// `gen-cert` into `dir` (cert.pem, key.pem) for `names`.
fn gen_cert(dir: &Path, names: &[&str], extra: &[&str]) -> Output {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let mut args = vec![
        "gen-cert",
        "--cert",
        cert.to_str().expect("utf-8 path"),
        "--key",
        key.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(names);
    args.extend_from_slice(extra);
    run_binary(&args, &[])
}

/// The TLS settings for the pair in `dir`.
fn tls_vars(cert: &Path, key: &Path) -> [(&'static str, String); 2] {
    [
        ("APP__SERVER__TLS_CERT", cert.display().to_string()),
        ("APP__SERVER__TLS_KEY", key.display().to_string()),
    ]
}

/// A client TLS config trusting only the certificates in `roots_pem` (none: nothing).
fn client_tls(roots_pem: Option<&Path>) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    if let Some(path) = roots_pem {
        for cert in CertificateDer::pem_file_iter(path).expect("cert file") {
            roots
                .add(cert.expect("PEM certificate"))
                .expect("a usable root");
        }
    }
    let mut config =
        rustls::ClientConfig::builder_with_provider(Arc::new(hotline_dispatch::tls::provider()))
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config
}

/// One HTTP/1.1 request over TLS to `host:port` (the name the certificate must cover),
/// trusting `roots_pem`: the status and the body, or the TLS or I/O error.
async fn https(
    roots_pem: Option<&Path>,
    host: &str,
    port: &str,
    request: &str,
) -> std::io::Result<(u16, String)> {
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client_tls(roots_pem)));
    let name =
        rustls_pki_types::ServerName::try_from(host.to_owned()).map_err(std::io::Error::other)?;
    let tcp = tokio::net::TcpStream::connect(format!("127.0.0.1:{port}")).await?;
    let mut tls = tokio::time::timeout(Duration::from_secs(10), connector.connect(name, tcp))
        .await
        .map_err(std::io::Error::other)??;
    tls.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut answer))
        .await
        .map_err(std::io::Error::other)??;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {answer}")))?;
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_owned());
    Ok((status, body.unwrap_or_default()))
}

fn get(path: &str, host: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
}

#[test]
fn gen_cert_writes_a_pair_says_how_to_serve_it_and_keeps_existing_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = gen_cert(dir.path(), &["hotline.lan", "192.168.1.20"], &[]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let cert_pem = std::fs::read_to_string(&cert).expect("certificate written");
    let key_pem = std::fs::read_to_string(&key).expect("key written");
    assert!(
        cert_pem.starts_with("-----BEGIN CERTIFICATE-----"),
        "{cert_pem}"
    );
    assert!(key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    for said in [
        "hotline.lan, 192.168.1.20",
        "APP__SERVER__TLS_CERT=",
        "APP__SERVER__TLS_KEY=",
        "tls_cert = ",
        "tls_key = ",
        cert.to_str().expect("utf-8"),
        key.to_str().expect("utf-8"),
    ] {
        assert!(stdout.contains(said), "says {said}: {stdout}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).expect("key").permissions().mode();
        assert_eq!(mode & 0o077, 0, "the key is its owner's only: {mode:o}");
    }
    // The pair loads as the engine loads it.
    hotline_dispatch::tls::load(&cert, &key).expect("the written pair serves");

    // Existing files are kept, whichever of the two exists.
    let again = gen_cert(dir.path(), &[], &[]);
    assert_eq!(again.status.code(), Some(1), "{again:?}");
    let stderr = text(&again.stderr);
    assert!(
        stderr.contains("already exist") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&cert).expect("cert"), cert_pem);
    assert_eq!(std::fs::read_to_string(&key).expect("key"), key_pem);
    std::fs::remove_file(&cert).expect("remove cert");
    let only_key = gen_cert(dir.path(), &[], &[]);
    assert_eq!(only_key.status.code(), Some(1), "{only_key:?}");
    assert!(!cert.exists(), "nothing written beside an existing key");
    assert_eq!(std::fs::read_to_string(&key).expect("key"), key_pem);

    // --force replaces both, with a new key; the defaults name this machine's loopback.
    let forced = gen_cert(dir.path(), &[], &["--force"]);
    assert!(forced.status.success(), "{forced:?}");
    assert!(
        text(&forced.stdout).contains("localhost, 127.0.0.1, ::1"),
        "{}",
        text(&forced.stdout)
    );
    assert_ne!(std::fs::read_to_string(&key).expect("key"), key_pem);
    hotline_dispatch::tls::load(&cert, &key).expect("the new pair serves");
}

#[actix_web::test]
async fn https_and_wss_with_a_generated_certificate_and_no_plain_http() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = gen_cert(dir.path(), &["localhost", "127.0.0.1"], &[]);
    assert!(out.status.success(), "{out:?}");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let (_store_dir, store) = temp_store();
    let [c, k] = tls_vars(&cert, &key);
    let engine = ChildEngine::start_with(&store, &[(c.0, &c.1), (k.0, &k.1)]);
    let base = engine.base.clone();
    assert!(
        base.starts_with("https://127.0.0.1:"),
        "prints its https URL: {base}"
    );
    let port = base.rsplit(':').next().expect("port").to_owned();

    // A client trusting the generated certificate, by address and by name.
    for host in ["127.0.0.1", "localhost"] {
        let (status, body) = https(Some(&cert), host, &port, &get("/readyz", host))
            .await
            .expect("https answers");
        assert_eq!(status, 200, "https://{host}:{port}/readyz: {body}");
    }
    // The API over https, with the same tokens.
    let body = json!({ "role": "dispatcher", "subject": "tls-dispatcher" }).to_string();
    let issue = format!(
        "POST /api/v1/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {ADMIN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (status, body) = https(Some(&cert), "127.0.0.1", &port, &issue)
        .await
        .expect("https answers");
    assert_eq!(status, 201, "{body}");
    let token = serde_json::from_str::<Value>(&body).expect("JSON")["token"]
        .as_str()
        .expect("token")
        .to_owned();

    // The console socket over wss, with the engine's own origin.
    let wss = format!("wss://127.0.0.1:{port}/ws/console?token={token}");
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
            wss.as_str(),
        )
        .expect("request");
    request
        .headers_mut()
        .insert("Origin", base.parse().expect("origin header"));
    let connector = tokio_tungstenite::Connector::Rustls(Arc::new(client_tls(Some(&cert))));
    let (mut socket, response) =
        tokio_tungstenite::connect_async_tls_with_config(request, None, false, Some(connector))
            .await
            .expect("wss opens");
    assert_eq!(response.status().as_u16(), 101);
    let first = tokio::time::timeout(Duration::from_secs(10), socket.next())
        .await
        .expect("a frame within the wait")
        .expect("the socket is open")
        .expect("a frame");
    let Message::Text(first) = first else {
        panic!("a text frame first: {first:?}");
    };
    let frame: Value = serde_json::from_str(&first).expect("JSON frame");
    assert!(frame["type"].is_string(), "{frame}");

    // A client that does not trust the certificate is refused by its own TLS check.
    let refused = https(None, "127.0.0.1", &port, &get("/readyz", "127.0.0.1")).await;
    assert!(refused.is_err(), "an untrusted certificate: {refused:?}");
    // Nor is a name the certificate was not made for.
    let other = https(
        Some(&cert),
        "hotline.lan",
        &port,
        &get("/readyz", "hotline.lan"),
    )
    .await;
    assert!(other.is_err(), "a name outside the certificate: {other:?}");

    // Plain HTTP and ws:// on the TLS port are not served.
    let plain = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let http_url = format!("http://127.0.0.1:{port}/readyz");
    match plain.get(&http_url).send().await {
        Err(_) => {}
        Ok(res) => panic!("plain http was answered: {}", res.status()),
    }
    let ws_plain =
        tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/ws/console?token={token}"))
            .await;
    assert!(ws_plain.is_err(), "ws:// on the TLS port must not open");

    // Still serving after the plain attempts.
    let (status, _) = https(
        Some(&cert),
        "127.0.0.1",
        &port,
        &get("/readyz", "127.0.0.1"),
    )
    .await
    .expect("https still answers");
    assert_eq!(status, 200);
    assert!(engine.terminate().success());
}

/// `serve` with `vars`: its output once it exits (a started engine is a failure: killed).
fn serve_must_fail(store: &Path, vars: &[(&str, String)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hotline-dispatch"));
    cmd.arg("serve")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("APP_ENV")
        .env_remove("APP_CONFIG_DIR")
        .env_remove("RUST_LOG")
        .env("APP__SERVER__HOST", "127.0.0.1")
        .env("APP__SERVER__PORT", "0")
        .env("APP__STORE__PATH", store)
        .env_remove("APP__SERVER__TLS_CERT")
        .env_remove("APP__SERVER__TLS_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the binary runs");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!("the engine started: {}", text(&out.stdout));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}

#[test]
fn a_bad_certificate_or_key_stops_the_start_naming_the_setting_and_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    assert!(gen_cert(dir.path(), &["localhost"], &[]).status.success());
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let other = dir.path().join("other");
    std::fs::create_dir(&other).expect("dir");
    assert!(gen_cert(&other, &["localhost"], &[]).status.success());
    let other_key = other.join("key.pem");
    let missing: PathBuf = dir.path().join("missing.pem");
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").expect("write");
    let cases: [(&Path, &Path, &[&str]); 5] = [
        (
            &missing,
            &key,
            &["cannot read server.tls_cert", "missing.pem"],
        ),
        (
            &cert,
            &missing,
            &["cannot read server.tls_key", "missing.pem"],
        ),
        (
            &garbage,
            &key,
            &["server.tls_cert", "garbage.pem", "no certificate"],
        ),
        (
            &cert,
            &cert,
            &["server.tls_key", "cert.pem", "no private key"],
        ),
        (
            &cert,
            &other_key,
            &["cannot serve server.tls_cert", "other/key.pem"],
        ),
    ];
    for (c, k, said) in cases {
        let (_store_dir, store) = temp_store();
        let out = serve_must_fail(&store, &tls_vars(c, k));
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{c:?} {k:?}: {stderr}");
        for s in said {
            assert!(stderr.contains(s), "{c:?} {k:?} says {s}: {stderr}");
        }
        assert!(!store.exists(), "no store opened: {stderr}");
        // check-config reads the files as serve does.
        let checked = run_binary(
            &["check-config"],
            &tls_vars(c, k).each_ref().map(|(n, v)| (*n, v.as_str())),
        );
        assert_eq!(checked.status.code(), Some(1), "{:?}", checked);
        assert!(
            text(&checked.stderr).contains(said[0]),
            "{}",
            text(&checked.stderr)
        );
    }
    // One of the two alone is a settings error naming the other.
    let (_store_dir, store) = temp_store();
    let out = serve_must_fail(
        &store,
        &[("APP__SERVER__TLS_CERT", cert.display().to_string())],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("`server.tls_key`"), "{stderr}");
    // A good pair passes check-config, which says the port serves HTTPS.
    let good = tls_vars(&cert, &key);
    let checked = run_binary(
        &["check-config"],
        &good.each_ref().map(|(n, v)| (*n, v.as_str())),
    );
    assert!(checked.status.success(), "{checked:?}");
    assert!(
        text(&checked.stdout).contains("https"),
        "{}",
        text(&checked.stdout)
    );
}
