//! Logging: JSON (or human-readable) tracing output with request ids, filtered by the
//! `log.level` setting or `RUST_LOG`. Handlers log ticket ids and numbers, never a
//! reporter's name, phone or address.

use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogSettings};

pub fn init(settings: &LogSettings) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match settings.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// The root span of every request: method, route pattern, path and request id. Unlike the
/// default it never records the query string, where WebSocket clients carry their token.
pub struct RequestSpans;

impl tracing_actix_web::RootSpanBuilder for RequestSpans {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        use actix_web::HttpMessage;
        let request_id = request
            .extensions()
            .get::<tracing_actix_web::RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default();
        tracing::info_span!(
            "http",
            method = %request.method(),
            route = %request.match_pattern().unwrap_or_else(|| "unmatched".into()),
            path = %request.path(),
            request_id = %request_id,
            status = tracing::field::Empty,
        )
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        let status = match outcome {
            Ok(response) => response.status().as_u16(),
            Err(error) => error.as_response_error().status_code().as_u16(),
        };
        span.record("status", status);
        // A failed authentication is logged by the throttle, sampled (api/throttle.rs).
        use actix_web::HttpMessage;
        if let Ok(response) = outcome
            && response
                .request()
                .extensions()
                .contains::<crate::api::throttle::Sampled>()
        {
            return;
        }
        // The error's code only: its message can quote the input (a reporter's name).
        let code = match outcome {
            Ok(response) => response
                .response()
                .error()
                .and_then(|e| e.as_error::<crate::api::error::ApiError>())
                .map(|e| e.code().to_owned()),
            Err(error) => error
                .as_error::<crate::api::error::ApiError>()
                .map(|e| e.code().to_owned()),
        };
        if status >= 500 {
            tracing::error!(parent: &span, status, code, "request failed");
        } else if status >= 400 {
            tracing::info!(parent: &span, status, code, "request refused");
        }
    }
}

/// The status feed's metrics (`feed/`): messages delivered (2xx) and failed attempts,
/// parked messages, and how far the feed is behind the event log.
pub mod feed_metrics {
    pub const DELIVERED: &str = "hotline_feed_delivered_total";
    pub const FAILED: &str = "hotline_feed_failed_total";
    pub const PARKED: &str = "hotline_feed_parked";
    pub const LAG: &str = "hotline_feed_lag_events";

    /// Gives the metrics their help text (once the exporter is installed).
    pub fn describe() {
        metrics::describe_counter!(
            DELIVERED,
            "Status messages the platform's receiver accepted (2xx)"
        );
        metrics::describe_counter!(FAILED, "Status feed delivery attempts that failed");
        metrics::describe_gauge!(PARKED, "Status messages parked for a supervisor's retry");
        metrics::describe_gauge!(
            LAG,
            "Events in the log the status feed has not looked at yet"
        );
    }
}

