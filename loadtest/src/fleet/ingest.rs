//! The `ingest` scenario: a simulated fleet streams GPS fixes over vehicle sockets. It
//! raises its own file-descriptor limit, registers the vehicles and issues their field
//! tokens (bounded concurrency), opens one socket per vehicle spread over the given local
//! loopback addresses, then runs each phase (a frame rate and a batch size): a warm-up,
//! a measured window bracketed by readings of the engine's accepted-fix counter and of
//! `/proc` (engine, this process, the machine), then a drain until the counter settles so
//! the next phase starts clean. Several processes can share a run: they meet at a file
//! barrier before every phase so their windows coincide.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::args::IngestArgs;
use super::path::{Mover, now_us};
use super::probe::scrape;
use super::register::{self, Admin};
use super::report::IngestReport;
use super::socket::{self, Command, Target};
use crate::intake::StopSignal;

/// The engine's counter of fixes taken.
pub const ACCEPTED: &str = "hotline_fixes_accepted_total";

/// Where the engine is: its socket address, `ws://` base and `/metrics` URL.
pub async fn locate(url: &str) -> Result<(Target, String)> {
    let base = url.trim().trim_end_matches('/');
    let Some(hostport) = base.strip_prefix("http://") else {
        bail!("--url must start with http:// (no TLS here): got `{base}`");
    };
    if hostport.contains('/') {
        bail!("--url is the engine's base URL, without a path: got `{base}`");
    }
    let server: SocketAddr = tokio::net::lookup_host(hostport)
        .await
        .with_context(|| format!("resolving {hostport}"))?
        .next()
        .with_context(|| format!("{hostport} resolves to nothing"))?;
    if !server.ip().is_loopback() {
        bail!("load goes to this machine's loopback only; {server} is not loopback");
    }
    let target = Target {
        server,
        ws_base: format!("ws://{hostport}"),
    };
    Ok((target, format!("{base}/metrics")))
}

