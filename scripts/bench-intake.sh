#!/usr/bin/env bash
# Side-by-side intake benchmark: the engine's durable ticket intake against two durable
# peers on the same machine in the same run. It builds the engine and the load generator,
# starts `hotline-dispatch serve` on a free loopback port with a fresh temporary store,
# issues a platform token, runs `loadtest intake`, stops the engine, then runs
#   - `redis-benchmark` XADD against a `redis-server` with `appendfsync always` (every
#     write fsynced, as every acknowledged intake must be durable), and
#   - `pgbench` against a throw-away PostgreSQL cluster (Debian's postgresql; initdb in
#     the temp dir, a private port and socket directory, `fsync = on`,
#     `synchronous_commit = on`) inserting the same JSON ticket the engine receives into a
#     table with a `jsonb` column and a unique `external_id`, one INSERT per transaction,
#     for the same warm-up and duration as the engine's phases,
# at the same client counts, and prints one table with the engine's ratio to each peer.
# The engine and the peers run pinned to core 0, the load generators to core 1 (lib.sh,
# BENCH_PIN=0 turns it off); the machine's load average is recorded around each system's
# runs and figures taken above 2 are marked "busy". The machines are small and noisy: read
# the ratios, not the absolute numbers. Everything started here is stopped, and the temp
# dir removed, on exit.
#
# PostgreSQL refuses to run as root: when this script runs as root, the cluster is
# initialised and run as BENCH_PG_USER, else Debian's `postgres` account, else `nobody`
# (no account is created), and the temp dir is opened for traversal (mode 711) so that
# user can reach its data directory under it. pgbench connects over TCP to 127.0.0.1 as
# the cluster's superuser `bench` (trust authentication, loopback only) and uses the
# simple query protocol, so the JSON text is parsed by the server on every insert as the
# engine parses every body.
#
# Usage: scripts/bench-intake.sh
# Environment (all optional):
#   BENCH_CLIENTS        client counts, comma separated            (default 1,50)
#   BENCH_DURATION       measured time per phase (engine, pgbench) (default 10s)
#   BENCH_WARMUP         warm-up per phase (engine, pgbench)       (default 2s)
#   BENCH_PEERS          peers to run, comma separated             (default redis,postgres)
#   BENCH_REDIS_N        XADD requests per redis run with >1 client (default 50000)
#   BENCH_REDIS_N_ONE    XADD requests for the 1-client redis run  (default 5000)
#   BENCH_PG_BIN         PostgreSQL server binaries                (default /usr/lib/postgresql/15/bin)
#   BENCH_PG_USER        user the cluster runs as under root       (default postgres, else nobody)
#   BENCH_PG_JOBS        pgbench threads                           (default 1)
#   BENCH_READY_TIMEOUT  seconds to wait for GET /readyz = 200     (default 60)
#   BENCH_SKIP_BUILD=1   reuse the release binaries already built
#   BENCH_OUT=DIR        keep intake.json, redis-c*.csv, pg-c*.txt and table.md in DIR
#   BENCH_KEEP=1         keep the temp dir (store, logs, pgbench logs) for inspection
#   CARGO_TARGET_DIR     honoured, as cargo does
# Needs: cargo, curl, jq, awk, redis-server, redis-cli and redis-benchmark (Debian's
# redis-server and redis-tools); for the PostgreSQL peer initdb, postgres, psql and
# pgbench (Debian's postgresql-15): without them that peer is skipped with a message.
# Exits 1 with a message when anything else is missing. Shares its start-up and clean-up
# with the other benchmarks (scripts/lib.sh).
set -euo pipefail

