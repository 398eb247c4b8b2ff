import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle

/// LISTENs on one or more channels over one dedicated connection and turns each channel's
/// notifications into signals of its ``Wakeup``.
///
/// A notification is only a hint: whatever arrives while no listener is connected is lost,
/// so the listener also signals every wake-up after each (re)connect, and the woken stages poll anyway.
/// Reconnects with ``Backoff`` (0.1 s doubling to 0.5 s) after any failure.
public struct NotificationListener: Service {
    public let channels: [String]
    let wakeups: [Wakeup]
    let url: DatabaseURL
    let logger: Logger

    /// Listens on every channel of `wakeups`, signalling its wake-up.
    public init(wakeups: [(channel: String, wakeup: Wakeup)], url: DatabaseURL, logger: Logger) {
        self.channels = wakeups.map(\.channel)
        self.wakeups = wakeups.map(\.wakeup)
        self.url = url
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown { try await listenUntilCancelled() }
    }

    func listenUntilCancelled() async throws {
        var backoff = Backoff()
        var attempt = 0
        let logger = self.logger
        while !Task.isCancelled {
            attempt += 1
            var failure: (any Error)?
            do {
                let connection: PostgresConnection
                do {
                    connection = try await url.connect(id: attempt, logger: logger)
                } catch {
                    ConnectionMetrics.connects(failed: true).increment()
                    throw error
                }
                ConnectionMetrics.connects(failed: false).increment()
                backoff.succeeded()
                do {
                    // One LISTEN per channel on the same connection; the first to end ends them all.
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for (channel, wakeup) in zip(channels, wakeups) {
                            group.addTask {
                                try await connection.listen(on: channel) { notifications in
                                    logger.debug("listening", metadata: ["channel": "\(channel)"])
                                    wakeup.signal()  // catch up on whatever was missed while disconnected
                                    for try await _ in notifications {
                                        wakeup.signal()
                                    }
                                }
                            }
                        }
                        try await group.next()
                        group.cancelAll()
                    }
                } catch {
                    ConnectionMetrics.dropped.increment()
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                failure = error
            }
            if Task.isCancelled { return }
            let delay = backoff.failed()
            if let failure {
                logger.warning(
                    "listener disconnected; reconnecting",
                    metadata: ["error": "\(String(reflecting: failure))", "retry_in": "\(delay)"]
                )
            }
            for wakeup in wakeups { wakeup.signal() }
            try? await Task.sleep(for: delay)
        }
    }
}
