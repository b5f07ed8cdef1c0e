#!/usr/bin/env bash
# Runs a cluster on this machine: a redis-server (AOF, appendfsync always) and N engine
# nodes on loopback, sharing the demo data, which the first node loads once while it runs
# alone. Prints each node's URL and the demo tokens (they serve on every node), then runs
# until Ctrl-C, which stops everything (stores under a temp dir, kept with BENCH_KEEP=1).
#
#   scripts/cluster.sh [N]          N nodes, 3 by default (at least 1)
#
# CLUSTER_LEASE_MS sets the partitions' lease (default 10000); BENCH_SKIP_BUILD=1 uses the
# release binary as built. Kill a node (kill -9 <pid>, printed) to watch its partitions
# taken over: GET /api/v1/cluster on any node shows what it holds.
set -euo pipefail
SCRIPT_NAME=cluster
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BENCH_PIN=0

N="${1:-3}"
[[ "$N" =~ ^[1-9][0-9]?$ ]] || die "N must be a number of nodes from 1 to 99, not '$N'"
LEASE_MS="${CLUSTER_LEASE_MS:-10000}"
need curl "install curl"
lib_init
ensure_redis
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    log "building (release)"
    (cd "$ROOT" && cargo build --release -q -p hotline-dispatch)
fi
[[ -x "$ENGINE_BIN" ]] || die "$ENGINE_BIN missing: build it first"
start_redis --appendonly yes --appendfsync always --save ''

ADMIN_TOKEN="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
SECRET="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"

# Starts node $1 (serve, plus any extra arguments) and waits until it is ready.
start_node() {
    local i="$1" port
    shift
    port="$(free_port)"
    mkdir -p "$TMP/n$i"
    env APP__SERVER__HOST=127.0.0.1 \
        APP__SERVER__PORT="$port" \
        APP__STORE__PATH="$TMP/n$i/store" \
        APP__AUTH__BOOTSTRAP_ADMIN_TOKEN="$ADMIN_TOKEN" \
        APP__LOG__LEVEL="${CLUSTER_LOG_LEVEL:-info}" \
        APP__CLUSTER__REDIS_URL="redis://127.0.0.1:$RPORT/" \
        APP__CLUSTER__NODE_ID="n$i" \
        APP__CLUSTER__ADVERTISE_URL="http://127.0.0.1:$port" \
        APP__CLUSTER__SECRET="$SECRET" \
        APP__CLUSTER__LEASE_MS="$LEASE_MS" \
        APP__CLUSTER__LEASE_MARGIN_MS="$((LEASE_MS / 10))" \
        APP__CLUSTER__NODE_TIMEOUT_MS="$((LEASE_MS * 6 / 10))" \
        "$ENGINE_BIN" serve "$@" >"$TMP/n$i/out" 2>"$TMP/n$i/log" &
    local pid=$!
    EXTRA_PIDS+=("$pid")
    local deadline=$((SECONDS + 120))
    until grep -q '^hotline-dispatch listening on' "$TMP/n$i/out" 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || { tail -n 20 "$TMP/n$i/log" >&2; die "node n$i exited (log above)"; }
        ((SECONDS < deadline)) || die "node n$i did not start within 120 s"
        sleep 0.2
    done
    NODE_URLS+=("n$i  http://127.0.0.1:$port  (pid $pid, log $TMP/n$i/log)")
}

NODE_URLS=()
log "node n1 loads the demo data alone"
start_node 1 --demo
for i in $(seq 2 "$N"); do start_node "$i"; done

echo "Cluster of $N node(s) on redis://127.0.0.1:$RPORT (lease ${LEASE_MS} ms):"
printf '  %s\n' "${NODE_URLS[@]}"
echo "Every node serves the console (/console), the API (/api/v1) and the board (/board)."
echo "Bootstrap admin token (every node): $ADMIN_TOKEN"
sed -n '/^Demo tokens/,/^hotline-dispatch listening/p' "$TMP/n1/out" | sed '$d'
echo "Ctrl-C stops the cluster."
wait
