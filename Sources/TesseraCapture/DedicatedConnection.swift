import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// One database connection owned by one service loop, opened on first use and reopened
/// after any failure.
///
/// The processor and the flusher each hold their own rather than sharing a pool: after the
/// database restarts, the next call simply connects again. Every transaction also has a
/// deadline; a transaction that outlives it (a connection wedged by a server that went away
/// mid-answer) is abandoned with its connection, which the server then rolls back.
public struct DedicatedConnection: ~Copyable {
    let url: DatabaseURL
    let logger: Logger
    let deadline: Duration
    private var connection: PostgresConnection?
    private var nextID = 1

    public init(url: DatabaseURL, deadline: Duration = .seconds(20), logger: Logger) {
        self.url = url
        self.deadline = deadline
        self.logger = logger
    }

    /// Runs `body` in a transaction on the connection (opening it if needed). On any error,
    /// or when the deadline passes, the connection is dropped, so the next call starts afresh.
    public mutating func withTransaction<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        do {
            if connection == nil || connection!.isClosed {
                nextID += 1
                let url = self.url
                let logger = self.logger
                let id = nextID
                connection = try await withDeadline(deadline) {
                    try await PostgresConnection.connect(
                        configuration: url.connectionConfiguration(),
                        id: id,
                        logger: logger
                    )
                }
            }
            let c = connection!
            let logger = self.logger
            return try await withDeadline(deadline) {
                try await c.withTransaction(logger: logger) { try await body($0) }
            }
        } catch {
            close()
            throw error
        }
    }

    /// Drops the connection without waiting for the server to acknowledge.
    public mutating func close() {
        if let c = connection {
            connection = nil
            // The callback holds `c` until the close completes: PostgresConnection asserts (in debug
            // builds) that it is closed when it deinitialises.
            (c.close() as EventLoopFuture<Void>).whenComplete { _ in _ = c }
        }
    }
}

/// The operation ran past its deadline and was abandoned.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    public let deadline: Duration
    public var description: String { "no answer within \(deadline)" }
}

/// Runs `operation` in its own task and returns its result, or throws ``DeadlineExceeded`` once
/// `deadline` passes — without waiting for an operation that does not respond to cancellation.
func withDeadline<T: Sendable>(_ deadline: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws
    -> T
{
    let settled = SettleOnce()
    return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let work = Task {
            do {
                let value = try await operation()
                if settled.claim() { continuation.resume(returning: value) }
            } catch {
                if settled.claim() { continuation.resume(throwing: error) }
            }
        }
        Task {
            try? await Task.sleep(for: deadline)
            if settled.claim() {
                work.cancel()
                continuation.resume(throwing: DeadlineExceeded(deadline: deadline))
            }
        }
    }
}

/// Lets exactly one of several racers resume a continuation.
final class SettleOnce: Sendable {
    private let settled = Mutex(false)

    /// True for the first caller only.
    func claim() -> Bool {
        settled.withLock { done in
            defer { done = true }
            return !done
        }
    }
}
