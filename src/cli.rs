//! The binary's command line: the commands, their help, and `check-config`.
//!
//! `clap`'s derive parser (already a dependency) gives every command its own `--help`,
//! `help <command>`, and the conventional answer to a mistake: an unknown command or
//! option is named with the usage line, exit status 2. Exit status: 0 done, 1 failed (bad
//! settings included), 2 the command line itself was wrong.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub use backup::{backup, restore};
use clap::{Parser, Subcommand};
pub use gen_cert::gen_cert;
use hotline_dispatch::config::{Settings, Sources, env_source};

mod backup;
mod gen_cert;

/// Where the settings come from; shown under the command list of `--help`.
const SETTINGS_HELP: &str = "\
Settings (layered, later wins; README.md, \"Configuration\", lists every key):
  config/default.toml     the defaults (a copy is built into the binary)
  config/$APP_ENV.toml    the environment's file (APP_ENV unset: development, optional)
  APP_CONFIG_DIR          the config directory (default: config, under the working directory)
  APP__SECTION__KEY       one setting from the environment, e.g. APP__SERVER__PORT=8081,
                          APP__STORE__PATH=/var/lib/hotline.sled
  The handling guide is config/catalog.toml (tickets.catalog), the service area
  config/area.toml (area.path). Check them all with `hotline-dispatch check-config`.

Exit status: 0 done, 1 failed, 2 wrong command line.
More: README.md (quick start, configuration, operations).";

#[derive(Parser)]
#[command(
    name = "hotline-dispatch",
    version,
    about = "Real-time dispatch engine for a 12313 hotline command centre",
    after_help = SETTINGS_HELP,
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the engine: open the store, recover, serve the API, pages and sockets.
    #[command(after_help = SETTINGS_HELP)]
    Serve {
        /// Load synthetic Wuxue demo data into an empty store and print demo tokens.
        #[arg(long)]
        demo: bool,
    },
    /// Check the settings, the guide and the service area as `serve` would, then exit.
    #[command(
        long_about = "Loads the settings, the handling guide and the service area exactly as \
                      `serve` does at start, prints a short summary and exits 0; on the first \
                      error prints it (naming the file or key) and exits 1. The store is not \
                      opened and no port is bound, so it is safe next to a running engine.",
        after_help = SETTINGS_HELP
    )]
    CheckConfig,
    /// Back up the store to <file>: offline, or through the engine serving it (admin token).
    #[command(
        long_about = "Writes a consistent backup of the store of the settings (store.path) to \
                      <file>. With no engine serving the store it is read directly; while an \
                      engine serves it, the engine writes the backup (GET /api/v1/ops/backup, \
                      an admin token from --token or HOTLINE_TOKEN) without stopping its \
                      writes. The file is complete and checked before it appears under its \
                      name. Exits 0 printing the file, its size and last event id; 1 on failure.",
        after_help = SETTINGS_HELP
    )]
    Backup {
        /// The backup file to write.
        file: PathBuf,
        /// The serving engine (default: http://{server.host}:{server.port}).
        #[arg(long)]
        url: Option<String>,
        /// An admin token (default: the HOTLINE_TOKEN environment variable).
        #[arg(long)]
        token: Option<String>,
    },
    /// Restore a backup file into a new store directory and check it.
    #[command(
        long_about = "Checks <file> end to end (its checksum, every entry) and writes its \
                      trees into <store>, which must not exist or be empty; a damaged file \
                      or a non-empty target is refused and nothing is created. Prints the \
                      tickets, events and last event id restored. Serve it with \
                      APP__STORE__PATH=<store>, or check it with `verify`."
    )]
    Restore {
        /// The backup file.
        file: PathBuf,
        /// The new store directory.
        store: PathBuf,
    },
    /// Check the tamper-evident record: every event's hash chain and every snapshot.
    #[command(
        long_about = "Walks the whole store (store.path; the engine must not be serving it, \
                      so verify a restored backup of a live store): every event must follow \
                      its ticket's previous one and match its hash, and every ticket's \
                      snapshot its last event. Prints the counts and a digest of the whole \
                      record (keep it: a later digest that differs means the record changed) \
                      and exits 0; on the first broken link prints it and exits 1.",
        after_help = SETTINGS_HELP
    )]
    Verify,
    /// Write a self-signed certificate and key for serving HTTPS on a LAN.
    #[command(
        long_about = "Writes a self-signed certificate (PEM) for the host names and IP \
                      addresses given (default: localhost, 127.0.0.1, ::1 and this machine's \
                      host name) and its private key (PEM, readable by its owner only), then \
                      prints the two settings that serve HTTPS and WSS with them \
                      (server.tls_cert, server.tls_key). Existing files are not replaced \
                      unless --force. Exits 0 when written, 1 otherwise."
    )]
    GenCert {
        /// Host names and IP addresses the certificate is for (e.g. 192.168.1.20).
        names: Vec<String>,
        /// Where to write the certificate.
        #[arg(long, default_value = "hotline-cert.pem")]
        cert: PathBuf,
        /// Where to write the private key.
        #[arg(long, default_value = "hotline-key.pem")]
        key: PathBuf,
        /// Days the certificate is valid.
        #[arg(long, default_value_t = 825, value_parser = clap::value_parser!(u32).range(1..=3650))]
        days: u32,
        /// Replace existing files.
        #[arg(long)]
        force: bool,
    },
}