/// Every metric family the engine exports: its help text, and the exporter's buckets.
/// The names live at their call sites; this is the one table that describes them all.
pub mod metric_help {
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};

    /// Buckets for durations in seconds (every `*_seconds` histogram).
    pub const SECONDS_BUCKETS: &[f64] = &[
        0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0,
    ];
    /// Buckets for the writes committed by one flush (a count, not seconds).
    pub const BATCH_BUCKETS: &[f64] = &[
        1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 4096.0,
    ];

    /// The builder with seconds buckets by default and count buckets for batch sizes.
    pub fn builder() -> PrometheusBuilder {
        let base = PrometheusBuilder::new();
        let with_seconds = base
            .set_buckets(SECONDS_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        match with_seconds.set_buckets_for_metric(
            Matcher::Full("hotline_store_batch_size".into()),
            BATCH_BUCKETS,
        ) {
            Ok(b) => b,
            Err(_) => PrometheusBuilder::new(),
        }
    }

    /// Gives every family its HELP text (once the recorder is installed).
    pub fn describe() {
        use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
        describe_counter!(
            "hotline_groups_formed_total",
            "Collaboration groups formed, by whether the engine formed them (auto)"
        );
        describe_counter!(
            "hotline_group_coordinator_rebuilds_total",
            "Group coordinators rebuilt after their mailbox closed"
        );
        describe_gauge!(
            "hotline_group_coordinators",
            "Group coordinator actors running"
        );
        describe_counter!(
            "hotline_merge_undo_failures_total",
            "Merges whose undo (duplicate released) failed"
        );
        describe_counter!(
            "hotline_ticket_actor_rebuilds_total",
            "Ticket actors rebuilt from the store after their mailbox closed"
        );
        describe_counter!(
            "hotline_vehicle_actor_rebuilds_total",
            "Vehicle actors rebuilt after their mailbox closed"
        );
        describe_counter!(
            "hotline_fixes_rejected_total",
            "GPS fixes refused, by reason"
        );
        describe_counter!("hotline_fixes_accepted_total", "GPS fixes accepted");
        describe_counter!(
            "hotline_fixes_thinned_total",
            "GPS fixes replaced by a newer fix of the same vehicle before they were taken (load shed first), by stage: socket, gateway, grid"
        );
        describe_counter!(
            "hotline_fix_writes_deferred_total",
            "Periodic writes of a vehicle's latest fix put off to its next turn: the fleet's share of the store's queue was taken"
        );
        describe_gauge!(
            "hotline_grid_moves_waiting",
            "Vehicle moves the grid applied in its last drain (one per vehicle that moved since the drain before)"
        );
        describe_gauge!(
            "hotline_gateway_vehicles_busy",
            "Vehicles whose gateway fixes are being taken by their actor (at most one batch each, the latest waiting)"
        );
        describe_counter!(
            "hotline_privacy_erased_total",
            "Closed tickets whose reporter's personal data was erased (privacy.retain_days)"
        );
        describe_counter!(
            "hotline_evidence_uploads_total",
            "Evidence uploads by outcome: attached, or refused (size, type, kind, caller)"
        );
        describe_counter!(
            "hotline_evidence_bytes_total",
            "Bytes of evidence files attached"
        );
        describe_counter!(
            "hotline_evidence_collected_total",
            "Evidence files removed because no event refers to them any more (orphans past evidence.orphan_grace_s, bytes erased with a reporter's data)"
        );
        describe_counter!(
            "hotline_grid_updates_dropped_total",
            "Wake-ups for waiting vehicle moves the grid's full mailbox refused (the moves wait for the next drain)"
        );
        describe_gauge!("hotline_tickets", "Tickets per status (at scrape)");
        describe_gauge!(
            "hotline_ticket_actors_live",
            "Ticket actors in memory (at scrape)"
        );
        describe_histogram!(
            "hotline_mailbox_wait_seconds",
            Unit::Seconds,
            "How long a probe waited in an actor's mailbox or an arbiter's queue, by actor (one a second)"
        );
        describe_gauge!(
            "hotline_mailbox_wait_last_seconds",
            Unit::Seconds,
            "The latest probe's wait in an actor's mailbox or an arbiter's queue, by actor"
        );
        describe_counter!(
            "hotline_ticket_actors_passivated_total",
            "Ticket actors stopped after a period unused (their tickets stay in the store)"
        );
        describe_gauge!(
            "hotline_ticket_commands_in_flight",
            "Commands sent to ticket actors and not yet answered (queued or being written)"
        );
        describe_gauge!(
            "hotline_intakes_in_flight",
            "Intakes taken and not yet answered: consoles' moves wait while there are many"
        );
        describe_gauge!(
            "hotline_last_event_id",
            "Id of the last durable event in the log"
        );
        describe_gauge!("hotline_bus_subscribers", "Subscribers of the event bus");
        describe_gauge!(
            "hotline_bus_queue_depth",
            "Events queued for bus subscribers and not yet taken, summed per interest"
        );
        describe_gauge!(
            "hotline_bus_queue_depth_max",
            "Events queued for the most backed-up bus subscriber of each interest"
        );
        describe_histogram!(
            "hotline_http_request_seconds",
            Unit::Seconds,
            "HTTP request duration by method, route pattern and status"
        );
        describe_counter!(
            "hotline_stream_cutoffs_total",
            "Stream clients cut off because their backlog was full"
        );
        describe_counter!(
            "hotline_stream_resumes_total",
            "Console resumes with `since` answered with the missed events, by where they came from (hub: its own copies; store: read and rendered again)"
        );
        describe_counter!(
            "hotline_stream_moves_thinned_total",
            "vehicle.moved frames held back from consoles past half their backlog (their moves coalesced, the latest per vehicle)"
        );
        describe_counter!(
            "hotline_cluster_appends_total",
            "Cluster mode: appends of a batch's share to a partition's log, by outcome (done, fenced, behind, duplicate, unknown)"
        );
        describe_counter!(
            "hotline_cluster_followed_total",
            "Cluster mode: log entries read from the partitions' logs and handed to the store"
        );
        describe_counter!(
            "hotline_cluster_forwarded_total",
            "Cluster mode: calls forwarded to the node that owns their partition"
        );
        describe_counter!(
            "hotline_cluster_refused_total",
            "Cluster mode: ticket writes refused because this node did not hold their partition's lease (any more)"
        );
        describe_counter!(
            "hotline_cluster_gaps_total",
            "Cluster mode: partition logs that no longer hold the next entry this node's copy needs"
        );
        describe_counter!(
            "hotline_stream_moves_deferred_total",
            "Hub ticks whose consoles' moves waited because intake was pressed"
        );
        describe_gauge!(
            "hotline_stream_sessions",
            "Console, field and board stream sessions joined to the hub"
        );
        describe_gauge!(
            "hotline_stream_backlog",
            "Frames queued for stream sessions and not yet sent, summed per audience"
        );
        describe_gauge!(
            "hotline_stream_backlog_max",
            "Frames queued for the most backed-up stream session of each audience"
        );
        describe_counter!(
            "hotline_auth_failures_total",
            "Failed authentications, by outcome"
        );
        describe_gauge!(
            "hotline_auth_throttle_addresses",
            "Client addresses the authentication throttle is tracking"
        );
        describe_counter!(
            "hotline_store_flushes_total",
            "Group commits: one sled batch and one flush each"
        );
        describe_counter!(
            "hotline_store_writes_total",
            "Writes committed by the store's writer"
        );
        describe_counter!(
            "hotline_store_data_syncs_total",
            "fdatasyncs of the store's data file, one after each group commit's flush"
        );
        describe_counter!(
            "hotline_offer_receipts_total",
            "Offers confirmed by vehicle apps that confirm offers (offer.received)"
        );
        describe_counter!(
            "hotline_offers_undelivered_total",
            "Offers withdrawn because an app that confirms offers never confirmed them"
        );
        describe_histogram!(
            "hotline_store_flush_seconds",
            Unit::Seconds,
            "Time to apply and flush one group commit"
        );
        describe_histogram!(
            "hotline_store_batch_size",
            Unit::Count,
            "Writes committed by one group commit"
        );
        super::feed_metrics::describe();
    }
}

