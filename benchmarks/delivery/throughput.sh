#!/usr/bin/env bash
# Webhook delivery throughput with a release `tessera serve` on the local PostGIS.
#   For two payloads — signed 1 KB JSON, and a real Tessera Protobuf + zstd tile invalidation — queue
#   $TESSERA_BENCH_DELIVERIES rows of tessera.deliveries across $TESSERA_BENCH_SUBSCRIPTIONS subscriptions,
#   start `tessera serve`, and time until every row is `delivered` (deliveries/s between the first and
#   the last delivered_at, and over the whole wall time including start-up).
#   In the same run, wrk's raw request rate (POST of 1 KB, 64 keep-alive connections) against the same
#   receiver, and the ratio dispatcher / wrk.
# The receiver is benchmarks/delivery/receiver.c (epoll, one thread, 200 with an empty body).
# Scratch database tessera_bench_delivery. Needs wrk (apt-get install wrk) and a C compiler.
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${TESSERA_BENCH_DELIVERIES:-100000}
subs=${TESSERA_BENCH_SUBSCRIPTIONS:-4}
port=${TESSERA_BENCH_PORT:-18080}
seconds=${TESSERA_BENCH_WRK_SECONDS:-10}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
. benchmarks/scratch-db.sh tessera_bench_delivery
work=$(mktemp -d)
cc -O2 -o "$work/receiver" benchmarks/delivery/receiver.c
"$work/receiver" "$port" >"$work/receiver.out" 2>/dev/null &
receiver=$!
serve=""
trap 'kill $receiver 2>/dev/null || true; [ -n "$serve" ] && kill $serve 2>/dev/null || true' EXIT

# A real Protobuf + zstd payload: let the processor (dispatcher off) turn an edit into a delivery row.
psql "$db" -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE public.buildings (id int PRIMARY KEY, kind text, geom geometry(Polygon, 4326));
INSERT INTO public.buildings SELECT i, 'house',
    ST_MakeEnvelope(13 + (i % 40) * 0.0005, 52 + (i / 40) * 0.0005, 13 + (i % 40) * 0.0005 + 0.0003, 52 + (i / 40) * 0.0005 + 0.0003, 4326)
FROM generate_series(1, 400) i;
INSERT INTO tessera.layers (name, min_zoom, max_zoom) VALUES ('buildings', 12, 16);
SELECT tessera.watch('public.buildings', render_columns => ARRAY['kind'], layers => ARRAY['buildings']);
INSERT INTO tessera.subscriptions (name, url, layers, format, compression, debounce_ms, max_delay_ms)
VALUES ('sample', 'http://127.0.0.1:9/unused', ARRAY['buildings'], 'protobuf', 'zstd', 0, 0);
UPDATE public.buildings SET kind = 'shop' WHERE id <= 60;
SQL
echo "{\"database_url\": \"$db\", \"dispatcher\": {\"enabled\": false}, \"log_level\": \"error\"}" >"$work/sample.json"
"$tessera" serve --config "$work/sample.json" &
serve=$!
for _ in $(seq 1 200); do
    [ "$(psql "$db" -qAt -c "SELECT count(*) FROM tessera.deliveries")" != "0" ] && break
    sleep 0.1
done
kill $serve; wait $serve 2>/dev/null || true; serve=""
psql "$db" -q -v ON_ERROR_STOP=1 <<SQL
CREATE TABLE public.bench_payloads (name text PRIMARY KEY, payload bytea, content_type text, content_encoding text);
INSERT INTO public.bench_payloads
SELECT 'protobuf+zstd', payload, content_type, content_encoding FROM tessera.deliveries ORDER BY octet_length(payload) DESC LIMIT 1;
INSERT INTO public.bench_payloads
SELECT 'json 1 KB', convert_to(left('{"type":"tiles.invalidated","layer":"roads","tile_matrix_set":"WebMercatorQuad","tiles":['
       || string_agg('"16/' || (35000 + i) || '/' || (21000 + i) || '"', ',') || ']}', 1021) || '"]}', 'UTF8'),
       'application/json', NULL
FROM generate_series(1, 60) i;
DELETE FROM tessera.subscriptions;
INSERT INTO tessera.subscriptions (name, url, layers, max_in_flight)
SELECT 'bench-' || i, 'http://127.0.0.1:$port/hook', ARRAY['buildings'], ${TESSERA_BENCH_MAX_IN_FLIGHT:-256} FROM generate_series(1, $subs) i;
INSERT INTO tessera.subscription_secrets (subscription_id, secret)
SELECT id, decode(md5(id::text) || md5(name), 'hex') FROM tessera.subscriptions;
SQL
psql "$db" -qAt -F "|" -c "SELECT name, octet_length(payload), content_type, coalesce(content_encoding, 'none') FROM public.bench_payloads" |
    while IFS='|' read -r name size type encoding; do echo "payload $name: $size bytes, $type, $encoding"; done

cat >"$work/serve.json" <<JSON
{"database_url": "$db", "allow_networks": ["127.0.0.0/8"],
 "dispatcher": {"concurrency": ${TESSERA_BENCH_CONCURRENCY:-1024}, "batch_size": ${TESSERA_BENCH_BATCH:-1000}, "connections_per_host": 64,
               "endpoint_concurrency": ${TESSERA_BENCH_ENDPOINT_CONCURRENCY:-1024}},
 "log_level": "error"}
