//! `loadtest`: the load generator of hotline-dispatch. It parses the command line, runs
//! the chosen scenario (`mixed` when none is named) with a Ctrl-C watcher (first Ctrl-C:
//! stop and report what was measured; second: exit at once), prints the Markdown report
//! on stdout and writes the JSON one (and, for the simulations, the Markdown and the PNG
//! charts into `--out`). Progress and phase lines go to stderr so stdout stays the report.

mod body;
mod cli;
mod feed;
mod fleet;
mod intake;
mod report;
mod sim;
mod stats;
mod timefmt;

use std::process::ExitCode;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use clap::Parser;
use tokio::sync::watch;

use cli::{Cli, Command, IntakeArgs};
use fleet::args::{IngestArgs, NearestArgs};
use report::Report;

/// Exit code of a run in which offers were lost or duplicated.
const EXIT_OFFERS_NOT_CLEAN: u8 = 3;
/// Exit code after Ctrl-C (128 + SIGINT), once the partial report is out.
const EXIT_INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let name = cli.command.as_ref().map_or("mixed", Command::name);
    let (preset, args) = match cli.command {
        Some(Command::Intake(args)) => {
            return report_failure("intake", runtime(intake_main(args)));
        }
        Some(Command::Ingest(args)) => {
            return report_failure("ingest", runtime(ingest_main(args)));
        }
        Some(Command::Nearest(args)) => {
            return report_failure("nearest", current_thread(nearest_main(args)));
        }
        Some(Command::Redis(args)) => {
            return report_failure("redis", runtime(redis_main(args)));
        }
        Some(Command::FeedReceiver(args)) => {
            return report_failure(
                "feed-receiver",
                runtime(async { feed::main(args).await.map(|()| ExitCode::SUCCESS) }),
            );
        }
        Some(Command::Worker) => {
            return report_failure(
                "worker",
                runtime(async { sim::worker::main().await.map(|()| ExitCode::SUCCESS) }),
            );
        }
        Some(Command::Dispatch(a)) => (sim::args::DISPATCH, a),
        Some(Command::Fanout(a)) => (sim::args::FANOUT, a),
        Some(Command::Soak(a)) => (sim::args::SOAK, a),
        Some(Command::Mixed(a)) => (sim::args::MIXED, a),
        None => (sim::args::MIXED, cli.mixed),
    };
    report_failure(name, runtime(sim_main(preset, args)))
}

async fn redis_main(args: sim::peer::PeerArgs) -> Result<ExitCode> {
    let report = sim::peer::run(&args).await?;
    println!("{}", report.markdown());
    if let Some(path) = &args.json {
        write_json(path, &report)?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn sim_main(preset: sim::args::Preset, args: sim::args::SimArgs) -> Result<ExitCode> {
    let plan = sim::args::Plan::new(preset, args).map_err(anyhow::Error::msg)?;
    let seed = plan.args.seed.unwrap_or_else(clock_millis);
    let stop = watch_ctrl_c();
    let report = sim::run::run(&plan, seed, stop).await?;
    let md = report.markdown();
    println!("{md}");
    let dir = plan.args.out.clone().unwrap_or_else(|| {
        let stamp = time::OffsetDateTime::now_utc();
        std::path::PathBuf::from(format!(
            "loadtest-out/{}-{:04}{:02}{:02}-{:02}{:02}{:02}",
            plan.scenario,
            stamp.year(),
            u8::from(stamp.month()),
            stamp.day(),
            stamp.hour(),
            stamp.minute(),
            stamp.second()
        ))
    });
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    write_json(&dir.join("report.json"), &report)?;
    std::fs::write(dir.join("report.md"), &md)
        .with_context(|| format!("writing {}/report.md", dir.display()))?;
    match tracker_charts(&dir, &report) {
        Ok(files) => eprintln!("wrote {} in {}", files.join(", "), dir.display()),
        Err(e) => eprintln!("charts not drawn: {e:#}"),
    }
    if report.interrupted {
        Ok(ExitCode::from(EXIT_INTERRUPTED))
    } else if !report.offers.clean() {
        eprintln!("offers were lost or duplicated: see the report");
        Ok(ExitCode::from(EXIT_OFFERS_NOT_CLEAN))
    } else {
        Ok(ExitCode::SUCCESS)
    }
}

fn tracker_charts(dir: &std::path::Path, report: &sim::report::SimReport) -> Result<Vec<String>> {
    let h = report.histograms.as_ref().context("no histograms kept")?;
    sim::chart::draw(dir, report.scenario, h, &report.samples)
}

fn report_failure(scenario: &str, result: Result<ExitCode>) -> ExitCode {
    result.unwrap_or_else(|e| {
        eprintln!("loadtest {scenario}: error: {e:#}");
        ExitCode::FAILURE
    })
}

fn runtime(main: impl Future<Output = Result<ExitCode>>) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(main)
}

/// One thread for latency timing: no hop between worker threads on either side.
fn current_thread(main: impl Future<Output = Result<ExitCode>>) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(main)
}

