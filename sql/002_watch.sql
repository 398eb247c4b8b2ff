-- tessera.watch(table, ...) and tessera.unwatch(table): the one call a DBA makes per table.
--
--   SELECT tessera.watch('public.roads',
--                        id_column       => 'id',                    -- default: the primary key
--                        geometry_column => 'geom',                  -- default: the only geometry column
--                        render_columns  => ARRAY['highway','name'], -- default NULL: every column
--                        layers          => ARRAY['roads']);         -- default: the table's name
--
-- watch() installs statement-level AFTER INSERT/UPDATE/DELETE triggers with transition
-- tables and an AFTER TRUNCATE trigger, all calling one function generated for the table.
-- Each statement adds one row to tessera.outbox (one per ~256 MB of old geometries for a
-- huge statement) in the editing transaction: the ids it touched, and for updates and
-- deletes the old geometries and a 64-bit hash of the old rendering columns. Then it wakes
-- the processor with an empty NOTIFY on tessera_changes (PostgreSQL folds identical
-- notifications of one transaction into one; no geometry ever travels in a NOTIFY).
-- A second generated function, tessera.rows_<oid>(ids), lets the processor read the current
-- geometry and rendering hash of those rows; both run with the rights of whoever called
-- watch(). Calling watch() again replaces the triggers with the new options (run it again
-- after adding a column to a table watched with every column rendering).
-- Layers named that do not exist yet are created with defaults (z0-14, buffer 64/4096).
-- Needs PostgreSQL 14 or later (hash_record_extended).

-- Before schema version 4 the outbox was a table, tessera.changes, with a row per feature.
-- Its rows move to tessera.outbox (a row each) and a view takes its name; 004 re-watches.
DO $upgrade$
BEGIN
    IF EXISTS (SELECT FROM pg_class WHERE oid = to_regclass('tessera.changes') AND relkind = 'r') THEN
        INSERT INTO tessera.outbox (table_name, layers, op, feature_count, feature_ids, old_geoms, old_hashes,
                                    txid, committed_hint)
        SELECT table_name, layers, op, 1, ARRAY[feature_id], ARRAY[old_geom], ARRAY[NULL::int8], txid, committed_hint
        FROM tessera.changes ORDER BY id;
        DROP TABLE tessera.changes;
    END IF;
END
$upgrade$;

CREATE OR REPLACE FUNCTION tessera.watch(
    tbl             regclass,
    id_column       text DEFAULT NULL,
    geometry_column text DEFAULT NULL,
    render_columns  text[] DEFAULT NULL,
    layers          text[] DEFAULT NULL
) RETURNS void
LANGUAGE plpgsql AS $watch$
DECLARE
    id_col    text := id_column;
    geom_col  text := geometry_column;
    lyrs      text[] := layers;
    fn        text := format('tessera.%I', 'capture_' || tbl::oid);
    rows_fn   text := format('tessera.%I', 'rows_' || tbl::oid);
    postgis   text;
    n         integer;
    c         text;
    id_type   text;
    qualified text;
    hashed    text;
    body      text;
