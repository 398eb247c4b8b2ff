import Logging
import Metrics
import NIOCore
import PostgresNIO
import Synchronization

/// One database connection owned by one service loop, opened on first use and reopened
/// after any failure.
///
/// The processor and the flusher each hold their own rather than sharing a pool: after the
/// database restarts, the next call simply connects again. A transaction fails the moment its
/// connection closes (the server went away: closed, reset, or a keep-alive probe unanswered, see
/// ``KeepAlive``), whatever it was waiting for. Every transaction also has a deadline, the last
/// resort for a server that is up but silent: a transaction that outlives it is abandoned with its
/// connection, which the server then rolls back.
public struct DedicatedConnection: ~Copyable {
    let url: DatabaseURL
    let logger: Logger
    let deadline: Duration
    private var connection: PostgresConnection?
    private var closed: CloseSignal?
    private var nextID = 1

    public init(url: DatabaseURL, deadline: Duration = .seconds(20), logger: Logger) {
        self.url = url
        self.deadline = deadline
        self.logger = logger
    }

    /// Runs `body` in a transaction on the connection (opening it if needed). On any error, when the
    /// connection closes, or when the deadline passes, the connection is dropped, so the next call
    /// starts afresh.
    public mutating func withTransaction<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        do {
            if connection == nil || connection!.isClosed {
                nextID += 1
                let url = self.url
                let logger = self.logger
                let id = nextID
                // A connect attempt ends when cancelled (postgres-nio cancels it).
                let opened: PostgresConnection
                do {
                    opened = try await withDeadline(deadline, discard: { try? await $0.close() }) {
                        try await url.connect(id: id, logger: logger)
                    }
                } catch {
                    ConnectionMetrics.connects(failed: true).increment()
                    throw error
                }
                ConnectionMetrics.connects(failed: false).increment()
                connection = opened
                closed = CloseSignal(opened.closeFuture)
            }
            let c = connection!
            let logger = self.logger
            // A query waiting on a silent server does not end when cancelled; closing its connection
            // fails it at once.
            return try await withDeadline(deadline, failingWhen: closed, abandon: { drop(c) }) {
                try await c.withTransaction(logger: logger) { try await body($0) }
            }
        } catch {
            if connection != nil { ConnectionMetrics.dropped.increment() }
            close()
            throw error
        }
    }

    /// Drops the connection without waiting for the server to acknowledge.
    public mutating func close() {
        if let c = connection {
            connection = nil
            closed = nil
            drop(c)
        }
    }

}

/// Closes `c` without waiting for the server to acknowledge.
func drop(_ c: PostgresConnection) {
    // The callback holds `c` until the close completes: PostgresConnection asserts (in debug
    // builds) that it is closed when it deinitialises.
    (c.close() as EventLoopFuture<Void>).whenComplete { _ in _ = c }
}

/// The connection closed while an operation used it.
///
/// Thrown at once rather than waiting for the operation: postgres-nio (1.33.2) never answers a query
/// sent on a connection the server has already closed. Its `query` writes the request into the channel
/// with no write promise, and a closed channel has dropped the handler that would fail it, so the
/// query's own promise is never completed (seen as a 20 s wait for the deadline after every database
/// restart: `ConnectionCloseTests`).
public struct ConnectionClosed: Error, CustomStringConvertible {
    public var description: String { "the database connection closed" }
}

/// Tells whoever is armed when a connection's close future completes. One per connection, so that a
/// long-lived connection does not collect a callback per transaction.
public final class CloseSignal: Sendable {
    private struct State {
        var closed = false
        var handler: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    public init(_ closeFuture: EventLoopFuture<Void>) {
        closeFuture.whenComplete { [self] _ in
            let handler = state.withLock { state -> (@Sendable () -> Void)? in
                state.closed = true
                defer { state.handler = nil }
                return state.handler
            }
            handler?()
        }
    }

