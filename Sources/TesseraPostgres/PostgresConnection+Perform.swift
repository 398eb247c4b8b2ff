import Logging
import PostgresNIO

extension PostgresConnection {
    /// Runs a statement for its effect and reads its whole answer.
    ///
    /// `query(_:logger:)` returns as soon as the answer starts; an error raised while the
    /// server produces rows (a `RAISE` inside a function called by a `SELECT`, say) only
    /// surfaces when the rows are read. Reading them here makes every failure a thrown error.
    /// - Returns: how many rows the answer had (with `RETURNING`, how many rows it changed).
    @discardableResult
    public func perform(_ query: PostgresQuery, logger: Logger) async throws -> Int {
        var rows = 0
        for try await _ in try await self.query(query, logger: logger) { rows += 1 }
        return rows
    }
}

extension PostgresClient {
    /// Runs a statement on a pooled connection and reads its whole answer (see
    /// ``PostgresNIO/PostgresConnection/perform(_:logger:)``).
    /// - Returns: how many rows the answer had.
    @discardableResult
    public func perform(_ query: PostgresQuery, logger: Logger) async throws -> Int {
        var rows = 0
        for try await _ in try await self.query(query, logger: logger) { rows += 1 }
        return rows
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
                _ = try? await c.perform("ROLLBACK", logger: logger)
                throw error
            }
        }
    }
}
