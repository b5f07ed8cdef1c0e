#!/usr/bin/env bash
# Side-by-side intake benchmark: the engine's durable ticket intake against a durable peer
# on the same machine in the same run. It builds the engine and the load generator, starts
# `hotline-dispatch serve` on a free loopback port with a fresh temporary store, issues a
# platform token, runs `loadtest intake`, stops the engine, then runs `redis-benchmark`
# XADD against a `redis-server` with `appendfsync always` (every write fsynced, as every
# acknowledged intake must be durable) at the same client counts, and prints one table
# with the ratio engine/redis. The machines are small and noisy: read the ratio, not the
# absolute numbers. Everything started here is stopped, and the temp dir removed, on exit.
#
# Usage: scripts/bench-intake.sh
# Environment (all optional):
#   BENCH_CLIENTS        client counts, comma separated            (default 1,50)
#   BENCH_DURATION       measured time per engine phase            (default 10s)
#   BENCH_WARMUP         warm-up per engine phase                  (default 2s)
#   BENCH_REDIS_N        XADD requests per redis run with >1 client (default 50000)
#   BENCH_REDIS_N_ONE    XADD requests for the 1-client redis run  (default 5000)
#   BENCH_READY_TIMEOUT  seconds to wait for GET /readyz = 200     (default 60)
#   BENCH_SKIP_BUILD=1   reuse the release binaries already built
#   BENCH_OUT=DIR        keep intake.json, redis-c*.csv and table.md in DIR
#   BENCH_KEEP=1         keep the temp dir (store, logs) for inspection
#   CARGO_TARGET_DIR     honoured, as cargo does
# Needs: cargo, curl, jq, redis-server, redis-cli and redis-benchmark (Debian's
# redis-server and redis-tools). Exits 1 with a message when one is missing. Shares its
# start-up and clean-up with the other benchmarks (scripts/lib.sh).
set -euo pipefail

SCRIPT_NAME=bench-intake
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
CLIENTS="${BENCH_CLIENTS:-1,50}"
DURATION="${BENCH_DURATION:-10s}"
WARMUP="${BENCH_WARMUP:-2s}"
REDIS_N="${BENCH_REDIS_N:-50000}"
REDIS_N_ONE="${BENCH_REDIS_N_ONE:-5000}"

need cargo "install the Rust toolchain"
need curl "install Debian's curl"
need jq "install Debian's jq"
need redis-server "install Debian's redis-server (apt-get install redis-server)"
need redis-cli "install Debian's redis-tools (apt-get install redis-tools)"
need redis-benchmark "install Debian's redis-tools (apt-get install redis-tools)"

lib_init
if [[ "$(stat -f -c %T "$TMP" 2>/dev/null || true)" == tmpfs ]]; then
    log "warning: $TMP is on tmpfs, where fsync costs nothing: set TMPDIR to a disk directory"
fi
build_release

# ---- the engine -------------------------------------------------------------------------
BENCH_LOG_LEVEL="${BENCH_LOG_LEVEL:-info}" start_engine
PLATFORM_TOKEN="$(issue_token platform bench)"

log "running loadtest intake (clients $CLIENTS, $WARMUP warm-up + $DURATION each)"
LOADTEST_TOKEN="$PLATFORM_TOKEN" "${LOAD_CORE[@]}" "$LOADTEST_BIN" intake --url "$BASE" \
    --clients "$CLIENTS" --duration "$DURATION" --warmup "$WARMUP" --json "$TMP/intake.json"

log "stopping the engine"
stop_pid "$ENGINE_PID"
ENGINE_PID=""

# ---- the peer: redis with every write fsynced -------------------------------------------
redis_version="$(redis-benchmark --version 2>/dev/null || true)"
log "redis: appendfsync always; ${redis_version:-version unknown}"
start_redis --appendonly yes --appendfsync always --save ''

IFS=',' read -r -a CLIENT_LIST <<<"$CLIENTS"
declare -A REDIS_ROW
for c in "${CLIENT_LIST[@]}"; do
    c="${c// /}"
    n="$REDIS_N"
    [[ "$c" == 1 ]] && n="$REDIS_N_ONE"
    redis-cli -h 127.0.0.1 -p "$RPORT" del bench >/dev/null
    log "redis-benchmark XADD: $c client(s), $n requests"
    "${LOAD_CORE[@]}" redis-benchmark -h 127.0.0.1 -p "$RPORT" -c "$c" -n "$n" -q --csv \
        XADD bench '*' field value >"$TMP/redis-c$c.csv"
    row="$(parse_redis_csv "$TMP/redis-c$c.csv")"
    [[ -n "$row" ]] || die "could not read redis-benchmark's output: $(cat "$TMP/redis-c$c.csv")"
    REDIS_ROW[$c]="$row"
done
stop_pid "$REDIS_PID"
REDIS_PID=""

# ---- the table --------------------------------------------------------------------------
fmt() { [[ "$1" =~ ^[0-9.]+$ ]] && printf '%.2f' "$1" || printf '%s' "$1"; }
TABLE="$TMP/table.md"
{
    echo
    echo "### Durable intake: engine (POST /api/v1/tickets) vs redis XADD (appendfsync always)"
    echo
    echo "| clients | engine acks/s | engine p50 ms | engine p99 ms | redis XADD rps | redis p50 ms | redis p99 ms | engine/redis |"
    echo "|--:|--:|--:|--:|--:|--:|--:|--:|"
    for c in "${CLIENT_LIST[@]}"; do
        c="${c// /}"
        engine="$(jq -r --argjson c "$c" \
            '.phases[] | select(.clients == $c)
             | [.throughput_acks_per_s, (.latency_ms.p50 // "n/a"), (.latency_ms.p99 // "n/a")]
             | @tsv' "$TMP/intake.json")"
        IFS=$'\t' read -r e_tput e_p50 e_p99 <<<"${engine:-n/a	n/a	n/a}"
        IFS=$'\t' read -r r_rps r_p50 r_p99 <<<"${REDIS_ROW[$c]}"
        ratio="$(awk -v e="$e_tput" -v r="$r_rps" 'BEGIN { if (r + 0 > 0 && e ~ /^[0-9.]+$/) printf "%.3f", e / r; else print "n/a" }')"
        printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$c" "$(fmt "$e_tput")" \
            "$(fmt "$e_p50")" "$(fmt "$e_p99")" "$(fmt "$r_rps")" "$(fmt "$r_p50")" \
            "$(fmt "$r_p99")" "$ratio"
    done
    echo
    echo "engine: $CLIENTS closed-loop clients, $WARMUP warm-up + $DURATION measured each, 201/200 only;"
    echo "redis: redis-benchmark -c N -n $REDIS_N (-n $REDIS_N_ONE for 1 client) XADD bench * field value."
} >"$TABLE"
cat "$TABLE"

errors="$(jq '[.phases[].error_count] | add // 0' "$TMP/intake.json")"
if [[ "$errors" != 0 ]]; then
    log "warning: the engine answered $errors request(s) with an error (see the loadtest table above)"
fi

if [[ -n "${BENCH_OUT:-}" ]]; then
    mkdir -p "$BENCH_OUT"
    cp "$TMP/intake.json" "$TMP"/redis-c*.csv "$TABLE" "$BENCH_OUT"/
    log "results kept in $BENCH_OUT"
fi
