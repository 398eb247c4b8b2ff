#!/usr/bin/env bash
# Processor throughput and latency with a release `tessera serve` on the local PostGIS.
#   drain:   200,000 captured UPDATEs queued while the processor is stopped, then the time from
#            starting `tessera serve` until every change is a deliveries row (features/second)
#   latency: single-feature UPDATE transactions at a steady rate (pgbench -R) for 30 s with the
#            processor running; per delivery, created_at minus the capture time of the oldest
#            change it carries (commit -> queued), p50 and p99. Windows: debounce 0, max delay 0.
# The edit workload is the pgbench script written below. Scratch database tessera_bench_flow.
# TESSERA_BENCH_DRAIN_ONLY=1 stops after the drain (and prints serve's CPU time for it).
set -euo pipefail
cd "$(dirname "$0")/../.."
. benchmarks/scratch-db.sh tessera_bench_flow
psql "$db" -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE public.buildings (id int PRIMARY KEY, kind text, geom geometry(Polygon, 4326));
INSERT INTO public.buildings SELECT i, 'house',
    ST_MakeEnvelope(13 + (i % 400) * 0.0005, 52 + (i / 400) * 0.0005, 13 + (i % 400) * 0.0005 + 0.0003, 52 + (i / 400) * 0.0005 + 0.0003, 4326)
FROM generate_series(1, 100000) i;
INSERT INTO tessera.layers (name, min_zoom, max_zoom) VALUES ('buildings', 12, 16);
SELECT tessera.watch('public.buildings', render_columns => ARRAY['kind'], layers => ARRAY['buildings']);
INSERT INTO tessera.subscriptions (name, url, layers, format, compression, debounce_ms, max_delay_ms)
VALUES ('bench', 'http://127.0.0.1:9/expire', ARRAY['buildings'], 'protobuf', 'zstd', 0, 0);
SQL
config=$(mktemp --suffix=.json)
echo "{\"database_url\": \"$db\", \"processor\": {\"batch_size\": 5000, \"poll_interval_ms\": 500, \"flush_interval_ms\": 50}, \"dispatcher\": {\"enabled\": false}, \"log_level\": \"error\"}" >"$config"
wait_drained() {
    while [ "$(psql "$db" -qAt -c "SELECT (SELECT count(*) FROM tessera.outbox) + (SELECT count(*) FROM tessera.pending)")" != "0" ]; do sleep 0.05; done
}

# Drain: 200k changes queued, then the processor.
psql "$db" -qc "UPDATE public.buildings SET geom = ST_Translate(geom, 0.00001, 0)" -c "UPDATE public.buildings SET kind = 'shop'"
queued=$(psql "$db" -qAt -c "SELECT sum(feature_count) FROM tessera.outbox")
start=$(date +%s.%N)
"$tessera" serve --config "$config" &
serve=$!
trap 'kill $serve 2>/dev/null || true' EXIT
wait_drained
end=$(date +%s.%N)
echo "drain: $queued changes to deliveries in $(echo "$start $end" | awk '{printf "%.2f", $2 - $1}') s = $(echo "$queued $start $end" | awk '{printf "%.0f", $1 / ($3 - $2)}') features/s (includes process start)"
echo "drain: tessera serve used $(awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$serve/stat") s of CPU"
if [ -n "${TESSERA_BENCH_DRAIN_ONLY:-}" ]; then
    kill $serve
    wait $serve 2>/dev/null || true
    trap - EXIT
    psql "$admin" -qc "DROP DATABASE tessera_bench_flow WITH (FORCE)"
    exit 0
fi

# Latency at a steady edit rate.
psql "$db" -qc "DELETE FROM tessera.deliveries"
cat >/tmp/tessera_flow_edit.sql <<'SQL'
\set id random(1, 100000)
UPDATE public.buildings SET geom = ST_Translate(geom, 0.00001, 0) WHERE id = :id;
SQL
rate=${TESSERA_BENCH_RATE:-500}
pgbench -n -c 2 -j 2 -T 30 -R "$rate" -f /tmp/tessera_flow_edit.sql "$db" >/dev/null 2>&1
wait_drained
psql "$db" -qAt -F ' ' -c "
  SELECT count(*), sum(change_count),
         round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM created_at - window_start) * 1000)::numeric, 1),
         round(percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM created_at - window_start) * 1000)::numeric, 1)
  FROM tessera.deliveries" | awk -v rate="$rate" '{printf "latency at %s edits/s: %s deliveries carrying %s changes; commit -> queued p50 %s ms, p99 %s ms\n", rate, $1, $2, $3, $4}'
kill $serve
wait $serve 2>/dev/null || true
trap - EXIT
psql "$admin" -qc "DROP DATABASE tessera_bench_flow WITH (FORCE)"
