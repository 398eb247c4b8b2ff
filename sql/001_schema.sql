-- Tessera schema, version 1: layers, watched tables, the change outbox, quarantine,
-- subscriptions, pending coalescing windows and the durable delivery queue.
-- Applied by `tessera migrate` (embedded in the binary) or by hand:
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f sql/001_schema.sql -f sql/002_watch.sql -f sql/003_delivery.sql -f sql/004_outbox.sql -f sql/005_dispatch.sql
-- Every statement is idempotent.

CREATE EXTENSION IF NOT EXISTS postgis;
CREATE SCHEMA IF NOT EXISTS tessera;

CREATE TABLE IF NOT EXISTS tessera.migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

-- A layer is what a tile server serves from one or more tables: its grid, zooms and buffer.
CREATE TABLE IF NOT EXISTS tessera.layers (
    name            text PRIMARY KEY,
    tile_matrix_set text NOT NULL DEFAULT 'WebMercatorQuad',
    min_zoom        integer NOT NULL DEFAULT 0 CHECK (min_zoom BETWEEN 0 AND 30),
    max_zoom        integer NOT NULL DEFAULT 14 CHECK (max_zoom BETWEEN 0 AND 30),
    buffer_pixels   integer NOT NULL DEFAULT 64 CHECK (buffer_pixels >= 0),
    buffer_extent   integer NOT NULL DEFAULT 4096 CHECK (buffer_extent > 0),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (min_zoom <= max_zoom),
    CHECK (buffer_pixels <= buffer_extent)
);

-- One row per table that tessera.watch() installed triggers on.
CREATE TABLE IF NOT EXISTS tessera.watched (
    table_name      regclass PRIMARY KEY,
    id_column       text NOT NULL,
    geometry_column text NOT NULL,
    render_columns  text[],            -- NULL: every column affects rendering
    layers          text[] NOT NULL,
    installed_at    timestamptz NOT NULL DEFAULT now()
);

-- The outbox. A trigger writes one row per statement (or per chunk of a very large
-- statement) holding arrays: the ids of the rows it touched and, for updates and deletes,
-- their old geometries (as the table has them, any SRID) and a hash of their old rendering
-- columns. New geometries are not copied: the processor reads them from the table when it
-- claims the row, which yields the same union of stale tiles (any later edit of the feature
-- is captured with that state as its old one) at a third of the cost of copying them.
-- The processor claims rows with FOR UPDATE SKIP LOCKED and deletes them in the transaction
-- that queues their effect. The view tessera.changes shows the pending changes one per row.
CREATE TABLE IF NOT EXISTS tessera.outbox (
    id             bigserial PRIMARY KEY,
    table_name     regclass NOT NULL,
    layers         text[] NOT NULL,
    op             "char" NOT NULL CHECK (op IN ('I', 'U', 'D', 'T')),
    feature_count  integer NOT NULL,
    feature_ids    text[] NOT NULL,
    old_geoms      geometry[],
    old_hashes     int8[],
    txid           xid8 NOT NULL DEFAULT pg_current_xact_id(),
    committed_hint timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- The arrays are written once and read once: storing them uncompressed saves the trigger time.
ALTER TABLE tessera.outbox
    ALTER COLUMN feature_ids SET STORAGE EXTERNAL,
    ALTER COLUMN old_geoms SET STORAGE EXTERNAL,
    ALTER COLUMN old_hashes SET STORAGE EXTERNAL;

-- Changes whose geometry could not be used, with the reason. They never block the queue.
CREATE TABLE IF NOT EXISTS tessera.quarantine (
    id             bigserial PRIMARY KEY,
    change_id      bigint NOT NULL,
    table_name     text NOT NULL,
    feature_id     text,
    op             "char" NOT NULL,
    old_geom       geometry,
    new_geom       geometry,
    reason         text NOT NULL,
    location       text,
    quarantined_at timestamptz NOT NULL DEFAULT now()
);

-- Receivers. Shared with the delivery side (HTTP sending, API).
CREATE TABLE IF NOT EXISTS tessera.subscriptions (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant          text NOT NULL DEFAULT 'default',
    name            text NOT NULL,
    url             text NOT NULL,
    kind            text NOT NULL DEFAULT 'tiles' CHECK (kind IN ('tiles')),
    layers          text[] NOT NULL,
    format          text NOT NULL DEFAULT 'json' CHECK (format IN ('json', 'zxy', 'protobuf')),
    compression     text NOT NULL DEFAULT 'none' CHECK (compression IN ('none', 'zstd', 'gzip')),
    debounce_ms     integer NOT NULL DEFAULT 1000 CHECK (debounce_ms >= 0),
    max_delay_ms    integer NOT NULL DEFAULT 10000 CHECK (max_delay_ms >= 0),
    max_tiles       integer NOT NULL DEFAULT 100000 CHECK (max_tiles > 0),
    rollup          text NOT NULL DEFAULT 'parents' CHECK (rollup IN ('parents', 'split')),
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'disabled')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant, name)
);

-- Open coalescing windows: the union of tiles per subscription and layer, not yet sent.
-- Written in the same transaction that deletes the changes it absorbed.
CREATE TABLE IF NOT EXISTS tessera.pending (
    subscription_id uuid NOT NULL REFERENCES tessera.subscriptions (id) ON DELETE CASCADE,
    layer           text NOT NULL,
    tiles           bytea NOT NULL,    -- Tessera's span encoding, see TesseraRouting/PendingTiles
    change_count    integer NOT NULL,
    west            double precision,
    south           double precision,
    east            double precision,
    north           double precision,
    first_change_at timestamptz NOT NULL,
    last_change_at  timestamptz NOT NULL,
    due_at          timestamptz NOT NULL,
    PRIMARY KEY (subscription_id, layer)
);
CREATE INDEX IF NOT EXISTS pending_due ON tessera.pending (due_at);

-- The durable delivery queue. A row is one webhook call with a stable event id.
CREATE TABLE IF NOT EXISTS tessera.deliveries (
    id               bigserial PRIMARY KEY,
    event_id         uuid NOT NULL UNIQUE,
    subscription_id  uuid NOT NULL REFERENCES tessera.subscriptions (id) ON DELETE CASCADE,
    event_type       text NOT NULL,
    payload          bytea NOT NULL,
    content_type     text NOT NULL,
    content_encoding text,
    change_count     integer NOT NULL DEFAULT 0,
    window_start     timestamptz,
    window_end       timestamptz,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivering', 'delivered', 'dead')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    lease_until      timestamptz,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz
);
CREATE INDEX IF NOT EXISTS deliveries_due ON tessera.deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS deliveries_subscription ON tessera.deliveries (subscription_id, created_at);

INSERT INTO tessera.migrations (version, name) VALUES (1, 'schema') ON CONFLICT DO NOTHING;
