#!/usr/bin/env bash
# Fault recovery of `tessera serve` (issue 19 "Faults heal in seconds"): prints how long each fault
# takes to heal, and whether anything was lost.
#   postgres-restart  ~300 edits/s (single-row INSERTs, each in its own z15 tile so that an arriving
#                     tile names its edit); PostgreSQL stopped (pg_ctl -m fast) at +8 s, started at
#                     +14 s. Outage, PG start -> first post-restart arrival, commit -> arrival
#                     p50/p99/max of the changes committed after the restart, committed vs delivered.
#                     Target: p99 <= window (max_delay_ms) + 2 s, nothing lost.
#   instance-killed   14 requests in flight to a receiver that holds each 10 s (timeout_ms 12000,
#                     max_in_flight 20); `tessera serve` SIGKILLed, started again at once. Restart ->
#                     re-send of each, Tessera-Attempt of first sends and re-sends, delivery_attempts.
#                     Target: re-sent within 5 s of the restart, with attempt 2, same webhook-id.
#   two-instances     two `tessera serve` on one database; the one holding the in-flight requests
#                     (found from /proc) is SIGKILLed, the other keeps running. Kill -> re-send.
# Everything runs against a throwaway PostGIS cluster of its own (never the shared one on 54329):
# $TESSERA_FAULTS_PG_PORT (default: a free port in 55000-55999) in a fresh /tmp directory, removed
# on exit with every process the run started. Takes about 2 minutes with the old lease behaviour
# (postgres-restart is bimodal on the old binary: add TESSERA_FAULTS_ARGS="--pg-rounds 4" to see both).
#   TESSERA_BIN          the binary to measure (default .build/release/tessera; it is not built here)
#   TESSERA_FAULTS       comma-separated subset: postgres-restart,instance-killed,two-instances
#   TESSERA_FAULTS_KEEP  1: keep the work directory (serve logs, receiver.jsonl, results.json)
#   TESSERA_FAULTS_ARGS  further options for faults.py (--rate, --hold, --timeout-ms, …; see --help)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
tessera=${TESSERA_BIN:-.build/release/tessera}
case "$tessera" in /*) ;; *) tessera="$root/$tessera" ;; esac
[ -x "$tessera" ] || { echo "faults: $tessera is not an executable (build it, or set TESSERA_BIN)" >&2; exit 2; }
command -v psql >/dev/null || { echo "faults: psql is not installed" >&2; exit 2; }
python=python3
[ -x "$root/.venv/bin/python" ] && python="$root/.venv/bin/python"

# shellcheck source=benchmarks/throwaway-cluster.sh
. benchmarks/throwaway-cluster.sh
throwaway_cluster faults "${TESSERA_FAULTS_PG_PORT:-}" "${TESSERA_FAULTS_KEEP:-}"
echo "faults: PostGIS cluster $base (in $TESSERA_PG_DIR), binary $tessera"
# Each fault makes its own database from tessera_template and migrates it with $tessera.
# shellcheck disable=SC2086
"$python" benchmarks/faults/faults.py --tessera "$tessera" --base-url "$base" --pg-script "$root/scripts/pg" \
    --work "$work" --faults "${TESSERA_FAULTS:-postgres-restart,instance-killed,two-instances}" \
    ${TESSERA_FAULTS_ARGS:-} &
driver=$!
wait "$driver"
driver=""
