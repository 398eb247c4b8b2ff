#!/usr/bin/env bash
# Trigger overhead: the same UPDATEs on a plain table and on a table watched by tessera.watch(),
# in one run, reported as ratios (watched / plain). Uses the local PostGIS (scripts/pg) and a
# scratch database tessera_bench_trigger, which it recreates.
#   1. a 100k-row UPDATE that moves every geometry and changes a rendering column (best of 5)
#   2. single-row UPDATEs from 2 pgbench clients for 15 s per table (transactions per second)
set -euo pipefail
cd "$(dirname "$0")/../.."
. benchmarks/capture/scratch-db.sh tessera_bench_trigger
psql "$db" -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE public.plain   (id int PRIMARY KEY, kind text, name text, geom geometry(Polygon, 4326));
CREATE TABLE public.watched (id int PRIMARY KEY, kind text, name text, geom geometry(Polygon, 4326));
INSERT INTO public.plain SELECT i, 'house', 'b' || i,
    ST_MakeEnvelope(13 + (i % 400) * 0.0005, 52 + (i / 400) * 0.0005, 13 + (i % 400) * 0.0005 + 0.0003, 52 + (i / 400) * 0.0005 + 0.0003, 4326)
FROM generate_series(1, 100000) i;
INSERT INTO public.watched SELECT * FROM public.plain;
SELECT tessera.watch('public.watched', render_columns => ARRAY['kind', 'name'], layers => ARRAY['bench']);
VACUUM ANALYZE public.plain; VACUUM ANALYZE public.watched;
SQL

timed() { # prints milliseconds of one statement
    psql "$db" -qAt -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
}
best_plain=999999; best_watched=999999
for round in 1 2 3 4 5; do
    p=$(timed "UPDATE public.plain SET kind = 'r$round', geom = ST_Translate(geom, 0.00001, 0)")
    w=$(timed "UPDATE public.watched SET kind = 'r$round', geom = ST_Translate(geom, 0.00001, 0)")
    psql "$db" -qc "TRUNCATE tessera.changes" -c "VACUUM public.plain" -c "VACUUM public.watched"
    best_plain=$(echo "$p $best_plain" | awk '{print ($1 < $2) ? $1 : $2}')
    best_watched=$(echo "$w $best_watched" | awk '{print ($1 < $2) ? $1 : $2}')
    echo "round $round: plain $p ms, watched $w ms"
done
echo "100k-row UPDATE: plain ${best_plain} ms, watched ${best_watched} ms, ratio $(echo "$best_watched $best_plain" | awk '{printf "%.2f", $1 / $2}')x (best of 5)"

cat >/tmp/tessera_single_plain.sql <<'SQL'
\set id random(1, 100000)
UPDATE public.plain SET geom = ST_Translate(geom, 0.00001, 0) WHERE id = :id;
SQL
sed 's/public.plain/public.watched/' /tmp/tessera_single_plain.sql >/tmp/tessera_single_watched.sql
tps() { pgbench -n -c 2 -j 2 -T 15 -f "$1" "$db" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p'; }
tp=$(tps /tmp/tessera_single_plain.sql)
tw=$(tps /tmp/tessera_single_watched.sql)
echo "single-row UPDATEs: plain ${tp} tps, watched ${tw} tps, cost ratio $(echo "$tp $tw" | awk '{printf "%.2f", $1 / $2}')x"
psql "$admin" -qc "DROP DATABASE tessera_bench_trigger WITH (FORCE)"
