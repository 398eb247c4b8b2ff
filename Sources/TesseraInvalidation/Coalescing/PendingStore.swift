import Foundation
import Logging
import NIOCore
import PostgresNIO
import TesseraCatalog
import TesseraGeometry
import TesseraPostgres

/// `tessera.pending`, the open coalescing windows: one row per (subscription, layer), written by the
/// processor and closed by the flusher. Every function runs inside the caller's transaction.
public enum PendingStore {
    /// A stored window and whose it is.
    public struct Row: Sendable {
        public var subscriptionID: String
        public var layer: String
        public var window: PendingWindow
        /// Unix milliseconds: when the processor opened the window (nil for a window stored before
        /// schema 10), and when it is due.
        public var openedAtMilliseconds: Int64?
        public var dueAtMilliseconds: Int64
    }

    /// The window of `subscription` and `layer`, locked until the transaction ends; nil when none is open.
    public static func lock(
        subscriptionID: String,
        layer: String,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> PendingWindow? {
        let rows = try await connection.query(
            """
            SELECT subscription_id::text, layer, \(unescaped: windowColumns)
            FROM tessera.pending WHERE subscription_id = \(subscriptionID)::uuid AND layer = \(layer) FOR UPDATE
            """,
            logger: logger
        )
        for try await row in rows { return try decode(row).window }
        return nil
    }

    /// Writes `window` as the open window of `subscription` and `layer`, due when its debounce has
    /// passed since its last change or its maximum delay since its first, whichever is sooner.
    /// - Returns: how long from now (by the database's clock) until the window is due; zero or
    ///   negative when it is due already.
    public static func save(
        _ window: PendingWindow,
        subscriptionID: String,
        layer: String,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Duration? {
        let bytes = ByteBuffer(bytes: window.encodedTiles())
        let rows = try await connection.query(
            """
            INSERT INTO tessera.pending AS p (subscription_id, layer, tiles, change_count, west, south, east, north,
                                              first_change_at, last_change_at, due_at, opened_at)
            SELECT s.id, \(layer), \(bytes), \(window.changeCount),
                   \(window.bbox?.west), \(window.bbox?.south), \(window.bbox?.east), \(window.bbox?.north),
                   to_timestamp(\(window.firstChangeMilliseconds)::float8 / 1000), to_timestamp(\(window.lastChangeMilliseconds)::float8 / 1000),
                   least(to_timestamp(\(window.lastChangeMilliseconds)::float8 / 1000) + s.debounce_ms * interval '1 millisecond',
                         to_timestamp(\(window.firstChangeMilliseconds)::float8 / 1000) + s.max_delay_ms * interval '1 millisecond'),
                   clock_timestamp()
            FROM tessera.subscriptions s WHERE s.id = \(subscriptionID)::uuid
            ON CONFLICT (subscription_id, layer) DO UPDATE
                SET tiles = EXCLUDED.tiles, change_count = EXCLUDED.change_count,
                    west = EXCLUDED.west, south = EXCLUDED.south, east = EXCLUDED.east, north = EXCLUDED.north,
                    first_change_at = EXCLUDED.first_change_at, last_change_at = EXCLUDED.last_change_at,
                    due_at = EXCLUDED.due_at
            RETURNING extract(epoch FROM p.due_at - clock_timestamp())::float8
            """,
            logger: logger
        )
        for try await seconds in rows.decode(Double.self) {
            return .milliseconds(Int64((seconds * 1000).rounded(.up)))
        }
        return nil
    }

    /// Locks up to `limit` windows due now, soonest first, skipping those another flusher holds.
    public static func claimDue(limit: Int, on connection: PostgresConnection, logger: Logger) async throws -> [Row] {
        let rows = try await connection.query(
            """
            SELECT subscription_id::text, layer, \(unescaped: windowColumns)
            FROM tessera.pending WHERE due_at <= now()
            ORDER BY due_at LIMIT \(limit)
            FOR UPDATE SKIP LOCKED
            """,
            logger: logger
        )
        var out: [Row] = []
        for try await row in rows { out.append(try decode(row)) }
        return out
    }

    /// How long from now (by the database's clock) until the soonest stored window is due (zero or
    /// negative when one is due already); nil when no window is open.
    public static func timeUntilNextDue(on connection: PostgresConnection, logger: Logger) async throws -> Duration? {
        let rows = try await connection.query(
            "SELECT extract(epoch FROM min(due_at) - clock_timestamp())::float8 FROM tessera.pending",
            logger: logger
        )
        for try await seconds in rows.decode(Double?.self) {
            return seconds.map { .milliseconds(Int64(($0 * 1000).rounded(.up))) }
        }
        return nil
    }

    /// The open windows and the age in seconds of the oldest (from its first change), for the metrics.
    public static func openWindows(on connection: PostgresConnection, logger: Logger) async throws
        -> (count: Int, oldestAgeSeconds: Double?)
    {
        let rows = try await connection.query(
            "SELECT count(*)::int8, extract(epoch FROM now() - min(first_change_at))::float8 FROM tessera.pending",
            logger: logger
        )
        for try await (count, age) in rows.decode((Int, Double?).self) { return (count, age) }
        return (0, nil)
    }

    /// Deletes a window (closed, or of a subscription or layer that is gone).
    public static func delete(subscriptionID: String, layer: String, on connection: PostgresConnection, logger: Logger)
        async throws
    {
        try await connection.perform(
            "DELETE FROM tessera.pending WHERE subscription_id = \(subscriptionID)::uuid AND layer = \(layer)",
            logger: logger
        )
    }

    static let windowColumns = """
        tiles, change_count, west, south, east, north,
        (extract(epoch FROM first_change_at) * 1000)::int8, (extract(epoch FROM last_change_at) * 1000)::int8,
        (extract(epoch FROM opened_at) * 1000)::int8, (extract(epoch FROM due_at) * 1000)::int8
        """

    /// The one decoder of a stored window.
    static func decode(_ row: PostgresRow) throws -> Row {
        let (sub, layer, tiles, count, west, south, east, north, first, last, opened, due) = try row.decode(
            (String, String, ByteBuffer, Int, Double?, Double?, Double?, Double?, Int64, Int64, Int64?, Int64).self
        )
        var w = PendingWindow()
        try w.decodeTiles(Array(tiles.readableBytesView))
        w.changeCount = count
        if let west, let south, let east, let north {
            w.bbox = BoundingBox(west: west, south: south, east: east, north: north)
        }
        w.firstChangeMilliseconds = first
        w.lastChangeMilliseconds = last
        return Row(subscriptionID: sub, layer: layer, window: w, openedAtMilliseconds: opened, dueAtMilliseconds: due)
    }
}