BEGIN
    IF id_col IS NULL THEN
        SELECT count(*), min(a.attname) INTO n, id_col
        FROM pg_index i
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
        WHERE i.indrelid = tbl AND i.indisprimary;
        IF n <> 1 THEN
            RAISE EXCEPTION 'tessera.watch(%): the table has no single-column primary key; pass id_column', tbl;
        END IF;
    ELSIF NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid = tbl AND attname = id_col AND attnum > 0 AND NOT attisdropped) THEN
        RAISE EXCEPTION 'tessera.watch(%): id_column "%" does not exist', tbl, id_col;
    END IF;

    IF geom_col IS NULL THEN
        SELECT count(*), min(attname) INTO n, geom_col
        FROM pg_attribute
        WHERE attrelid = tbl AND attnum > 0 AND NOT attisdropped AND atttypid = 'geometry'::regtype;
        IF n <> 1 THEN
            RAISE EXCEPTION 'tessera.watch(%): % geometry columns; pass geometry_column', tbl, n;
        END IF;
    ELSIF NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid = tbl AND attname = geom_col AND attnum > 0
                      AND NOT attisdropped AND atttypid = 'geometry'::regtype) THEN
        RAISE EXCEPTION 'tessera.watch(%): geometry_column "%" is not a geometry column', tbl, geom_col;
    END IF;

    IF render_columns IS NOT NULL THEN
        FOREACH c IN ARRAY render_columns LOOP
            IF NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid = tbl AND attname = c AND attnum > 0 AND NOT attisdropped) THEN
                RAISE EXCEPTION 'tessera.watch(%): render column "%" does not exist', tbl, c;
            END IF;
        END LOOP;
    END IF;

    IF lyrs IS NULL OR cardinality(lyrs) = 0 THEN
        SELECT ARRAY[relname::text] INTO lyrs FROM pg_class WHERE oid = tbl;
    END IF;
    FOREACH c IN ARRAY lyrs LOOP
        IF NOT EXISTS (SELECT FROM tessera.layers l WHERE l.name = c) THEN
            INSERT INTO tessera.layers (name) VALUES (c);
            RAISE NOTICE 'tessera.watch(%): created layer "%" with defaults (WebMercatorQuad, z0-14, buffer 64/4096)', tbl, c;
        END IF;
    END LOOP;

    -- The geometry "=" operator lives in PostGIS's schema; the generated function pins it.
    SELECT extnamespace::regnamespace::text INTO postgis FROM pg_extension WHERE extname = 'postgis';

    SELECT format_type(atttypid, atttypmod) INTO id_type FROM pg_attribute WHERE attrelid = tbl AND attname = id_col;
    SELECT format('%I.%I', nspname, relname) INTO qualified
    FROM pg_class JOIN pg_namespace ON pg_namespace.oid = relnamespace WHERE pg_class.oid = tbl;

    -- The rendering columns, hashed: an update whose geometry and hash are unchanged renders
    -- nothing. Types without a 64-bit hash function are hashed through their text form.
    -- Every column renders when render_columns is NULL (the geometry is compared exactly).
    SELECT 'hash_record_extended(row(' || coalesce(string_agg(
               CASE WHEN a.atttypid = ANY (ARRAY['int2', 'int4', 'int8', 'text', 'varchar', 'bpchar', 'bool', 'float4',
                                                 'float8', 'numeric', 'date', 'timestamp', 'timestamptz', 'uuid',
                                                 'jsonb', 'bytea', 'name', 'char', 'oid']::regtype[])
                    THEN format('#row#.%I', a.attname)
                    ELSE format('#row#.%I::text', a.attname) END, ', ' ORDER BY a.attnum), 'NULL::int2') || ', 0::int2), 0)'
    INTO hashed
    FROM pg_attribute a
    WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped AND a.attname <> geom_col
      AND (render_columns IS NULL OR a.attname = ANY (render_columns));

    -- The capture trigger. Chunks keep each outbox row's arrays near 256 MB, far below
    -- PostgreSQL's 1 GB limit for one value, however large the statement or its geometries.
    body := format($f$
        CREATE OR REPLACE FUNCTION %1$s() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, %2$I AS $body$
        DECLARE
            total  bigint;
            bytes  bigint;
            chunk  bigint;
            done   bigint := 0;
            wrote  bigint := 0;
            added  bigint;
            -- The most one outbox row holds: 100,000 features (a few seconds for the processor, well
            -- inside its transaction deadline) and 256 MB of old geometry. Settings so tests can
            -- make them small.
            most   bigint := coalesce(nullif(current_setting('tessera.outbox_chunk_bytes', true), '')::bigint, 268435456);
            cap    bigint := coalesce(nullif(current_setting('tessera.outbox_chunk_rows', true), '')::bigint, 100000);
        BEGIN
            IF TG_LEVEL = 'ROW' THEN
                INSERT INTO tessera.outbox (table_name, layers, op, feature_count, feature_ids)
                VALUES (%3$s::oid::regclass, %4$L::text[], 'I', 1, ARRAY[NEW.%5$I::text]);
                RETURN NULL;
            END IF;
            IF TG_OP = 'TRUNCATE' THEN
                INSERT INTO tessera.outbox (table_name, layers, op, feature_count, feature_ids)
                VALUES (%3$s::oid::regclass, %4$L::text[], 'T', 1, ARRAY[NULL::text]);
                PERFORM pg_notify('tessera_changes', '');
                RETURN NULL;
            END IF;
            -- The common case is one statement (each costs a plan): every row in one outbox row.
            IF TG_OP = 'INSERT' THEN
                -- Ids only: the processor reads the new rows themselves.
                INSERT INTO tessera.outbox (table_name, layers, op, feature_count, feature_ids)
                SELECT %3$s::oid::regclass, %4$L::text[], 'I', count(*), array_agg(n.%5$I::text)
                FROM new_rows n WHERE n.%6$I IS NOT NULL HAVING count(*) BETWEEN 1 AND cap;
                IF FOUND THEN
                    PERFORM pg_notify('tessera_changes', '');
                    RETURN NULL;
                END IF;
                SELECT count(*) INTO total FROM new_rows;
                WHILE done < total LOOP
                    INSERT INTO tessera.outbox (table_name, layers, op, feature_count, feature_ids)
                    SELECT %3$s::oid::regclass, %4$L::text[], 'I', count(*), array_agg(n.%5$I::text)
                    FROM (SELECT * FROM new_rows OFFSET done LIMIT cap) n WHERE n.%6$I IS NOT NULL HAVING count(*) > 0;
                    done := done + cap;
                END LOOP;
                PERFORM pg_notify('tessera_changes', '');
                RETURN NULL;
            ELSIF TG_OP = 'UPDATE' THEN
                -- The old rows. (A row whose id changed is captured under its new id as an
                -- insert by the row trigger tessera_update_id.)
                INSERT INTO tessera.outbox (table_name, layers, op, feature_count, feature_ids, old_geoms, old_hashes)
                SELECT %3$s::oid::regclass, %4$L::text[], 'U', count(*), array_agg(o.%5$I::text), array_agg(o.%6$I),
                       array_agg(%7$s)
                FROM old_rows o
                HAVING count(*) BETWEEN 1 AND cap AND coalesce(sum(pg_column_size(o.%6$I)), 0) <= most;
                GET DIAGNOSTICS wrote = ROW_COUNT;
            ELSE
                INSERT INTO tessera.outbox (table_name, layers, op, feature_count, feature_ids, old_geoms)
                SELECT %3$s::oid::regclass, %4$L::text[], 'D', count(*), array_agg(o.%5$I::text), array_agg(o.%6$I)
                FROM old_rows o WHERE o.%6$I IS NOT NULL
                HAVING count(*) BETWEEN 1 AND cap AND sum(pg_column_size(o.%6$I)) <= most;
                GET DIAGNOSTICS wrote = ROW_COUNT;
            END IF;
            IF wrote = 0 THEN
                -- Nothing, or more than one outbox row holds: chunks.
                SELECT count(*), coalesce(sum(pg_column_size(o.%6$I)), 0) INTO total, bytes FROM old_rows o;
                chunk := greatest(1, least(total, cap, (total * most) / greatest(bytes, 1)));
                WHILE done < total LOOP
                    IF TG_OP = 'UPDATE' THEN
                        INSERT INTO tessera.outbox (table_name, layers, op, feature_count, feature_ids, old_geoms, old_hashes)
                        SELECT %3$s::oid::regclass, %4$L::text[], 'U', count(*), array_agg(o.%5$I::text), array_agg(o.%6$I),
                               array_agg(%7$s)
                        FROM (SELECT * FROM old_rows OFFSET done LIMIT chunk) o;
                    ELSE
                        INSERT INTO tessera.outbox (table_name, layers, op, feature_count, feature_ids, old_geoms)
                        SELECT %3$s::oid::regclass, %4$L::text[], 'D', count(*), array_agg(o.%5$I::text), array_agg(o.%6$I)
                        FROM (SELECT * FROM old_rows OFFSET done LIMIT chunk) o
                        WHERE o.%6$I IS NOT NULL HAVING count(*) > 0;
                    END IF;
                    GET DIAGNOSTICS added = ROW_COUNT;
                    wrote := wrote + added;
                    done := done + chunk;
                END LOOP;
            END IF;
            IF wrote > 0 THEN
                PERFORM pg_notify('tessera_changes', '');
            END IF;
            RETURN NULL;
        END
        $body$;
    $f$, fn, postgis, tbl::oid, lyrs, id_col, geom_col, replace(hashed, '#row#', 'o'));
    EXECUTE body;

    -- The current geometry and rendering hash of some rows, for the processor.
    body := format($f$
        CREATE OR REPLACE FUNCTION %1$s(ids text[]) RETURNS TABLE (feature_id text, geom geometry, render_hash int8)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, %2$I AS $body$
            SELECT t.%3$I::text, t.%4$I, %5$s FROM unnest(ids::%7$s[]) AS k(id) JOIN %6$s t ON t.%3$I = k.id
        $body$;
    $f$, rows_fn, postgis, id_col, geom_col, replace(hashed, '#row#', 't'), qualified, id_type);
    EXECUTE body;

    FOR c IN SELECT tgname FROM pg_trigger WHERE tgrelid = tbl AND tgname LIKE 'tessera\_%' LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', c, tbl);
    END LOOP;
    EXECUTE format('CREATE TRIGGER tessera_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION %s()', tbl, fn);
    EXECUTE format('CREATE TRIGGER tessera_update AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION %s()', tbl, fn);
    -- Only for updates that set the id column; the WHEN clause skips rows that keep their id.
    EXECUTE format('CREATE TRIGGER tessera_update_id AFTER UPDATE OF %I ON %s FOR EACH ROW '
                   'WHEN (OLD.%I IS DISTINCT FROM NEW.%I) EXECUTE FUNCTION %s()', id_col, tbl, id_col, id_col, fn);
    EXECUTE format('CREATE TRIGGER tessera_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION %s()', tbl, fn);
    EXECUTE format('CREATE TRIGGER tessera_truncate AFTER TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION %s()', tbl, fn);

    INSERT INTO tessera.watched (table_name, id_column, geometry_column, render_columns, layers)
    VALUES (tbl, id_col, geom_col, render_columns, lyrs)
    ON CONFLICT (table_name) DO UPDATE
        SET id_column = EXCLUDED.id_column, geometry_column = EXCLUDED.geometry_column,
            render_columns = EXCLUDED.render_columns, layers = EXCLUDED.layers, installed_at = now();
