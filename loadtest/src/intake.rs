//! The `intake` scenario. For each client count, one phase: a fresh HTTP client whose
//! connection pool holds that many connections, and that many tasks each looping
//! `POST /api/v1/tickets` (closed loop: send, wait for the whole answer, send again).
//! Requests started during the warm-up are discarded; the rest are counted, and the
//! latency of acknowledged ones (201/200) goes into an HDR histogram. A phase stops
//! starting requests when its duration is up and waits for those in flight (bounded by the
//! per-request timeout). Ctrl-C drops what is in flight and ends the run with what was
//! measured so far.
//!
//! Closed-loop clients slow down with the server, so latency here is service time under
//! that concurrency, not latency under a fixed arrival rate (no coordinated-omission
//! correction is attempted).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand::rngs::StdRng;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::body;
use crate::cli::IntakeArgs;
use crate::stats::{ClientStats, Outcome, PhaseResult};

/// Set to the moment Ctrl-C was pressed; `None` while the run goes on.
pub type StopSignal = watch::Receiver<Option<Instant>>;

/// The path of the intake route under the base URL.
const INTAKE_PATH: &str = "/api/v1/tickets";

/// Everything a client task needs, shared by all tasks of a phase.
struct PhaseCtx {
    http: reqwest::Client,
    endpoint: String,
    auth: HeaderValue,
    run_id: String,
    phase: usize,
    seed: u64,
    /// Requests started before this instant are warm-up.
    measure_from: Instant,
    /// No request starts at or after this instant.
    end: Instant,
    /// Acknowledged requests so far, warm-up included, for the progress bar.
    live_acks: AtomicU64,
}

/// The outcome of the whole scenario.
pub struct IntakeRun {
    pub phases: Vec<PhaseResult>,
    pub interrupted: bool,
}

/// The intake endpoint under `base`, after checking the scheme.
pub fn endpoint(base: &str) -> Result<String> {
    let base = base.trim().trim_end_matches('/');
    if !base.starts_with("http://") {
        bail!("--url must start with http:// (this build has no TLS): got `{base}`");
    }
    Ok(format!("{base}{INTAKE_PATH}"))
}

/// Builds the HTTP client of a phase: one pool sized to the client count.
fn http_client(clients: usize, timeout: Duration) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .pool_idle_timeout(Duration::from_secs(90))
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .tcp_nodelay(true)
        .no_proxy()
        .build()
        .context("building the HTTP client")
}

fn auth_header(token: &str) -> Result<HeaderValue> {
    let mut v = HeaderValue::from_str(&format!("Bearer {}", token.trim()))
        .context("the token contains characters not allowed in a header")?;
    v.set_sensitive(true);
    Ok(v)
}

/// Sends one intake and reads the whole answer.
async fn send(
    http: &reqwest::Client,
    endpoint: &str,
    auth: &HeaderValue,
    body: Vec<u8>,
) -> (Outcome, Option<String>) {
    let sent = http
        .post(endpoint)
        .header(reqwest::header::AUTHORIZATION, auth.clone())
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .body(body)
        .send()
        .await;
    let classify = |e: &reqwest::Error| {
        if e.is_timeout() {
            Outcome::Timeout
        } else if e.is_connect() {
            Outcome::Connect
        } else {
            Outcome::Transport
        }
    };
    match sent {
        Ok(resp) => {
            let status = resp.status().as_u16();
            match resp.text().await {
                Ok(text) => (Outcome::Status(status), Some(text)),
                Err(e) => (classify(&e), Some(error_chain(&e))),
            }
        }
        Err(e) => (classify(&e), Some(error_chain(&e))),
    }
}

/// An error with its causes (`reqwest` displays only the outermost one).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// One intake before the phases, so that a wrong URL or token fails at once with the
/// server's own words instead of producing a table full of errors.
pub async fn preflight(args: &IntakeArgs, run_id: &str, seed: u64) -> Result<()> {
    let endpoint = endpoint(&args.url)?;
    let http = http_client(1, args.timeout)?;
    let auth = auth_header(&args.token)?;
    let mut rng = StdRng::seed_from_u64(seed);
    let body = body::intake(&mut rng, format!("lt-{run_id}-preflight"));
    let bytes = serde_json::to_vec(&body).context("serialising the intake body")?;
    let (outcome, text) = send(&http, &endpoint, &auth, bytes).await;
    let text = text.unwrap_or_default();
    match outcome {
        o if o.is_ack() => Ok(()),
        Outcome::Status(s @ (401 | 403)) => {
            bail!(
                "the engine refused the token ({s}): {text}\nuse a platform token (POST /api/v1/tokens with role \"platform\")"
            )
        }
        Outcome::Status(s) => bail!("preflight intake to {endpoint} answered {s}: {text}"),
        Outcome::Connect | Outcome::Timeout | Outcome::Transport => {
            bail!("cannot reach {endpoint}: {text}\nis the engine running there?")
        }
    }
}

