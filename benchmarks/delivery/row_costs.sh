#!/usr/bin/env bash
# What the dispatcher's row writes cost PostgreSQL, without Tessera or HTTP: in scratch database
# tessera_bench_rows on the local PostGIS, 30,000 queued 1 KB deliveries (4 subscriptions) are
#   1. claimed and then settled the way the dispatcher does it, 1,000 rows a statement (UPDATE to
#      `delivering` with a lease, then UPDATE to `delivered`), with every index of the schema, and
#      again without the `event_id` unique index, `deliveries_subscription` and `deliveries_due`;
#   2. given their attempt rows (INSERT … unnest, 1,000 a statement) without a foreign key on
#      tessera.delivery_attempts (the schema since migration 6) and with the one it had before.
# Prints milliseconds for each. The schema itself is left as it is: the variants are made in the
# scratch database only.
set -euo pipefail
cd "$(dirname "$0")/../.."
. benchmarks/scratch-db.sh tessera_bench_rows
psql "$db" -q -c "INSERT INTO tessera.subscriptions (name, url, layers)
                  SELECT 'rows-' || i, 'http://127.0.0.1:9/hook', ARRAY['x'] FROM generate_series(1, 4) i"

fill() {
    psql "$db" -q -c "TRUNCATE tessera.delivery_attempts, tessera.deliveries" -c "
        INSERT INTO tessera.deliveries (event_id, subscription_id, event_type, payload, content_type)
        SELECT gen_random_uuid(), s.id, 'tiles.invalidated', convert_to(repeat('x', 1024), 'UTF8'), 'application/json'
        FROM generate_series(1, 7500) g, tessera.subscriptions s" -c "VACUUM ANALYZE tessera.deliveries"
}

# Runs a DO block over 30 batches of 1,000 ids and prints its time in ms.
timed() {
    psql "$db" -q -c '\timing on' -c "DO \$\$ DECLARE a int8[]; BEGIN
        FOR i IN 0..29 LOOP
            SELECT array_agg(id) INTO a FROM (SELECT id FROM tessera.deliveries ORDER BY id OFFSET i * 1000 LIMIT 1000) s;
            $1
        END LOOP; END \$\$" | awk '/^Time:/ {printf "%.0f", $2}'
}

claim="UPDATE tessera.deliveries d SET status = 'delivering', lease_until = now() + interval '90 s'
       FROM unnest(a) AS r(id) WHERE d.id = r.id;"
settle="UPDATE tessera.deliveries d SET status = 'delivered', attempts = 1, lease_until = NULL, last_error = NULL,
        last_status_code = 200, delivered_at = now(), dead_at = NULL FROM unnest(a) AS r(id) WHERE d.id = r.id;"
attempts="INSERT INTO tessera.delivery_attempts (delivery_id, attempt, started_at, duration_ms, status_code)
          SELECT r.id, 1, now(), 1, 200 FROM tessera.deliveries d JOIN unnest(a) AS r(id) ON d.id = r.id;"

fill
echo "attempt rows, 30,000, as the schema has them (no foreign key since migration 6): $(timed "$attempts") ms"
psql "$db" -qc "ALTER TABLE tessera.delivery_attempts ADD CONSTRAINT delivery_attempts_delivery_id_fkey
                FOREIGN KEY (delivery_id) REFERENCES tessera.deliveries (id) ON DELETE CASCADE"
fill
echo "attempt rows, 30,000, with the foreign key of migrations 3-5: $(timed "$attempts") ms"

fill
echo "claim + settle, 30,000, every index: $(timed "$claim") + $(timed "$settle") ms"
psql "$db" -q -c "DROP INDEX tessera.deliveries_due" -c "DROP INDEX tessera.deliveries_subscription" \
    -c "ALTER TABLE tessera.deliveries DROP CONSTRAINT deliveries_event_id_key"
fill
echo "claim + settle, 30,000, without event_id unique, deliveries_subscription, deliveries_due: $(timed "$claim") + $(timed "$settle") ms"
psql "$admin" -qc "DROP DATABASE tessera_bench_rows WITH (FORCE)"
