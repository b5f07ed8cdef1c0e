# Shared pieces of the benchmark scripts (sourced, not run): logging, stopping what a
# script started, finding a free port, building, starting the engine on a fresh temporary
# store with a bootstrap admin token, issuing tokens, and starting a throw-away
# redis-server (installed from Debian when missing and running as root) or a throw-away
# PostgreSQL cluster (never installed: the caller skips it when its binaries are missing),
# and reading the machine's load average.
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
PG_PID=""
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
    stop_pid "$PG_PID"
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

# The 1-minute load average (first field of /proc/loadavg), or n/a.
load_average() { awk '{ print $1 }' /proc/loadavg 2>/dev/null || echo n/a; }

# "busy" when a load average ($1) is above 2, the mark the reports put on figures taken on
# a busy two-core machine; empty otherwise.
busy_mark() { awk -v l="$1" 'BEGIN { if (l ~ /^[0-9.]+$/ && l + 0 > 2) print "busy" }'; }

# Whole seconds (at least 1) of a duration written as loadtest takes it: 500ms, 10s, 2m,
# 1h or a bare number of seconds; 0 for 0s.
duration_s() {
    awk -v d="$1" 'BEGIN {
        n = d; u = d; sub(/[a-z]+$/, "", n); sub(/^[0-9.]+/, "", u)
        if (n !~ /^[0-9.]+$/) { print "bad"; exit }
        f = (u == "ms") ? 0.001 : (u == "m" || u == "min") ? 60 : (u == "h") ? 3600 : (u == "" || u == "s") ? 1 : -1
        if (f < 0) { print "bad"; exit }
        s = n * f; if (s == 0) { print 0; exit }
        r = int(s); if (r < s) r++; print (r < 1 ? 1 : r)
    }'
}

# Finds a PostgreSQL server's binaries: BENCH_PG_BIN, Debian's /usr/lib/postgresql/15/bin,
# the newest other /usr/lib/postgresql/*/bin, or the directory `initdb` on the PATH links
# to. Sets PG_BIN and returns 0, or returns 1 when none has initdb, postgres, psql and
# pgbench.
find_postgres() {
    local dirs=() d
    [[ -n "${BENCH_PG_BIN:-}" ]] && dirs+=("$BENCH_PG_BIN")
    dirs+=(/usr/lib/postgresql/15/bin)
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -V -r); do dirs+=("$d"); done
    if command -v initdb >/dev/null 2>&1; then
        dirs+=("$(dirname "$(readlink -f "$(command -v initdb)")")")
    fi
    for d in "${dirs[@]}"; do
        if [[ -x "$d/initdb" && -x "$d/postgres" ]]; then
            PG_BIN="$d"
            return 0
        fi
    done
    return 1
}

# The client tools of the cluster at PG_BIN: psql and pgbench from the same directory,
# else from the PATH (Debian puts wrappers in /usr/bin).
pg_tool() {
    if [[ -x "$PG_BIN/$1" ]]; then echo "$PG_BIN/$1"; else command -v "$1"; fi
}

# Runs a command as PG_USER when this script runs as root (the server refuses to run as
# root), as ourselves otherwise. setpriv execs in place, so the pid of a backgrounded
# `as_pg_user postgres ...` is the server's own.
as_pg_user() {
    if [[ "$(id -u)" != 0 ]]; then
        "$@"
    elif command -v setpriv >/dev/null 2>&1; then
        setpriv --reuid="$PG_USER" --regid="$(id -g "$PG_USER")" --init-groups -- "$@"
    else
        runuser -u "$PG_USER" -- "$@"
    fi
}

# Starts a throw-away PostgreSQL cluster (PG_BIN, see find_postgres) under $TMP/pg on a
# free loopback port, with its socket in a private directory, every commit flushed
# (fsync = on, synchronous_commit = on) and trust authentication for the superuser
# `bench` on loopback only; creates the database `bench`. Extra `-c name=value` settings
# can be passed. Runs the server as root's stand-in PG_USER when the script runs as root:
# BENCH_PG_USER, else Debian's `postgres` account, else `nobody` (no account is created).
# Sets PGPORT, PG_PID, PG_VERSION and PSQL.
start_postgres() {
    PGPORT="$(free_port)"
    local data="$TMP/pg/data" sock="$TMP/pg/sock"
    PG_USER="$(id -un)"
    if [[ "$(id -u)" == 0 ]]; then
        PG_USER="${BENCH_PG_USER:-}"
        if [[ -z "$PG_USER" ]]; then
            if id -u postgres >/dev/null 2>&1; then PG_USER=postgres; else PG_USER=nobody; fi
        fi
        id -u "$PG_USER" >/dev/null 2>&1 || die "BENCH_PG_USER=$PG_USER: no such user"
        # The server's user must reach its directory: let others traverse (not list) $TMP.
        chmod 711 "$TMP"
    fi
    mkdir -p "$data" "$sock"
    if [[ "$(id -u)" == 0 ]]; then chown -R "$PG_USER" "$TMP/pg"; fi
    as_pg_user test -w "$data" ||
        die "$PG_USER cannot write $data (a parent directory closed to it?): set TMPDIR to a disk directory others can traverse"
    log "initdb $data (as $PG_USER)"
    as_pg_user "$PG_BIN/initdb" -D "$data" -U bench -E UTF8 --locale=C --auth=trust \
        >"$TMP/pg-initdb.log" 2>&1 || { tail -n 20 "$TMP/pg-initdb.log" >&2; die "initdb failed"; }
    log "starting postgres on 127.0.0.1:$PGPORT (fsync = on, synchronous_commit = on)"
    touch "$TMP/postgres.log"
    if [[ "$(id -u)" == 0 ]]; then chown "$PG_USER" "$TMP/postgres.log"; fi
    # Pinned like the engine; setpriv execs in place, so PG_PID is the postmaster itself.
    local cmd=("$PG_BIN/postgres" -D "$data" -c listen_addresses=127.0.0.1 -c port="$PGPORT"
        -c unix_socket_directories="$sock" -c fsync=on -c synchronous_commit=on
        -c full_page_writes=on -c max_connections=200 "$@")
    if [[ "$(id -u)" != 0 ]]; then
        "${ENGINE_CORE[@]}" "${cmd[@]}" >>"$TMP/postgres.log" 2>&1 &
    elif command -v setpriv >/dev/null 2>&1; then
        "${ENGINE_CORE[@]}" setpriv --reuid="$PG_USER" --regid="$(id -g "$PG_USER")" --init-groups -- \
            "${cmd[@]}" >>"$TMP/postgres.log" 2>&1 &
    else
        "${ENGINE_CORE[@]}" runuser -u "$PG_USER" -- "${cmd[@]}" >>"$TMP/postgres.log" 2>&1 &
    fi
    PG_PID=$!
    PSQL=("$(pg_tool psql)" -X -q -h 127.0.0.1 -p "$PGPORT" -U bench)
    local deadline=$((SECONDS + 30))
    until "${PSQL[@]}" -d postgres -c 'SELECT 1' >/dev/null 2>&1; do
        kill -0 "$PG_PID" 2>/dev/null || { tail -n 20 "$TMP/postgres.log" >&2 || true; PG_PID=""; die "postgres exited"; }
        ((SECONDS < deadline)) || die "postgres did not answer within 30 s"
        sleep 0.2
    done
    "${PSQL[@]}" -d postgres -c 'CREATE DATABASE bench' >/dev/null
    PG_VERSION="$("${PSQL[@]}" -d bench -At -c 'SHOW server_version' | awk '{ print $1 }')"
}
