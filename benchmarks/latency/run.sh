#!/usr/bin/env bash
# Commit -> delivered latency of single edits (issue "Latency"): `tessera serve` and a Python peer
# pipeline built the way the seeds build it (benchmarks/latency/peer.py: a row trigger with pg_notify
# -> an asyncpg listener -> a coalescing window -> one HMAC-SHA256-signed aiohttp POST per window,
# retried after 2^attempt + random() s, tiles from mercantile), measured one after the other in one
# run against the same receiver (receiver.py, a keep-alive HTTP/1.1 server that answers 200 at once).
# Edit n is a single-row INSERT, in its own autocommit transaction, of a point in the centre of its
# own z15 tile, so each arriving tile names its edit; latency = first arrival - commit returned.
#   steady  500 and 1500 edits/s (open loop, 8 sessions) x windows 0, 100, 250, 1000 ms (Tessera:
#           debounce_ms = max_delay_ms = window); 2 s warm-up, 10 s measured. Achieved rate,
#           p50/p90/p99/max, lost, p99 - window, Tessera p99 / peer p99; then the stages of each
#           delivery: Tessera's from tessera.deliveries / delivery_attempts (processed_at and due_at
#           when the binary has them), the peer's from its own log.
#           Read: p99 - window (what a pipeline adds to the window it was asked for) and
#           Tessera p99 / peer p99 (below 1: Tessera is faster); lost must be 0.
#   flood   100,000 points; 1,000-row UPDATEs paced at 29/s for 10 s, each moving its points within
#           their own z15 tiles (the peer's trigger NOTIFYs 1,000 times a statement); window 250 ms.
#           Per-feature p50/p99, features/s, drained = last arrival - last commit. Read: features/s
#           keeps up with the 29,000/s asked, drained stays within about a window, lost 0.
#   outage  200 edits/s, window 250 ms; the receiver stops listening (connections refused) at +5 s
#           for 20 s and for 90 s. Receiver up -> first request, up -> backlog drained, lost.
#           Read: lost 0, and how long a receiver that is back waits (both sides back off).
#           Tessera's subscription keeps the shipped retry schedule (5 s, 5 min, 30 min, ...;
#           TESSERA_LATENCY_ARGS="--tessera-retry peer" for the peer's 1, 2, 4, ... s).
# Everything runs against a throwaway PostGIS cluster of its own (never the shared one on 54329):
# $TESSERA_LATENCY_PG_PORT (default: a free port in 55000-55999) in a fresh /tmp directory, removed
# on exit with every process the run started; a fresh database per run (from tessera_template,
# migrated by the binary under test for Tessera). Takes about 12 minutes; prints tables and writes
# results.json to the work directory (removed at the end unless TESSERA_LATENCY_KEEP=1).
#   TESSERA_BIN           the binary to measure (default .build/release/tessera; it is not built here)
#   TESSERA_LATENCY       comma-separated subset of scenarios: steady,flood,outage
#   TESSERA_LATENCY_KEEP  1: keep the work directory (serve logs and configurations, peer logs, results.json)
#   TESSERA_LATENCY_ARGS  further options for latency.py (--rates, --windows, --outages, --serve-extra, …;
#                         see --help)
# The Python packages of requirements.txt (asyncpg, aiohttp, mercantile) are installed into .venv if
# missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
tessera=${TESSERA_BIN:-.build/release/tessera}
case "$tessera" in /*) ;; *) tessera="$root/$tessera" ;; esac
[ -x "$tessera" ] || { echo "latency: $tessera is not an executable (build it, or set TESSERA_BIN)" >&2; exit 2; }
command -v psql >/dev/null || { echo "latency: psql is not installed" >&2; exit 2; }
[ -x "$root/.venv/bin/python" ] || python3 -m venv "$root/.venv"
python="$root/.venv/bin/python"
if ! "$python" -c "import asyncpg, aiohttp, mercantile" 2>/dev/null; then
    echo "latency: installing benchmarks/latency/requirements.txt into .venv" >&2
    "$python" -m pip install -q -r benchmarks/latency/requirements.txt
fi

# shellcheck source=benchmarks/throwaway-cluster.sh
. benchmarks/throwaway-cluster.sh
throwaway_cluster latency "${TESSERA_LATENCY_PG_PORT:-}" "${TESSERA_LATENCY_KEEP:-}"
echo "latency: PostGIS cluster $base (in $TESSERA_PG_DIR), binary $tessera"
# shellcheck disable=SC2086
"$python" benchmarks/latency/latency.py --tessera "$tessera" --base-url "$base" --work "$work" \
    --python "$python" --scenarios "${TESSERA_LATENCY:-steady,flood,outage}" \
    ${TESSERA_LATENCY_ARGS:-} &
driver=$!
wait "$driver"
driver=""
