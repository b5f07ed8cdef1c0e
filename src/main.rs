//! The `hotline-dispatch` command: `serve [--demo]` and `check-config` (see `cli.rs`).

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use cli::{Cli, Command};
use hotline_dispatch::app::Application;
use hotline_dispatch::config::Settings;
use hotline_dispatch::domain::SystemClock;
use hotline_dispatch::{demo, telemetry};

mod cli;

/// mimalloc rather than glibc's malloc: memory freed after a burst (a province's 100,000
/// tickets taken in, their actors passivated) goes back to the system instead of staying
/// resident in glibc's arenas, and the small allocations of the fix and intake paths are
/// cheaper (the engine took 71,000 fixes/s on its core where it took 39,000).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let demo = match Cli::parse().command {
        Command::Serve { demo } => demo,
        Command::CheckConfig => return cli::check_config(),
        Command::Backup { file, url, token } => return cli::backup(&file, url, token),
        Command::Restore { file, store } => return cli::restore(&file, &store),
        Command::Verify => return cli::verify(),
        Command::GenCert {
            names,
            cert,
            key,
            days,
            force,
        } => return cli::gen_cert(names, &cert, &key, days, force),
    };
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("hotline-dispatch: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Before the logger exists, so a missing config directory is seen even with logs off.
    for notice in &settings.notices {
        eprintln!("hotline-dispatch: {notice}");
    }
    telemetry::init(&settings.log);
    for notice in &settings.notices {
        tracing::warn!(notice = %notice, "settings");
    }
    match actix_web::rt::System::new().block_on(serve(settings, demo)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hotline-dispatch: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings, with_demo: bool) -> anyhow::Result<()> {
    let app = Application::build(settings, Arc::new(SystemClock))?;
    let engine = app.engine().clone();
    let base = app.base_url();
    if with_demo {
        if let Some(node) = &engine.cluster {
            // One node loads the demo for the whole cluster, alone and into an empty
            // cluster; the others follow it.
            let lease = std::time::Duration::from_millis(engine.settings.cluster.lease_ms);
            let alone = node.hold_everything(lease * 2).await;
            let empty = node.cluster_is_empty().await.unwrap_or(false);
            if !(alone && empty) {
                println!(
                    "Cluster mode: demo data is loaded by the first node, alone, into an empty cluster; not loaded here."
                );
            } else if demo::store_is_empty(&engine)? {
                demo::load(&engine).await?;
                println!("Loaded synthetic Wuxue demo data (made up; not real people or shops).");
            }
        } else if demo::store_is_empty(&engine)? {
            demo::load(&engine).await?;
            println!("Loaded synthetic Wuxue demo data (made up; not real people or shops).");
        } else {
            println!("The store already holds data; demo data not loaded again.");
        }
        let tokens = demo::issue_tokens(&engine).await?;
        println!("Demo tokens (shown once):");
        for (role, token) in &tokens.tokens {
            println!("  {role:<22} {token}");
        }
    }
    println!("hotline-dispatch listening on {base}");
    println!("  API        {base}/api/v1   (Authorization: Bearer <token>)");
    println!("  API docs   {base}/docs/");
    println!("  console    {base}/console");
    println!("  board      {base}/board?token=<board token>");
    println!("  stats      {base}/stats");
    println!("  field      {base}/field   (crews' phones: a field token; HTTPS for GPS)");
    println!("  metrics    {base}/metrics");
    app.run_until_stopped().await?;
    Ok(())
}