END
$watch$;

-- Removes the triggers and the capture function. Changes already in the outbox are still
-- processed (tessera.rows_<oid> stays for them; watch() replaces it); nothing new is captured.
CREATE OR REPLACE FUNCTION tessera.unwatch(tbl regclass) RETURNS void
LANGUAGE plpgsql AS $unwatch$
DECLARE
    c text;
BEGIN
    FOR c IN SELECT tgname FROM pg_trigger WHERE tgrelid = tbl AND tgname LIKE 'tessera\_%' LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', c, tbl);
    END LOOP;
    EXECUTE format('DROP FUNCTION IF EXISTS tessera.%I()', 'capture_' || tbl::oid);
    DELETE FROM tessera.watched WHERE table_name = tbl;
END
$unwatch$;

-- The current geometry and rendering hash of some rows of a watched table, through the
-- function watch() generated for it. A table since dropped has no rows.
CREATE OR REPLACE FUNCTION tessera.live_rows(tbl regclass, ids text[])
RETURNS TABLE (feature_id text, geom geometry, render_hash int8)
LANGUAGE plpgsql STABLE AS $live$
BEGIN
    IF to_regprocedure(format('tessera.%I(text[])', 'rows_' || tbl::oid)) IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE format('SELECT * FROM tessera.%I($1)', 'rows_' || tbl::oid) USING ids;
