//! `backup <file>` and `restore <file> <store>` (the work is in `store/backup/`).
//!
//! A serving engine holds sled's lock on its store, so `backup` first tries the store of
//! the settings itself (no engine: an offline copy), and when it is locked asks the engine
//! for one (`GET /api/v1/ops/backup`, an admin token). Either way the file is written to
//! `<file>.partial`, synced, checked end to end and only then renamed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use hotline_dispatch::config::{Settings, Sources, env_source};
use hotline_dispatch::store::backup::{self, BackupError, Summary};

use super::failed;

/// `backup <file>`.
pub fn backup(file: &Path, url: Option<String>, token: Option<String>) -> ExitCode {
    let settings = match Settings::load_with(&Sources::from_process(), env_source(None)) {
        Ok(s) => s,
        Err(e) => return failed(&e),
    };
    let store = &settings.store.path;
    let (summary, from) = match backup::backup_offline(store, file) {
        Ok(s) => (
            s,
            format!("the store at {} (no engine serving it)", store.display()),
        ),
        Err(BackupError::Locked(_)) => {
            let url = url.unwrap_or_else(|| default_url(&settings));
            let Some(token) = token.or_else(|| std::env::var("HOTLINE_TOKEN").ok()) else {
                return failed(&format!(
                    "the store at {} is in use (an engine is serving it): pass an admin \
                     token with --token or HOTLINE_TOKEN to back it up through {url}",
                    store.display()
                ));
            };
            match online(&url, &token, file) {
                Ok(s) => (s, format!("the engine serving at {url}")),
                Err(e) => return failed(&e),
            }
        }
        Err(e) => return failed(&e),
    };
    println!("hotline-dispatch: backup written to {}", file.display());
    println!("  from           {from}");
    println!("  size           {} bytes", summary.bytes);
    println!("  last event id  {}", summary.last_event_id);
    println!(
        "  holds          {} tickets, {} events, {} entries",
        summary.tickets, summary.events, summary.entries
    );
    println!("  evidence files {}", summary.files);
    ExitCode::SUCCESS
}

/// `restore <file> <store>`.
pub fn restore(file: &Path, store: &Path) -> ExitCode {
    match backup::restore(file, store) {
        Ok(s) => {
            println!(
                "hotline-dispatch: restored {} into {}",
                file.display(),
                store.display()
            );
            println!("  tickets        {}", s.tickets);
            println!("  events         {}", s.events);
            println!("  evidence files {}", s.files);
            println!("  last event id  {}", s.last_event_id);
            ExitCode::SUCCESS
        }
        Err(e) => failed(&e),
    }
}

/// The engine of the settings, from this host.
fn default_url(settings: &Settings) -> String {
    let host = match settings.server.host.as_str() {
        "0.0.0.0" | "" => "127.0.0.1",
        "::" | "[::]" => "[::1]",
        h => h,
    };
    format!("http://{host}:{}", settings.server.port)
}

/// Streams the engine's backup into `file` (via `<file>.partial`).
fn online(url: &str, token: &str, file: &Path) -> Result<Summary, BackupError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| BackupError::Other(format!("cannot start: {e}")))?;
    let endpoint = format!("{}/api/v1/ops/backup", url.trim_end_matches('/'));
    backup::write_file(file, |out| {
        runtime.block_on(download(&endpoint, token, out))
    })
}

async fn download(endpoint: &str, token: &str, out: &mut dyn Write) -> Result<(), BackupError> {
    let other = BackupError::Other;
    let res = reqwest::Client::new()
        .get(endpoint)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| other(format!("cannot reach the engine at {endpoint}: {e}")))?;
    let status = res.status();
    if !status.is_success() {
        let body = res.text().await.unwrap_or_default();
        let message = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or(body);
        return Err(other(match status.as_u16() {
            401 => format!("the engine refused the token (401): {message}"),
            403 => format!("the token is not an admin's (403): {message}"),
            409 => format!("the engine is already taking a backup (409): {message}"),
            s => format!("the engine answered {s}: {message}"),
        }));
    }
    let mut res = res;
    while let Some(chunk) = res
        .chunk()
        .await
        .map_err(|e| other(format!("the backup stream broke off: {e}")))?
    {
        out.write_all(&chunk).map_err(|source| BackupError::File {
            path: PathBuf::from("the partial file"),
            source,
        })?;
    }
    Ok(())
}
