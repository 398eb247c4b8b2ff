-- Tessera schema, version 11: subscriptions that purge caches themselves.
--
-- A subscription names its output: `webhook` (as before), `http-purge` (one request per stale tile to
-- a URL template, PURGE by default) or `expire-files` (z/x/y files in a directory). Settings that only
-- some outputs read live in `output_options` (a JSON object; Tessera validates it).
--
-- A purge delivery lists many requests; `progress` marks those already answered (bit i of byte i/8,
-- least significant bit first), written while an attempt runs and with its outcome, so that a retry
-- or a restart sends only the requests not yet done.
-- Every statement is idempotent.

ALTER TABLE tessera.subscriptions
    ADD COLUMN IF NOT EXISTS output         text NOT NULL DEFAULT 'webhook',
    ADD COLUMN IF NOT EXISTS output_options jsonb NOT NULL DEFAULT '{}'::jsonb;

ALTER TABLE tessera.deliveries ADD COLUMN IF NOT EXISTS progress bytea;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'subscriptions_output') THEN
        ALTER TABLE tessera.subscriptions ADD CONSTRAINT subscriptions_output CHECK (
            output IN ('webhook', 'http-purge', 'expire-files') AND jsonb_typeof(output_options) = 'object'
        );
    END IF;
    -- The purge methods join the webhook's.
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'subscriptions_method') THEN
        ALTER TABLE tessera.subscriptions DROP CONSTRAINT IF EXISTS subscriptions_delivery_settings;
        ALTER TABLE tessera.subscriptions ADD CONSTRAINT subscriptions_delivery_settings CHECK (
            jsonb_typeof(headers) = 'object'
            AND timeout_ms BETWEEN 1 AND 60000
            AND (rate_per_minute IS NULL OR rate_per_minute > 0)
            AND max_in_flight BETWEEN 1 AND 1000
            AND cardinality(retry_schedule_ms) <= 20
        );
        ALTER TABLE tessera.subscriptions ADD CONSTRAINT subscriptions_method CHECK (
            method IN ('POST', 'PUT', 'PATCH', 'PURGE', 'DELETE', 'BAN')
        );
    END IF;
END
$$;

INSERT INTO tessera.migrations (version, name) VALUES (11, 'outputs') ON CONFLICT DO NOTHING;
