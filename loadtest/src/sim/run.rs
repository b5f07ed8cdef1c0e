//! One simulation run from start to report: register the fleet and issue tokens, preload
//! open tickets if asked, open the vehicle sockets (here and in worker processes), the
//! consoles and boards, start the gateway; then warm-up, measured window and drain, with
//! the sampler and the progress bar going; then finish, gather every process's numbers and
//! audit the offers. Ctrl-C at any point after set-up goes straight to the finish and
//! the report says it is partial.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::args::Plan;
use super::fleet::{self, Opened};
use super::report::{Lat, Latencies, ServerSummary, SetupFacts, SimReport, Throughput};
use super::sampler::{self, server_snap};
use super::streams::{self, Audience, StreamTarget, Watcher};
use super::tickets::{self, Feed, Platform};
use super::track::{Counters, Snap, Tracker};
use super::vehicle::VehicleCtx;
use super::worker::{self, Spec};
use super::{COUNT_BAR, RUN_BAR, Stage, bar, gateway, http_client, setup};
use crate::fleet::ingest::locate;
use crate::fleet::path::Mover;
use crate::fleet::register::Admin;
use crate::intake::StopSignal;
use crate::timefmt::now_us;

/// Sleeps until `at`; `true` when Ctrl-C came first.
pub(super) async fn wait(at: Instant, stop: &mut StopSignal) -> bool {
    tokio::select! {
        _ = tokio::time::sleep_until(at) => false,
        _ = stop.wait_for(Option::is_some) => true,
    }
}