/// Runs every phase in order; stops early, with what it has, when `stop` fires.
pub async fn run(
    args: &IntakeArgs,
    run_id: &str,
    seed: u64,
    stop: StopSignal,
) -> Result<IntakeRun> {
    let mut phases = Vec::with_capacity(args.clients.len());
    for (phase, &clients) in args.clients.iter().enumerate() {
        if stop.borrow().is_some() {
            break;
        }
        eprintln!(
            "phase {}/{}: {clients} client(s), {:?} warm-up + {:?} measured",
            phase + 1,
            args.clients.len(),
            args.warmup,
            args.duration
        );
        let result = run_phase(args, run_id, seed, phase, clients, stop.clone()).await?;
        eprintln!(
            "phase {}/{}: {} acknowledged, {} error(s), {:.1} acks/s{}",
            phase + 1,
            args.clients.len(),
            result.acknowledged,
            result.error_count,
            result.throughput_acks_per_s,
            if result.interrupted {
                " (interrupted)"
            } else {
                ""
            }
        );
        phases.push(result);
    }
    let interrupted = stop.borrow().is_some();
    Ok(IntakeRun {
        phases,
        interrupted,
    })
}

async fn run_phase(
    args: &IntakeArgs,
    run_id: &str,
    seed: u64,
    phase: usize,
    clients: usize,
    stop: StopSignal,
) -> Result<PhaseResult> {
    let start = Instant::now();
    let measure_from = start + args.warmup;
    let end = measure_from + args.duration;
    let ctx = Arc::new(PhaseCtx {
        http: http_client(clients, args.timeout)?,
        endpoint: endpoint(&args.url)?,
        auth: auth_header(&args.token)?,
        run_id: run_id.to_owned(),
        phase,
        seed,
        measure_from,
        end,
        live_acks: AtomicU64::new(0),
    });

    let mut tasks = JoinSet::new();
    for client in 0..clients {
        tasks.spawn(client_loop(Arc::clone(&ctx), client, stop.clone()));
    }
    let bar = progress_bar(args, clients);
    let ticker = tokio::spawn(tick(Arc::clone(&ctx), bar.clone(), start));

    let mut merged = ClientStats::default();
    while let Some(joined) = tasks.join_next().await {
        merged.merge(joined.context("a client task failed")?);
    }
    ticker.abort();
    bar.finish_and_clear();

    let interrupted_at = *stop.borrow();
    let window_end = match interrupted_at {
        Some(at) => at,
        None => merged.last_done.map_or(end, |d| d.max(end)),
    };
    let window = window_end.saturating_duration_since(measure_from);
    Ok(PhaseResult::new(
        clients,
        &merged,
        window,
        interrupted_at.is_some(),
    ))
}

/// One client: loops until the phase ends or Ctrl-C.
async fn client_loop(ctx: Arc<PhaseCtx>, client: usize, mut stop: StopSignal) -> ClientStats {
    let mix = (client as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut rng = StdRng::seed_from_u64(ctx.seed ^ mix ^ ((ctx.phase as u64) << 48));
    let mut stats = ClientStats::default();
    for n in 0u64.. {
        let started = Instant::now();
        if started >= ctx.end || stop.borrow().is_some() {
            break;
        }
        let id = body::external_id(&ctx.run_id, ctx.phase, client, n);
        let Ok(bytes) = serde_json::to_vec(&body::intake(&mut rng, id)) else {
            break; // cannot happen: the body is plain strings and numbers
        };
        let outcome = tokio::select! {
            (outcome, _) = send(&ctx.http, &ctx.endpoint, &ctx.auth, bytes) => outcome,
            _ = stop.wait_for(Option::is_some) => break,
        };
        let done = Instant::now();
        if outcome.is_ack() {
            ctx.live_acks.fetch_add(1, Ordering::Relaxed);
        }
        if started < ctx.measure_from {
            stats.warmup_requests += 1;
        } else {
            stats.record(outcome, done - started, done);
        }
    }
    stats
}

fn progress_bar(args: &IntakeArgs, clients: usize) -> ProgressBar {
    if args.no_progress {
        return ProgressBar::hidden();
    }
    let total = (args.warmup + args.duration).as_millis();
    let bar = ProgressBar::new(u64::try_from(total).unwrap_or(u64::MAX));
    if let Ok(style) = ProgressStyle::with_template(
        "{prefix:>12} [{bar:30.cyan/blue}] {elapsed:>4}/{duration:4} {msg}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(format!("{clients} client(s)"));
    bar
}

/// Moves the progress bar along and shows the acknowledgements so far.
async fn tick(ctx: Arc<PhaseCtx>, bar: ProgressBar, start: Instant) {
    let mut every = tokio::time::interval(Duration::from_millis(200));
    loop {
        every.tick().await;
        let now = Instant::now();
        let elapsed = u64::try_from(now.duration_since(start).as_millis()).unwrap_or(u64::MAX);
        bar.set_position(elapsed);
        let phase = if now < ctx.measure_from {
            "warm-up"
        } else if now < ctx.end {
            "measuring"
        } else {
            "draining"
        };
        bar.set_message(format!(
            "{phase}, {} acked",
            ctx.live_acks.load(Ordering::Relaxed)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_joins_and_checks_scheme() {
        assert_eq!(
            endpoint("http://127.0.0.1:8080/").expect("ok"),
            "http://127.0.0.1:8080/api/v1/tickets"
        );
        assert!(endpoint("https://example.test").is_err());
        assert!(endpoint("127.0.0.1:8080").is_err());
    }
}