/// The `process_*` families of the Prometheus client conventions, read from `/proc` on
/// Linux when `/metrics` is scraped (elsewhere they are left out). They are rendered here
/// rather than through the recorder: a `metrics` counter holds whole numbers, and CPU
/// seconds are fractional.
pub mod process_metrics {
    /// Linux's `USER_HZ`: the unit of the CPU times in `/proc/self/stat`.
    const TICKS_PER_SECOND: f64 = 100.0;

    /// What `/proc` says about this process now.
    #[derive(Debug, Default, PartialEq)]
    pub struct Sample {
        pub cpu_seconds: Option<f64>,
        pub resident_bytes: Option<f64>,
        pub virtual_bytes: Option<f64>,
        pub open_fds: Option<f64>,
        pub max_fds: Option<f64>,
        pub start_time_seconds: Option<f64>,
    }

    /// `(utime + stime, starttime)` in ticks from `/proc/self/stat`. The command name
    /// (field 2) may hold spaces, so the fields are counted after its closing paren.
    fn parse_stat(stat: &str) -> Option<(f64, f64)> {
        let rest = &stat[stat.rfind(')')? + 1..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // After the paren the fields start at 3 (state): utime is 14, stime 15, starttime 22.
        let field = |n: usize| fields.get(n - 3)?.parse::<f64>().ok();
        Some((field(14)? + field(15)?, field(22)?))
    }

    /// A `Vm*:  123 kB` line of `/proc/self/status`, in bytes.
    fn status_kb(status: &str, key: &str) -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        let kb: f64 = line[key.len()..]
            .trim_start_matches(':')
            .split_whitespace()
            .next()?
            .parse()
            .ok()?;
        Some(kb * 1024.0)
    }

