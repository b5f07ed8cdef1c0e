#!/usr/bin/env bash
# End-to-end benchmark: the simulated command centre against the engine, then the Redis
# peer on the same data, with one table of figures and ratios. It builds the engine and
# the load generator (release), starts `hotline-dispatch serve` on a free loopback port
# with a fresh temporary store and a bootstrap admin token, runs the chosen `loadtest`
# scenarios against it (vehicle apps on sockets and through the gateway, tickets,
# offers, field work, consoles, boards; the engine's RSS and CPU sampled from /proc),
# stops it, starts a throw-away `redis-server` (installed from Debian if missing) and runs
# `loadtest redis` with the same seed: GEOADD of the same vehicles' fixes (plain and
# pipelined), GEOSEARCH 500 m and 1 km at the same ticket sites, PUBLISH to as many
# subscribers as the fan-out has consoles (100 by default). Results: one directory per
# scenario (report.json, report.md, latency.png, throughput.png, server.png), redis.json
# and table.md under BENCH_OUT. Everything started here is stopped on exit.
#
# Usage: scripts/bench.sh
# Environment (all optional):
#   BENCH_SCENARIOS     scenarios to run, space separated          (default "mixed")
#   BENCH_VEHICLES      vehicle sockets                           (default 1000)
#   BENCH_GATEWAY       gateway-fed vehicles                      (default 0)
#   BENCH_RATE          fixes per second per vehicle              (default 1)
#   BENCH_TICKETS       tickets per second                        (default 20)
#   BENCH_CONSOLES      consoles                                  (default 10)
#   BENCH_BOARDS        boards                                    (default 10)
#   BENCH_OPEN_TICKETS  routine tickets taken in before the run   (default 0)
#   BENCH_DURATION      measured time                             (default 30s)
#   BENCH_WARMUP        warm-up                                   (default 5s)
#   BENCH_PROCS         load processes sharing the sockets        (default 1; 2 from 8,000 sockets)
#   BENCH_ADDRESSES     local addresses of the sockets            (default 127.0.0.1-8)
#   BENCH_SEED          seed of paths, sites and bodies           (default 12313)
#   BENCH_SUBSCRIBERS   redis PUBLISH subscribers                 (default 100)
#   BENCH_REDIS_DURATION measured time of each redis run          (default 10s)
#   BENCH_LOADTEST_ARGS more options for loadtest, e.g. "--onsite 30s"
#   BENCH_SKIP_BUILD=1  reuse the release binaries already built
#   BENCH_OUT=DIR       where the results go                      (default loadtest-out/bench-<time>)
#   BENCH_KEEP=1        keep the temp dir (store, logs)
# Needs: cargo, curl, jq, awk; redis-server and redis-cli (installed from Debian when
# missing and running as root). Exit status: 0, or 3 when offers were lost or duplicated.
set -euo pipefail
SCRIPT_NAME=bench
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCENARIOS="${BENCH_SCENARIOS:-mixed}"
VEHICLES="${BENCH_VEHICLES:-1000}"
GATEWAY="${BENCH_GATEWAY:-0}"
RATE="${BENCH_RATE:-1}"
TICKETS="${BENCH_TICKETS:-20}"
CONSOLES="${BENCH_CONSOLES:-10}"
BOARDS="${BENCH_BOARDS:-10}"
OPEN_TICKETS="${BENCH_OPEN_TICKETS:-0}"
DURATION="${BENCH_DURATION:-30s}"
WARMUP="${BENCH_WARMUP:-5s}"
PROCS="${BENCH_PROCS:-$(((VEHICLES + 7999) / 8000))}"
ADDRESSES="${BENCH_ADDRESSES:-127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5,127.0.0.6,127.0.0.7,127.0.0.8}"
SEED="${BENCH_SEED:-12313}"
SUBSCRIBERS="${BENCH_SUBSCRIBERS:-100}"
REDIS_DURATION="${BENCH_REDIS_DURATION:-10s}"
OUT="${BENCH_OUT:-$ROOT/loadtest-out/bench-$(date -u +%Y%m%d-%H%M%S)}"
read -r -a EXTRA <<<"${BENCH_LOADTEST_ARGS:-}"

