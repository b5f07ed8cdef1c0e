#!/usr/bin/env bash
# Where the engine spends its time under a given load: `perf record` on the engine's
# process for PROFILE_SECONDS while the load runs, then the top symbols by self time
# (`perf report --no-children`), the busiest threads (perf's own split and each thread's
# CPU from /proc over the same window), and the engine's queue and store metrics (every
# /metrics line whose name contains `mailbox`, `queue`, `in_flight`, `backlog` or `store_`,
# so flushes count against writes; absent ones are simply not listed) scraped just before
# and just after the recording, with the change.
#
# It builds the engine and the load generator (release; Cargo.toml's release profile keeps
# line tables, so perf names functions and inlined frames without a separate build),
# starts `hotline-dispatch serve` pinned to core 0 on a fresh temporary store (lib.sh),
# starts the load pinned to core 1, waits for it to be set up and warmed up, records, and
# lets the load finish. Loads:
#   intake  `loadtest intake` with PROFILE_CLIENTS closed-loop clients (the 50-client
#           phase of scripts/bench-intake.sh): the durable write path.
#   e1      `loadtest mixed` shaped like E1 (README, Performance): PROFILE_VEHICLES vehicle
#           sockets at 1 Hz, PROFILE_TICKETS tickets/s, PROFILE_CONSOLES consoles, no
#           boards; E1 itself is 10,000 / 100 / 20.
#   e2      the same with PROFILE_GATEWAY gateway vehicles, 200 tickets/s, 50 consoles and
#           PROFILE_OPEN_TICKETS open tickets first (E2 is 10,000 + 90,000, 100,000 open).
# Everything started here is stopped, and the temp dir removed, on exit.
#
# Usage: scripts/profile.sh [intake|e1|e2]            (default intake)
# Environment (all optional):
#   PROFILE_SECONDS       time recorded                               (default 10)
#   PROFILE_WARMUP        load before the recording starts, seconds   (default 3)
#   PROFILE_FREQ          samples per second per CPU                  (default 499)
#   PROFILE_CALL_GRAPH    dwarf, fp (perf's -g) or none               (default dwarf)
#   PROFILE_TOP           symbols listed                              (default 30)
#   PROFILE_CLIENTS       intake: clients                             (default 50)
#   PROFILE_VEHICLES      e1/e2: vehicle sockets                      (default 10000)
#   PROFILE_GATEWAY       e2: gateway vehicles                        (default 90000)
#   PROFILE_TICKETS       e1/e2: tickets per second                   (default 100 / 200)
#   PROFILE_CONSOLES      e1/e2: consoles                             (default 20 / 50)
#   PROFILE_OPEN_TICKETS  e2: open tickets taken in first             (default 100000)
#   PROFILE_OUT=DIR       where the results go                        (default loadtest-out/profile-<load>-<time>)
#   BENCH_SKIP_BUILD=1    reuse the release binaries already built
#   BENCH_KEEP=1          keep the temp dir (store, logs)
#   BENCH_PIN=0           do not pin (lib.sh)
# Results in PROFILE_OUT: summary.md (what is printed), perf.data, top-symbols.txt,
# top-user-symbols.txt, threads.txt, callers.txt (call graph of the top symbols, unless PROFILE_CALL_GRAPH=none),
# metrics-before.txt, metrics-after.txt, load.txt (the load generator's report).
# Needs: perf (Debian's linux-perf), cargo, curl, jq, awk; run as root or with
# kernel.perf_event_paranoid <= 1 (the script says which is missing).
set -euo pipefail
SCRIPT_NAME=profile
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LOAD="${1:-intake}"
SECONDS_REC="${PROFILE_SECONDS:-10}"
WARM="${PROFILE_WARMUP:-3}"
FREQ="${PROFILE_FREQ:-499}"
CALL_GRAPH="${PROFILE_CALL_GRAPH:-dwarf}"
TOP="${PROFILE_TOP:-30}"
CLIENTS="${PROFILE_CLIENTS:-50}"
VEHICLES="${PROFILE_VEHICLES:-10000}"
GATEWAY=0
OPEN_TICKETS=0
case "$LOAD" in
intake) ;;
e1)
    TICKETS="${PROFILE_TICKETS:-100}"
    CONSOLES="${PROFILE_CONSOLES:-20}"
    ;;
