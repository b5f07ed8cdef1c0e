#!/usr/bin/env bash
# The memory a big retailer import costs the engine: generates a synthetic registry CSV of
# about IMPORT_MIB MiB (default 19; the rows of scripts/gen-retailers.py, repeated with
# distinct licences, names and addresses), starts the release engine on a fresh store,
# imports the file with POST /api/v1/retailers/import and prints the engine's resident
# memory (VmRSS) before, right after and IMPORT_SETTLE_S seconds after the import (default
# 10), and its peak (VmHWM), from /proc/PID/status.
#
# Usage: scripts/bench-import.sh            (builds the release engine first)
#        BENCH_SKIP_BUILD=1 IMPORT_ENGINE_BIN=/path/to/hotline-dispatch scripts/bench-import.sh
#        scripts/bench-import.sh APP__STORE__CACHE_CAPACITY_MB=64   (settings for the engine)
set -euo pipefail
SCRIPT_NAME=bench-import
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
lib_init
need curl "apt-get install curl"
need python3 "apt-get install python3"

if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    log "building the engine (release)"
    (cd "$ROOT" && cargo build --release -p hotline-dispatch)
fi
ENGINE_BIN="${IMPORT_ENGINE_BIN:-$ENGINE_BIN}"
[[ -x "$ENGINE_BIN" ]] || die "$ENGINE_BIN missing: build it first"

CSV="$TMP/registry.csv"
log "generating a ${IMPORT_MIB:-19} MiB registry"
python3 - "$ROOT/scripts/gen-retailers.py" "$CSV" "${IMPORT_MIB:-19}" <<'PY'
import csv, importlib.util, sys
spec = importlib.util.spec_from_file_location("gen", sys.argv[1])
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)
target = float(sys.argv[3]) * 1024 * 1024
base = gen.generate_registry(2100)
columns = ["licence", "name", "owner", "address", "town", "lat", "lng",
           "market_inspector", "account_manager"]
with open(sys.argv[2], "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(columns + ["synthetic"])
    copy = 0
    while f.tell() < target:
        for r in base:
            row = dict(r)
            row["licence"] = f"{r['licence']}{copy:04d}"
            if copy:
                row["name"] = f"{r['name']}{copy}号店"
                row["address"] = f"{r['address']}{copy}栋"
            w.writerow([row[c] for c in columns] + ["yes"])
        copy += 1
PY
rows=$(($(wc -l <"$CSV") - 1))
bytes=$(stat -c %s "$CSV")
log "$rows rows, $bytes bytes"

start_engine "$@"
status_kib() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$ENGINE_PID/status"; }
before_rss=$(status_kib VmRSS)
before_hwm=$(status_kib VmHWM)
log "importing"
started=$(date +%s.%N)
code=$(curl -sS -o "$TMP/answer.json" -w '%{http_code}' --max-time 600 \
    -X POST "$BASE/api/v1/retailers/import" \
    -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: text/csv' \
    --data-binary @"$CSV")
took=$(echo "$(date +%s.%N) - $started" | bc)
[[ "$code" == 200 ]] || die "the import answered $code: $(head -c 400 "$TMP/answer.json")"
after_rss=$(status_kib VmRSS)
sleep "${IMPORT_SETTLE_S:-10}"
settled_rss=$(status_kib VmRSS)
peak=$(status_kib VmHWM)
mib() { echo "scale=1; $1 / 1024" | bc; }
printf '\n| %s | MiB |\n|---|---|\n' "$(basename "$ENGINE_BIN") importing $rows rows ($(mib $((bytes / 1024))) MiB) in ${took%.*} s"
printf '| VmRSS before | %s |\n' "$(mib "$before_rss")"
printf '| VmHWM before | %s |\n' "$(mib "$before_hwm")"
printf '| VmRSS right after | %s |\n' "$(mib "$after_rss")"
printf '| VmRSS %s s after | %s |\n' "${IMPORT_SETTLE_S:-10}" "$(mib "$settled_rss")"
printf '| VmHWM (peak) | %s |\n' "$(mib "$peak")"
