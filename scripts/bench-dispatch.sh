#!/usr/bin/env bash
# Side-by-side GPS and dispatch benchmark: the engine's fix ingest over vehicle sockets and
# its nearest-vehicle query, against redis GEOADD / GEOSEARCH on the same machine in the
# same run. It builds the engine and the load generator (release), starts
# `hotline-dispatch serve` on a free loopback port with a fresh temporary store and quiet
# logs, starts a throw-away `redis-server` (no persistence), then:
#   (a) registers BENCH_VEHICLES vehicles with a field token each and opens one
#       /ws/vehicle socket per vehicle, spread over 127.0.0.1-127.0.0.8 and BENCH_PROCS
#       `loadtest ingest` processes that meet at a barrier before every phase, and sends
#       one fix per frame at the rate that targets BENCH_TARGET_SINGLE fixes/s;
#   (b) the same sockets send BENCH_BATCH fixes per frame targeting BENCH_TARGET_BATCH;
#       with BENCH_CEILING=1 (default) both are repeated as fast as the engine takes them
#       (rate 0: each socket keeps at most a few unanswered pings in flight) to find the
#       ceiling;
#   (c) redis-benchmark GEOADD, plain and pipelined (-P 16), as the peer of (a) and (b);
#   (d) one client times GET /dispatch/nearest?limit=1 and redis GEOSEARCH ... COUNT 1
#       at the same random points over the same fleet (the positions the sockets last
#       sent, loaded with GEOADD), and checks that both name the same vehicle; plus
#       redis-benchmark -c 1 GEOSEARCH at a fixed point, the peer timed by its own tool;
# and prints one Markdown table with figures and ratios. The machine has 2 cores: the
# engine, the load generator and redis compete for them (and so does anything else
# running), so the table gives the engine's and the load generator's CPU and the
# machine's busy time next to each figure. Read the ratios, not the absolute numbers.
# Everything started here is stopped, and the temp dir removed, on exit.
#
# Usage: scripts/bench-dispatch.sh
# Environment (all optional):
#   BENCH_VEHICLES        vehicles = sockets                          (default 10000)
#   BENCH_PROCS           loadtest processes sharing them             (default 2)
#   BENCH_TARGET_SINGLE   fixes/s aimed at in (a)                     (default 50000)
#   BENCH_TARGET_BATCH    fixes/s aimed at in (b)                     (default 300000)
#   BENCH_BATCH           fixes per frame in (b)                      (default 100)
#   BENCH_CEILING=0       skip the back-to-back (rate 0) phases
#   BENCH_DURATION        measured seconds per phase                  (default 15)
#   BENCH_WARMUP          warm-up seconds per phase                   (default 3)
#   BENCH_ARBITERS        engine threads for vehicle actors (APP__DISPATCH__ARBITERS, default 1)
#   BENCH_REDIS_N         requests per redis-benchmark run            (default 200000)
#   BENCH_NEAREST_QUERIES measured nearest queries per side           (default 5000)
#   BENCH_READY_TIMEOUT   seconds to wait for GET /readyz = 200       (default 60)
#   BENCH_SKIP_BUILD=1    reuse the release binaries already built
#   BENCH_OUT=DIR         keep the JSON reports and table.md in DIR
#   BENCH_KEEP=1          keep the temp dir (store, logs, top samples)
#   CARGO_TARGET_DIR      honoured, as cargo does
# Needs: cargo, curl, jq, awk, redis-server, redis-cli, redis-benchmark (Debian's
# redis-server and redis-tools). Exits 1 with a message when one is missing; installs
# nothing (its start-up and clean-up are shared with the other benchmarks: scripts/lib.sh).
# Each socket holds a file descriptor in the engine and in a load process: the
# soft `ulimit -n` is raised to the hard one here, and the script refuses to start when
# that is too low for BENCH_VEHICLES.
set -euo pipefail

