#!/usr/bin/env bash
# Trigger overhead: the same UPDATEs on a plain table and on a table watched by tessera.watch(),
# in one run, reported as ratios (watched / plain). Uses the local PostGIS (scripts/pg) and a
# scratch database tessera_bench_trigger, which it recreates.
#   1. a 100k-row UPDATE that moves every geometry and changes a rendering column (best of 5),
#      on a table watched with two rendering columns and on one where every column renders
#   2. single-row UPDATEs from 2 pgbench clients for 15 s per table (transactions per second)
#   3. both again as CPU time of the server backend (trigger_cpu.py), steadier on a busy machine
set -euo pipefail
cd "$(dirname "$0")/../.."
. benchmarks/scratch-db.sh tessera_bench_trigger
psql "$db" -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE public.plain   (id int PRIMARY KEY, kind text, name text, geom geometry(Polygon, 4326));
CREATE TABLE public.watched (id int PRIMARY KEY, kind text, name text, geom geometry(Polygon, 4326));
CREATE TABLE public.watched_all (id int PRIMARY KEY, kind text, name text, geom geometry(Polygon, 4326));
INSERT INTO public.plain SELECT i, 'house', 'b' || i,
    ST_MakeEnvelope(13 + (i % 400) * 0.0005, 52 + (i / 400) * 0.0005, 13 + (i % 400) * 0.0005 + 0.0003, 52 + (i / 400) * 0.0005 + 0.0003, 4326)
FROM generate_series(1, 100000) i;
INSERT INTO public.watched SELECT * FROM public.plain;
INSERT INTO public.watched_all SELECT * FROM public.plain;
SELECT tessera.watch('public.watched', render_columns => ARRAY['kind', 'name'], layers => ARRAY['bench']);
SELECT tessera.watch('public.watched_all', layers => ARRAY['bench']);
VACUUM ANALYZE public.plain; VACUUM ANALYZE public.watched; VACUUM ANALYZE public.watched_all;
SQL

timed() { # prints milliseconds of one statement
    psql "$db" -qAt -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
}
best_plain=999999; best_watched=999999; best_all=999999
min() { echo "$1 $2" | awk '{print ($1 < $2) ? $1 : $2}'; }
for round in 1 2 3 4 5; do
    p=$(timed "UPDATE public.plain SET kind = 'r$round', geom = ST_Translate(geom, 0.00001, 0)")
    w=$(timed "UPDATE public.watched SET kind = 'r$round', geom = ST_Translate(geom, 0.00001, 0)")
    a=$(timed "UPDATE public.watched_all SET kind = 'r$round', geom = ST_Translate(geom, 0.00001, 0)")
    psql "$db" -qc "TRUNCATE tessera.outbox" -c "VACUUM public.plain" -c "VACUUM public.watched" \
        -c "VACUUM public.watched_all" -c "CHECKPOINT"
    best_plain=$(min "$p" "$best_plain"); best_watched=$(min "$w" "$best_watched"); best_all=$(min "$a" "$best_all")
    echo "round $round: plain $p ms, watched $w ms, watched (every column renders) $a ms"
done
ratio() { echo "$1 $2" | awk '{printf "%.2f", $1 / $2}'; }
echo "100k-row UPDATE: plain ${best_plain} ms, watched ${best_watched} ms, ratio $(ratio "$best_watched" "$best_plain")x (best of 5)"
echo "100k-row UPDATE, every column renders: watched ${best_all} ms, ratio $(ratio "$best_all" "$best_plain")x (best of 5)"

cat >/tmp/tessera_single_plain.sql <<'SQL'
\set id random(1, 100000)
UPDATE public.plain SET geom = ST_Translate(geom, 0.00001, 0) WHERE id = :id;
SQL
sed 's/public.plain/public.watched/' /tmp/tessera_single_plain.sql >/tmp/tessera_single_watched.sql
tps() { pgbench -n -c 2 -j 2 -T 15 -f "$1" "$db" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p'; }
tp=$(tps /tmp/tessera_single_plain.sql)
tw=$(tps /tmp/tessera_single_watched.sql)
echo "single-row UPDATEs: plain ${tp} tps, watched ${tw} tps, cost ratio $(echo "$tp $tw" | awk '{printf "%.2f", $1 / $2}')x"
[ -x .venv/bin/python ] && .venv/bin/python -c "import psycopg" 2>/dev/null \
    || .venv/bin/pip install -q --disable-pip-version-check "psycopg[binary]==3.3.9"
.venv/bin/python benchmarks/capture/trigger_cpu.py "$db" 5 3000
psql "$admin" -qc "DROP DATABASE tessera_bench_trigger WITH (FORCE)"
