# Shared pieces of the benchmark scripts (sourced, not run): logging, stopping what a
# script started, finding a free port, building, starting the engine on a fresh temporary
# store with a bootstrap admin token, issuing tokens, and starting a throw-away
# redis-server (installed from Debian when missing and running as root).
#
# A script sets SCRIPT_NAME, sources this file, calls lib_init (temp dir and exit trap),
# then uses the functions below. Everything started through them is stopped, and the
# temp dir removed (kept with BENCH_KEEP=1), when the script exits.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
ENGINE_BIN="$TARGET_DIR/release/hotline-dispatch"
LOADTEST_BIN="$TARGET_DIR/release/loadtest"
# With two cores or more the engine (and the peer it is measured against) runs on core 0
# and the load generator on core 1, so neither takes the other's CPU; BENCH_PIN=0 turns it
# off. Prefix a command with "${ENGINE_CORE[@]}" or "${LOAD_CORE[@]}".
ENGINE_CORE=()
LOAD_CORE=()
if [[ "${BENCH_PIN:-1}" == 1 ]] && command -v taskset >/dev/null 2>&1 && (($(nproc) >= 2)); then
    ENGINE_CORE=(taskset -c 0)
    LOAD_CORE=(taskset -c 1)
fi
ENGINE_PID=""
REDIS_PID=""
EXTRA_PIDS=()
TMP=""
TAKEN_PORTS=" "

log() { printf '%s: %s\n' "${SCRIPT_NAME:-bench}" "$*" >&2; }
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

lib_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    local pid
    for pid in "${EXTRA_PIDS[@]}"; do stop_pid "$pid"; done
    stop_pid "$ENGINE_PID"
    stop_pid "$REDIS_PID"
    if [[ -n "$TMP" && -d "$TMP" ]]; then
        if [[ "${BENCH_KEEP:-0}" == 1 ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi
    fi
    exit "$rc"
}

# Makes the temp dir and sets the exit trap.
lib_init() {
    TMP="$(mktemp -d -t "${SCRIPT_NAME:-bench}.XXXXXX")"
    trap lib_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found: $2"; }

# A TCP port on 127.0.0.1 that nothing listens on, below the ephemeral range (32768+) so
# that the load's own client sockets cannot take it first.
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

# Builds the engine and the load generator (release) unless BENCH_SKIP_BUILD=1.
build_release() {
    if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
        log "building (release)"
        (cd "$ROOT" && cargo build --release -p hotline-dispatch -p loadtest)
    fi
    [[ -x "$ENGINE_BIN" ]] || die "$ENGINE_BIN missing: build it first"
    [[ -x "$LOADTEST_BIN" ]] || die "$LOADTEST_BIN missing: build it first"
}

# Starts the engine on a free loopback port with a fresh store under $TMP; sets BASE,
# ADMIN_TOKEN and ENGINE_PID and waits for GET /readyz = 200. Extra APP__ settings can be
# passed as NAME=value arguments.
start_engine() {
    local port
    port="$(free_port)"
    BASE="http://127.0.0.1:$port"
    ADMIN_TOKEN="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
    mkdir -p "$TMP/store"
    log "starting the engine on $BASE (store $TMP/store)"
    env APP__SERVER__HOST=127.0.0.1 \
        APP__SERVER__PORT="$port" \
        APP__STORE__PATH="$TMP/store" \
        APP__AUTH__BOOTSTRAP_ADMIN_TOKEN="$ADMIN_TOKEN" \
        APP__LOG__LEVEL="${BENCH_LOG_LEVEL:-warn}" \
        "$@" \
        "${ENGINE_CORE[@]}" "$ENGINE_BIN" serve >"$TMP/engine.log" 2>&1 &
    ENGINE_PID=$!
    local deadline=$((SECONDS + ${BENCH_READY_TIMEOUT:-60}))
    until [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/readyz" || true)" == 200 ]]; do
        if ! kill -0 "$ENGINE_PID" 2>/dev/null; then
            tail -n 30 "$TMP/engine.log" >&2 || true
            ENGINE_PID=""
            die "the engine exited before it was ready (log above)"
        fi
        if ((SECONDS >= deadline)); then
            tail -n 30 "$TMP/engine.log" >&2 || true
            die "GET $BASE/readyz did not answer 200 within ${BENCH_READY_TIMEOUT:-60}s"
        fi
        sleep 0.2
    done
    log "engine ready (pid $ENGINE_PID)"
}

# Prints a new token for role $1 and subject $2, issued with the bootstrap admin token.
issue_token() {
    local answer status body token
    answer="$(curl -sS --max-time 10 -X POST "$BASE/api/v1/tokens" \
        -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
        -d "{\"role\":\"$1\",\"subject\":\"$2\"}" -w '\n%{http_code}')" ||
        die "POST /api/v1/tokens failed"
    status="${answer##*$'\n'}"
    body="${answer%$'\n'*}"
    [[ "$status" == 2?? ]] || die "POST /api/v1/tokens answered $status: $body"
    token="$(jq -r '.token // empty' <<<"$body")"
    [[ -n "$token" ]] || die "no token in the answer to POST /api/v1/tokens: $body"
    echo "$token"
}