e2)
    GATEWAY="${PROFILE_GATEWAY:-90000}"
    TICKETS="${PROFILE_TICKETS:-200}"
    CONSOLES="${PROFILE_CONSOLES:-50}"
    OPEN_TICKETS="${PROFILE_OPEN_TICKETS:-100000}"
    ;;
*) die "unknown load '$LOAD': intake, e1 or e2" ;;
esac
OUT="${PROFILE_OUT:-$ROOT/loadtest-out/profile-$LOAD-$(date -u +%Y%m%d-%H%M%S)}"
for v in SECONDS_REC WARM FREQ TOP CLIENTS VEHICLES GATEWAY OPEN_TICKETS; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || die "$v must be a whole number, not '${!v}'"
done
((SECONDS_REC >= 1)) || die "PROFILE_SECONDS must be at least 1"
case "$CALL_GRAPH" in
dwarf) CG=(--call-graph dwarf,16384) ;;
fp) CG=(-g) ;;
none) CG=() ;;
*) die "PROFILE_CALL_GRAPH is dwarf, fp or none" ;;
esac

need perf "install Debian's linux-perf"
need cargo "install the Rust toolchain"
need curl "install Debian's curl"
need jq "install Debian's jq"
need awk "install Debian's gawk or mawk"
paranoid="$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo 2)"
if [[ "$(id -u)" != 0 ]] && ((paranoid > 1)); then
    die "kernel.perf_event_paranoid is $paranoid: run as root or sysctl kernel.perf_event_paranoid=1"
fi

lib_init
build_release
mkdir -p "$OUT"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# Every /metrics line about queues and the store (no comments, no histogram buckets), sorted.
scrape() {
    curl -sS --max-time 10 "$BASE/metrics" |
        grep -E '^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? ' |
        grep -E '^[^{ ]*(mailbox|queue|in_flight|backlog|store_)' |
        grep -v '_bucket[{ ]' | sort || true
}

# Each thread of the engine: "tid<TAB>name<TAB>utime+stime ticks<TAB>context switches
# (voluntary + not)", from /proc. Switches count hand-offs: a thread that sleeps on a queue
# and is woken for each message switches once per message.
thread_ticks() {
    local t sw
    for t in /proc/"$1"/task/*; do
        [[ -r "$t/stat" ]] || continue
        sw="$(awk '/ctxt_switches/ { n += $2 } END { print n + 0 }' "$t/status" 2>/dev/null || echo 0)"
        awk -v tid="${t##*/}" -v sw="$sw" '{
            line = $0; sub(/^[^(]*\(/, "", line); name = line; sub(/\).*$/, "", name)
            sub(/^.*\) /, "", line); split(line, f, " ")
            printf "%s\t%s\t%d\t%d\n", tid, name, f[12] + f[13], sw
        }' "$t/stat" 2>/dev/null || true
    done
}

# ---- the engine and the load ------------------------------------------------------------
if [[ "$LOAD" == intake ]]; then
    start_engine
else
    start_engine APP__TICKETS__ARBITERS=2
fi
LOAD_LOG="$TMP/load.err"
DUR=$((WARM + SECONDS_REC + 2))
if [[ "$LOAD" == intake ]]; then
    PLATFORM_TOKEN="$(issue_token platform profile)"
    log "load: loadtest intake, $CLIENTS clients, ${DUR}s"
    LOADTEST_TOKEN="$PLATFORM_TOKEN" "${LOAD_CORE[@]}" "$LOADTEST_BIN" intake --url "$BASE" \
        --clients "$CLIENTS" --warmup 0s --duration "${DUR}s" --no-progress \
        >"$OUT/load.txt" 2>"$LOAD_LOG" &
    READY='^phase 1/'
else
    PROCS=$(((VEHICLES + 7999) / 8000))
    ((PROCS >= 1)) || PROCS=1
    log "load: loadtest mixed, $VEHICLES sockets ($PROCS process(es)), $GATEWAY gateway, $TICKETS tickets/s, $CONSOLES consoles, $OPEN_TICKETS open tickets first, ${DUR}s"
    LOADTEST_ADMIN_TOKEN="$ADMIN_TOKEN" "${LOAD_CORE[@]}" "$LOADTEST_BIN" mixed --url "$BASE" \
        --vehicles "$VEHICLES" --gateway-vehicles "$GATEWAY" --tickets "$TICKETS" \
        --consoles "$CONSOLES" --boards 0 --open-tickets "$OPEN_TICKETS" --procs "$PROCS" \
        --addresses 127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5,127.0.0.6,127.0.0.7,127.0.0.8 \
        --warmup 0s --duration "${DUR}s" --drain 3s --id-prefix "prof-$LOAD" --no-progress \
        --server-pid "$ENGINE_PID" --out "$TMP/load" >"$OUT/load.txt" 2>"$LOAD_LOG" &
    READY='open in [0-9.]+s$'