JSON

# CPU seconds used so far: by one process (utime + stime), and by the whole PostgreSQL cluster (the
# postmaster, its live children, and the children it has reaped).
ticks=$(getconf CLK_TCK)
cpu_of() { awk -v t="$ticks" '{printf "%.3f", ($14 + $15) / t}' "/proc/$1/stat"; }
cluster_cpu() {
    local postmaster
    postmaster=$(psql "$admin" -qAt -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'" |
        xargs -I{} awk '{print $4}' /proc/{}/stat)
    { awk '{print $14 + $15 + $16 + $17}' "/proc/$postmaster/stat"
      for child in $(pgrep -P "$postmaster"); do awk '{print $14 + $15}' "/proc/$child/stat" 2>/dev/null || true; done
    } | awk -v t="$ticks" '{s += $1} END {printf "%.3f", s / t}'
}

run() {
    local name=$1
    psql "$db" -q -v ON_ERROR_STOP=1 -c "TRUNCATE tessera.delivery_attempts, tessera.deliveries" -c "
        INSERT INTO tessera.deliveries (event_id, subscription_id, event_type, payload, content_type, content_encoding)
        SELECT gen_random_uuid(), s.id, 'tiles.invalidated', p.payload, p.content_type, p.content_encoding
        FROM generate_series(1, $count / $subs) g, tessera.subscriptions s, public.bench_payloads p
        WHERE p.name = '$name'" -c "VACUUM ANALYZE tessera.deliveries"
    local queued
    queued=$(psql "$db" -qAt -c "SELECT count(*) FROM tessera.deliveries")
    local start end
    local pg_before receiver_before serve_cpu
    pg_before=$(cluster_cpu)
    receiver_before=$(cpu_of $receiver)
    start=$(date +%s.%N)
    "$tessera" serve --config "$work/serve.json" &
    serve=$!
    # TESSERA_BENCH_PERF=file: a system-wide perf profile (6 s) during the first run.
    if [ -n "${TESSERA_BENCH_PERF:-}" ] && [ ! -e "$TESSERA_BENCH_PERF" ]; then
        (sleep 1; perf record -q -F 499 -g -a -o "$TESSERA_BENCH_PERF" -- sleep 6 >/dev/null 2>&1) &
    fi
    # One session waits for the queue to empty (a new psql and backend every poll cost the machine
    # a tenth of its CPU), asking the partial index of open deliveries. It commits between looks:
    # a transaction left open would keep every dead row version alive and slow the claims down.
    psql "$db" -q -c "DO \$\$ BEGIN
        WHILE EXISTS (SELECT FROM tessera.deliveries WHERE status IN ('pending', 'delivering')) LOOP
            COMMIT;
            PERFORM pg_sleep(0.1);
        END LOOP; END \$\$"
    end=$(date +%s.%N)
    serve_cpu=$(cpu_of $serve)
    kill $serve; wait $serve 2>/dev/null || true; serve=""
    echo "$name: CPU per delivery: tessera $(echo "$serve_cpu $queued" | awk '{printf "%.0f", $1 * 1e6 / $2}') µs," \
         "PostgreSQL $(echo "$(cluster_cpu) $pg_before $queued" | awk '{printf "%.0f", ($1 - $2) * 1e6 / $3}') µs" \
         "(the waiting session included), receiver $(echo "$(cpu_of $receiver) $receiver_before $queued" | awk '{printf "%.0f", ($1 - $2) * 1e6 / $3}') µs"
    psql "$db" -qAt -F ' ' -c "
        SELECT count(*), extract(epoch FROM max(delivered_at) - min(delivered_at)),
               (SELECT count(*) FROM tessera.delivery_attempts), (SELECT count(*) FROM tessera.delivery_attempts WHERE status_code <> 200)
        FROM tessera.deliveries" | {
        read -r delivered span attempts failed
        rate=$(echo "$delivered $span" | awk '{printf "%.0f", $1 / $2}')
        echo "$rate" >"$work/rate-${name%% *}"
        echo "$name: $delivered deliveries ($attempts attempts, $failed not 200) in $(echo "$start $end" | awk '{printf "%.2f", $2 - $1}') s wall" \
             "= $(echo "$queued $start $end" | awk '{printf "%.0f", $1 / ($3 - $2)}')/s incl. start-up; $rate deliveries/s steady (first to last delivered_at)"
    }
}

run "json 1 KB"
[ -n "${TESSERA_BENCH_JSON_ONLY:-}" ] || run "protobuf+zstd"

cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = string.rep("x", 1024)
wrk.headers["Content-Type"] = "application/json"
LUA
raw=$(wrk -t1 -c64 -d"${seconds}s" -s "$work/post.lua" "http://127.0.0.1:$port/hook" | awk '/Requests\/sec/ {printf "%.0f", $2}')
echo "wrk: $raw requests/s (1 thread, 64 connections, ${seconds} s, POST 1 KB) against the same receiver"
for name in json protobuf+zstd; do
    rate=$(cat "$work/rate-$name")
    echo "ratio $name: $rate / $raw = $(echo "$rate $raw" | awk '{printf "%.2f", $1 / $2}')"
done
kill $receiver; wait $receiver 2>/dev/null || true
trap - EXIT
psql "$admin" -qc "DROP DATABASE tessera_bench_delivery WITH (FORCE)"