    /// The soft limit of `Max open files` in `/proc/self/limits`.
    fn max_open_files(limits: &str) -> Option<f64> {
        let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
        let soft = line["Max open files".len()..].split_whitespace().next()?;
        soft.parse().ok()
    }

    /// Seconds since the epoch when the machine booted (`btime` in `/proc/stat`).
    fn boot_time(stat: &str) -> Option<f64> {
        stat.lines()
            .find_map(|l| l.strip_prefix("btime "))?
            .trim()
            .parse()
            .ok()
    }

    pub fn sample() -> Sample {
        let read = |p: &str| std::fs::read_to_string(p).ok();
        let mut s = Sample::default();
        if let Some((cpu, start)) = read("/proc/self/stat").as_deref().and_then(parse_stat) {
            s.cpu_seconds = Some(cpu / TICKS_PER_SECOND);
            s.start_time_seconds = read("/proc/stat")
                .as_deref()
                .and_then(boot_time)
                .map(|boot| boot + start / TICKS_PER_SECOND);
        }
        if let Some(status) = read("/proc/self/status") {
            s.resident_bytes = status_kb(&status, "VmRSS");
            s.virtual_bytes = status_kb(&status, "VmSize");
        }
        s.open_fds = std::fs::read_dir("/proc/self/fd")
            .ok()
            .map(|d| d.count() as f64);
        s.max_fds = read("/proc/self/limits")
            .as_deref()
            .and_then(max_open_files);
        s
    }

    /// The families in the Prometheus text format, with HELP and TYPE, read now.
    pub fn render() -> String {
        use std::fmt::Write;
        let s = sample();
        let families = [
            (
                "process_cpu_seconds_total",
                "counter",
                "Total user and system CPU time spent in seconds.",
                s.cpu_seconds,
            ),
            (
                "process_resident_memory_bytes",
                "gauge",
                "Resident memory size in bytes.",
                s.resident_bytes,
            ),
            (
                "process_virtual_memory_bytes",
                "gauge",
                "Virtual memory size in bytes.",
                s.virtual_bytes,
            ),
            (
                "process_open_fds",
                "gauge",
                "Number of open file descriptors.",
                s.open_fds,
            ),
            (
                "process_max_fds",
                "gauge",
                "Maximum number of open file descriptors.",
                s.max_fds,
            ),
            (
                "process_start_time_seconds",
                "gauge",
                "Start time of the process since unix epoch in seconds.",
                s.start_time_seconds,
            ),
        ];
        let mut out = String::new();
        for (name, kind, help, value) in families {
            if let Some(v) = value {
                let _ = writeln!(
                    out,
                    "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}\n"
                );
            }
        }
        out
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn stat_fields_are_counted_after_the_command_name() {
            let stat = "42 (a (weird) name) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 \
                        9 0 12345 1000 200";
            assert_eq!(parse_stat(stat), Some((300.0, 12345.0)));
        }

        #[test]
        fn status_and_limits_lines_are_read() {
            let status = "Name:\tx\nVmSize:\t  2048 kB\nVmRSS:\t   512 kB\n";
            assert_eq!(status_kb(status, "VmRSS"), Some(512.0 * 1024.0));
            assert_eq!(status_kb(status, "VmSize"), Some(2048.0 * 1024.0));
            let limits = "Limit  Soft Limit  Hard Limit  Units\n\
                          Max open files            1024                 20000                files\n";
            assert_eq!(max_open_files(limits), Some(1024.0));
            assert_eq!(
                boot_time("cpu 1 2\nbtime 1700000000\n"),
                Some(1_700_000_000.0)
            );
        }

        #[cfg(target_os = "linux")]
        #[test]
        fn this_process_is_sampled_with_sane_values() {
            let s = sample();
            assert!(s.resident_bytes.is_some_and(|v| v > 0.0), "{s:?}");
            assert!(s.virtual_bytes >= s.resident_bytes, "{s:?}");
            assert!(s.open_fds.is_some_and(|v| v >= 1.0), "{s:?}");
            assert!(s.max_fds >= s.open_fds, "{s:?}");
            assert!(s.start_time_seconds.is_some_and(|v| v > 1.0e9), "{s:?}");
            assert!(s.cpu_seconds.is_some_and(|v| v >= 0.0), "{s:?}");
        }
    }
}
