#!/usr/bin/env bash
# Memory run: the engine's resident memory with a province's fleet and backlog, idle and
# under load, with the default settings. It builds the engine and the load generator
# (release), starts `hotline-dispatch serve` pinned to core 0 on a fresh temporary store
# with nothing but the port, the store path and a bootstrap token set (lib.sh), then runs
# `loadtest dispatch` pinned to core 1: it registers BENCH_VEHICLES vehicles with an app
# on a socket and BENCH_GATEWAY gateway-fed ones, takes in BENCH_OPEN_TICKETS routine
# tickets (they stay open), opens the sockets, and drives the fleet at 1 fix/s with
# BENCH_TICKETS new tickets a second for BENCH_DURATION. The engine's VmRSS and VmHWM
# (/proc/<pid>/status) are read:
#   1. empty, once ready;
#   2. set up: everything registered, the tickets taken in, the sockets open, no fixes yet;
#   3. under load: loadtest's own samples (at the start of the window, the most, the end);
#   4. idle: after the load generator has gone (sockets closed) and BENCH_SETTLE seconds
#      passed, sampled every second for BENCH_IDLE seconds (median and last), with the
#      engine's CPU over those seconds (an idle engine should cost next to nothing);
#   5. restarted: the engine stopped and started again on the same store, then idle as in
#      4 (what recovery of that many vehicles and open tickets holds, without what the
#      load left in the allocator); BENCH_RESTART=0 skips it.
# and printed as one table with the 1 GiB target. The defaults are issue 19's memory run
# (10,000 sockets + 90,000 gateway vehicles, 100,000 open tickets); it needs about two
# minutes and a quiet machine. Everything started here is stopped, and the temp dir
# removed, on exit.
#
# Usage: scripts/bench-memory.sh
# Environment (all optional):
#   BENCH_VEHICLES      vehicle sockets                            (default 10000)
#   BENCH_GATEWAY       gateway-fed vehicles                       (default 90000)
#   BENCH_OPEN_TICKETS  open tickets taken in first                (default 100000)
#   BENCH_TICKETS       new tickets per second under load          (default 1)
#   BENCH_DURATION      load (fixes at 1 Hz) after a 5 s warm-up   (default 20s)
#   BENCH_SETTLE        seconds from the load's end to the idle samples (default 45:
#                       ticket actors are passivated 20 to 40 s after their last use)
#   BENCH_IDLE          idle samples, one a second                 (default 10)
#   BENCH_RESTART=0     skip the restart on the same store
#   BENCH_PROCS         load processes sharing the sockets         (default 1; 2 from 8,000 sockets)
#   BENCH_ADDRESSES     local addresses of the sockets             (default 127.0.0.1-8)
#   BENCH_SEED          seed of paths, sites and bodies            (default 12313)
#   BENCH_LIMIT_MIB     the target the table checks against        (default 1024)
#   BENCH_READY_TIMEOUT seconds to wait for GET /readyz = 200, also after the restart,
#                       which recovers every open ticket first     (default 60)
#   BENCH_SKIP_BUILD=1  reuse the release binaries already built
#   BENCH_OUT=DIR       where the results go                       (default loadtest-out/memory-<time>)
#   BENCH_KEEP=1        keep the temp dir (store, logs)
#   APP__...            engine settings passed through, as for any run (the default
#                       settings are the point: say so when changing one)
# Needs: cargo, curl, jq, awk. Results in BENCH_OUT: table.md (what is printed), the load
# generator's report (dispatch/report.json, report.md, charts) and rss.tsv (every reading).
set -euo pipefail
SCRIPT_NAME=bench-memory
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VEHICLES="${BENCH_VEHICLES:-10000}"
GATEWAY="${BENCH_GATEWAY:-90000}"
OPEN_TICKETS="${BENCH_OPEN_TICKETS:-100000}"
TICKETS="${BENCH_TICKETS:-1}"
DURATION="${BENCH_DURATION:-20s}"
SETTLE="${BENCH_SETTLE:-45}"
IDLE="${BENCH_IDLE:-10}"
RESTART="${BENCH_RESTART:-1}"
PROCS="${BENCH_PROCS:-$(((VEHICLES + 7999) / 8000))}"
ADDRESSES="${BENCH_ADDRESSES:-127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5,127.0.0.6,127.0.0.7,127.0.0.8}"
SEED="${BENCH_SEED:-12313}"
LIMIT="${BENCH_LIMIT_MIB:-1024}"
OUT="${BENCH_OUT:-$ROOT/loadtest-out/memory-$(date -u +%Y%m%d-%H%M%S)}"