SCRIPT_NAME=bench-dispatch
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
VEHICLES="${BENCH_VEHICLES:-10000}"
PROCS="${BENCH_PROCS:-2}"
TARGET_SINGLE="${BENCH_TARGET_SINGLE:-50000}"
TARGET_BATCH="${BENCH_TARGET_BATCH:-300000}"
BATCH="${BENCH_BATCH:-100}"
CEILING="${BENCH_CEILING:-1}"
DURATION="${BENCH_DURATION:-15}"; DURATION="${DURATION%s}"
WARMUP="${BENCH_WARMUP:-3}"; WARMUP="${WARMUP%s}"
ARBITERS="${BENCH_ARBITERS:-1}"
TICKET_ARBITERS=2
REDIS_N="${BENCH_REDIS_N:-200000}"
NEAREST_Q="${BENCH_NEAREST_QUERIES:-5000}"
ADDRESSES="127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5,127.0.0.6,127.0.0.7,127.0.0.8"

TOP_PID=""
LT_PIDS=()

need cargo "install the Rust toolchain"
need curl "install Debian's curl"
need jq "install Debian's jq"
need awk "install Debian's gawk or mawk"
need redis-server "install Debian's redis-server (apt-get install redis-server)"
need redis-cli "install Debian's redis-tools (apt-get install redis-tools)"
need redis-benchmark "install Debian's redis-tools (apt-get install redis-tools)"

for v in VEHICLES PROCS TARGET_SINGLE TARGET_BATCH BATCH DURATION WARMUP ARBITERS REDIS_N NEAREST_Q; do
    [[ "${!v}" =~ ^[0-9]+$ && "${!v}" -gt 0 ]] || die "BENCH_$v must be a positive whole number, not '${!v}'"
done
((BATCH <= 1000)) || die "BENCH_BATCH is at most 1000 (the engine's bound per frame)"
PER_PROC=$(((VEHICLES + PROCS - 1) / PROCS))
((PER_PROC <= 18000)) || die "$PER_PROC sockets per process is too many: raise BENCH_PROCS"
# Each socket is a descriptor in the engine; the load processes each hold their share.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(($(ulimit -n) >= VEHICLES + 1000)) ||
    die "ulimit -n is $(ulimit -n): the engine needs one descriptor per socket ($VEHICLES) and some; lower BENCH_VEHICLES"

lib_init
# The load processes and the top sampler are stopped with the rest on exit.
stop_extra() { for pid in "${LT_PIDS[@]}" "$TOP_PID"; do stop_pid "$pid"; done; }
trap 'rc=$?; stop_extra; (exit $rc); lib_cleanup' EXIT
mkdir -p "$TMP/barrier"

cd "$ROOT"
build_release

# ---- the engine and redis ---------------------------------------------------------------
start_engine APP__TICKETS__ARBITERS="$TICKET_ARBITERS" APP__DISPATCH__ARBITERS="$ARBITERS"

# Names of the engine's threads (Linux keeps 15 characters: all actix threads read
# "actix-rt|system"), inferred from their start order: the ticket arbiters, the vehicle
# arbiters and the grid arbiter start before the HTTP workers (src/engine.rs, src/app.rs).
declare -A ROLE
i=0
for tid in $(printf '%s\n' "/proc/$ENGINE_PID/task"/* | sed 's|.*/||' | sort -n); do
    comm="$(cat "/proc/$ENGINE_PID/task/$tid/comm" 2>/dev/null || true)"
    case "$comm" in
    actix-rt*)
        if ((i < TICKET_ARBITERS)); then ROLE[$tid]="ticket arbiter"
        elif ((i < TICKET_ARBITERS + ARBITERS)); then ROLE[$tid]="vehicle arbiter"
        elif ((i == TICKET_ARBITERS + ARBITERS)); then ROLE[$tid]="grid arbiter"
        else ROLE[$tid]="HTTP/socket worker"; fi
        i=$((i + 1)) ;;
    hotline-dispatc) ROLE[$tid]="main (actix system)" ;;
    *) ROLE[$tid]="$comm" ;;
    esac
