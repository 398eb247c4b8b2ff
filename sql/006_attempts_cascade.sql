-- Tessera schema, version 6: the attempt log without a foreign key check on every insert.
-- The foreign key of tessera.delivery_attempts made PostgreSQL look up and lock the delivery for
-- each attempt row, more than doubling the cost of the dispatcher's batch INSERT
-- (benchmarks/delivery/row_costs.sh). Attempts are written for deliveries the same transaction
-- has just updated (and so locked), which the key check only repeated; deleting a delivery, or a
-- subscription with its deliveries, still deletes their attempts, by a statement trigger.
-- Every statement is idempotent.

ALTER TABLE tessera.delivery_attempts DROP CONSTRAINT IF EXISTS delivery_attempts_delivery_id_fkey;

CREATE OR REPLACE FUNCTION tessera.delete_delivery_attempts() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    DELETE FROM tessera.delivery_attempts a USING deleted_deliveries d WHERE a.delivery_id = d.id;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS deliveries_delete_attempts ON tessera.deliveries;
CREATE TRIGGER deliveries_delete_attempts
    AFTER DELETE ON tessera.deliveries
    REFERENCING OLD TABLE AS deleted_deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION tessera.delete_delivery_attempts();

-- A TRUNCATE of the deliveries empties the attempt log too. DELETE, not TRUNCATE: the attempts
-- may be truncated by the same command (`TRUNCATE tessera.delivery_attempts, tessera.deliveries`),
-- and then there is nothing left to delete.
CREATE OR REPLACE FUNCTION tessera.truncate_delivery_attempts() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    DELETE FROM tessera.delivery_attempts;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS deliveries_truncate_attempts ON tessera.deliveries;
CREATE TRIGGER deliveries_truncate_attempts
    AFTER TRUNCATE ON tessera.deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION tessera.truncate_delivery_attempts();

INSERT INTO tessera.migrations (version, name) VALUES (6, 'attempts_cascade') ON CONFLICT DO NOTHING;