SCRIPT_NAME=bench-intake
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
CLIENTS="${BENCH_CLIENTS:-1,50}"
DURATION="${BENCH_DURATION:-10s}"
WARMUP="${BENCH_WARMUP:-2s}"
PEERS=",${BENCH_PEERS:-redis,postgres},"
PEERS="${PEERS// /}"
REDIS_N="${BENCH_REDIS_N:-50000}"
REDIS_N_ONE="${BENCH_REDIS_N_ONE:-5000}"
PG_JOBS="${BENCH_PG_JOBS:-1}"
DURATION_S="$(duration_s "$DURATION")"
WARMUP_S="$(duration_s "$WARMUP")"
[[ "$DURATION_S" =~ ^[0-9]+$ && "$DURATION_S" -ge 1 ]] || die "BENCH_DURATION=$DURATION is not a duration (10s, 2m)"
[[ "$WARMUP_S" =~ ^[0-9]+$ ]] || die "BENCH_WARMUP=$WARMUP is not a duration (2s, 0s)"
[[ "$PG_JOBS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_PG_JOBS must be a whole number from 1"
has_peer() { [[ "$PEERS" == *",$1,"* ]]; }

need cargo "install the Rust toolchain"
need curl "install Debian's curl"
need jq "install Debian's jq"
need awk "install Debian's gawk or mawk"
if has_peer redis; then
    need redis-server "install Debian's redis-server (apt-get install redis-server)"
    need redis-cli "install Debian's redis-tools (apt-get install redis-tools)"
    need redis-benchmark "install Debian's redis-tools (apt-get install redis-tools)"
fi
PG_SKIP=""
if has_peer postgres; then
    if ! find_postgres; then
        PG_SKIP="PostgreSQL's initdb and postgres not found (apt-get install postgresql-15, or set BENCH_PG_BIN)"
    elif [[ -z "$(pg_tool psql)" || -z "$(pg_tool pgbench)" ]]; then
        PG_SKIP="psql or pgbench not found (apt-get install postgresql-client-15)"
    fi
    [[ -z "$PG_SKIP" ]] || log "skipping the PostgreSQL peer: $PG_SKIP"
else
    PG_SKIP="not asked for (BENCH_PEERS)"
fi

lib_init
if [[ "$(stat -f -c %T "$TMP" 2>/dev/null || true)" == tmpfs ]]; then
    log "warning: $TMP is on tmpfs, where fsync costs nothing: set TMPDIR to a disk directory"
fi
build_release
IFS=',' read -r -a CLIENT_LIST <<<"$CLIENTS"
for i in "${!CLIENT_LIST[@]}"; do
    CLIENT_LIST[i]="${CLIENT_LIST[i]// /}"
    [[ "${CLIENT_LIST[i]}" =~ ^[1-9][0-9]*$ ]] || die "BENCH_CLIENTS: '${CLIENT_LIST[i]}' is not a client count"
done
declare -A LOAD

# ---- the engine -------------------------------------------------------------------------
BENCH_LOG_LEVEL="${BENCH_LOG_LEVEL:-info}" start_engine
PLATFORM_TOKEN="$(issue_token platform bench)"

log "running loadtest intake (clients $CLIENTS, $WARMUP warm-up + $DURATION each)"
LOAD[engine]="$(load_average)"
LOADTEST_TOKEN="$PLATFORM_TOKEN" "${LOAD_CORE[@]}" "$LOADTEST_BIN" intake --url "$BASE" \
    --clients "$CLIENTS" --duration "$DURATION" --warmup "$WARMUP" --json "$TMP/intake.json"
LOAD[engine]+=" → $(load_average)"

log "stopping the engine"
stop_pid "$ENGINE_PID"
ENGINE_PID=""

# ---- the peer: redis with every write fsynced -------------------------------------------
declare -A REDIS_ROW
if has_peer redis; then
    redis_version="$(redis-benchmark --version 2>/dev/null || true)"
    log "redis: appendfsync always; ${redis_version:-version unknown}"
    start_redis --appendonly yes --appendfsync always --save ''
    LOAD[redis]="$(load_average)"
    for c in "${CLIENT_LIST[@]}"; do
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
    LOAD[redis]+=" → $(load_average)"
    stop_pid "$REDIS_PID"
    REDIS_PID=""
fi

# ---- the peer: PostgreSQL with every commit flushed ---------------------------------------
# The ticket as `loadtest intake` sends it (loadtest/src/body.rs): the server parses the
# text into jsonb on every insert, puts a fresh external_id in it and checks that id
# against a unique index, as the engine checks its external ids.
TICKET_JSON='{"source":"loadtest","external_id":"","kind":"report","category":"counterfeit","description":"超市柜台的中华烟钢印不清，烟丝颜色发暗，怀疑是假烟","reporter":{"name":"王芳","phone":"13812345678","anonymous":false},"address_text":"梅川镇正街128号","location":{"lat":29.951234,"lng":115.561234}}'

# Reads pgbench's output ($1) and its per-transaction logs ($2*): prints
# tps<TAB>p50 ms<TAB>p99 ms<TAB>transactions<TAB>failed. The log's third field is the
# transaction's latency in µs; percentiles are nearest-rank over every transaction.
parse_pgbench() {
    local tps failed
    tps="$(awk '/^tps = / { print $3; exit }' "$1")"
    failed="$(awk -F'[: ]+' '/^number of failed transactions/ { print $5; exit }' "$1")"
    cat "$2".* 2>/dev/null | awk '{ print $3 }' | sort -n >"$2.sorted"
    awk -v tps="${tps:-n/a}" -v failed="${failed:-0}" '
        { v[NR] = $1 }
        END {
            if (NR == 0) { printf "%s\tn/a\tn/a\t0\t%s\n", tps, failed; exit }
            i50 = int(NR * 0.50); if (i50 < NR * 0.50) i50++; if (i50 < 1) i50 = 1
            i99 = int(NR * 0.99); if (i99 < NR * 0.99) i99++; if (i99 < 1) i99 = 1
            printf "%s\t%.3f\t%.3f\t%d\t%s\n", tps, v[i50] / 1000, v[i99] / 1000, NR, failed
        }' "$2.sorted"
    rm -f "$2.sorted"
}

declare -A PG_ROW
if [[ -z "$PG_SKIP" ]]; then
    PGBENCH="$(pg_tool pgbench)"
    start_postgres
    log "postgres $PG_VERSION ($PG_BIN), run as $PG_USER; pgbench: $("$PGBENCH" --version)"
    "${PSQL[@]}" -d bench -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE TABLE tickets (
    id bigserial PRIMARY KEY,
    external_id text NOT NULL UNIQUE,
    received_at timestamptz NOT NULL DEFAULT now(),
    body jsonb NOT NULL
);
CREATE SEQUENCE intake_seq;
SQL
    # The JSON literal has no quote of its own to escape; pgbench variables are not used.
    cat >"$TMP/pg-intake.sql" <<SQL
INSERT INTO tickets (external_id, body)
SELECT e, jsonb_set('$TICKET_JSON'::jsonb, '{external_id}', to_jsonb(e))
FROM (SELECT 'pg-' || nextval('intake_seq') AS e) AS n;
SQL
    "${PSQL[@]}" -d bench -At -v ON_ERROR_STOP=1 -f "$TMP/pg-intake.sql" >/dev/null ||
        die "the PostgreSQL intake statement failed (see above)"
    LOAD[postgres]="$(load_average)"
    for c in "${CLIENT_LIST[@]}"; do
        jobs=$((PG_JOBS < c ? PG_JOBS : c))
        common=(-h 127.0.0.1 -p "$PGPORT" -U bench -n -f "$TMP/pg-intake.sql" -c "$c" -j "$jobs")
        if ((WARMUP_S > 0)); then
            log "pgbench warm-up: $c client(s), ${WARMUP_S}s"
            "${LOAD_CORE[@]}" "$PGBENCH" "${common[@]}" -T "$WARMUP_S" bench >"$TMP/pg-warmup-c$c.txt" 2>&1 ||
                { cat "$TMP/pg-warmup-c$c.txt" >&2; die "pgbench warm-up failed"; }
        fi
        log "pgbench INSERT jsonb: $c client(s), ${DURATION_S}s, per-transaction log"
        rm -f "$TMP/pglog-c$c".*
        "${LOAD_CORE[@]}" "$PGBENCH" "${common[@]}" -T "$DURATION_S" --log \
            --log-prefix="$TMP/pglog-c$c" bench >"$TMP/pg-c$c.txt" 2>&1 ||
            { cat "$TMP/pg-c$c.txt" >&2; die "pgbench failed"; }
        PG_ROW[$c]="$(parse_pgbench "$TMP/pg-c$c.txt" "$TMP/pglog-c$c")"
    done
    LOAD[postgres]+=" → $(load_average)"
    stop_pid "$PG_PID"
    PG_PID=""
fi

# ---- the table --------------------------------------------------------------------------
fmt() { [[ "$1" =~ ^[0-9.]+$ ]] && printf '%.2f' "$1" || printf '%s' "$1"; }
fmt0() { [[ "$1" =~ ^[0-9.]+$ ]] && printf '%.0f' "$1" || printf '%s' "$1"; }
ratio() { awk -v e="$1" -v r="$2" 'BEGIN { if (r ~ /^[0-9.]+$/ && r + 0 > 0 && e ~ /^[0-9.]+$/) printf "%.2f×", e / r; else print "n/a" }'; }
busy_of() {
    local a b
    a="${1%% *}"; b="${1##* }"
    [[ -n "$(busy_mark "$a")$(busy_mark "$b")" ]] && printf ' (busy: load average %s)' "$1"
    return 0
}
TABLE="$TMP/table.md"
{
    echo
    echo "### Durable intake: the engine (POST /api/v1/tickets) vs PostgreSQL and redis, every acknowledgement durable"
    echo
    echo "| clients | system | per s | p50 ms | p99 ms | engine / system (per s) | engine / system (p99) |"
    echo "|--:|:--|--:|--:|--:|--:|--:|"
    for c in "${CLIENT_LIST[@]}"; do
        engine="$(jq -r --argjson c "$c" \
            '.phases[] | select(.clients == $c)
             | [.throughput_acks_per_s, (.latency_ms.p50 // "n/a"), (.latency_ms.p99 // "n/a")]
             | @tsv' "$TMP/intake.json")"
        IFS=$'\t' read -r e_tput e_p50 e_p99 <<<"${engine:-n/a	n/a	n/a}"
        printf '| %s | engine | %s | %s | %s | | |\n' "$c" "$(fmt0 "$e_tput")" "$(fmt "$e_p50")" "$(fmt "$e_p99")"
        if [[ -n "${PG_ROW[$c]:-}" ]]; then
            IFS=$'\t' read -r p_tps p_p50 p_p99 _ _ <<<"${PG_ROW[$c]}"
            printf '| %s | PostgreSQL INSERT jsonb | %s | %s | %s | %s | %s |\n' "$c" "$(fmt0 "$p_tps")" \
                "$(fmt "$p_p50")" "$(fmt "$p_p99")" "$(ratio "$e_tput" "$p_tps")" "$(ratio "$e_p99" "$p_p99")"
        fi
        if [[ -n "${REDIS_ROW[$c]:-}" ]]; then
            IFS=$'\t' read -r r_rps r_p50 r_p99 <<<"${REDIS_ROW[$c]}"
            printf '| %s | redis XADD | %s | %s | %s | %s | %s |\n' "$c" "$(fmt0 "$r_rps")" \
                "$(fmt "$r_p50")" "$(fmt "$r_p99")" "$(ratio "$e_tput" "$r_rps")" "$(ratio "$e_p99" "$r_p99")"
        fi
    done
    echo
    echo "- engine: \`loadtest intake\`, closed-loop clients, $WARMUP warm-up + $DURATION measured each, 201/200 only; load average ${LOAD[engine]}$(busy_of "${LOAD[engine]}")."
    if [[ -n "${PG_ROW[*]:-}" ]]; then
        echo "- PostgreSQL $PG_VERSION: fsync = on, synchronous_commit = on; \`pgbench -c N -j $PG_JOBS -T ${DURATION_S}\` (after ${WARMUP_S}s warm-up), one INSERT of the ticket's JSON as jsonb with a unique external_id per transaction; p50/p99 from the per-transaction log; load average ${LOAD[postgres]}$(busy_of "${LOAD[postgres]}")."
    else
        echo "- PostgreSQL: skipped ($PG_SKIP)."
    fi
    if [[ -n "${REDIS_ROW[*]:-}" ]]; then
        echo "- redis ${REDIS_VERSION:-}: appendfsync always; \`redis-benchmark -c N -n $REDIS_N\` (-n $REDIS_N_ONE for 1 client) \`XADD bench * field value\`; load average ${LOAD[redis]}$(busy_of "${LOAD[redis]}")."
    else
        echo "- redis: skipped (BENCH_PEERS)."
    fi
    if ((${#ENGINE_CORE[@]})); then
        echo "- pinned: the engine and each peer's server on core 0, the load generators on core 1 (taskset)."
    else
        echo "- not pinned (BENCH_PIN=0 or fewer than 2 cores)."
    fi
} >"$TABLE"
cat "$TABLE"

errors="$(jq '[.phases[].error_count] | add // 0' "$TMP/intake.json")"
if [[ "$errors" != 0 ]]; then
    log "warning: the engine answered $errors request(s) with an error (see the loadtest table above)"
fi
for c in "${!PG_ROW[@]}"; do
    IFS=$'\t' read -r _ _ _ _ failed <<<"${PG_ROW[$c]}"
    [[ "${failed:-0}" == 0 ]] || log "warning: pgbench with $c client(s) had $failed failed transaction(s) (see pg-c$c.txt)"
done

if [[ -n "${BENCH_OUT:-}" ]]; then
    mkdir -p "$BENCH_OUT"
    cp "$TMP/intake.json" "$TABLE" "$BENCH_OUT"/
    for f in "$TMP"/redis-c*.csv "$TMP"/pg-c*.txt "$TMP/pg-intake.sql"; do
        [[ -f "$f" ]] && cp "$f" "$BENCH_OUT"/
    done
    log "results kept in $BENCH_OUT"
fi