/// Runs the plan; the report is partial when Ctrl-C ended it.
pub async fn run(plan: &Plan, seed: u64, mut stop: StopSignal) -> Result<SimReport> {
    let a = &plan.args;
    let started_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let nofile = rlimit::increase_nofile_limit(u64::MAX).ok();
    let local_sockets = plan.vehicles_of(0).len() + plan.consoles + plan.boards;
    if let Some(n) = nofile
        && n < local_sockets as u64 + 256
    {
        bail!(
            "this process may open {n} files, too few for {local_sockets} sockets: raise --procs"
        );
    }
    let (target, _) = locate(&a.url).await?;
    let base = a.url.trim_end_matches('/').to_owned();
    let http = http_client(256)?;
    let mut facts = SetupFacts::default();

    // ---- register, issue tokens, preload -------------------------------------------
    let t0 = Instant::now();
    let admin = Admin::new(&base, &plan.admin_token, a.register_concurrency)?;
    admin.guard_store(a.allow_real_store).await?;
    eprintln!(
        "{}: registering {} socket and {} gateway vehicles",
        plan.scenario, plan.vehicles, plan.gateway_vehicles
    );
    let b = bar(
        a.no_progress,
        (plan.vehicles + plan.gateway_vehicles) as u64,
        "register",
        COUNT_BAR,
    );
    let setup = tokio::select! {
        s = setup::run(&admin, &a.id_prefix, plan.vehicles, plan.gateway_vehicles, plan.consoles, a.register_concurrency, &b) => s?,
        _ = stop.wait_for(Option::is_some) => bail!("interrupted while registering"),
    };
    b.finish_and_clear();
    facts.registration_s = t0.elapsed().as_secs_f64();
    let run_id = format!("{}-{:x}", a.id_prefix, now_us() / 1000);
    let platform = Platform {
        http: http.clone(),
        endpoint: format!("{base}/api/v1/tickets"),
        token: setup.platform.clone(),
    };
    if a.open_tickets > 0 {
        let t = Instant::now();
        eprintln!(
            "{}: taking in {} open tickets first",
            plan.scenario, a.open_tickets
        );
        let b = bar(a.no_progress, a.open_tickets as u64, "preload", COUNT_BAR);
        facts.open_tickets_preloaded = tokio::select! {
            n = tickets::preload(&platform, a.open_tickets, 64, &run_id, seed, &b) => n,
            _ = stop.wait_for(Option::is_some) => bail!("interrupted while preloading tickets"),
        };
        b.finish_and_clear();
        facts.preload_s = t.elapsed().as_secs_f64();
    }

    // ---- vehicles: this process's share and the workers' -----------------------------
    let t1 = Instant::now();
    let counters = Arc::new(Counters::default());
    let tracker = Arc::new(Tracker::new(plan.consoles));
    let (stage_tx, stage_rx) = watch::channel(Stage::Setup);
    let vctx = Arc::new(VehicleCtx {
        counters: counters.clone(),
        tracker: tracker.clone(),
        http: http.clone(),
        base: base.clone(),
        rate: a.rate,
        batch: usize::from(a.batch),
        onsite: a.onsite,
    });
    let mut workers = Vec::new();
    for k in 1..usize::from(a.procs) {
        let spec = Spec {
            url: base.clone(),
            addresses: a.addresses.clone(),
            vehicles: setup.vehicles[plan.vehicles_of(k)].to_vec(),
            rate: a.rate,
            batch: usize::from(a.batch),
            onsite_ms: u64::try_from(a.onsite.as_millis()).unwrap_or(u64::MAX),
            seed,
            connect_concurrency: a.connect_concurrency,
        };
        workers.push(worker::Handle::spawn(&spec).await?);
    }
    eprintln!(
        "{}: opening {} vehicle sockets in {} process(es) from {} address(es)",
        plan.scenario,
        plan.vehicles,
        a.procs,
        a.addresses.len()
    );
    let b = bar(
        a.no_progress,
        plan.vehicles_of(0).len() as u64,
        "connect",
        COUNT_BAR,
    );
    let mine = setup.vehicles[plan.vehicles_of(0)].to_vec();
    let (opened, mut vehicle_tasks) = fleet::start(
        &target,
        &a.addresses,
        mine,
        seed,
        a.connect_concurrency,
        vctx,
        stage_rx.clone(),
        &b,
    )
    .await;
    b.finish_and_clear();
    let mut all_open = opened;
    for w in &mut workers {
        merge_opened(&mut all_open, w.connected().await?);
    }
    facts.sockets_open = all_open.open;
    facts.sockets_failed = all_open.errors.values().sum();
    facts.connect_errors = all_open.errors;

    // ---- consoles and boards -----------------------------------------------------------
    let mut watchers = JoinSet::new();
    let streams_wanted = plan.consoles + plan.boards;
    for k in 0..streams_wanted {
        let (audience, index, token) = if k < plan.consoles {
            (Audience::Console, k, setup.dispatchers[k].clone())
        } else {
            (Audience::Board, k - plan.consoles, setup.board.clone())
        };
        let st = StreamTarget {
            server: target.server,
            ws_base: target.ws_base.clone(),
            local: a.addresses[k % a.addresses.len()],
            token,
        };
        let view = match audience {
            Audience::Console => streams::console_viewport(plan.args.console_view, index),
            Audience::Board => None,
        };
        match streams::open(&st, audience, None, view.as_deref()).await {
            Ok(ws) => {
                match audience {
                    Audience::Console => {
                        facts.consoles_open += 1;
                        tracker.console_live(index);
                    }
                    Audience::Board => facts.boards_open += 1,
                }
                let w = Watcher {
                    index,
                    audience,
                    view,
                    target: st,
                    counters: counters.clone(),
                    tracker: tracker.clone(),
                };
                watchers.spawn(streams::watch(w, ws, stage_rx.clone()));
            }
            Err(e) => {
                let name = if audience == Audience::Console {
                    "console"
                } else {
                    "board"
                };
                eprintln!("{}: {name} {index} not opened: {e:#}", plan.scenario);
                counters.error(&format!("{name}_not_opened"));
            }
        }
    }
    facts.connect_s = t1.elapsed().as_secs_f64();
    eprintln!(
        "{}: {} vehicle sockets ({} failed), {} consoles, {} boards open in {:.1}s",
        plan.scenario,
        facts.sockets_open,
        facts.sockets_failed,
        facts.consoles_open,
        facts.boards_open,
        facts.connect_s
    );

    // ---- the gateway -------------------------------------------------------------------
    let mut others = JoinSet::new();
    if !setup.gateway.is_empty() {
        let mut shares: Vec<gateway::Share> = (0..gateway::CONNECTIONS)
            .map(|_| gateway::Share {
                vehicles: Vec::new(),
            })
            .collect();
        let start_us = now_us();
        for (k, id) in setup.gateway.iter().enumerate() {
            let s = seed ^ 0x5151 ^ (k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            shares[k % gateway::CONNECTIONS]
                .vehicles
                .push((id.clone(), Mover::new(s, start_us)));
        }
        let period = Duration::from_secs_f64(1.0 / a.rate);
        for share in shares {
            others.spawn(gateway::run(
                share,
                usize::from(a.gateway_batch),
                period,
                http.clone(),
                format!("{base}/api/v1/positions"),
                setup.platform.clone(),
                counters.clone(),
                stage_rx.clone(),
            ));
        }
    }

    // ---- warm-up, measure, drain ---------------------------------------------------------
    let latest: Vec<_> = workers.iter().map(|w| w.latest.clone()).collect();
    let local = counters.clone();
    let total: Arc<dyn Fn() -> Snap + Send + Sync> = Arc::new(move || {
        let mut s = local.snap();
        for l in &latest {
            if let Ok(g) = l.lock() {
                s.add(&g);
            }
        }
        s
    });
    let started = Instant::now();
    let measure_from = started + a.warmup;
    let end = measure_from + plan.duration;
    let run_bar = bar(
        a.no_progress,
        u64::try_from((a.warmup + plan.duration).as_millis()).unwrap_or(0),
        plan.scenario,
        RUN_BAR,
    );
    let sampler = tokio::spawn(sampler::run(
        a.sample,
        a.server_pid,
        total.clone(),
        run_bar.clone(),
        stage_rx.clone(),
    ));
    let _ = stage_tx.send(Stage::Warmup);
    others.spawn(tickets::feed(
        Feed {
            platform,
            per_s: plan.tickets,
            urgent_share: a.urgent_share,
            run_id,
            seed,
            max_inflight: a.max_inflight,
            counters: counters.clone(),
            tracker: tracker.clone(),
        },
        stage_rx.clone(),
    ));
    let mut interrupted = wait(measure_from, &mut stop).await;
    let load_start = super::report::load_average();
    let mut first = (total(), server_snap(a.server_pid), Instant::now());
    let mut last = first.clone();
    let mut load_end = None;
    if !interrupted {
        tracker.start_measuring(now_us());
        first = (total(), server_snap(a.server_pid), Instant::now());
        let _ = stage_tx.send(Stage::Measure);
        interrupted = wait(end, &mut stop).await;
        last = (total(), server_snap(a.server_pid), Instant::now());
        let _ = stage_tx.send(Stage::Drain);
        load_end = super::report::load_average();
    }
    if !interrupted {
        interrupted = super::wrapup::drain(&tracker, &total, plan, &mut stop).await;
    }
    run_bar.finish_and_clear();

    // ---- finish and gather -----------------------------------------------------------------
    let _ = stage_tx.send(Stage::Finish);
    let samples = sampler.await.unwrap_or_default();
    let end_server = server_snap(a.server_pid);
    let closing = async {
        while vehicle_tasks.join_next().await.is_some() {}
        while watchers.join_next().await.is_some() {}
        while others.join_next().await.is_some() {}
    };
    if tokio::time::timeout(Duration::from_secs(20), closing)
        .await
        .is_err()
    {
        eprintln!("{}: some tasks did not end within 20 s", plan.scenario);
    }
    let mut totals = counters.snap();
    for w in workers {
        match w.finish().await {
            Ok((snap, offers)) => {
                totals.add(&snap);
                for (id, at) in offers {
                    tracker.vehicle_offer(&id, at);
                }
            }
            Err(e) => eprintln!("{}: {e:#}", plan.scenario),
        }
    }
    let unserved = super::wrapup::unserved(&http, &base, &setup.auditor, tracker.unoffered()).await;
    let window_s = last.2.saturating_duration_since(first.2).as_secs_f64();
    let measured = last.0.since(&first.0);
    let h = tracker
        .histograms()
        .context("the tracker's lock was poisoned")?;
    let server = a.server_pid.map(|pid| ServerSummary {
        pid,
        cpu_pct_mean: match (&first.1, &last.1) {
            (Some(x), Some(y)) if window_s > 0.0 => Some(y.cpu_pct_since(x)),
            _ => None,
        },
        cpu_pct_max: samples
            .iter()
            .filter_map(|s| s.server_cpu_pct)
            .reduce(f64::max),
        rss_mib_start: first.1.as_ref().and_then(|s| s.rss_mib),
        rss_mib_max: samples
            .iter()
            .filter_map(|s| s.server_rss_mib)
            .reduce(f64::max),
        rss_mib_end: end_server.as_ref().and_then(|s| s.rss_mib),
        peak_rss_mib: end_server.as_ref().and_then(|s| s.peak_rss_mib),
        open_fds: end_server.as_ref().and_then(|s| s.fds),
    });
    Ok(SimReport {
        tool: "loadtest",
        version: env!("CARGO_PKG_VERSION"),
        scenario: plan.scenario,
        url: base,
        seed,
        started_at,
        settings: super::wrapup::settings(plan),
        setup: facts,
        window_s,
        machine_load: (load_start, load_end),
        interrupted,
        throughput: Throughput::of(&measured, window_s),
        totals,
        measured,
        latency_ms: Latencies {
            offer_vehicle: Lat::of(&h.offer_vehicle),
            offer_console: Lat::of(&h.offer_console),
            move_console: Lat::of(&h.move_console),
            intake_ack: Lat::of(&h.ack),
        },
        offers: tracker.audit(&unserved),
        server,
        samples,
        histograms: Some(h),
    })
}

fn merge_opened(into: &mut Opened, o: Opened) {
    into.open += o.open;
    for (k, v) in o.errors {
        *into.errors.entry(k).or_default() += v;
    }
}
