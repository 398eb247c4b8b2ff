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