# Installs Debian's redis-server and redis-tools when they are missing (as root only).
ensure_redis() {
    if command -v redis-server >/dev/null 2>&1 && command -v redis-benchmark >/dev/null 2>&1; then
        return 0
    fi
    [[ "$(id -u)" == 0 ]] || die "redis-server not found: apt-get install redis-server redis-tools"
    log "installing redis-server and redis-tools from Debian"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >/dev/null ||
        die "apt-get install redis-server redis-tools failed"
}

# Starts a redis-server on a free loopback port under $TMP/redis with the given extra
# options (default: no persistence); sets RPORT, REDIS_PID and REDIS_VERSION.
start_redis() {
    RPORT="$(free_port)"
    mkdir -p "$TMP/redis"
    local opts=("$@")
    ((${#opts[@]})) || opts=(--save '' --appendonly no)
    log "starting redis-server on 127.0.0.1:$RPORT (${opts[*]})"
    "${ENGINE_CORE[@]}" redis-server --bind 127.0.0.1 --port "$RPORT" "${opts[@]}" \
        --dir "$TMP/redis" --daemonize no --logfile "$TMP/redis.log" &
    REDIS_PID=$!
    local deadline=$((SECONDS + 20))
    until [[ "$(redis-cli -h 127.0.0.1 -p "$RPORT" ping 2>/dev/null || true)" == PONG ]]; do
        kill -0 "$REDIS_PID" 2>/dev/null || { tail -n 20 "$TMP/redis.log" >&2 || true; REDIS_PID=""; die "redis-server exited"; }
        ((SECONDS < deadline)) || die "redis-server did not answer PING within 20 s"
        sleep 0.1
    done
    REDIS_VERSION="$(redis-server --version | awk '{print $3}' | tr -d 'v=')"
}

# Reads redis-benchmark's CSV (7.x: a header naming the columns, then one row).
# Prints: rps<TAB>p50<TAB>p99 (n/a where the version does not say).
parse_redis_csv() {
    awk -F',' '
        { gsub(/"/, "") }
        NR == 1 && $1 == "test" { for (i = 1; i <= NF; i++) col[$i] = i; next }
        NF >= 2 && !done {
            rps = ("rps" in col) ? $(col["rps"]) : $2
            p50 = ("p50_latency_ms" in col) ? $(col["p50_latency_ms"]) : "n/a"
            p99 = ("p99_latency_ms" in col) ? $(col["p99_latency_ms"]) : "n/a"
            printf "%s\t%s\t%s\n", rps, p50, p99
            done = 1
        }' "$1"
}