/// `check-config`: the loaders `serve` runs at start (`Settings::load`, then
/// `Engine::start`'s `Settings::catalog` and `Settings::area`), without the store.
pub fn check_config() -> ExitCode {
    let sources = Sources::from_process();
    let settings = match Settings::load_with(&sources, env_source(None)) {
        Ok(s) => s,
        Err(e) => return failed(&e),
    };
    for notice in &settings.notices {
        eprintln!("hotline-dispatch: {notice}");
    }
    let catalog = match settings.catalog() {
        Ok(c) => c,
        Err(e) => return failed(&e),
    };
    let area = match settings.area() {
        Ok(a) => a,
        Err(e) => return failed(&e),
    };
    // The certificate and key are read as `serve` reads them.
    let scheme = match hotline_dispatch::tls::server_config(&settings.server) {
        Ok(Some(_)) => format!(
            "https and wss ({}, {})",
            settings.server.tls_cert, settings.server.tls_key
        ),
        Ok(None) => "http and ws".to_owned(),
        Err(e) => return failed(&e),
    };
    println!("hotline-dispatch: settings are valid");
    println!("  config directory  {}", dir_state(&sources));
    println!("  settings          {}", files(&sources).join(", "));
    println!("  APP__ variables   {}", app_vars());
    println!(
        "  store             {} (not opened)",
        settings.store.path.display()
    );
    println!(
        "  listen            {}:{} (not bound), {scheme}",
        settings.server.host, settings.server.port
    );
    println!(
        "  handling guide    {}: {} categories",
        guide_source(&settings),
        catalog.categories().len()
    );
    let codes: Vec<&str> = area.areas().iter().map(|a| a.code()).collect();
    println!(
        "  service area      {}: {} area(s) ({}), {} towns",
        area.source(),
        codes.len(),
        codes.join(", "),
        area.towns().count()
    );
    ExitCode::SUCCESS
}

/// `verify`: the store of the settings, opened without writing.
pub fn verify() -> ExitCode {
    let settings = match Settings::load_with(&Sources::from_process(), env_source(None)) {
        Ok(s) => s,
        Err(e) => return failed(&e),
    };
    let path = &settings.store.path;
    match hotline_dispatch::store::chain::verify_store(path) {
        Ok(v) => {
            println!(
                "hotline-dispatch: the record at {} is intact: {} events of {} tickets",
                path.display(),
                v.events,
                v.tickets
            );
            println!("  digest  sha256:{}", hex::encode(v.digest));
            match hotline_dispatch::evidence::audit::audit(path) {
                Ok(a) => {
                    println!(
                        "  files   {} evidence files match their SHA-256; all {} held by tickets are kept",
                        a.files, a.held
                    );
                    ExitCode::SUCCESS
                }
                Err(broken) => {
                    eprintln!(
                        "hotline-dispatch: the evidence files at {} are broken: {broken}",
                        path.display()
                    );
                    ExitCode::FAILURE
                }
            }
        }
        Err(broken) => {
            eprintln!(
                "hotline-dispatch: the record at {} is broken: {broken}",
                path.display()
            );
            ExitCode::FAILURE
        }
    }
}

fn failed(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("hotline-dispatch: {e}");
    ExitCode::FAILURE
}

fn dir_state(sources: &Sources) -> String {
    let named = if sources.dir_named {
        "APP_CONFIG_DIR"
    } else {
        "default"
    };
    let state = if sources.dir.is_dir() {
        "found"
    } else {
        "missing: built-in defaults"
    };
    format!("{} ({named}, {state})", sources.dir.display())
}

/// The layers read, in order.
fn files(sources: &Sources) -> Vec<String> {
    let mut out = vec!["built-in defaults".to_owned()];
    for file in [sources.dir.join("default.toml"), sources.env_file()] {
        if file.is_file() {
            out.push(file.display().to_string());
        } else {
            out.push(format!("{} (absent)", file.display()));
        }
    }
    out
}

/// The names of the `APP__` variables set, never their values (tokens, secrets).
fn app_vars() -> String {
    let mut names: Vec<String> = std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .filter(|k| k.starts_with("APP__"))
        .collect();
    names.sort();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

/// Which guide `Settings::catalog` read: the named file, the config directory's, or the
/// built-in copy when the config directory has none.
fn guide_source(settings: &Settings) -> String {
    let configured = settings.tickets.catalog.trim();
    if !configured.is_empty() {
        return configured.to_owned();
    }
    let path: PathBuf = settings.config_dir.join("catalog.toml");
    if Path::new(&path).is_file() {
        path.display().to_string()
    } else {
        "built-in catalog.toml".to_owned()
    }
}