EXCEPTION WHEN undefined_table OR undefined_column OR undefined_function THEN
    RETURN;
END
$live$;

-- Locks outbox rows, oldest first, skipping rows other processors hold, until they hold
-- about max_features changes (at least one row); returns their ids. The loop fetches a few
-- rows at a time, so it locks few rows beyond those it returns.
CREATE OR REPLACE FUNCTION tessera.claim_outbox(max_features bigint) RETURNS SETOF bigint
LANGUAGE plpgsql AS $claim$
DECLARE
    r     record;
    total bigint := 0;
BEGIN
    FOR r IN SELECT id, feature_count FROM tessera.outbox ORDER BY id FOR UPDATE SKIP LOCKED LOOP
        EXIT WHEN total > 0 AND total + r.feature_count > max_features;
        total := total + r.feature_count;
        RETURN NEXT r.id;
    END LOOP;
END
$claim$;

-- The pending changes, one row per feature, for people: `id` is the outbox row times 2^24
-- plus the feature's place in it; new_geom is the row as it is now. Updates whose geometry
-- and rendering columns ended up unchanged are left out, as the processor skips them.
CREATE OR REPLACE VIEW tessera.changes AS
WITH live AS (
    SELECT o.id AS outbox_id, l.*
    FROM tessera.outbox o CROSS JOIN LATERAL tessera.live_rows(o.table_name, o.feature_ids) l
    WHERE o.op IN ('I', 'U')
)
SELECT (o.id << 24) + u.ord AS id, o.table_name, o.layers, u.feature_id, o.op,
       u.old_geom, l.geom AS new_geom, o.txid, o.committed_hint
FROM tessera.outbox o
CROSS JOIN LATERAL unnest(o.feature_ids, o.old_geoms, o.old_hashes) WITH ORDINALITY AS u(feature_id, old_geom, old_hash, ord)
LEFT JOIN live l ON l.outbox_id = o.id AND l.feature_id = u.feature_id
WHERE NOT (o.op = 'U' AND l.render_hash IS NOT DISTINCT FROM u.old_hash
           AND l.geom::bytea IS NOT DISTINCT FROM u.old_geom::bytea);

INSERT INTO tessera.migrations (version, name) VALUES (2, 'watch') ON CONFLICT DO NOTHING;
