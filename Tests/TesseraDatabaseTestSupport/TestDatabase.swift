import Foundation
import Logging
import PostgresNIO
import TesseraPostgres

/// A fresh, migrated database on the test PostGIS cluster, dropped when the test ends.
///
/// The cluster is the one `scripts/test` starts (`TESSERA_TEST_DATABASE_URL`, default
/// `postgres://tessera@127.0.0.1:54329/tessera`). Each database is created from the
/// `tessera_template` database (PostGIS already installed), so tests run in parallel.
public struct TestDatabase: Sendable {
    public let name: String
    public let url: DatabaseURL
    public let logger: Logger

    /// An existing database (not created or dropped by this type).
    public init(name: String, url: DatabaseURL, logger: Logger) {
        self.name = name
        self.url = url
        self.logger = logger
    }

    public static var clusterURL: String {
        ProcessInfo.processInfo.environment["TESSERA_TEST_DATABASE_URL"] ?? "postgres://tessera@127.0.0.1:54329/tessera"
    }

    /// Runs `body` with a new database; drops it afterwards (also when `body` throws).
    public static func with<T: Sendable>(
        migrate: Bool = true,
        _ body: @Sendable (TestDatabase) async throws -> T
    ) async throws -> T {
        let cluster = try DatabaseURL(clusterURL)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let admin = try await PostgresConnection.connect(
            configuration: cluster.connectionConfiguration(),
            id: 1,
            logger: logger
        )
        do {
            try await admin.perform("CREATE DATABASE \(unescaped: name) TEMPLATE tessera_template", logger: logger)
        } catch {
            try? await admin.close()
            throw error
        }
        let url = try DatabaseURL("postgres://\(cluster.username)@\(cluster.host):\(cluster.port)/\(name)")
        let db = TestDatabase(name: String(name), url: url, logger: logger)
        do {
            if migrate {
                let c = try await db.connect()
                do {
                    try await Migrator.migrate(c, logger: logger)
                    try await c.close()
                } catch {
                    try? await c.close()
                    throw error
                }
            }
            let result = try await body(db)
            try await admin.perform("DROP DATABASE \(unescaped: name) WITH (FORCE)", logger: logger)
            try await admin.close()
            return result
        } catch {
            _ = try? await admin.query("DROP DATABASE \(unescaped: name) WITH (FORCE)", logger: logger)
            try? await admin.close()
            throw error
        }
    }

    /// A new connection to this database; the caller closes it.
    public func connect() async throws -> PostgresConnection {
        try await PostgresConnection.connect(
            configuration: url.connectionConfiguration(),
            id: Int.random(in: 1...1_000_000),
            logger: logger
        )
    }

    /// Runs `body` with a new connection, closed afterwards (also when `body` throws).
    public func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let c = try await connect()
        do {
            let result = try await body(c)
            try await c.close()
            return result
        } catch {
            try? await c.close()
            throw error
        }
    }

    /// Runs one or more SQL statements, one after the other, on a short-lived connection
    /// (`BEGIN`/`COMMIT` in the script work as in psql).
    public func execute(_ sql: String) async throws {
        let c = try await connect()
        do {
            try await Migrator.run(sql, on: c, logger: logger)
            try await c.close()
        } catch {
            try? await c.close()
            throw error
        }
    }

    /// The first column of every row of `sql`, as text (NULL as nil).
    public func column(_ sql: String) async throws -> [String?] {
        let c = try await connect()
        do {
            var rows: [String?] = []
            for try await v in try await c.query(
                PostgresQuery(unsafeSQL: "SELECT q::text FROM (\(sql)) AS q(q)"),
                logger: logger
            ).decode(String?.self) {
                rows.append(v)
            }
            try await c.close()
            return rows
        } catch {
            try? await c.close()
            throw error
        }
    }

    /// A single integer answer, e.g. `SELECT count(*) FROM tessera.changes`.
    public func int(_ sql: String) async throws -> Int {
        let c = try await connect()
        do {
            var value = 0
            for try await v in try await c.query(PostgresQuery(unsafeSQL: "SELECT (\(sql))::int8"), logger: logger)
                .decode(Int.self)
            {
                value = v
            }
            try await c.close()
            return value
        } catch {
            try? await c.close()
            throw error
        }
    }
}
