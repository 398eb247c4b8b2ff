-- Tessera schema, version 3: webhook delivery and the admin API.
-- Tenants and their API keys, the delivery settings of a subscription, signing secrets,
-- the attempt history of every delivery and the dead-letter state.
-- Every statement is idempotent.

-- A tenant owns subscriptions; an API key sees only its tenant's resources.
CREATE TABLE IF NOT EXISTS tessera.tenants (
    name       text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'),
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO tessera.tenants (name) SELECT DISTINCT tenant FROM tessera.subscriptions ON CONFLICT DO NOTHING;
INSERT INTO tessera.tenants (name) VALUES ('default') ON CONFLICT DO NOTHING;

-- Bearer API keys. Only a SHA-256 of the key is stored; `prefix` (the key's first characters)
-- identifies it in lists and logs without revealing it.
CREATE TABLE IF NOT EXISTS tessera.api_keys (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant       text NOT NULL REFERENCES tessera.tenants (name) ON DELETE CASCADE,
    name         text NOT NULL,
    prefix       text NOT NULL,
    key_hash     bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

-- How a subscription is called. Defaults follow the Standard Webhooks recommendations:
-- POST, a 30 s timeout, and retries after 5 s, 5 min, 30 min, 2 h, 5 h and 10 h (7 attempts).
ALTER TABLE tessera.subscriptions
    ADD COLUMN IF NOT EXISTS method            text NOT NULL DEFAULT 'POST',
    ADD COLUMN IF NOT EXISTS headers           jsonb NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN IF NOT EXISTS filter            geometry(Geometry, 4326),
    ADD COLUMN IF NOT EXISTS timeout_ms        integer NOT NULL DEFAULT 30000,
    ADD COLUMN IF NOT EXISTS rate_per_minute   integer,
    ADD COLUMN IF NOT EXISTS max_in_flight     integer NOT NULL DEFAULT 4,
    ADD COLUMN IF NOT EXISTS ordered           boolean NOT NULL DEFAULT false,
    ADD COLUMN IF NOT EXISTS retry_schedule_ms integer[] NOT NULL
        DEFAULT ARRAY[5000, 300000, 1800000, 7200000, 18000000, 36000000],
    ADD COLUMN IF NOT EXISTS disabled_reason   text;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'subscriptions_delivery_settings') THEN
        ALTER TABLE tessera.subscriptions ADD CONSTRAINT subscriptions_delivery_settings CHECK (
            method IN ('POST', 'PUT', 'PATCH')
            AND jsonb_typeof(headers) = 'object'
            AND timeout_ms BETWEEN 1 AND 60000
            AND (rate_per_minute IS NULL OR rate_per_minute > 0)
            AND max_in_flight BETWEEN 1 AND 1000
            AND cardinality(retry_schedule_ms) <= 20
        );
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'subscriptions_tenant_fkey') THEN
        ALTER TABLE tessera.subscriptions ADD CONSTRAINT subscriptions_tenant_fkey
            FOREIGN KEY (tenant) REFERENCES tessera.tenants (name) ON UPDATE CASCADE;
    END IF;
END $$;

-- Signing secrets (Standard Webhooks `whsec_` keys, the raw bytes here). A subscription has one
-- current secret; after a rotation the previous one stays until `expires_at`, and both sign.
CREATE TABLE IF NOT EXISTS tessera.subscription_secrets (
    id              bigserial PRIMARY KEY,
    subscription_id uuid NOT NULL REFERENCES tessera.subscriptions (id) ON DELETE CASCADE,
    secret          bytea NOT NULL CHECK (octet_length(secret) BETWEEN 24 AND 64),
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz
);
CREATE INDEX IF NOT EXISTS subscription_secrets_subscription ON tessera.subscription_secrets (subscription_id);

-- Subscriptions created before this version get a secret now, so every delivery is signed.
INSERT INTO tessera.subscription_secrets (subscription_id, secret)
SELECT s.id, decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex')
FROM tessera.subscriptions s
WHERE NOT EXISTS (SELECT 1 FROM tessera.subscription_secrets k WHERE k.subscription_id = s.id);

-- Every HTTP attempt of a delivery: what was answered, how fast, or why it failed.
CREATE TABLE IF NOT EXISTS tessera.delivery_attempts (
    id            bigserial PRIMARY KEY,
    delivery_id   bigint NOT NULL REFERENCES tessera.deliveries (id) ON DELETE CASCADE,
    attempt       integer NOT NULL,
    started_at    timestamptz NOT NULL,
    duration_ms   integer NOT NULL,
    status_code   integer,
    error         text,
    response_body text
);
CREATE INDEX IF NOT EXISTS delivery_attempts_delivery ON tessera.delivery_attempts (delivery_id, attempt);

ALTER TABLE tessera.deliveries
    ADD COLUMN IF NOT EXISTS last_status_code integer,
    ADD COLUMN IF NOT EXISTS dead_at          timestamptz;
CREATE INDEX IF NOT EXISTS deliveries_dead ON tessera.deliveries (subscription_id, dead_at) WHERE status = 'dead';

INSERT INTO tessera.migrations (version, name) VALUES (3, 'delivery') ON CONFLICT DO NOTHING;