need cargo "install the Rust toolchain"
need curl "install Debian's curl"
need jq "install Debian's jq"
need awk "install Debian's gawk or mawk"
for v in VEHICLES GATEWAY TICKETS CONSOLES BOARDS OPEN_TICKETS PROCS SEED SUBSCRIBERS; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || die "BENCH_$v must be a whole number, not '${!v}'"
done
((PROCS >= 1)) || PROCS=1
ensure_redis
lib_init
build_release
mkdir -p "$OUT"
# Each socket is a descriptor in the engine: raise the soft limit to the hard one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(($(ulimit -n) >= VEHICLES + CONSOLES + BOARDS + 1000)) ||
    die "ulimit -n is $(ulimit -n): the engine needs a descriptor per socket; lower BENCH_VEHICLES"

# ---- the engine and the scenarios --------------------------------------------------------
start_engine APP__TICKETS__ARBITERS=2
worst=0
for s in $SCENARIOS; do
    log "loadtest $s: $VEHICLES sockets ($PROCS process(es)), $GATEWAY gateway vehicles, $TICKETS tickets/s, $CONSOLES consoles, $BOARDS boards, $WARMUP + $DURATION"
    rc=0
    LOADTEST_ADMIN_TOKEN="$ADMIN_TOKEN" "${LOAD_CORE[@]}" "$LOADTEST_BIN" "$s" --url "$BASE" \
        --vehicles "$VEHICLES" --gateway-vehicles "$GATEWAY" --rate "$RATE" \
        --tickets "$TICKETS" --consoles "$CONSOLES" --boards "$BOARDS" \
        --open-tickets "$OPEN_TICKETS" --duration "$DURATION" --warmup "$WARMUP" \
        --procs "$PROCS" --addresses "$ADDRESSES" --seed "$SEED" --id-prefix "b-$s" \
        --server-pid "$ENGINE_PID" --out "$OUT/$s" "${EXTRA[@]}" >"$OUT/$s.md" || rc=$?
    case "$rc" in
    0) ;;
    3) log "loadtest $s: offers were lost or duplicated"; worst=3 ;;
    *) tail -n 20 "$TMP/engine.log" >&2 || true; die "loadtest $s failed (exit $rc)" ;;
    esac
    cat "$OUT/$s.md" >&2
done
log "stopping the engine"
stop_pid "$ENGINE_PID"
ENGINE_PID=""

# ---- the redis peer on the same data --------------------------------------------------------
start_redis
"${LOAD_CORE[@]}" "$LOADTEST_BIN" redis --redis "redis://127.0.0.1:$RPORT/" --redis-pid "$REDIS_PID" \
    --vehicles "$VEHICLES" --seed "$SEED" --duration "$REDIS_DURATION" \
    --subscribers "$SUBSCRIBERS" --publish-rate "$TICKETS" \
    --json "$OUT/redis.json" >"$OUT/redis.md" || die "loadtest redis failed"
cat "$OUT/redis.md" >&2
stop_pid "$REDIS_PID"
REDIS_PID=""