/// Milliseconds since the Unix epoch: the default seed and run id.
fn clock_millis() -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(now.as_millis()).unwrap_or(u64::MAX)
}

/// Watches for Ctrl-C: the first sets the stop signal (the scenario ends with what it
/// measured), the second exits at once.
fn watch_ctrl_c() -> intake::StopSignal {
    let (stop_tx, stop_rx) = watch::channel(None);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\ninterrupted: finishing with a partial report (Ctrl-C again to abort)");
            let _ = stop_tx.send(Some(Instant::now()));
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
        }
        // Keep the sender alive so that receivers never see a closed channel.
        std::future::pending::<()>().await;
    });
    stop_rx
}

async fn intake_main(args: IntakeArgs) -> Result<ExitCode> {
    let millis = clock_millis();
    let run_id = args.run_id.clone().unwrap_or_else(|| format!("{millis:x}"));
    let seed = args.seed.unwrap_or(millis);
    let started_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();

    let stop_rx = watch_ctrl_c();
    tokio::select! {
        checked = intake::preflight(&args, &run_id, seed) => checked?,
        _ = wait_stopped(stop_rx.clone()) => return Ok(ExitCode::from(EXIT_INTERRUPTED)),
    }
    let run = intake::run(&args, &run_id, seed, stop_rx).await?;

    let report = Report {
        tool: "loadtest",
        version: env!("CARGO_PKG_VERSION"),
        scenario: "intake",
        url: args.url.trim_end_matches('/').to_owned(),
        run_id,
        seed,
        started_at,
        duration_s: args.duration.as_secs_f64(),
        warmup_s: args.warmup.as_secs_f64(),
        timeout_s: args.timeout.as_secs_f64(),
        interrupted: run.interrupted,
        phases: run.phases,
    };
    println!("{}", report.markdown());
    if let Some(path) = &args.json {
        report.write_json(path)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(exit_code(report.interrupted))
}

async fn ingest_main(args: IngestArgs) -> Result<ExitCode> {
    let seed = args.seed.unwrap_or_else(clock_millis);
    let stop = watch_ctrl_c();
    let report = fleet::ingest::run(&args, seed, stop).await?;
    println!("{}", report.markdown());
    if let Some(path) = &args.json {
        write_json(path, &report)?;
    }
    Ok(exit_code(report.interrupted))
}

async fn nearest_main(args: NearestArgs) -> Result<ExitCode> {
    let report = fleet::nearest::run(&args).await?;
    println!("{}", report.markdown());
    if let Some(path) = &args.json {
        write_json(path, &report)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn write_json(path: &std::path::Path, report: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(report)?;
    std::fs::write(path, text + "\n")?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

fn exit_code(interrupted: bool) -> ExitCode {
    if interrupted {
        ExitCode::from(EXIT_INTERRUPTED)
    } else {
        ExitCode::SUCCESS
    }
}

async fn wait_stopped(mut stop: intake::StopSignal) {
    let _ = stop.wait_for(Option::is_some).await;
}
