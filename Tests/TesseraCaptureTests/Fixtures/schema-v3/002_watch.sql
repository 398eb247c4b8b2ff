-- tessera.watch(table, ...) and tessera.unwatch(table): the one call a DBA makes per table.
--
--   SELECT tessera.watch('public.roads',
--                        id_column       => 'id',                    -- default: the primary key
--                        geometry_column => 'geom',                  -- default: the only geometry column
--                        render_columns  => ARRAY['highway','name'], -- default NULL: every column
--                        layers          => ARRAY['roads']);         -- default: the table's name
--
-- watch() installs statement-level AFTER INSERT/UPDATE/DELETE triggers with transition
-- tables (one outbox insert per statement, however many rows) and an AFTER TRUNCATE trigger,
-- all calling one function generated for the table. Each writes to tessera.changes in the
-- editing transaction, then wakes the processor with an empty NOTIFY on tessera_changes
-- (PostgreSQL folds identical notifications of one transaction into one; no geometry ever
-- travels in a NOTIFY). Calling watch() again replaces the triggers with the new options.
-- Layers named that do not exist yet are created with defaults (z0-14, buffer 64/4096).

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
    postgis   text;
    n         integer;
    c         text;
    changed   text;
    differs   text;
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

    -- Which rendering columns changed, and whether the row changed in a way that renders.
    IF render_columns IS NULL THEN
        changed := 'NULL::text[]';
        differs := 'o IS DISTINCT FROM n';
    ELSE
        SELECT 'array_remove(ARRAY[' || string_agg(format('CASE WHEN o.%1$I IS DISTINCT FROM n.%1$I THEN %1$L END', col), ', ')
               || ']::text[], NULL)',
               string_agg(format('o.%1$I IS DISTINCT FROM n.%1$I', col), ' OR ')
        INTO changed, differs
        FROM unnest(render_columns) AS col;
        differs := format('o.%1$I IS DISTINCT FROM n.%1$I OR ', geom_col) || differs;
    END IF;

    body := format($f$
        CREATE OR REPLACE FUNCTION %1$s() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, %2$I AS $body$
        DECLARE
            affected bigint;
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO tessera.changes (table_name, layers, feature_id, op, new_geom)
                SELECT %3$s::oid::regclass, %4$L::text[], n.%5$I::text, 'I', n.%6$I
                FROM new_rows n WHERE n.%6$I IS NOT NULL;
            ELSIF TG_OP = 'UPDATE' THEN
                INSERT INTO tessera.changes (table_name, layers, feature_id, op, old_geom, new_geom, changed_columns)
                SELECT %3$s::oid::regclass, %4$L::text[], coalesce(n.%5$I, o.%5$I)::text, 'U', o.%6$I, n.%6$I, %7$s
                FROM old_rows o FULL JOIN new_rows n ON o.%5$I = n.%5$I
                WHERE (o.%6$I IS NOT NULL OR n.%6$I IS NOT NULL)
                  AND (o.%5$I IS NULL OR n.%5$I IS NULL OR %8$s);
            ELSIF TG_OP = 'DELETE' THEN
                INSERT INTO tessera.changes (table_name, layers, feature_id, op, old_geom)
                SELECT %3$s::oid::regclass, %4$L::text[], o.%5$I::text, 'D', o.%6$I
                FROM old_rows o WHERE o.%6$I IS NOT NULL;
            ELSE -- TRUNCATE
                INSERT INTO tessera.changes (table_name, layers, op) VALUES (%3$s::oid::regclass, %4$L::text[], 'T');
            END IF;
            GET DIAGNOSTICS affected = ROW_COUNT;
            IF affected > 0 THEN
                PERFORM pg_notify('tessera_changes', '');
            END IF;
            RETURN NULL;
        END
        $body$;
    $f$, fn, postgis, tbl::oid, lyrs, id_col, geom_col, changed, differs);
    EXECUTE body;

    FOR c IN SELECT tgname FROM pg_trigger WHERE tgrelid = tbl AND tgname LIKE 'tessera\_%' LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', c, tbl);
    END LOOP;
    EXECUTE format('CREATE TRIGGER tessera_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION %s()', tbl, fn);
    EXECUTE format('CREATE TRIGGER tessera_update AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION %s()', tbl, fn);
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

-- Removes the triggers and the generated function. Changes already in the outbox are still
-- processed; nothing new is captured.
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

INSERT INTO tessera.migrations (version, name) VALUES (2, 'watch') ON CONFLICT DO NOTHING;
