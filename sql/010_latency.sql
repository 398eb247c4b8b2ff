-- Tessera schema, version 10: where a delivery's time went, and probes that cost no attempt.
--
-- Each window remembers when the processor opened it; each delivery row carries when its window was
-- opened (`processed_at`) and when it was due (`due_at`), beside `window_start` (the capture time of
-- its first change), `created_at` (the flush) and `claimed_at` (the dispatcher's claim). From these the
-- time of one change splits into its stages: capture -> processed -> due -> flushed -> claimed -> sent.
--
-- While an endpoint's circuit breaker is open, the dispatcher probes it every few seconds with its
-- oldest pending delivery, even one whose next attempt is not yet due, so that a receiver back from an
-- outage of any length gets its first delivery within seconds. Such an early probe that fails leaves
-- the delivery's schedule as it was and does not count against its attempts (`early_probes` is
-- subtracted before the retry schedule is read); the attempt log marks it (`probe`).
-- Every statement is idempotent.

ALTER TABLE tessera.pending ADD COLUMN IF NOT EXISTS opened_at timestamptz;

ALTER TABLE tessera.deliveries
    ADD COLUMN IF NOT EXISTS processed_at timestamptz,
    ADD COLUMN IF NOT EXISTS due_at       timestamptz,
    ADD COLUMN IF NOT EXISTS early_probes integer NOT NULL DEFAULT 0;

ALTER TABLE tessera.delivery_attempts ADD COLUMN IF NOT EXISTS probe boolean NOT NULL DEFAULT false;

-- Version 9's requeue_lost, reading the schedule by attempts − early_probes as the dispatcher does:
-- early probes made during an outage do not bring a delivery whose outcome is lost nearer to dead.
CREATE OR REPLACE FUNCTION tessera.requeue_lost(lost_ids bigint[], why text) RETURNS integer
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    WITH lost AS (
        UPDATE tessera.deliveries d SET
            status = CASE WHEN d.attempts - d.early_probes > cardinality(s.retry_schedule_ms) THEN 'dead' ELSE 'pending' END,
            dead_at = CASE WHEN d.attempts - d.early_probes > cardinality(s.retry_schedule_ms) THEN now() END,
            next_attempt_at = CASE
                WHEN d.attempts - d.early_probes <= cardinality(s.retry_schedule_ms) AND EXISTS (
                    SELECT 1 FROM tessera.delivery_attempts a
                    WHERE a.delivery_id = d.id AND a.attempt = d.attempts - 1 AND a.outcome_lost)
                THEN now() + s.retry_schedule_ms[greatest(1, d.attempts - d.early_probes)] * interval '1 millisecond'
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

INSERT INTO tessera.migrations (version, name) VALUES (10, 'latency') ON CONFLICT DO NOTHING;
