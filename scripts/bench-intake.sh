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
# redis-server and redis-tools). Exits 1 with a message when one is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
CLIENTS="${BENCH_CLIENTS:-1,50}"
DURATION="${BENCH_DURATION:-10s}"
WARMUP="${BENCH_WARMUP:-2s}"
REDIS_N="${BENCH_REDIS_N:-50000}"
REDIS_N_ONE="${BENCH_REDIS_N_ONE:-5000}"
READY_TIMEOUT="${BENCH_READY_TIMEOUT:-60}"

ENGINE_PID=""
REDIS_PID=""
TMP=""

log() { printf 'bench-intake: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Stops a process we started: SIGTERM, up to 10 s for a clean exit, then SIGKILL.
stop_pid() {
    local pid="$1"
    [[ -n "$pid" ]] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "pid $pid ignored SIGTERM for 10 s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_pid "$ENGINE_PID"
    stop_pid "$REDIS_PID"
    if [[ -n "$TMP" && -d "$TMP" ]]; then
        if [[ "${BENCH_KEEP:-0}" == 1 ]]; then
            log "kept $TMP"
        else
            rm -rf "$TMP"
        fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

need() {
    command -v "$1" >/dev/null 2>&1 || die "$1 not found: $2"
}
need cargo "install the Rust toolchain"
need curl "install Debian's curl"
need jq "install Debian's jq"
need redis-server "install Debian's redis-server (apt-get install redis-server)"
need redis-cli "install Debian's redis-tools (apt-get install redis-tools)"
need redis-benchmark "install Debian's redis-tools (apt-get install redis-tools)"

# A TCP port on 127.0.0.1 that nothing listens on, below the ephemeral range (32768+) so
# that the load's own client sockets cannot take it first.
TAKEN_PORTS=" "
free_port() {
    local port
    for _ in $(seq 1 200); do
        port=$((20000 + RANDOM % 12000))
        [[ "$TAKEN_PORTS" == *" $port "* ]] && continue
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            TAKEN_PORTS+="$port "
            echo "$port"
            return 0
        fi
    done
    die "no free port found on 127.0.0.1"
}

TMP="$(mktemp -d -t bench-intake.XXXXXX)"
mkdir -p "$TMP/store" "$TMP/redis"
if [[ "$(stat -f -c %T "$TMP" 2>/dev/null || true)" == tmpfs ]]; then
    log "warning: $TMP is on tmpfs, where fsync costs nothing: set TMPDIR to a disk directory"
fi

cd "$ROOT"
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    log "building (release)"
    cargo build --release -p hotline-dispatch -p loadtest
fi
ENGINE_BIN="$TARGET_DIR/release/hotline-dispatch"
LOADTEST_BIN="$TARGET_DIR/release/loadtest"
[[ -x "$ENGINE_BIN" ]] || die "$ENGINE_BIN missing: build it first"
[[ -x "$LOADTEST_BIN" ]] || die "$LOADTEST_BIN missing: build it first"

# ---- the engine -------------------------------------------------------------------------
PORT="$(free_port)"
BASE="http://127.0.0.1:$PORT"
ADMIN_TOKEN="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
log "starting the engine on $BASE (store $TMP/store)"
APP__SERVER__HOST=127.0.0.1 \
APP__SERVER__PORT="$PORT" \
APP__STORE__PATH="$TMP/store" \
APP__AUTH__BOOTSTRAP_ADMIN_TOKEN="$ADMIN_TOKEN" \
    "$ENGINE_BIN" serve >"$TMP/engine.log" 2>&1 &
ENGINE_PID=$!

deadline=$((SECONDS + READY_TIMEOUT))
until [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/readyz" || true)" == 200 ]]; do
    if ! kill -0 "$ENGINE_PID" 2>/dev/null; then
        tail -n 30 "$TMP/engine.log" >&2 || true
        ENGINE_PID=""
        die "the engine exited before it was ready (log above)"
    fi
    if ((SECONDS >= deadline)); then
        tail -n 30 "$TMP/engine.log" >&2 || true
        die "GET $BASE/readyz did not answer 200 within ${READY_TIMEOUT}s"
    fi
    sleep 0.2
done
log "engine ready"

TOKEN_ANSWER="$(curl -sS --max-time 10 -X POST "$BASE/api/v1/tokens" \
    -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
    -d '{"role":"platform","subject":"bench"}' -w '\n%{http_code}')" ||
    die "POST /api/v1/tokens failed"