need cargo "install the Rust toolchain"
need curl "install Debian's curl"
need jq "install Debian's jq"
need awk "install Debian's gawk or mawk"
for v in VEHICLES GATEWAY OPEN_TICKETS SETTLE IDLE PROCS SEED LIMIT; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || die "BENCH_$v must be a whole number, not '${!v}'"
done
((IDLE >= 1)) || die "BENCH_IDLE must be at least 1"
((PROCS >= 1)) || PROCS=1
lib_init
build_release
mkdir -p "$OUT"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(($(ulimit -n) >= VEHICLES / PROCS + 1000)) ||
    die "ulimit -n is $(ulimit -n): the engine needs a descriptor per socket; lower BENCH_VEHICLES"

RSS_LOG="$OUT/rss.tsv"
printf 'phase\tt_s\tvmrss_mib\tvmhwm_mib\n' >"$RSS_LOG"
T0=$SECONDS

# "VmRSS VmHWM" of a process in MiB, from /proc/<pid>/status; logged under phase $2.
mem_of() {
    local r
    r="$(awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { if (r != "") printf "%.1f %.1f", r / 1024, h / 1024 }' \
        "/proc/$1/status" 2>/dev/null || true)"
    [[ -n "$r" ]] || die "cannot read /proc/$1/status: has the engine exited?"
    printf '%s\t%d\t%s\t%s\n' "$2" $((SECONDS - T0)) "${r% *}" "${r#* }" >>"$RSS_LOG"
    echo "$r"
}

# Samples the engine for BENCH_IDLE seconds under phase $1; prints "median last hwm".
idle_samples() {
    local i t0 t1
    t0="$(cpu_ticks "$ENGINE_PID")"
    for ((i = 0; i < IDLE; i++)); do
        mem_of "$ENGINE_PID" "$1" >/dev/null
        sleep 1
    done
    t1="$(cpu_ticks "$ENGINE_PID")"
    awk -F'\t' -v p="$1" -v cpu="$(((t1 - t0) * 100 / ($(getconf CLK_TCK) * IDLE)))" \
        '$1 == p { v[++n] = $3; last = $3; hwm = $4 }
        END {
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
            printf "%.1f %.1f %.1f %d", v[int((n + 1) / 2)], last, hwm, cpu
        }' "$RSS_LOG"
}

# The engine's CPU time so far (user + system), in clock ticks: an idle engine should cost
# next to nothing however many vehicles it holds.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# The engine's count of open ticket actors and of tickets by status, for the table.
engine_counts() {
    curl -sS --max-time 10 "$BASE/metrics" 2>/dev/null | awk '
        /^hotline_ticket_actors_live / { live = $2 }
        /^hotline_tickets\{/ { n += $2 }
        END { printf "%d tickets in the store, %d ticket actors live", n, live }' || echo "metrics not read"
}

# ---- 1. empty ---------------------------------------------------------------------------
start_engine
sleep 2
read -r empty_rss empty_hwm <<<"$(mem_of "$ENGINE_PID" empty)"
log "empty: VmRSS $empty_rss MiB, VmHWM $empty_hwm MiB"

# ---- 2 and 3. set up, then under load ------------------------------------------------------
LOAD_LOG="$TMP/load.err"
log "loadtest dispatch: $VEHICLES sockets ($PROCS process(es)), $GATEWAY gateway vehicles, $OPEN_TICKETS open tickets, $TICKETS tickets/s for $DURATION"
LOADTEST_ADMIN_TOKEN="$ADMIN_TOKEN" "${LOAD_CORE[@]}" "$LOADTEST_BIN" dispatch --url "$BASE" \
    --vehicles "$VEHICLES" --gateway-vehicles "$GATEWAY" --tickets "$TICKETS" \
    --consoles 0 --boards 0 --open-tickets "$OPEN_TICKETS" --duration "$DURATION" \
    --warmup 5s --procs "$PROCS" --addresses "$ADDRESSES" --seed "$SEED" --id-prefix mem \
    --server-pid "$ENGINE_PID" --no-progress --out "$OUT/dispatch" \
    >"$OUT/dispatch.md" 2>"$LOAD_LOG" &
LOAD_PID=$!
EXTRA_PIDS+=("$LOAD_PID")
setup_rss="-"
setup_hwm="-"
until grep -Eq 'open in [0-9.]+s$' "$LOAD_LOG" 2>/dev/null; do
    kill -0 "$LOAD_PID" 2>/dev/null || break
    kill -0 "$ENGINE_PID" 2>/dev/null || die "the engine exited during set-up (BENCH_KEEP=1 keeps its log)"
    sleep 0.2
done
if kill -0 "$LOAD_PID" 2>/dev/null; then
    read -r setup_rss setup_hwm <<<"$(mem_of "$ENGINE_PID" setup)"
    log "set up: VmRSS $setup_rss MiB, VmHWM $setup_hwm MiB"
fi
rc=0
wait "$LOAD_PID" || rc=$?
EXTRA_PIDS=()
cat "$LOAD_LOG" >&2
case "$rc" in
0) ;;
3) log "loadtest: offers were lost or duplicated (see $OUT/dispatch.md)" ;;
*) tail -n 20 "$TMP/engine.log" >&2 || true; die "loadtest dispatch failed (exit $rc)" ;;
esac
J="$OUT/dispatch/report.json"
[[ -f "$J" ]] || die "loadtest wrote no report ($J)"
jn() { jq -r "($1) // \"-\" | if type == \"number\" then (. * 10 | round / 10) else . end" "$J"; }
load_start="$(jn .server.rss_mib_start)"
load_max="$(jn .server.rss_mib_max)"
load_end="$(jn .server.rss_mib_end)"
load_hwm="$(jn .server.peak_rss_mib)"
preloaded="$(jn .setup.open_tickets_preloaded)"
sockets="$(jn .setup.sockets_open)"
fixes="$(jq -r '((.throughput.fixes_per_s // 0) + (.throughput.gateway_fixes_per_s // 0)) | round' "$J")"
load_avg="$(jq -r '.machine_load | map(. // "n/a" | tostring) | join(" → ")' "$J" 2>/dev/null || echo n/a)"
busy=""
for l in $(jq -r '.machine_load[]? // empty' "$J" 2>/dev/null); do
    [[ -n "$(busy_mark "$l")" ]] && busy=" (**busy: above 2**)"
