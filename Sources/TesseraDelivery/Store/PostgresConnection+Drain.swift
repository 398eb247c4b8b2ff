import Logging
import PostgresNIO

extension PostgresConnection {
    /// Runs a statement and reads its whole answer, so errors raised while rows are produced are thrown here.
    func drain(_ query: PostgresQuery, logger: Logger) async throws {
        for try await _ in try await self.query(query, logger: logger) {}
    }
}

extension PostgresClient {
    /// Runs a statement and reads its whole answer.
    func drain(_ query: PostgresQuery, logger: Logger) async throws {
        for try await _ in try await self.query(query, logger: logger) {}
    }
}

extension PostgresClient {
    /// Runs `body` in a transaction on one pooled connection; rolls back and rethrows the
    /// error as it is (postgres-nio's `withTransaction` wraps it, hiding `StoreError`s and SQL states).
    func transaction<T: Sendable>(
        logger: Logger,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withConnection { c in
            try await c.drain("BEGIN", logger: logger)
            do {
                let value = try await body(c)
                try await c.drain("COMMIT", logger: logger)
                return value
            } catch {
                try? await c.drain("ROLLBACK", logger: logger)
                throw error
            }
        }
    }
}