done
thread_role() { local tid="${1##*[}"; tid="${tid%]}"; echo "${ROLE[$tid]:-$1} [$tid]"; }

start_redis

# ---- (a) and (b): ingest over vehicle sockets --------------------------------------------
RATE_SINGLE="$(awk -v t="$TARGET_SINGLE" -v n="$VEHICLES" 'BEGIN { printf "%.4g", t / n }')"
RATE_BATCH="$(awk -v t="$TARGET_BATCH" -v n="$VEHICLES" -v b="$BATCH" 'BEGIN { printf "%.4g", t / (n * b) }')"
RATES="$RATE_SINGLE,$RATE_BATCH"
BATCHES="1,$BATCH"
PHASES=2
if [[ "$CEILING" == 1 ]]; then RATES+=",0,0"; BATCHES+=",1,$BATCH"; PHASES=4; fi
# Registration and sockets take well under a minute per 10,000; each phase is bounded by
# warm-up + duration + a 30 s drain; the rest is slack.
BUDGET=$((300 + PHASES * (WARMUP + DURATION + 45)))
log "ingest: $VEHICLES sockets in $PROCS process(es), rates $RATES Hz/socket, batches $BATCHES, ${WARMUP}s + ${DURATION}s per phase (at most ${BUDGET}s)"
top -H -b -d 5 -n $((BUDGET / 5)) -p "$ENGINE_PID" >"$TMP/top-engine.log" 2>&1 &
TOP_PID=$!
for ((p = 0; p < PROCS; p++)); do
    n=$((VEHICLES / PROCS + (p < VEHICLES % PROCS ? 1 : 0)))
    LOADTEST_ADMIN_TOKEN="$ADMIN_TOKEN" timeout --signal=INT --kill-after=20 "$BUDGET" \
        "${LOAD_CORE[@]}" "$LOADTEST_BIN" ingest --url "$BASE" --vehicles "$n" --register --id-prefix "bench-p$p" \
        --rate "$RATES" --batch "$BATCHES" --duration "${DURATION}s" --warmup "${WARMUP}s" \
        --addresses "$ADDRESSES" --server-pid "$ENGINE_PID" --seed $((12313 + p)) \
        --barrier-dir "$TMP/barrier" --procs "$PROCS" --proc-index "$p" --no-progress \
        --json "$TMP/ingest-$p.json" --fleet-out "$TMP/fleet-$p.csv" \
        >"$TMP/ingest-$p.md" 2>"$TMP/ingest-$p.log" &
    LT_PIDS+=("$!")
done
# Wait for all; if one fails, stop the others (they would wait at the barrier).
failed=""
while :; do
    running=0
    for idx in "${!LT_PIDS[@]}"; do
        pid="${LT_PIDS[$idx]}"
        [[ -n "$pid" ]] || continue
        if kill -0 "$pid" 2>/dev/null; then running=$((running + 1)); continue; fi
        rc=0; wait "$pid" || rc=$?
        LT_PIDS[idx]=""
        ((rc == 0)) || failed+=" process $idx exited $rc;"
    done
    [[ -z "$failed" && $running -gt 0 ]] || break
    sleep 1
done
for pid in "${LT_PIDS[@]}"; do stop_pid "$pid"; done
LT_PIDS=()
stop_pid "$TOP_PID"; TOP_PID=""
for ((p = 0; p < PROCS; p++)); do
    cat "$TMP/ingest-$p.log" >&2 || true
    cat "$TMP/ingest-$p.md" >&2 || true
done
engine_gone() { # says how the engine ended, if it did
    kill -0 "$ENGINE_PID" 2>/dev/null && return 1
    local rc=0
    wait "$ENGINE_PID" || rc=$?
    ENGINE_PID=""
    tail -n 20 "$TMP/engine.log" >&2 || true
    log "the engine is gone: exit status $rc$( ((rc > 128)) && echo " (signal $((rc - 128)))")"
}
if [[ -n "$failed" ]]; then
    engine_gone || true
    die "loadtest ingest failed:$failed (logs above)"
