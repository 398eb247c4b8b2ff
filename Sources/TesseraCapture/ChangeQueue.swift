import Logging
import NIOCore
import PostgresNIO

/// Claims, quarantines and deletes outbox rows, inside a caller's transaction.
///
/// Claims use `FOR UPDATE SKIP LOCKED`, so several processors share the outbox without
/// waiting on each other and without a gap: a row is either locked by one transaction or
/// free, whatever order transactions commit in.
public enum ChangeQueue {
    /// Locks and returns up to `limit` changes, oldest first, geometries as EWKB in EPSG:4326
    /// (SRID 0 is taken as 4326). Must run inside a transaction that later deletes them.
    public static func claim(limit: Int, on connection: PostgresConnection, logger: Logger) async throws -> [Change] {
        let rows = try await connection.query(
            """
            SELECT c.id, c.table_name::text, c.layers, c.feature_id, c.op::text,
                   ST_AsEWKB(CASE WHEN ST_SRID(c.old_geom) IN (0, 4326) THEN ST_SetSRID(c.old_geom, 4326)
                                  ELSE ST_Transform(c.old_geom, 4326) END),
                   ST_AsEWKB(CASE WHEN ST_SRID(c.new_geom) IN (0, 4326) THEN ST_SetSRID(c.new_geom, 4326)
                                  ELSE ST_Transform(c.new_geom, 4326) END),
                   c.changed_columns,
                   (extract(epoch FROM c.committed_hint) * 1000)::int8
            FROM tessera.changes c
            ORDER BY c.id
            LIMIT \(limit)
            FOR UPDATE SKIP LOCKED
            """,
            logger: logger
        )
        var changes: [Change] = []
        changes.reserveCapacity(limit)
        for try await (id, table, layers, featureID, op, old, new, changed, at) in rows.decode(
            (Int64, String, [String], String?, String, ByteBuffer?, ByteBuffer?, [String]?, Int64).self
        ) {
            guard let operation = Change.Operation(rawValue: op) else {
                throw CaptureError(code: .database, message: "change \(id) has unknown operation '\(op)'")
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
                    changedColumns: changed,
                    capturedAtMilliseconds: at
                )
            )
        }
        return changes
    }

    /// Deletes claimed changes (in the transaction that recorded their effect).
    public static func delete(_ ids: [Int64], on connection: PostgresConnection, logger: Logger) async throws {
        guard !ids.isEmpty else { return }
        try await connection.perform("DELETE FROM tessera.changes WHERE id = ANY(\(ids))", logger: logger)
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

    /// Copies changes into `tessera.quarantine` with their reasons (geometries as stored).
    public static func quarantine(_ items: [Quarantined], on connection: PostgresConnection, logger: Logger)
        async throws
    {
        guard !items.isEmpty else { return }
        let ids = items.map(\.change.id)
        let reasons = items.map(\.reason)
        let locations = items.map { $0.location ?? "" }
        try await connection.perform(
            """
            INSERT INTO tessera.quarantine (change_id, table_name, feature_id, op, old_geom, new_geom, reason, location)
            SELECT c.id, c.table_name::text, c.feature_id, c.op, c.old_geom, c.new_geom, q.reason, nullif(q.location, '')
            FROM unnest(\(ids)::int8[], \(reasons)::text[], \(locations)::text[]) AS q(id, reason, location)
            JOIN tessera.changes c ON c.id = q.id
            """,
            logger: logger
        )
    }
}
