import Logging
import PostgresNIO

extension PostgresConnection {
    /// Runs a statement for its effect and reads its whole answer.
    ///
    /// `query(_:logger:)` returns as soon as the answer starts; an error raised while the
    /// server produces rows (a `RAISE` inside a function called by a `SELECT`, say) only
    /// surfaces when the rows are read. Reading them here makes every failure a thrown error.
    public func perform(_ query: PostgresQuery, logger: Logger) async throws {
        for try await _ in try await self.query(query, logger: logger) {}
    }
}

extension PostgresClient {
    /// Runs a statement on a pooled connection and reads its whole answer (see
    /// ``PostgresNIO/PostgresConnection/perform(_:logger:)``).
    public func perform(_ query: PostgresQuery, logger: Logger) async throws {
        for try await _ in try await self.query(query, logger: logger) {}
    }

    /// Runs `body` in a transaction on one pooled connection; rolls back and rethrows the
    /// error as it is (postgres-nio's `withTransaction` wraps it, hiding the callers' own errors and SQL states).
    public func transaction<T: Sendable>(
        logger: Logger,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withConnection { c in
            try await c.perform("BEGIN", logger: logger)
            do {
                let value = try await body(c)
                try await c.perform("COMMIT", logger: logger)
                return value
            } catch {
                try? await c.perform("ROLLBACK", logger: logger)
                throw error
            }
        }
    }
}