fi
LOAD_PID=$!
EXTRA_PIDS+=("$LOAD_PID")

# Wait for the load to be set up (registration, sockets, preload), then warm up.
until grep -Eq "$READY" "$LOAD_LOG" 2>/dev/null; do
    if ! kill -0 "$LOAD_PID" 2>/dev/null; then
        cat "$LOAD_LOG" >&2
        die "the load generator exited before its load started"
    fi
    kill -0 "$ENGINE_PID" 2>/dev/null || die "the engine exited (see $TMP/engine.log; BENCH_KEEP=1 keeps it)"
    sleep 0.5
done
log "load running; warming up ${WARM}s"
sleep "$WARM"

# ---- record -------------------------------------------------------------------------------
scrape >"$OUT/metrics-before.txt"
thread_ticks "$ENGINE_PID" >"$TMP/threads-before.tsv"
load_before="$(load_average)"
log "perf record -F $FREQ ${CG[*]} -p $ENGINE_PID for ${SECONDS_REC}s"
t0="$(date +%s.%N)"
perf record -F "$FREQ" "${CG[@]}" -p "$ENGINE_PID" -o "$OUT/perf.data" -- sleep "$SECONDS_REC" \
    >"$TMP/perf-record.log" 2>&1 || { cat "$TMP/perf-record.log" >&2; die "perf record failed"; }
t1="$(date +%s.%N)"
thread_ticks "$ENGINE_PID" >"$TMP/threads-after.tsv"
scrape >"$OUT/metrics-after.txt"
load_after="$(load_average)"

log "waiting for the load generator to finish"
rc=0
wait "$LOAD_PID" || rc=$?
EXTRA_PIDS=()
((rc == 0 || rc == 3)) || { tail -n 20 "$LOAD_LOG" >&2; log "warning: the load generator exited with $rc"; }
cat "$LOAD_LOG" >>"$OUT/load.txt"
stop_pid "$ENGINE_PID"
ENGINE_PID=""

# ---- reports ------------------------------------------------------------------------------
log "perf report (this can take a minute with dwarf call graphs)"
# Self time by symbol, every sample ([k] kernel, [.] user space), trailing padding cut.
perf report -i "$OUT/perf.data" --no-children --stdio --sort symbol -g none --percent-limit 0 \
    2>/dev/null | grep -vE '^#|^$' | sed -E 's/[[:space:]]+-[[:space:]]+-[[:space:]]*$//; s/[[:space:]]+$//' \
    >"$TMP/symbols.txt" || true
head -n "$TOP" "$TMP/symbols.txt" >"$OUT/top-symbols.txt"
grep -F '[.]' "$TMP/symbols.txt" | head -n "$TOP" >"$OUT/top-user-symbols.txt" || true
perf report -i "$OUT/perf.data" --no-children --stdio --sort comm -g none 2>/dev/null \
    >"$TMP/threads-raw.txt" || true
