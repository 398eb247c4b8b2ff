import Logging
import PostgresNIO

/// Applies the SQL in `sql/` (embedded at build time) to a database, in order, once each.
///
/// Runs under a transaction-scoped advisory lock, so several `tessera` processes starting at
/// once migrate one after the other; every file is idempotent, so a file applied by hand with
/// psql is harmless to apply again.
public enum Migrator {
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        public let sql: String
    }

    /// Every migration this binary knows, by version.
    public static let migrations: [Migration] = [
        Migration(version: 1, name: "schema", sql: String(decoding: PackageResources._01_schema_sql, as: UTF8.self)),
        Migration(version: 2, name: "watch", sql: String(decoding: PackageResources._02_watch_sql, as: UTF8.self)),
        Migration(
            version: 3, name: "delivery", sql: String(decoding: PackageResources._03_delivery_sql, as: UTF8.self)),
        Migration(
            version: 4, name: "dispatch", sql: String(decoding: PackageResources._04_dispatch_sql, as: UTF8.self)),
    ]

    /// Brings the database's `tessera` schema up to date; returns the versions applied now.
    @discardableResult
    public static func migrate(_ connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        try await connection.withTransaction(logger: logger) { connection in
            try await connection.perform("SELECT pg_advisory_xact_lock(7423501)", logger: logger)
            let applied = try await currentVersion(connection)
            if let newest = migrations.last?.version, applied > newest {
                throw CaptureError(
                    code: .migration,
                    message:
                        "database schema version \(applied) is newer than this tessera (\(newest)); upgrade tessera"
                )
            }
            var done: [Int] = []
            for m in migrations where m.version > applied {
                logger.info("applying migration", metadata: ["version": "\(m.version)", "name": "\(m.name)"])
                try await run(m.sql, on: connection, logger: logger)
                done.append(m.version)
            }
            return done
        }
    }

    /// Runs a multi-statement SQL script, statement by statement, on `connection`.
    public static func run(_ script: String, on connection: PostgresConnection, logger: Logger) async throws {
        for statement in SQLScript.statements(script) {
            try await connection.perform(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
    }

    static func currentVersion(_ connection: PostgresConnection) async throws -> Int {
        let exists = try await connection.query(
            "SELECT to_regclass('tessera.migrations') IS NOT NULL",
            logger: Logger(label: "tessera.migrate")
        )
        var has = false
        for try await v in exists.decode(Bool.self) { has = v }
        guard has else { return 0 }
        let rows = try await connection.query(
            "SELECT coalesce(max(version), 0)::int8 FROM tessera.migrations",
            logger: Logger(label: "tessera.migrate")
        )
        var version = 0
        for try await v in rows.decode(Int.self) { version = v }
        return version
    }
}
