//! Shared test harness: the real application on port 0 with a fresh sled store in a temp
//! directory (in-process), and the real binary as a child process (for restarts and
//! kill -9). Clients are real HTTP clients.

#![allow(
    dead_code,
    reason = "each test module uses a different part of the harness"
)]

pub mod redis;
pub mod restart;
pub mod ws;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use hotline_dispatch::app::Application;
use hotline_dispatch::config::Settings;
use hotline_dispatch::domain::{ManualClock, Timestamp};
use hotline_dispatch::engine::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};

pub const ADMIN: &str = "test-admin-token";

/// Settings for a test engine on `store`, with extra `APP__` overrides.
pub fn settings(store: &Path, extra: &[(&str, &str)]) -> Settings {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("APP__SERVER__PORT".into(), "0".into()),
        ("APP__SERVER__WORKERS".into(), "1".into()),
        ("APP__STORE__PATH".into(), store.display().to_string()),
        ("APP__STORE__CACHE_CAPACITY_MB".into(), "16".into()),
        ("APP__AUTH__BOOTSTRAP_ADMIN_TOKEN".into(), ADMIN.into()),
        ("APP__TICKETS__ARBITERS".into(), "1".into()),
    ]);
    for (k, v) in extra {
        vars.insert((*k).into(), (*v).into());
    }
    let env = hotline_dispatch::config::env_source(Some(vars));
    Settings::load_from(Path::new("config"), "test", env).expect("test settings")
}

/// The application running in this test's actix system.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub engine: Arc<Engine>,
    pub clock: ManualClock,
    handle: actix_web::dev::ServerHandle,
    _dir: tempfile::TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    // RUST_LOG=... shows the engine's logs while debugging a test.
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = ManualClock::new(Timestamp::parse("2026-11-27T08:00:00Z").expect("time"));
    let app = Application::build(
        settings(&dir.path().join("store"), extra),
        Arc::new(clock.clone()),
    )
    .expect("app starts");
    let base = format!("http://{}", app.addr());
    let engine = app.engine().clone();
    let handle = app.handle();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        base,
        client: reqwest::Client::new(),
        engine,
        clock,
        handle,
        _dir: dir,
    }
}

/// An answer: status and JSON body (`Null` when the body is not JSON).
pub type Answer = (StatusCode, Value);