fi

# ---- (d): nearest, engine vs GEOSEARCH on the same fleet ---------------------------------
DISPATCH_TOKEN="$(curl -sS --max-time 10 -X POST "$BASE/api/v1/tokens" \
    -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
    -d '{"role":"dispatcher","subject":"bench-dispatch"}' | jq -r '.token // empty')"
[[ -n "$DISPATCH_TOKEN" ]] || die "could not issue a dispatcher token"
FLEETS="$(printf '%s\n' "$TMP"/fleet-*.csv | paste -sd, -)"
log "nearest: $NEAREST_Q queries per side, one client"
LOADTEST_TOKEN="$DISPATCH_TOKEN" timeout 300 "${LOAD_CORE[@]}" "$LOADTEST_BIN" nearest --url "$BASE" \
    --queries "$NEAREST_Q" --concurrency 1 --redis "redis://127.0.0.1:$RPORT/" \
    --fleet "$FLEETS" --radius-km 20 --json "$TMP/nearest.json" >"$TMP/nearest.md" ||
    die "loadtest nearest failed"
cat "$TMP/nearest.md" >&2

# ---- (c): redis GEOADD ------------------------------------------------------------------
# redis-benchmark's CSV (7.x): a header naming the columns, then one row; prints rps.
redis_rps() {
    awk -F',' '{ gsub(/"/, "") } NR == 1 && $1 == "test" { for (i = 1; i <= NF; i++) c[$i] = i; next }
               NF >= 2 && !done { print (("rps" in c) ? $(c["rps"]) : $2); done = 1 }' "$1"
}
# CPU ticks (user + system) of a process, from the fields after the name in stat(5).
cpu_ticks() { local f; read -r -a f <<<"$(sed 's/.*) //' "/proc/$1/stat")"; echo $((f[11] + f[12])); }
now_s() { date +%s.%N; }
CLK_TCK="$(getconf CLK_TCK 2>/dev/null || echo 100)"
declare -A GEOADD GEOADD_CPU
for pipeline in 1 16; do
    log "redis-benchmark GEOADD -n $REDIS_N -r 100000 -P $pipeline (50 clients)"
    redis-cli -h 127.0.0.1 -p "$RPORT" del fleet >/dev/null
    t0="$(now_s)"; c0="$(cpu_ticks "$REDIS_PID")"
    timeout 300 "${LOAD_CORE[@]}" redis-benchmark -h 127.0.0.1 -p "$RPORT" -n "$REDIS_N" -r 100000 -P "$pipeline" -q --csv \
        GEOADD fleet 115.5 29.9 __rand_int__ >"$TMP/geoadd-P$pipeline.csv"
    t1="$(now_s)"; c1="$(cpu_ticks "$REDIS_PID")"
    GEOADD_CPU[$pipeline]="$(awk -v c=$((c1 - c0)) -v hz="$CLK_TCK" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", c / hz / (b - a) * 100 }')"
    GEOADD[$pipeline]="$(redis_rps "$TMP/geoadd-P$pipeline.csv")"
    [[ "${GEOADD[$pipeline]}" =~ ^[0-9.]+$ ]] || die "could not read redis-benchmark's output: $(cat "$TMP/geoadd-P$pipeline.csv")"
done

# The peer's own tool on GEOSEARCH, one client, at one fixed point (redis-benchmark
# cannot vary coordinates): a best case for redis, beside the varied points above.
log "redis-benchmark GEOSEARCH, 1 client, fixed point"
timeout 120 "${LOAD_CORE[@]}" redis-benchmark -h 127.0.0.1 -p "$RPORT" -c 1 -n 20000 -q --csv GEOSEARCH loadtest:fleet \
    FROMLONLAT 115.6 30.02 BYRADIUS 20 km ASC COUNT 1 WITHDIST >"$TMP/geosearch-c1.csv"
