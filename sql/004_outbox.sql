-- Tessera schema, version 4: the outbox holds one row per statement, with the ids and old
-- geometries of its rows (see 001_schema.sql and 002_watch.sql, which define it).
-- `tessera migrate` applies 001 and 002 again before this file, then this file; by hand:
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f sql/001_schema.sql -f sql/002_watch.sql -f sql/004_outbox.sql
-- Every watched table gets its triggers and functions anew.

SELECT tessera.watch(table_name, id_column, geometry_column, render_columns, layers)
FROM tessera.watched
WHERE to_regclass(table_name::text) IS NOT NULL;

INSERT INTO tessera.migrations (version, name) VALUES (4, 'outbox') ON CONFLICT DO NOTHING;
