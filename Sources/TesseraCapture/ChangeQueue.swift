import Logging
import NIOCore
import PostgresNIO
import TesseraPostgres

/// Claims, quarantines and deletes outbox rows, inside a caller's transaction.
///
/// Claims use `FOR UPDATE SKIP LOCKED`, so several processors share the outbox without
/// waiting on each other and without a gap: a row is either locked by one transaction or
/// free, whatever order transactions commit in.
public enum ChangeQueue {
    /// The channel the statement triggers of `sql/002_watch.sql` NOTIFY when they commit changes: a
    /// wake-up only (the outbox row is the record).
    public static let channel = "tessera_changes"

    /// Locks outbox rows holding about `limit` changes (at least one row, however large) and
    /// returns their changes, oldest first, geometries as EWKB in EPSG:4326 (SRID 0 is taken as
    /// 4326): the old ones as captured, the new ones read from the table now. Must run inside a
    /// transaction that later deletes them.
    public static func claim(limit: Int, on connection: PostgresConnection, logger: Logger) async throws -> [Change] {
        let claimed = try await connection.query(
            "SELECT tessera.claim_outbox(\(max(1, limit)))",
            logger: logger
        )
        var ids: [Int64] = []
        for try await id in claimed.decode(Int64.self) { ids.append(id) }
        guard !ids.isEmpty else { return [] }
        let rows = try await connection.query(
            """
            WITH claimed AS (
                SELECT * FROM tessera.outbox WHERE id = ANY(\(ids))
            ), live AS (
                SELECT c.id AS outbox_id, l.*
                FROM claimed c CROSS JOIN LATERAL tessera.live_rows(c.table_name, c.feature_ids) l
                WHERE c.op IN ('I', 'U')
            )
            SELECT (c.id << 24) + u.ord, c.table_name::text, c.layers, u.feature_id, c.op::text,
                   ST_AsEWKB(CASE WHEN ST_SRID(u.old_geom) IN (0, 4326) THEN ST_SetSRID(u.old_geom, 4326)
                                  ELSE ST_Transform(u.old_geom, 4326) END),
                   ST_AsEWKB(CASE WHEN ST_SRID(l.geom) IN (0, 4326) THEN ST_SetSRID(l.geom, 4326)
                                  ELSE ST_Transform(l.geom, 4326) END),
                   u.old_hash, l.render_hash,
                   (extract(epoch FROM c.committed_hint) * 1000)::int8
            FROM claimed c
            CROSS JOIN LATERAL unnest(c.feature_ids, c.old_geoms, c.old_hashes) WITH ORDINALITY
                AS u(feature_id, old_geom, old_hash, ord)
            LEFT JOIN live l ON l.outbox_id = c.id AND l.feature_id = u.feature_id
            ORDER BY c.id, u.ord
            """,
            logger: logger
        )
        var changes: [Change] = []
        changes.reserveCapacity(limit)
        for try await (id, table, layers, featureID, op, old, new, oldHash, newHash, at) in rows.decode(
            (Int64, String, [String], String?, String, ByteBuffer?, ByteBuffer?, Int64?, Int64?, Int64).self
        ) {
            guard let operation = Change.Operation(rawValue: op) else {
                throw DatabaseError(code: .database, message: "change \(id) has unknown operation '\(op)'")
            }
            changes.append(
                Change(
                    id: id,
                    table: table,
                    layers: layers,
                    featureID: featureID,
                    operation: operation,
                    oldEWKB: old.map { Array($0.readableBytesView) },
                    newEWKB: new.map { Array($0.readableBytesView) },
                    oldRenderHash: oldHash,
                    newRenderHash: newHash,
                    capturedAtMilliseconds: at
                )
            )
        }
        return changes
    }

    /// What waits in the outbox of one watched table, for the metrics.
    public struct Backlog: Sendable, Hashable {
        public var table: String
        /// Outbox rows (one per statement or chunk of one) and the changes they hold.
        public var rows: Int
        public var changes: Int
        /// Seconds since the oldest waiting change was captured; nil when none waits.
        public var oldestAgeSeconds: Double?
    }

    /// The backlog of every watched table (zero for a table with none).
    public static func backlog(on connection: PostgresConnection, logger: Logger) async throws -> [Backlog] {
        let rows = try await connection.query(
            """
            SELECT w.table_name::text, count(o.id)::int8, coalesce(sum(o.feature_count), 0)::int8,
                   extract(epoch FROM now() - min(o.committed_hint))::float8
            FROM tessera.watched w LEFT JOIN tessera.outbox o ON o.table_name = w.table_name
            GROUP BY w.table_name
            """,
            logger: logger
        )
        var result: [Backlog] = []
        for try await (table, count, changes, age) in rows.decode((String, Int, Int, Double?).self) {
            result.append(Backlog(table: table, rows: count, changes: changes, oldestAgeSeconds: age))
        }
        return result
    }

    /// Deletes the outbox rows of claimed changes (in the transaction that recorded their effect).
    public static func delete(_ changes: [Change], on connection: PostgresConnection, logger: Logger) async throws {
        guard !changes.isEmpty else { return }
        var ids: [Int64] = []
        for c in changes where ids.last != c.outboxID { ids.append(c.outboxID) }
        try await connection.perform("DELETE FROM tessera.outbox WHERE id = ANY(\(ids))", logger: logger)
    }

    /// A change whose geometry could not be used, and why.
    public struct Quarantined: Sendable {
        public let change: Change
        public let reason: String
        public let location: String?

        public init(change: Change, reason: String, location: String?) {
            self.change = change
            self.reason = reason
            self.location = location
        }
    }

    /// Copies changes into `tessera.quarantine` with their reasons (geometries in EPSG:4326).
    public static func quarantine(_ items: [Quarantined], on connection: PostgresConnection, logger: Logger)
        async throws
    {
        guard !items.isEmpty else { return }
        let ids = items.map(\.change.id)
        let tables = items.map(\.change.table)
        let features = items.map { $0.change.featureID ?? "" }
        let ops = items.map(\.change.operation.rawValue)
        let olds = items.map { ByteBuffer(bytes: $0.change.oldEWKB ?? []) }
        let news = items.map { ByteBuffer(bytes: $0.change.newEWKB ?? []) }
        let reasons = items.map(\.reason)
        let locations = items.map { $0.location ?? "" }
        try await connection.perform(
            """
            INSERT INTO tessera.quarantine (change_id, table_name, feature_id, op, old_geom, new_geom, reason, location)
            SELECT q.id, q.table_name, nullif(q.feature_id, ''), q.op::"char", ST_GeomFromEWKB(nullif(q.old, ''::bytea)),
                   ST_GeomFromEWKB(nullif(q.new, ''::bytea)),
                   q.reason, nullif(q.location, '')
            FROM unnest(\(ids)::int8[], \(tables)::text[], \(features)::text[], \(ops)::text[], \(olds)::bytea[],
                        \(news)::bytea[], \(reasons)::text[], \(locations)::text[])
                AS q(id, table_name, feature_id, op, old, new, reason, location)
            """,
            logger: logger
        )
    }
}