    /// Calls `handler` when the connection closes (at once when it has). Replaces any earlier one.
    func arm(_ handler: @escaping @Sendable () -> Void) {
        let closed = state.withLock { state -> Bool in
            if !state.closed { state.handler = handler }
            return state.closed
        }
        if closed { handler() }
    }

    func disarm() {
        state.withLock { $0.handler = nil }
    }
}

/// The operation ran past its deadline and was abandoned.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    public let deadline: Duration
    public var description: String { "no answer within \(deadline)" }
}

/// Runs `operation` and returns its result, or throws ``DeadlineExceeded`` once `deadline` passes, or
/// ``ConnectionClosed`` as soon as `closed` fires.
///
/// The timer and the wait for the result race in a task group, and the loser is cancelled: a
/// successful operation leaves no timer behind. When the timer wins, or the caller is cancelled (a
/// graceful shutdown), `abandon` runs (it should make the operation end: close the connection it
/// waits on) and the caller returns at once. The operation itself runs in a task of its own, so that
/// one that ignores cancellation and `abandon` alike cannot hold the caller past its deadline: a query
/// in flight when PostgreSQL restarts can get neither an answer nor an error (seen in
/// `ServeResilienceTests.postgresStoppedMidStreamLosesNothing` when the group waited for it).
///
/// `discard` gets a result that arrives after the caller gave up (a connection opened too late must
/// be closed: postgres-nio traps on one released open). A result already there when the timer fires
/// is returned, not discarded.
public func withDeadline<T: Sendable>(
    _ deadline: Duration,
    failingWhen closed: CloseSignal? = nil,
    abandon: @escaping @Sendable () -> Void = {},
    discard: @escaping @Sendable (T) async -> Void = { _ in },
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let outcome = Outcome<T>()
    let work = Task {
        do {
            let value = try await operation()
            if !outcome.settle(.success(value)) { await discard(value) }
        } catch {
            outcome.settle(.failure(error))
        }
    }
    let giveUp: @Sendable (any Error) -> Void = { error in
        abandon()
        work.cancel()
        outcome.settle(.failure(error))
    }
    if let closed {
        closed.arm { giveUp(ConnectionClosed()) }
    }
    defer { closed?.disarm() }
    return try await withTaskCancellationHandler {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await outcome.value() }
            group.addTask {
                try await Task.sleep(for: deadline)
                return nil
            }
            defer { group.cancelAll() }
            // The first to finish decides; `nil` is the timer's.
            guard let first = try await group.next(), let value = first else {
                // The operation may have ended in the same instant: its result is not thrown away.
                if let value = outcome.settledValue { return value }
                giveUp(DeadlineExceeded(deadline: deadline))
                throw DeadlineExceeded(deadline: deadline)
            }
            return value
        }
    } onCancel: {
        giveUp(CancellationError())
    }
}

/// The result of an operation, settled once: by the operation, or by giving up on it.
final class Outcome<T: Sendable>: Sendable {
    private struct State {
        var result: Result<T, any Error>?
        var waiter: CheckedContinuation<T, any Error>?
    }

    private let state = Mutex(State())

    /// The first call wins; later ones are ignored. Returns whether this one won.
    @discardableResult
    func settle(_ result: Result<T, any Error>) -> Bool {
        let (won, waiter) = state.withLock { state -> (Bool, CheckedContinuation<T, any Error>?) in
            guard state.result == nil else { return (false, nil) }
            state.result = result
            defer { state.waiter = nil }
            return (true, state.waiter)
        }
        waiter?.resume(with: result)
        return won
    }

    /// The value, when the operation settled with one.
    var settledValue: T? {
        state.withLock { state in
            if case .success(let value) = state.result { return value }
            return nil
        }
    }

    /// Waits for the settled result. From one task only.
    func value() async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let settled = state.withLock { state -> Result<T, any Error>? in
                if let result = state.result { return result }
                state.waiter = continuation
                return nil
            }
            if let settled { continuation.resume(with: settled) }
        }
    }
}
