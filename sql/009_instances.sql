-- Tessera schema, version 9: the running instances, and which of them holds each delivery.
--
-- Every `tessera serve` registers here and holds a session-level advisory lock,
-- pg_advisory_lock(1952805747, lock_key) (1952805747 is 'tess' in ASCII), on a connection of its own
-- for as long as it runs. Its session ending (the process killed, its host gone) releases the lock at
-- once, and that is how the other instances, and the next one to start, know that it stopped: they
-- return the deliveries it was sending to the queue, with an attempt-log row saying their outcome was
-- lost, instead of waiting for the leases to run out (TesseraDelivery's DeliveryQueue).
-- After a database restart no instance holds its lock until it reconnects, so an instance registered
-- before the restart is given time to come back (see DeliveryQueue.reclaimFromStoppedInstances).
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
    registered_at timestamptz NOT NULL DEFAULT now()
);

-- The instance that claimed a delivery, and when: the attempt number is counted at the claim
-- (`attempts` includes the one in flight), so a delivery sent again after a lost outcome carries the
-- next number, and an outcome is written only while `attempts` still names its attempt.
ALTER TABLE tessera.deliveries
    ADD COLUMN IF NOT EXISTS claimed_by uuid,
    ADD COLUMN IF NOT EXISTS claimed_at timestamptz;
CREATE INDEX IF NOT EXISTS deliveries_claimed_by ON tessera.deliveries (claimed_by) WHERE status = 'delivering';

-- An attempt whose outcome is not known (its instance stopped, or its lease ran out): the request may
-- have reached the receiver. Replaced by the real outcome if that arrives after all.
ALTER TABLE tessera.delivery_attempts ADD COLUMN IF NOT EXISTS outcome_lost boolean NOT NULL DEFAULT false;

INSERT INTO tessera.migrations (version, name) VALUES (9, 'instances') ON CONFLICT DO NOTHING;