read -r rb50 rb99 <<<"$(awk -F',' '{ gsub(/"/, "") } NR == 1 && $1 == "test" { for (i = 1; i <= NF; i++) c[$i] = i; next }
    NF >= 2 && !done { if ("p50_latency_ms" in c) printf "%.0f %.0f\n", $(c["p50_latency_ms"]) * 1000, $(c["p99_latency_ms"]) * 1000;
                       else print "n/a n/a"; done = 1 }' "$TMP/geosearch-c1.csv")"

# ---- the table --------------------------------------------------------------------------
# Per phase k: sent (sum over processes), accepted (engine-wide, process 0's window),
# and the costs, as one tab-separated line.
phase_row() {
    jq -rs --argjson k "$1" '
        [.[].phases[$k]] as $ph
        | [ ($ph | map(.sent_fixes_per_s) | add),
            $ph[0].server_accepted_per_s,
            ($ph | map(.refused_fixes + .error_count) | add),
            ($ph[0].server.cpu_pct // "n/a"),
            ($ph[0].server.rss_mib // "n/a"),
            ($ph | map(.loadtest_cpu_pct) | add),
            ($ph[0].machine_busy_pct // "n/a"),
            (if any($ph[]; .target_fixes_per_s == null) then "max"
             else $ph | map(.target_fixes_per_s) | add end),
            $ph[0].drained_after, $ph[0].drain_s,
            ($ph[0].server.peak_rss_mib // "n/a") ] | @tsv' "$TMP"/ingest-*.json
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a ~ /^[0-9.]+$/) printf "%.2f", a / b; else print "n/a" }'; }
num() { [[ "$1" =~ ^[0-9.]+$ ]] && printf "%'.0f" "$1" || printf '%s' "$1"; }
# Work per CPU-second of the server (engine or redis-server): less sensitive to what
# else the machine runs than work per wall-clock second.
per_cpu() { awk -v x="$1" -v c="$2" 'BEGIN { if (c + 0 > 0 && x ~ /^[0-9.]+$/) printf "%.0f", x / (c / 100); else print "n/a" }'; }
ingest_line() { # label k peer-label peer-rps peer-cpu
    local sent acc bad cpu rss lt busy target drained drain_s peak others e_core r_core
    IFS=$'\t' read -r sent acc bad cpu rss lt busy target drained drain_s peak <<<"$(phase_row "$2")"
    others="$(awk -v b="$busy" -v c="$cpu" -v l="$lt" 'BEGIN { if (b ~ /^[0-9.]+$/) printf "%.0f", b - c - l; else print "n/a" }')"
    e_core="$(per_cpu "$acc" "$cpu")"
    r_core="$(per_cpu "$4" "$5")"
    printf '| %s | %s fixes/s | %s | %s ops/s | %s | %s / %s | %s | target %s/s, sent %s/s, refused+errors %s, %s more accepted in the %ss after; engine CPU %s%%, RSS %s MiB (peak %s); loadtest CPU %s%%; redis-server CPU %s%%; machine busy %s%% (others %s%%) |\n' \
        "$1" "$(num "$acc")" "$3" "$(num "$4")" "$(ratio "$acc" "$4")" "$(num "$e_core")" "$(num "$r_core")" \
        "$(ratio "$e_core" "$r_core")" "$(num "$target")" "$(num "$sent")" \
        "$bad" "$(num "$drained")" "$(printf '%.1f' "$drain_s")" "$(num "$cpu")" "$(num "$rss")" "$(num "$peak")" \
        "$(num "$lt")" "$5" "$(num "$busy")" "$others"
}
read -r e50 e99 r50 r99 agree <<<"$(jq -r '[.engine.p50_us, .engine.p99_us, .redis.p50_us, .redis.p99_us,
    "\(.agreement[0])/\(.agreement[1])"] | @tsv' "$TMP/nearest.json")"
TABLE="$TMP/table.md"
{
    echo
    echo "### GPS ingest and nearest: engine vs redis $REDIS_VERSION ($VEHICLES vehicle sockets in $PROCS load process(es), 2-core machine shared by all)"
    echo
    echo "| # | engine | peer | peer figure | engine/peer | per server CPU-second, engine / peer | engine/peer per CPU-s | notes |"
    echo "|:--|--:|:--|--:|--:|--:|--:|:--|"
    ingest_line "(a) 1 fix/frame at $RATE_SINGLE Hz/socket" 0 "GEOADD, 50 clients" "${GEOADD[1]}" "${GEOADD_CPU[1]}"
    ingest_line "(b) $BATCH fixes/frame at $RATE_BATCH Hz/socket" 1 "GEOADD -P 16, 50 clients" "${GEOADD[16]}" "${GEOADD_CPU[16]}"
    if [[ "$CEILING" == 1 ]]; then
        ingest_line "(a max) 1 fix/frame, as fast as taken" 2 "GEOADD, 50 clients" "${GEOADD[1]}" "${GEOADD_CPU[1]}"
        ingest_line "(b max) $BATCH fixes/frame, as fast as taken" 3 "GEOADD -P 16, 50 clients" "${GEOADD[16]}" "${GEOADD_CPU[16]}"
    fi
    printf '| (d) nearest p50, 1 client | %s µs | GEOSEARCH … COUNT 1 p50 | %s µs | %s | | | lower is better; same vehicle at %s points |\n' \
        "$e50" "$r50" "$(ratio "$e50" "$r50")" "$agree"
    printf '| (d) nearest p99, 1 client | %s µs | GEOSEARCH … COUNT 1 p99 | %s µs | %s | | | over the wire: HTTP+JSON vs RESP, same client on one thread |\n' \
        "$e99" "$r99" "$(ratio "$e99" "$r99")"
    printf '| (d) nearest p50 / p99 | %s / %s µs | redis-benchmark -c 1 GEOSEARCH, fixed point | %s / %s µs | %s / %s | | | the peer timed by its own tool |\n' \
        "$e50" "$e99" "$rb50" "$rb99" "$(ratio "$e50" "$rb50")" "$(ratio "$e99" "$rb99")"
    echo
    echo "Accepted = the engine's hotline_fixes_accepted_total over the measured ${DURATION}s (after ${WARMUP}s warm-up), all load processes together."
    echo "Rows (a) and (b) cannot exceed their target rate; the 'as fast as taken' rows show capacity (each socket waits for a pong after every frame of $BATCH fixes, every 4th single fix)."
    echo "CPU is % of one core (200% = the whole machine); 'others' is machine busy time not used by the engine or the load generator."
    echo "Per CPU-second: accepted fixes (or GEOADD ops) divided by the server's own CPU time over the window; redis-benchmark's CPU is not counted, like the loadtest's."
    echo "GEOSEARCH BYRADIUS 20 km gathers every member within 20 km before taking the nearest (COUNT 1 without ANY), so its cost grows with the fleet."
    echo "redis: redis-benchmark -n $REDIS_N -r 100000 GEOADD fleet 115.5 29.9 __rand_int__; GEOSEARCH key FROMLONLAT lng lat BYRADIUS 20 km ASC COUNT 1 WITHDIST."
    echo
    for ((k = 0; k < PHASES; k++)); do
        threads="$(jq -r --argjson k "$k" '.phases[$k].server.top_threads[]? | "\(.thread)\t\(.cpu_pct)"' "$TMP/ingest-0.json" |
            while IFS=$'\t' read -r t c; do printf '%s %.0f%%, ' "$(thread_role "$t")" "$c"; done)"
        echo "- phase $((k + 1)) busiest engine threads: ${threads%, }"
    done
} >"$TABLE"
cat "$TABLE"

if [[ -n "${BENCH_OUT:-}" ]]; then
    mkdir -p "$BENCH_OUT"
    cp "$TMP"/ingest-*.json "$TMP/nearest.json" "$TMP"/geoadd-*.csv "$TMP/geosearch-c1.csv" "$TABLE" "$BENCH_OUT"/
    log "results kept in $BENCH_OUT"
fi
