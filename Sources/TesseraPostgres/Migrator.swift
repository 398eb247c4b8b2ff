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

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// Every migration this binary knows, by version.
    public static let migrations: [Migration] = [
        Migration(version: 1, name: "schema", sql: text(PackageResources._01_schema_sql)),
        Migration(version: 2, name: "watch", sql: text(PackageResources._02_watch_sql)),
        Migration(version: 3, name: "delivery", sql: text(PackageResources._03_delivery_sql)),
        // The outbox changed shape: 001 and 002 (idempotent) bring an older schema to it.
        Migration(
            version: 4,
            name: "outbox",
            sql: [PackageResources._01_schema_sql, PackageResources._02_watch_sql, PackageResources._04_outbox_sql]
                .map(text).joined(separator: "\n")
        ),
        Migration(version: 5, name: "dispatch", sql: text(PackageResources._05_dispatch_sql)),
        Migration(version: 6, name: "attempts_cascade", sql: text(PackageResources._06_attempts_cascade_sql)),
        Migration(version: 7, name: "delivery_output", sql: text(PackageResources._07_delivery_output_sql)),
        Migration(version: 8, name: "partition_maps", sql: text(PackageResources._08_partition_maps_sql)),
        Migration(version: 9, name: "instances", sql: text(PackageResources._09_instances_sql)),
        Migration(version: 10, name: "latency", sql: text(PackageResources._10_latency_sql)),
        Migration(version: 11, name: "outputs", sql: text(PackageResources._11_outputs_sql)),
    ]

    /// Brings the database's `tessera` schema up to date; returns the versions applied now.
    @discardableResult
    /// `progress` is told, before each migration it applies, its place among those to apply and its name.
    public static func migrate(
        _ connection: PostgresConnection,
        logger: Logger,
        progress: (@Sendable (_ index: Int, _ count: Int, _ name: String) -> Void)? = nil
    ) async throws -> [Int] {
        try await connection.withTransaction(logger: logger) { connection in
            try await connection.perform("SELECT pg_advisory_xact_lock(7423501)", logger: logger)
            let applied = try await currentVersion(connection)
            if let newest = migrations.last?.version, applied > newest {
                throw DatabaseError(
                    code: .migration,
                    message:
                        "database schema version \(applied) is newer than this tessera (\(newest)); upgrade tessera"
                )
            }
            var done: [Int] = []
            let pending = migrations.filter { $0.version > applied }
            for m in pending {
                progress?(done.count + 1, pending.count, m.name)
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