/// Writes this process's mark for `name` and waits for every other process's.
async fn barrier(dir: &Path, name: &str, procs: usize, me: usize, timeout: Duration) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mark = |i: usize| dir.join(format!("{name}.{i}"));
    std::fs::write(mark(me), b"").with_context(|| format!("writing {}", mark(me).display()))?;
    let deadline = Instant::now() + timeout;
    while (0..procs).any(|i| !mark(i).exists()) {
        if Instant::now() >= deadline {
            bail!("the other load processes did not reach `{name}` within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

pub fn bar(args: &IngestArgs, len: u64, prefix: &str, template: &str) -> ProgressBar {
    if args.no_progress {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(template) {
        b.set_style(style.progress_chars("=> "));
    }
    b.set_prefix(prefix.to_owned());
    b
}

const COUNT_BAR: &str = "{prefix:>12} [{bar:30.cyan/blue}] {pos}/{len} {elapsed}";

/// Runs the whole scenario and returns its report.
pub async fn run(args: &IngestArgs, seed: u64, mut stop: StopSignal) -> Result<IngestReport> {
    let nofile = rlimit::increase_nofile_limit(u64::MAX).ok();
    if let Some(n) = nofile
        && n < args.vehicles as u64 + 64
    {
        bail!(
            "this process may open {n} files, too few for {} sockets: lower --vehicles or run several processes",
            args.vehicles
        );
    }
    let phases = args.phases().map_err(anyhow::Error::msg)?;
    let (target, metrics_url) = locate(&args.url).await?;
    if let Some(a) = args
        .addresses
        .iter()
        .find(|a| !a.is_loopback() || a.is_ipv4() != target.server.is_ipv4())
    {
        bail!("--addresses: {a} is not a loopback address of the engine's family");
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(0)
        .no_proxy()
        .build()?;
    scrape(&http, &metrics_url, ACCEPTED)
        .await
        .context("the engine's /metrics does not answer: is it running there?")?;

    // ---- register and issue tokens --------------------------------------------------
    let t0 = Instant::now();
    let admin = Admin::new(&args.url, &args.admin_token, args.register_concurrency)?;
    if args.register {
        admin.guard_store(args.allow_real_store).await?;
    }
    eprintln!(
        "ingest: {} {} vehicles ({}-v…)",
        if args.register {
            "registering"
        } else {
            "issuing tokens for"
        },
        args.vehicles,
        args.id_prefix
    );
    let b = bar(args, args.vehicles as u64, "register", COUNT_BAR);
    let fleet = tokio::select! {
        f = register::fleet(&admin, &args.id_prefix, args.vehicles, args.register, args.register_concurrency, &b) => f?,
        _ = stop.wait_for(Option::is_some) => bail!("interrupted while registering"),
    };
    b.finish_and_clear();
    let registration_s = t0.elapsed().as_secs_f64();

    // ---- open the sockets -------------------------------------------------------------
    let t1 = Instant::now();
    eprintln!(
        "ingest: registered in {registration_s:.1}s; opening {} sockets from {} address(es)",
        fleet.len(),
        args.addresses.len()
    );
    let (cmd_tx, cmd_rx) = watch::channel(Command::Idle);
    let (opened_tx, mut opened_rx) = mpsc::unbounded_channel::<Result<(), String>>();
    let gate = Arc::new(Semaphore::new(args.connect_concurrency.max(1)));
    let mut tasks = JoinSet::new();
    // Not in the past: a rerun against the same engine must not go back before the
    // fixes of the previous run (the engine refuses fixes older than the last one).
    let start_us = now_us();
    for v in fleet {
        let local: IpAddr = args.addresses[v.index % args.addresses.len()];
        let (target, gate, opened, cmds) = (
            target.clone(),
            gate.clone(),
            opened_tx.clone(),
            cmd_rx.clone(),
        );
        let mover_seed = seed ^ (v.index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        tasks.spawn(async move {
            let ws = {
                let _permit = gate.acquire().await;
                socket::open(&target, local, &v.token, false).await
            };
            match ws {
                Ok(ws) => {
                    let _ = opened.send(Ok(()));
                    let (lat, lng) =
                        socket::drive(ws, Mover::new(mover_seed, start_us), cmds).await;
                    Some((v.id, lng, lat))
                }
                Err(e) => {
                    let _ = opened.send(Err(format!("{e:#}")));
                    None
                }
            }
        });
    }
    drop(opened_tx);
    let b = bar(args, args.vehicles as u64, "connect", COUNT_BAR);
    let mut connected = 0;
    let mut connect_errors: BTreeMap<String, u64> = BTreeMap::new();
    let mut reported = 0;
    // Every task reports once, then keeps its sender while it drives the socket.
    while reported < args.vehicles
        && let Some(r) = tokio::select! {
            r = opened_rx.recv() => r,
            _ = stop.wait_for(Option::is_some) => None,
        }
    {
        match r {
            Ok(()) => connected += 1,
            Err(e) => *connect_errors.entry(e).or_default() += 1,
        }
        reported += 1;
        b.inc(1);
    }
    b.finish_and_clear();
    let connect_s = t1.elapsed().as_secs_f64();
    eprintln!(
        "ingest: {connected} socket(s) open in {connect_s:.1}s, {} failed",
        connect_errors.values().sum::<u64>()
    );
    if let Some((e, _)) = connect_errors.iter().next() {
        eprintln!("ingest: first socket error: {e}");
    }

    // ---- the phases -------------------------------------------------------------------
    let mut results = Vec::new();
    for (k, &(rate, batch)) in phases.iter().enumerate() {
        if stop.borrow().is_some() || connected == 0 {
            break;
        }
        if let Some(dir) = &args.barrier_dir {
            let name = format!("phase{k}");
            let wait = barrier(
                dir,
                &name,
                args.procs,
                args.proc_index,
                args.barrier_timeout,
            );
            tokio::select! {
                r = wait => r?,
                _ = stop.wait_for(Option::is_some) => break,
            }
        }
        let r = super::phase::run_phase(
            args,
            k,
            rate,
            batch,
            connected,
            &cmd_tx,
            &http,
            &metrics_url,
            &mut stop,
        )
        .await?;
        eprintln!(
            "ingest: phase {}/{}: {} fix(es)/frame at {}: sent {:.0}/s, engine accepted {:.0}/s, refused {}, engine CPU {}%",
            k + 1,
            phases.len(),
            batch,
            if rate > 0.0 {
                format!("{rate} Hz")
            } else {
                "max".into()
            },
            r.sent_fixes_per_s,
            r.server_accepted_per_s,
            r.refused_fixes,
            r.server
                .as_ref()
                .map_or("-".into(), |s| format!("{:.0}", s.cpu_pct))
        );
        results.push(r);
    }

    // ---- close ------------------------------------------------------------------------
    let _ = cmd_tx.send(Command::Finish);
    let mut positions = Vec::new();
    let closing = async {
        while let Some(joined) = tasks.join_next().await {
            if let Ok(Some(p)) = joined {
                positions.push(p);
            }
        }
    };
    if tokio::time::timeout(Duration::from_secs(15), closing)
        .await
        .is_err()
    {
        eprintln!("ingest: some sockets did not close within 15 s");
        tasks.abort_all();
    }
    if let Some(path) = &args.fleet_out {
        positions.sort_by(|a, b| a.0.cmp(&b.0));
        let text: String = positions
            .iter()
            .map(|(id, lng, lat)| format!("{id},{lng:.6},{lat:.6}\n"))
            .collect();
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        eprintln!(
            "ingest: wrote {} positions to {}",
            positions.len(),
            path.display()
        );
    }
    Ok(IngestReport {
        tool: "loadtest",
        version: env!("CARGO_PKG_VERSION"),
        scenario: "ingest",
        url: args.url.trim_end_matches('/').to_owned(),
        seed,
        id_prefix: args.id_prefix.clone(),
        proc_index: args.proc_index,
        procs: args.procs,
        vehicles: args.vehicles,
        connected,
        connect_errors,
        registration_s,
        connect_s,
        nofile_limit: nofile,
        server_pid: args.server_pid,
        interrupted: stop.borrow().is_some(),
        phases: results,
    })
}
