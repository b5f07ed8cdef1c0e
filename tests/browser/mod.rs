//! The pages in a real browser, and the routes behind them. `pages_in_chromium` runs
//! `node tests/browser/run.mjs` (headless Debian chromium driven by npm playwright-core,
//! vehicle clients on npm ws) against the real engine binary and fails when it fails — or
//! when node, the npm packages or chromium are missing: CI installs them (`.ci/run`), so a
//! missing piece is an error, never a skip. Screenshots land in `target/browser-artifacts/`.

mod routes;

use std::path::Path;
use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

#[test]
fn pages_in_chromium() {
    let node = Command::new("node").arg("--version").output();
    let version = match node {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        _ => panic!("node is missing: install nodejs (>= 20) and run `npm ci` in tests/browser"),
    };
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    assert!(
        major >= 20,
        "node {version} is too old: the browser tests need 20 or later"
    );
    for package in ["playwright-core", "ws"] {
        assert!(
            Path::new("tests/browser/node_modules")
                .join(package)
                .exists(),
            "npm package `{package}` is missing: run `npm ci` in tests/browser"
        );
    }
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| CHROMIUM.to_owned());
    assert!(
        Path::new(&chromium).exists(),
        "chromium is missing at {chromium}: apt-get install chromium fonts-wqy-microhei"
    );
    let status = Command::new("node")
        .arg("tests/browser/run.mjs")
        .env("ENGINE_BIN", env!("CARGO_BIN_EXE_hotline-dispatch"))
        .env("CHROMIUM", &chromium)
        .env("ARTIFACTS", "target/browser-artifacts")
        .status()
        .expect("node runs");
    assert!(
        status.success(),
        "browser tests failed (see the output above and target/browser-artifacts/)"
    );
}
