-- Tessera schema, version 5: indexes for the webhook dispatcher.
-- Every statement is idempotent.

-- Due deliveries of one subscription, soonest first (the claim of a parallel subscription).
CREATE INDEX IF NOT EXISTS deliveries_pending_by_subscription
    ON tessera.deliveries (subscription_id, next_attempt_at, id) WHERE status = 'pending';

-- The head of an ordered subscription: its oldest delivery not yet settled.
CREATE INDEX IF NOT EXISTS deliveries_open_by_subscription
    ON tessera.deliveries (subscription_id, id) WHERE status IN ('pending', 'delivering');

-- Leases to reclaim after a dispatcher died mid-send.
CREATE INDEX IF NOT EXISTS deliveries_leased
    ON tessera.deliveries (lease_until) WHERE status = 'delivering';

INSERT INTO tessera.migrations (version, name) VALUES (5, 'dispatch') ON CONFLICT DO NOTHING;