grep -vE '^#|^$' "$TMP/threads-raw.txt" >"$OUT/threads.txt" || true
if ((${#CG[@]})); then
    perf report -i "$OUT/perf.data" --no-children --stdio --sort symbol -g caller,0.5,callee,function,percent \
        --percent-limit 2 2>/dev/null >"$OUT/callers.txt" || true
fi
samples="$(grep -m1 '^# Samples' "$TMP/threads-raw.txt" | sed 's/^# //' || true)"

CLK_TCK="$(getconf CLK_TCK)"
window="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"
SUMMARY="$OUT/summary.md"
{
    echo "### Profile: $LOAD ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
    echo
    case "$LOAD" in
    intake) echo "Load: \`loadtest intake\`, $CLIENTS closed-loop clients." ;;
    *) echo "Load: \`loadtest mixed\`, $VEHICLES vehicle sockets at 1 Hz, $GATEWAY gateway vehicles, $TICKETS tickets/s, $CONSOLES consoles, $OPEN_TICKETS open tickets first." ;;
    esac
    echo "Recorded ${window}s at $FREQ Hz (call graph: $CALL_GRAPH) after ${WARM}s of load; machine load average $load_before → $load_after$( [[ -n "$(busy_mark "$load_before")$(busy_mark "$load_after")" ]] && echo ' (**busy: above 2**)')."
    if ((${#ENGINE_CORE[@]})); then echo "Engine pinned to core 0, load generator to core 1."; fi
    echo
    echo "#### Top $TOP symbols by self time (perf report --no-children)"
    echo
    echo '```'
    cat "$OUT/top-symbols.txt"
    echo '```'
    echo
    echo "#### The same, user space only (the engine's own code and its libraries)"
    echo
    echo '```'
    cat "$OUT/top-user-symbols.txt"
    echo '```'
    echo
    echo "#### Engine threads: CPU over the window (/proc, % of one core; one thread near 100 is a queue) and share of perf samples"
    echo
    echo "| thread | tid | CPU % | context switches/s |"
    echo "|:--|--:|--:|--:|"
    awk -F'\t' -v w="$window" -v hz="$CLK_TCK" '
        NR == FNR { before[$1] = $3; sw[$1] = $4; next }
        {
            d = $3 - (($1 in before) ? before[$1] : 0); s = $4 - (($1 in sw) ? sw[$1] : 0)
            printf "%s\t%s\t%.1f\t%.0f\n", $2, $1, 100 * d / hz / w, s / w
        }' "$TMP/threads-before.tsv" "$TMP/threads-after.tsv" | sort -t$'\t' -k3,3 -g -r |
        awk -F'\t' '$3 > 0.05 && n++ < 20 { printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }'
    echo
    echo '```'
    head -n 15 "$OUT/threads.txt"
    echo '```'
    echo
    echo "#### Queue metrics from /metrics: before → after the recording"
    echo
    if [[ -s "$OUT/metrics-before.txt" || -s "$OUT/metrics-after.txt" ]]; then
        echo "| metric | before | after | change |"
        echo "|:--|--:|--:|--:|"
        awk '
            NR == FNR { k = $0; sub(/ [^ ]*$/, "", k); v = $0; sub(/^.* /, "", v); b[k] = v; keys[k] = 1; next }
            { k = $0; sub(/ [^ ]*$/, "", k); v = $0; sub(/^.* /, "", v); a[k] = v; keys[k] = 1 }
            END {
                for (k in keys) {
                    x = (k in b) ? b[k] : "-"; y = (k in a) ? a[k] : "-"
                    d = (x != "-" && y != "-") ? sprintf("%g", y - x) : "-"
                    printf "| `%s` | %s | %s | %s |\n", k, x, y, d
                }
            }' "$OUT/metrics-before.txt" "$OUT/metrics-after.txt" | sort
        # Histograms and summaries: the mean of what was observed during the recording.
        awk '
            NR == FNR { k = $0; sub(/ [^ ]*$/, "", k); v = $0; sub(/^.* /, "", v); b[k] = v; next }
            { k = $0; sub(/ [^ ]*$/, "", k); v = $0; sub(/^.* /, "", v); a[k] = v }
            END {
                for (k in a) {
                    name = k; sub(/\{.*$/, "", name); if (name !~ /_sum$/) continue
                    c = k; sub(/_sum/, "_count", c)
                    if (!(c in a)) continue
                    dn = a[c] - ((c in b) ? b[c] : 0); ds = a[k] - ((k in b) ? b[k] : 0)
                    if (dn > 0) printf "- `%s`: %d observed during the recording, mean %g\n", k, dn, ds / dn
                }
            }' "$OUT/metrics-before.txt" "$OUT/metrics-after.txt" | sort >"$TMP/means.txt"
        if [[ -s "$TMP/means.txt" ]]; then echo; cat "$TMP/means.txt"; fi
    else
        echo "No metric named with mailbox, queue, in_flight, backlog or store_ was exposed."
    fi
    if [[ -n "$samples" ]]; then echo; echo "perf: $samples"; fi
} >"$SUMMARY"
cat "$SUMMARY"
log "results in $OUT"
