#!/usr/bin/env bash
# What the dispatcher's row writes cost PostgreSQL, without Tessera or HTTP. In scratch database
# tessera_bench_rows on the local PostGIS, 30,000 deliveries with a 1 KB payload (4 subscriptions)
# go through the rows' whole life, 1,000 rows a statement as the services write them:
#   insert   queued (the flusher's INSERT)
#   claim    UPDATE to `delivering` with a lease, RETURNING the payload (read, as the dispatcher does)
#   attempt  one delivery_attempts row each (INSERT … unnest)
#   settle   UPDATE to `delivered`
# for several layouts of tessera.deliveries, each made in the scratch database only (the schema is
# left as it is). Prints milliseconds per step and in all, per layout. Run it twice: the machine is
# noisy, compare layouts within one run.
# TESSERA_BENCH_LAYOUTS picks layouts (default: all, in this order):
#   schema       as the migrations leave it
#   attempts-fk  plus the delivery_attempts foreign key migration 6 dropped
#   lean         schema without the event_id unique index and deliveries_due
#   out-of-line  schema with the payload stored out of line (TOAST), so updates copy a pointer
#   lean+ool     both
set -euo pipefail
export PGOPTIONS="-c client_min_messages=warning"
cd "$(dirname "$0")/../.."
. benchmarks/scratch-db.sh tessera_bench_rows
psql "$db" -q -c "INSERT INTO tessera.subscriptions (name, url, layers)
                  SELECT 'rows-' || i, 'http://127.0.0.1:9/hook', ARRAY['x'] FROM generate_series(1, 4) i"
layouts=${TESSERA_BENCH_LAYOUTS:-schema attempts-fk lean out-of-line lean+ool}

# Runs `body` 30 times in one DO block (i = 0…29; a = the ids of the i-th thousand deliveries) and
# prints its time in ms.
timed() {
    psql "$db" -q -c '\timing on' -c "DO \$\$ DECLARE a int8[]; n int8; BEGIN
        FOR i IN 0..29 LOOP
            SELECT array_agg(id) INTO a FROM (SELECT id FROM tessera.deliveries ORDER BY id OFFSET i * 1000 LIMIT 1000) s;
            $1
        END LOOP; END \$\$" | awk '/^Time:/ {printf "%.0f", $2}'
}

insert="INSERT INTO tessera.deliveries (event_id, subscription_id, event_type, payload, content_type)
        SELECT gen_random_uuid(), s.id, 'tiles.invalidated',
               convert_to(repeat(md5(i::text || g::text || s.name), 32), 'UTF8'), 'application/json'
        FROM generate_series(1, 250) g, tessera.subscriptions s;"
claim="WITH c AS (UPDATE tessera.deliveries d SET status = 'delivering', lease_until = now() + interval '90 s'
                 FROM unnest(a) AS r(id) WHERE d.id = r.id RETURNING d.payload)
       SELECT sum(get_byte(payload, 0)) INTO n FROM c;"
attempts="INSERT INTO tessera.delivery_attempts (delivery_id, attempt, started_at, duration_ms, status_code)
          SELECT r.id, 1, now(), 1, 200 FROM tessera.deliveries d JOIN unnest(a) AS r(id) ON d.id = r.id;"
settle="UPDATE tessera.deliveries d SET status = 'delivered', attempts = 1, lease_until = NULL, last_error = NULL,
        last_status_code = 200, delivered_at = now(), dead_at = NULL FROM unnest(a) AS r(id) WHERE d.id = r.id;"

# Sets up one layout from the schema's.
layout() {
    psql "$db" -q -c "TRUNCATE tessera.delivery_attempts, tessera.deliveries" \
        -c "ALTER TABLE tessera.delivery_attempts DROP CONSTRAINT IF EXISTS delivery_attempts_delivery_id_fkey" \
        -c "CREATE UNIQUE INDEX IF NOT EXISTS deliveries_event_id_key ON tessera.deliveries (event_id)" \
        -c "CREATE INDEX IF NOT EXISTS deliveries_due ON tessera.deliveries (next_attempt_at) WHERE status = 'pending'" \
        -c "ALTER TABLE tessera.deliveries RESET (toast_tuple_target)" \
        -c "ALTER TABLE tessera.deliveries ALTER COLUMN payload SET STORAGE EXTENDED"
    case $1 in
    schema) ;;
    attempts-fk)
        psql "$db" -qc "ALTER TABLE tessera.delivery_attempts ADD CONSTRAINT delivery_attempts_delivery_id_fkey
                        FOREIGN KEY (delivery_id) REFERENCES tessera.deliveries (id) ON DELETE CASCADE" ;;
    lean | lean+ool)
        psql "$db" -q -c "DROP INDEX tessera.deliveries_event_id_key" -c "DROP INDEX tessera.deliveries_due" ;;&
    out-of-line | lean+ool)
        psql "$db" -q -c "ALTER TABLE tessera.deliveries SET (toast_tuple_target = 128)" \
            -c "ALTER TABLE tessera.deliveries ALTER COLUMN payload SET STORAGE EXTERNAL" ;;
    lean) ;;
    *) echo "unknown layout $1" >&2; exit 64 ;;
    esac
    psql "$db" -qc "CHECKPOINT"
}

# The schema names the event id's unique constraint deliveries_event_id_key; make it a plain unique
# index of that name so that the layouts can drop and re-create it.
psql "$db" -q -c "ALTER TABLE tessera.deliveries DROP CONSTRAINT deliveries_event_id_key"
for l in $layouts; do
    layout "$l"
    i=$(timed "$insert")
    psql "$db" -qc "VACUUM ANALYZE tessera.deliveries"
    c=$(timed "$claim")
    a=$(timed "$attempts")
    s=$(timed "$settle")
    printf '%-12s insert %5s + claim %5s + attempt %5s + settle %5s = %5s ms per 30,000 deliveries\n' \
        "$l" "$i" "$c" "$a" "$s" $((i + c + a + s))
done
psql "$admin" -qc "DROP DATABASE tessera_bench_rows WITH (FORCE)"