# ---- the table --------------------------------------------------------------------------------
num() { awk -v x="$1" 'BEGIN { if (x ~ /^-?[0-9.]+(e[-+]?[0-9]+)?$/) { if (x >= 100) printf "%.0f", x; else printf "%.2f", x } else print "-" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+/ && b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }
R="$OUT/redis.json"
rq() { jq -r "$1 // \"-\"" "$R"; }
TABLE="$OUT/table.md"
{
    echo "### Engine vs redis $REDIS_VERSION on the same data ($VEHICLES vehicles, seed $SEED, 2-core machine shared by all)"
    echo
    echo "| scenario | measure | engine | redis peer | redis figure | engine / redis |"
    echo "|:--|:--|--:|:--|--:|--:|"
    g_plain="$(rq '.geoadd.fixes_per_s')"; g_cpu="$(rq '.geoadd.server_cpu_pct')"
    g_pipe="$(rq '.geoadd_pipelined.fixes_per_s')"; gp_cpu="$(rq '.geoadd_pipelined.server_cpu_pct')"
    g_per_cpu="$(awk -v f="$g_plain" -v c="$g_cpu" 'BEGIN { if (c + 0 > 0) printf "%.0f", f / (c / 100); else print "-" }')"
    gp_per_cpu="$(awk -v f="$g_pipe" -v c="$gp_cpu" 'BEGIN { if (c + 0 > 0) printf "%.0f", f / (c / 100); else print "-" }')"
    s500="$(rq '.geosearch[0].latency_ms.p99')"; s1k="$(rq '.geosearch[1].latency_ms.p99')"
    s500m="$(rq '.geosearch[0].latency_ms.p50')"
    pub50="$(rq '.publish.latency_ms.p50')"; pub99="$(rq '.publish.latency_ms.p99')"
    for s in $SCENARIOS; do
        J="$OUT/$s/report.json"
        [[ -f "$J" ]] || continue
        q() { jq -r "$1 // \"-\"" "$J"; }
        fixes="$(jq -r '(.throughput.fixes_per_s + .throughput.gateway_fixes_per_s)' "$J")"
        cpu="$(q '.server.cpu_pct_mean')"
        per_cpu="$(awk -v f="$fixes" -v c="$cpu" 'BEGIN { if (c + 0 > 0) printf "%.0f", f / (c / 100); else print "-" }')"
        printf '| %s | fixes taken per server CPU-second (engine: everything it did, at the offered load) | %s | GEOADD, 50 clients / pipelined ×16 | %s / %s | %s / %s |\n' \
            "$s" "$per_cpu" "$g_per_cpu" "$gp_per_cpu" "$(ratio "$per_cpu" "$g_per_cpu")" "$(ratio "$per_cpu" "$gp_per_cpu")"
        printf '| %s | new ticket → offer at the vehicle, p50 / p99 ms (durable intake + nearest + push) vs GEOSEARCH COUNT 1 p50 / p99 (500 m; 1 km p99 %s) | %s / %s | GEOSEARCH | %s / %s | %s |\n' \
            "$s" "$(num "$s1k")" "$(num "$(q '.latency_ms.offer_vehicle.p50')")" "$(num "$(q '.latency_ms.offer_vehicle.p99')")" \
            "$(num "$s500m")" "$(num "$s500")" "$(ratio "$(q '.latency_ms.offer_vehicle.p99')" "$s500")"
        printf '| %s | offer → every console, p50 / p99 ms (intake → offer.sent) vs PUBLISH → %s subscribers | %s / %s | PUBLISH | %s / %s | %s |\n' \
            "$s" "$SUBSCRIBERS" "$(num "$(q '.latency_ms.offer_console.p50')")" "$(num "$(q '.latency_ms.offer_console.p99')")" \
            "$(num "$pub50")" "$(num "$pub99")" "$(ratio "$(q '.latency_ms.offer_console.p99')" "$pub99")"
        printf '| %s | fix → console p50 / p99 ms (coalesced per 250 ms tick) | %s / %s | | | |\n' \
            "$s" "$(num "$(q '.latency_ms.move_console.p50')")" "$(num "$(q '.latency_ms.move_console.p99')")"
        printf '| %s | offers lost / duplicated (must be 0) · not offered (no vehicle free) · engine RSS max MiB · engine CPU mean %% | %s / %s · %s · %s · %s | | | |\n' \
            "$s" "$(q '.offers.lost')" "$(q '.offers.duplicated')" "$(q '.offers.unserved')" "$(num "$(q '.server.rss_mib_max')")" "$(num "$cpu")"
    done
    echo
    echo "Engine figures are over the measured window of each scenario (see its report.md); redis: \`loadtest redis\` with the same seed (same vehicles' paths, same ticket sites), $REDIS_DURATION per run."
} >"$TABLE"
cat "$TABLE"
log "results in $OUT"
exit "$worst"
