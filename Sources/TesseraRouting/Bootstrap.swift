import Logging
import PostgresNIO

/// Writes the layers, watched tables and subscriptions a configuration file declares into
/// the database (by name; existing rows are updated, others left alone).
public enum Bootstrap {
    public struct LayerSpec: Sendable, Equatable {
        public var name: String
        public var tileMatrixSet = "WebMercatorQuad"
        public var minZoom = 0
        public var maxZoom = 14
        public var bufferPixels = 64
        public var bufferExtent = 4096
        public init(name: String) { self.name = name }
    }

    public struct WatchSpec: Sendable, Equatable {
        public var table: String
        public var idColumn: String?
        public var geometryColumn: String?
        public var renderColumns: [String]?
        public var layers: [String]?
        public init(table: String) { self.table = table }
    }

    public struct SubscriptionSpec: Sendable, Equatable {
        public var name: String
        public var url: String
        public var tenant = "default"
        public var layers: [String] = []
        public var format = "json"
        public var compression = "none"
        public var debounceMilliseconds = 1000
        public var maxDelayMilliseconds = 10000
        public var maxTiles = 100_000
        public var rollUp = "parents"
        /// The signing secret's raw bytes (`secret_env` / `secret_file`); nil keeps whatever the
        /// subscription has, or gives a new one a random secret.
        public var secret: [UInt8]?
        public init(name: String, url: String) {
            self.name = name
            self.url = url
        }
    }

    /// - Parameter secretOverlap: how long a subscription's previous secret keeps signing after the
    ///   file gives it a new one (as after a rotation through the API).
    public static func apply(
        layers: [LayerSpec],
        watches: [WatchSpec],
        subscriptions: [SubscriptionSpec],
        secretOverlap: Duration,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        for l in layers {
            try await connection.perform(
                """
                INSERT INTO tessera.layers (name, tile_matrix_set, min_zoom, max_zoom, buffer_pixels, buffer_extent)
                VALUES (\(l.name), \(l.tileMatrixSet), \(l.minZoom), \(l.maxZoom), \(l.bufferPixels), \(l.bufferExtent))
                ON CONFLICT (name) DO UPDATE SET tile_matrix_set = EXCLUDED.tile_matrix_set, min_zoom = EXCLUDED.min_zoom,
                    max_zoom = EXCLUDED.max_zoom, buffer_pixels = EXCLUDED.buffer_pixels,
                    buffer_extent = EXCLUDED.buffer_extent, updated_at = now()
                """,
                logger: logger
            )
        }
        for w in watches {
            try await connection.perform(
                """
                SELECT tessera.watch(\(w.table)::regclass, id_column => \(w.idColumn), geometry_column => \(w.geometryColumn),
                                     render_columns => \(w.renderColumns)::text[], layers => \(w.layers)::text[])
                """,
                logger: logger
            )
        }
        for s in subscriptions {
            try await connection.perform(
                "INSERT INTO tessera.tenants (name) VALUES (\(s.tenant)) ON CONFLICT DO NOTHING",
                logger: logger
            )
            try await connection.perform(
                """
                INSERT INTO tessera.subscriptions (tenant, name, url, layers, format, compression, debounce_ms, max_delay_ms,
                                                   max_tiles, rollup)
                VALUES (\(s.tenant), \(s.name), \(s.url), \(s.layers), \(s.format), \(s.compression), \(s.debounceMilliseconds),
                        \(s.maxDelayMilliseconds), \(s.maxTiles), \(s.rollUp))
                ON CONFLICT (tenant, name) DO UPDATE SET url = EXCLUDED.url, layers = EXCLUDED.layers, format = EXCLUDED.format,
                    compression = EXCLUDED.compression, debounce_ms = EXCLUDED.debounce_ms, max_delay_ms = EXCLUDED.max_delay_ms,
                    max_tiles = EXCLUDED.max_tiles, rollup = EXCLUDED.rollup, updated_at = now()
                """,
                logger: logger
            )
            if let secret = s.secret {
                try await install(secret: secret, for: s, overlap: secretOverlap, on: connection, logger: logger)
                continue
            }
            // Every subscription signs its deliveries; one declared without a secret gets a random
            // one on first sight, which the API's rotate call replaces with one it reveals.
            try await connection.perform(
                """
                INSERT INTO tessera.subscription_secrets (subscription_id, secret)
                SELECT id, decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex')
                FROM tessera.subscriptions s WHERE tenant = \(s.tenant) AND name = \(s.name)
                    AND NOT EXISTS (SELECT 1 FROM tessera.subscription_secrets k WHERE k.subscription_id = s.id)
                """,
                logger: logger
            )
        }
    }

    /// Makes `secret` the subscription's current one unless it already is. The secrets current until
    /// now keep signing for `overlap` (receivers switch over meanwhile), expired ones are deleted.
    /// One statement, so a crash leaves either the old state or the new.
    private static func install(
        secret: [UInt8],
        for s: SubscriptionSpec,
        overlap: Duration,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        let overlapSeconds = Double(overlap.components.seconds) + Double(overlap.components.attoseconds) / 1e18
        let rows = try await connection.query(
            """
            WITH sub AS (
                SELECT id FROM tessera.subscriptions WHERE tenant = \(s.tenant) AND name = \(s.name)
            ), already AS (
                SELECT 1 FROM tessera.subscription_secrets k JOIN sub ON k.subscription_id = sub.id
                WHERE k.expires_at IS NULL AND k.secret = \(ByteBuffer(bytes: secret))
            ), expired AS (
                DELETE FROM tessera.subscription_secrets k USING sub
                WHERE k.subscription_id = sub.id AND k.expires_at <= now() AND NOT EXISTS (SELECT 1 FROM already)
            ), retired AS (
                UPDATE tessera.subscription_secrets k SET expires_at = now() + make_interval(secs => \(overlapSeconds))
                FROM sub
                WHERE k.subscription_id = sub.id AND k.expires_at IS NULL AND NOT EXISTS (SELECT 1 FROM already)
                RETURNING k.expires_at
            ), added AS (
                INSERT INTO tessera.subscription_secrets (subscription_id, secret)
                SELECT sub.id, \(ByteBuffer(bytes: secret)) FROM sub WHERE NOT EXISTS (SELECT 1 FROM already)
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM added)::int8, (SELECT max(expires_at) FROM retired)::text
            """,
            logger: logger
        )
        for try await (added, previousUntil) in rows.decode((Int64, String?).self) where added > 0 {
            var metadata: Logger.Metadata = ["subscription": "\(s.tenant)/\(s.name)"]
            if let previousUntil { metadata["previous_secret_signs_until"] = "\(previousUntil)" }
            logger.notice("the subscription's signing secret is now the configured one", metadata: metadata)
        }
    }
}
