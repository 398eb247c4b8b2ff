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

INSERT INTO tessera.migrations (version, name) VALUES (10, 'latency') ON CONFLICT DO NOTHING;
