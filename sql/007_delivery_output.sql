-- Tessera schema, version 7: each delivery names the output that sends it.
--
-- Today every delivery is a webhook; cache purges and expire files are outputs still to come. The
-- dispatcher sends a row through the output it names and fails the attempt (with that reason) when
-- this tessera has no such output, so a row written by a newer version is retried, never lost.
-- A constant default: PostgreSQL adds the column without rewriting the table.
ALTER TABLE tessera.deliveries ADD COLUMN IF NOT EXISTS output text NOT NULL DEFAULT 'webhook';

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'deliveries_output_name') THEN
        ALTER TABLE tessera.deliveries ADD CONSTRAINT deliveries_output_name
            CHECK (output ~ '^[a-z][a-z0-9-]{0,62}$');
    END IF;
END
$$;

INSERT INTO tessera.migrations (version, name) VALUES (7, 'delivery_output') ON CONFLICT DO NOTHING;