done

# ---- 4. idle after the load -----------------------------------------------------------------
log "load ended; settling ${SETTLE}s, then $IDLE idle samples"
sleep "$SETTLE"
read -r idle_med idle_last idle_hwm idle_cpu <<<"$(idle_samples idle)"
idle_counts="$(engine_counts)"
log "idle: VmRSS median $idle_med MiB, last $idle_last MiB, VmHWM $idle_hwm MiB ($idle_counts)"

# ---- 5. restarted on the same store -------------------------------------------------------------
re_med="-"
re_last="-"
re_hwm="-"
re_counts=""
if [[ "$RESTART" == 1 ]]; then
    log "restarting the engine on the same store"
    stop_pid "$ENGINE_PID"
    ENGINE_PID=""
    start_engine
    sleep "$SETTLE"
    read -r re_med re_last re_hwm re_cpu <<<"$(idle_samples restarted)"
    re_counts="$(engine_counts)"
    log "restarted: VmRSS median $re_med MiB, last $re_last MiB, VmHWM $re_hwm MiB ($re_counts)"
fi
stop_pid "$ENGINE_PID"
ENGINE_PID=""

# ---- the table ------------------------------------------------------------------------------------
verdict() { awk -v x="$1" -v l="$LIMIT" 'BEGIN { if (x ~ /^[0-9.]+$/) print (x + 0 < l ? "under" : "**over**"); else print "-" }'; }
TABLE="$OUT/table.md"
{
    echo "### Engine memory: $VEHICLES socket + $GATEWAY gateway vehicles, $OPEN_TICKETS open tickets, default settings"
    echo
    echo "| phase | VmRSS MiB | VmHWM MiB | < $LIMIT MiB | what the engine held |"
    echo "|:--|--:|--:|:--|:--|"
    echo "| empty, ready | $empty_rss | $empty_hwm | $(verdict "$empty_rss") | nothing |"
    echo "| set up, before any fix | $setup_rss | $setup_hwm | $(verdict "$setup_rss") | $((VEHICLES + GATEWAY)) vehicles registered, $preloaded tickets taken in, $sockets sockets open |"
    echo "| under load: window start / most / end | $load_start / $load_max / $load_end | $load_hwm | $(verdict "$load_max") | $fixes fixes/s, $TICKETS tickets/s, no consoles |"
    echo "| idle ${SETTLE}s after the load: median / last of $IDLE s | $idle_med / $idle_last | $idle_hwm | $(verdict "$idle_med") | sockets closed; $idle_counts; engine CPU $idle_cpu% of a core |"
    if [[ "$RESTART" == 1 ]]; then
        echo "| restarted on the same store, idle: median / last | $re_med / $re_last | $re_hwm | $(verdict "$re_med") | $re_counts; engine CPU $re_cpu% of a core |"
    fi
    echo
    echo "Load: \`loadtest dispatch\` (1 fix/s per vehicle, gateway batches of 1,000), 5 s warm-up + $DURATION; machine load average $load_avg$busy. Every reading: rss.tsv; the load's report: dispatch/report.md."
    if ((${#ENGINE_CORE[@]})); then echo "Engine pinned to core 0, load generator to core 1."; fi
} >"$TABLE"
cat "$TABLE"
log "results in $OUT"
