//! The harness's own smoke run, part of `cargo test --workspace`: the real engine started
//! in this process (its actix system on a thread of its own, a fresh sled store in a temp
//! directory, port 0) and `mixed` run against it for a few seconds with small numbers.
//! It checks counts, never durations: every offer accounted for (none lost, none
//! duplicated) and every histogram fed.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use tokio::sync::watch;

use super::args::{MIXED, Plan};
use crate::cli::{Cli, Command};

const ADMIN: &str = "smoke-admin-token";

/// Starts the engine on a thread of its own; returns its base URL.
fn start_engine(store: &Path) -> String {
    let vars: HashMap<String, String> = HashMap::from([
        ("APP__SERVER__HOST".into(), "127.0.0.1".into()),
        ("APP__SERVER__PORT".into(), "0".into()),
        ("APP__SERVER__WORKERS".into(), "1".into()),
        ("APP__STORE__PATH".into(), store.display().to_string()),
        ("APP__STORE__CACHE_CAPACITY_MB".into(), "16".into()),
        ("APP__AUTH__BOOTSTRAP_ADMIN_TOKEN".into(), ADMIN.into()),
        ("APP__TICKETS__ARBITERS".into(), "1".into()),
        ("APP__LOG__LEVEL".into(), "warn".into()),
    ]);
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
    let env = hotline_dispatch::config::env_source(Some(vars));
    let settings =
        hotline_dispatch::config::Settings::load_from(&config, "test", env).expect("settings");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_rt::System::new().block_on(async move {
            let app = hotline_dispatch::app::Application::build(
                settings,
                Arc::new(hotline_dispatch::domain::SystemClock),
            )
            .expect("the engine starts");
            tx.send(format!("http://{}", app.addr())).expect("send");
            let _ = app.run_until_stopped().await;
        });
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the engine is up")
}

#[test]
fn mixed_runs_and_accounts_for_every_offer() {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = start_engine(&dir.path().join("store"));
    let out = dir.path().join("out");
    let pid = std::process::id().to_string();
    let cli = Cli::try_parse_from([
        "loadtest",
        "mixed",
        "--url",
        &base,
        "--admin-token",
        ADMIN,
        "--vehicles",
        "60",
        "--gateway-vehicles",
        "40",
        "--gateway-batch",
        "20",
        "--rate",
        "2",
        "--tickets",
        "5",
        "--consoles",
        "2",
        "--boards",
        "1",
        "--warmup",
        "1s",
        "--duration",
        "3s",
        "--drain",
        "10s",
        "--onsite",
        "1s",
        "--server-pid",
        &pid,
        "--seed",
        "12313",
        "--no-progress",
        "--out",
        out.to_str().expect("utf-8 path"),
    ])
    .expect("the command line parses");
    let Some(Command::Mixed(args)) = cli.command else {
        panic!("not mixed")
    };
    let plan = Plan::new(MIXED, args).expect("plan");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (_stop_tx, stop_rx) = watch::channel(None);
    let report = runtime
        .block_on(super::run::run(&plan, 12313, stop_rx))
        .expect("the run completes");
    let md = report.markdown();
    eprintln!("{md}");

    assert!(!report.interrupted);
    assert_eq!(report.setup.sockets_open, 60, "{md}");
    let a = &report.offers;
    assert!(a.urgent_tickets > 0, "{md}");
    assert_eq!((a.lost, a.duplicated, a.unexpected), (0, 0, 0), "{md}");
    assert_eq!(a.offered_once + a.unserved, a.urgent_tickets, "{md}");
    assert!(a.offered_once > 0, "{md}");
    let l = &report.latency_ms;
    assert!(
        l.offer_vehicle.as_ref().is_some_and(|x| x.count > 0),
        "{md}"
    );
    assert!(l.intake_ack.as_ref().is_some_and(|x| x.count > 0), "{md}");
    assert!(report.totals.fixes_sent > 0 && report.totals.gateway_fixes_sent > 0);
    assert_eq!(report.totals.gateway_fixes_refused, 0, "{md}");
    assert!(report.samples.len() >= 3, "{md}");
    assert!(
        report
            .server
            .as_ref()
            .is_some_and(|s| s.rss_mib_max.is_some())
    );
    // The console streams: every console sees every offer exactly once, and moves.
    if report.setup.consoles_open > 0 {
        assert_eq!(report.setup.consoles_open, 2, "{md}");
        assert_eq!((a.console_lost, a.console_duplicated), (0, 0), "{md}");
        assert!(
            l.offer_console.as_ref().is_some_and(|x| x.count > 0),
            "{md}"
        );
        assert!(l.move_console.as_ref().is_some_and(|x| x.count > 0), "{md}");
        assert!(report.totals.board_frames > 0, "{md}");
    } else {
        eprintln!("this engine serves no /ws/console yet: console checks skipped");
    }

    // The files a user gets.
    std::fs::create_dir_all(&out).expect("out dir");
    let h = report.histograms.as_ref().expect("histograms");
    let files = super::chart::draw(&out, "smoke", h, &report.samples).expect("charts");
    assert_eq!(files.len(), 3);
    for f in files {
        let bytes = std::fs::read(out.join(&f)).expect("chart written");
        assert!(bytes.starts_with(b"\x89PNG"), "{f} is a PNG");
    }
    let json = serde_json::to_value(&report).expect("json");
    assert_eq!(json["offers"]["lost"], 0);
    assert!(json["latency_ms"]["offer_vehicle"]["p99"].is_f64());
}

#[test]
fn a_store_holding_a_real_squad_is_refused_before_anything_is_registered() {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = start_engine(&dir.path().join("store"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let http = reqwest::Client::new();
    let teams = format!("{base}/api/v1/teams");
    let status = runtime.block_on(async {
        http.post(&teams)
            .bearer_auth(ADMIN)
            .json(&serde_json::json!({ "id": "T-ENF-1", "name": "执法一中队",
                                       "department": "enforcement" }))
            .send()
            .await
            .expect("POST /teams")
            .status()
    });
    assert_eq!(status.as_u16(), 201);
    let cli = Cli::try_parse_from([
        "loadtest",
        "dispatch",
        "--url",
        &base,
        "--admin-token",
        ADMIN,
        "--vehicles",
        "4",
        "--duration",
        "1s",
        "--no-progress",
    ])
    .expect("the command line parses");
    let Some(Command::Dispatch(args)) = cli.command else {
        panic!("not dispatch")
    };
    let plan = Plan::new(super::args::DISPATCH, args).expect("plan");
    let (_stop_tx, stop_rx) = watch::channel(None);
    let Err(refused) = runtime.block_on(super::run::run(&plan, 1, stop_rx)) else {
        panic!("the run is refused")
    };
    let why = format!("{refused:#}");
    assert!(
        why.contains("real data") && why.contains("squad T-ENF-1"),
        "{why}"
    );
    assert!(why.contains("--allow-real-store"), "{why}");
    // Nothing of the run was registered.
    let listed: serde_json::Value = runtime.block_on(async {
        http.get(&teams)
            .bearer_auth(ADMIN)
            .send()
            .await
            .expect("GET /teams")
            .json()
            .await
            .expect("JSON")
    });
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
}