TOKEN_STATUS="${TOKEN_ANSWER##*$'\n'}"
TOKEN_BODY="${TOKEN_ANSWER%$'\n'*}"
[[ "$TOKEN_STATUS" == 2?? ]] || die "POST /api/v1/tokens answered $TOKEN_STATUS: $TOKEN_BODY"
PLATFORM_TOKEN="$(jq -r '.token // empty' <<<"$TOKEN_BODY")"
[[ -n "$PLATFORM_TOKEN" ]] || die "no token in the answer to POST /api/v1/tokens: $TOKEN_BODY"

log "running loadtest intake (clients $CLIENTS, $WARMUP warm-up + $DURATION each)"
LOADTEST_TOKEN="$PLATFORM_TOKEN" "$LOADTEST_BIN" intake --url "$BASE" \
    --clients "$CLIENTS" --duration "$DURATION" --warmup "$WARMUP" --json "$TMP/intake.json"

log "stopping the engine"
stop_pid "$ENGINE_PID"
ENGINE_PID=""

# ---- the peer: redis with every write fsynced -------------------------------------------
redis_version="$(redis-benchmark --version 2>/dev/null || true)"
RPORT="$(free_port)"
log "starting redis-server on 127.0.0.1:$RPORT (appendfsync always; ${redis_version:-version unknown})"
redis-server --bind 127.0.0.1 --port "$RPORT" --appendonly yes --appendfsync always \
    --save '' --dir "$TMP/redis" --daemonize no --logfile "$TMP/redis.log" &
REDIS_PID=$!
deadline=$((SECONDS + 20))
until [[ "$(redis-cli -h 127.0.0.1 -p "$RPORT" ping 2>/dev/null || true)" == PONG ]]; do
    kill -0 "$REDIS_PID" 2>/dev/null || { tail -n 20 "$TMP/redis.log" >&2 || true; REDIS_PID=""; die "redis-server exited"; }
    ((SECONDS < deadline)) || die "redis-server did not answer PING within 20 s"
    sleep 0.1
done

# Reads redis-benchmark's CSV: a header naming the columns (7.x: test, rps,
# avg/min/p50/p95/p99/max latency in ms), then one row. Older versions print only
# "test","rps" without a header; their latencies are reported as n/a.
# Prints: rps<TAB>p50<TAB>p99
parse_redis_csv() {
    local file="$1"
    awk -F',' '
        { gsub(/"/, "") }
        NR == 1 && $1 == "test" { for (i = 1; i <= NF; i++) col[$i] = i; next }
        NF >= 2 && !done {
            rps = ("rps" in col) ? $(col["rps"]) : $2
            p50 = ("p50_latency_ms" in col) ? $(col["p50_latency_ms"]) : "n/a"
            p99 = ("p99_latency_ms" in col) ? $(col["p99_latency_ms"]) : "n/a"
            printf "%s\t%s\t%s\n", rps, p50, p99
            done = 1
        }' "$file"
}

IFS=',' read -r -a CLIENT_LIST <<<"$CLIENTS"
declare -A REDIS_ROW
for c in "${CLIENT_LIST[@]}"; do
    c="${c// /}"
    n="$REDIS_N"
    [[ "$c" == 1 ]] && n="$REDIS_N_ONE"
    redis-cli -h 127.0.0.1 -p "$RPORT" del bench >/dev/null
    log "redis-benchmark XADD: $c client(s), $n requests"
    redis-benchmark -h 127.0.0.1 -p "$RPORT" -c "$c" -n "$n" -q --csv \
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
