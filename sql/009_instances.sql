-- Tessera schema, version 9: the running instances, and which of them holds each delivery.
--
-- Every `tessera serve` registers here and holds a session-level advisory lock,
-- pg_advisory_lock(1952805747, lock_key) (1952805747 is 'tess' in ASCII), on a connection of its own
-- for as long as it runs. Its session ending (the process killed, its host gone) releases the lock at
-- once, and that is how the other instances, and the next one to start, know that it stopped: they
-- return the deliveries it was sending to the queue, with an attempt-log row saying their outcome was
-- lost, instead of waiting for the leases to run out (TesseraDelivery's DeliveryQueue).
-- An instance is judged stopped only once its lock has been seen missing for a grace period (2 s by
-- default): after a database restart or failover no instance holds its lock until it reconnects, and
-- a live one whose connection was cut registers again within a second.
-- Every statement is idempotent.

CREATE SEQUENCE IF NOT EXISTS tessera.instance_lock_keys AS integer MINVALUE 1 CYCLE;

CREATE TABLE IF NOT EXISTS tessera.instances (
    id            uuid PRIMARY KEY,
    lock_key      integer NOT NULL UNIQUE,
    hostname      text NOT NULL,
    pid           integer NOT NULL,
    version       text NOT NULL,
    started_at    timestamptz NOT NULL DEFAULT now(),
    -- When its session took the lock (again, after a database restart or a lost connection).
    registered_at timestamptz NOT NULL DEFAULT now(),
    -- When another instance first saw its lock missing; cleared when it is held again.
    lock_missing_since timestamptz
);
ALTER TABLE tessera.instances ADD COLUMN IF NOT EXISTS lock_missing_since timestamptz;

-- The instance that claimed a delivery, and when: the attempt number is counted at the claim
-- (`attempts` includes the one in flight), so a delivery sent again after a lost outcome carries the
-- next number, and an outcome is written only while `attempts` still names its attempt and
-- `claimed_by` its instance.
ALTER TABLE tessera.deliveries
    ADD COLUMN IF NOT EXISTS claimed_by uuid,
    ADD COLUMN IF NOT EXISTS claimed_at timestamptz;
CREATE INDEX IF NOT EXISTS deliveries_claimed_by ON tessera.deliveries (claimed_by) WHERE status = 'delivering';

-- An attempt whose outcome is not known (its instance stopped, or its lease ran out): the request may
-- have reached the receiver. Replaced by the real outcome if that arrives after all.
ALTER TABLE tessera.delivery_attempts ADD COLUMN IF NOT EXISTS outcome_lost boolean NOT NULL DEFAULT false;

-- Returns the deliveries `lost_ids` that are still being sent to the queue, each with an attempt-log row
-- saying its outcome was lost (`why`); returns how many. The first lost outcome in a row is sent again
-- at once (an instance crashed); after two in a row the subscription's retry schedule applies, and
-- after its last attempt the delivery is dead, so a delivery that itself brings its sender down is not
-- sent for ever.
CREATE OR REPLACE FUNCTION tessera.requeue_lost(lost_ids bigint[], why text) RETURNS integer
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    WITH lost AS (
        UPDATE tessera.deliveries d SET
            status = CASE WHEN d.attempts > cardinality(s.retry_schedule_ms) THEN 'dead' ELSE 'pending' END,
            dead_at = CASE WHEN d.attempts > cardinality(s.retry_schedule_ms) THEN now() END,
            next_attempt_at = CASE
                WHEN d.attempts <= cardinality(s.retry_schedule_ms) AND EXISTS (
                    SELECT 1 FROM tessera.delivery_attempts a
                    WHERE a.delivery_id = d.id AND a.attempt = d.attempts - 1 AND a.outcome_lost)
                THEN now() + s.retry_schedule_ms[d.attempts] * interval '1 millisecond'
                ELSE now() END,
            lease_until = NULL,
            last_error = why,
            last_status_code = NULL
        FROM tessera.subscriptions s
        WHERE d.id = ANY (lost_ids) AND d.status = 'delivering' AND s.id = d.subscription_id
        RETURNING d.id, d.attempts, d.claimed_at
    ), logged AS (
        INSERT INTO tessera.delivery_attempts (delivery_id, attempt, started_at, duration_ms, error, outcome_lost)
        SELECT id, attempts, coalesce(claimed_at, now()), 0, why, true FROM lost
        RETURNING 1
    )
    SELECT count(*)::int FROM logged
$$;

INSERT INTO tessera.migrations (version, name) VALUES (9, 'instances') ON CONFLICT DO NOTHING;