/// Percent-encodes a query or form value (everything but RFC 3986's unreserved bytes).
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub async fn send(client: &reqwest::Client, req: reqwest::RequestBuilder) -> Answer {
    let _ = client;
    let res = req.send().await.expect("request sent");
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        send(
            &self.client,
            self.client
                .post(self.url(path))
                .bearer_auth(token)
                .json(&body),
        )
        .await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Answer {
        send(
            &self.client,
            self.client
                .put(self.url(path))
                .bearer_auth(token)
                .json(&body),
        )
        .await
    }

    /// The engine's `/metrics` text (loopback may read it).
    pub async fn metrics(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .unwrap_or_default()
    }

    /// One series' value in `/metrics` (`name{labels}` as printed), 0 when absent.
    pub async fn metric(&self, series: &str) -> f64 {
        self.metrics()
            .await
            .lines()
            .find(|l| l.split_whitespace().next() == Some(series))
            .and_then(|l| l.split_whitespace().last())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0.0)
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        send(
            &self.client,
            self.client.get(self.url(path)).bearer_auth(token),
        )
        .await
    }

    /// Issues a token for `role` (and `subject`) with the bootstrap admin token.
    pub async fn token(&self, role: &str, subject: Option<&str>) -> String {
        let (status, body) = self
            .post(
                "/tokens",
                ADMIN,
                json!({ "role": role, "subject": subject }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "issue token: {body}");
        body["token"].as_str().expect("token").to_owned()
    }

    /// Registers a squad, two staff, a vehicle with them as crew; returns the vehicle id.
    pub async fn fleet(&self) -> String {
        let (s, b) = self
            .post(
                "/teams",
                ADMIN,
                json!({ "id": "T-1", "name": "一中队", "department": "enforcement" }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        for (id, badge) in [("S-1", "ZM-1"), ("S-2", "ZM-2")] {
            let staff = json!({ "id": id, "name": "市管员", "role": "inspector", "department": "enforcement", "team_id": "T-1", "badge": badge });
            let (s, b) = self.post("/staff", ADMIN, staff).await;
            assert_eq!(s, StatusCode::CREATED, "{b}");
        }
        let v = json!({ "id": "V-1", "plate": "鄂J·Z0001", "team_id": "T-1", "department": "enforcement", "crew": ["S-1", "S-2"] });
        let (s, b) = self.post("/vehicles", ADMIN, v).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        "V-1".into()
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}

/// The JSON of an answer that must be a success; a failure names the request, the status
/// and the body, which says why it was refused.
pub fn success(request: &str, (status, body): Answer) -> Value {
    assert!(status.is_success(), "{request}: {status} {body}");
    body
}

/// POSTs `body` to `path` as `token`; the request must succeed. Returns the answer's JSON.
pub async fn ok(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    success(&format!("POST {path}"), app.post(path, token, body).await)
}

/// One piece of every evidence kind the handling guide requires of any category, as the
/// `evidence` of a report body.
pub fn all_evidence() -> Value {
    let catalog = hotline_dispatch::domain::catalog::Catalog::from_toml(
        hotline_dispatch::domain::catalog::BUILTIN_CATALOG,
        "catalog.toml",
    )
    .expect("guide");
    let mut kinds: Vec<String> = catalog
        .categories()
        .iter()
        .flat_map(|c| c.report_evidence.clone())
        .collect();
    kinds.sort();
    kinds.dedup();
    Value::Array(
        kinds
            .into_iter()
            .map(|k| json!({ "kind": k, "reference": format!("att-{k}") }))
            .collect(),
    )
}

/// A typical intake body with canary personal data.
pub fn intake(external_id: &str, category: Option<&str>, kind: &str) -> Value {
    json!({
        "source": "12313",
        "external_id": external_id,
        "kind": kind,
        "category": category,
        "description": "梅川镇正街烟酒店疑似销售假冒卷烟",
        "reporter": { "name": "CANARY-NAME-张三", "phone": "13899990000", "anonymous": false },
        "address_text": "梅川镇正街18号",
        "location": { "lat": 30.02, "lng": 115.585 },
    })
}

/// The binary run once with `args`, from the repository root (its `config/`), with no
/// settings from the test's own environment but `vars`.
pub fn run_binary(args: &[&str], vars: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hotline-dispatch"));
    cmd.args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("APP_ENV")
        .env_remove("APP_CONFIG_DIR")
        .env_remove("RUST_LOG")
        .env_remove("HOTLINE_TOKEN");
    for (k, _) in std::env::vars() {
        if k.starts_with("APP__") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().expect("the binary runs")
}

/// A command's output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The real binary, started as a child process on a store directory.
pub struct ChildEngine {
    child: Child,
    pub base: String,
    pub stderr: Arc<Mutex<String>>,
    /// Everything printed on stdout so far (the banner, demo tokens, URLs).
    pub stdout: Arc<Mutex<String>>,
}

impl ChildEngine {
    pub fn start(store: &Path) -> ChildEngine {
        Self::start_with(store, &[])
    }

    pub fn start_with(store: &Path, extra: &[(&str, &str)]) -> ChildEngine {
        Self::start_args(store, &["serve"], extra)
    }

    /// Runs the binary with `args` (e.g. `serve --demo`).
    pub fn start_args(store: &Path, args: &[&str], extra: &[(&str, &str)]) -> ChildEngine {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hotline-dispatch"));
        cmd.args(args)
            .env("APP__SERVER__HOST", "127.0.0.1")
            .env("APP__SERVER__PORT", "0")
            .env("APP__STORE__PATH", store)
            .env("APP__STORE__CACHE_CAPACITY_MB", "32")
            .env("APP__AUTH__BOOTSTRAP_ADMIN_TOKEN", ADMIN)
            .env("APP__LOG__LEVEL", "info,hotline_dispatch=debug")
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("binary starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let err_pipe = child.stderr.take().expect("stderr");
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err_pipe).lines().map_while(Result::ok) {
                let mut s = sink.lock().expect("log buffer");
                s.push_str(&line);
                s.push('\n');
            }
        });
        let out = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(out).lines();
        let printed = Arc::new(Mutex::new(String::new()));
        let keep = |line: &str| {
            let mut s = printed.lock().expect("stdout buffer");
            s.push_str(line);
            s.push('\n');
        };
        let base = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    keep(&line);
                    if let Some(rest) = line.strip_prefix("hotline-dispatch listening on ") {
                        break rest.trim().to_owned();
                    }
                }
                _ => panic!(
                    "the engine exited before listening: {}",
                    stderr.lock().expect("log").as_str()
                ),
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        let sink = printed.clone();
        std::thread::spawn(move || {
            for line in lines.by_ref().map_while(Result::ok) {
                let mut s = sink.lock().expect("stdout buffer");
                s.push_str(&line);
                s.push('\n');
            }
        });
        ChildEngine {
            child,
            base,
            stderr,
            stdout: printed,
        }
    }

    /// The first stdout line starting with `prefix` once printed (waits up to 10 s).
    pub fn printed_line(&self, prefix: &str) -> Option<String> {
        for _ in 0..200 {
            let found = self
                .stdout
                .lock()
                .ok()
                .and_then(|s| s.lines().find(|l| l.starts_with(prefix)).map(str::to_owned));
            if found.is_some() {
                return found;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        None
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, and wait for the process to be gone.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The log lines the engine wrote so far.
    pub fn log(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// SIGTERM, and the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().expect("child exits")
    }
}

impl Drop for ChildEngine {
    /// A failing test must not leave the engine running.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub fn temp_store() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store");
    (dir, path)
}
