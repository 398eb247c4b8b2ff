import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle

/// LISTENs on one channel over a dedicated connection and turns notifications into signals of a
/// ``Wakeup``.
///
/// A notification is only a hint: whatever arrives while no listener is connected is lost,
/// so the listener also signals after every (re)connect, and the woken stage polls anyway.
/// Reconnects with ``Backoff`` (0.1 s doubling to 0.5 s) after any failure.
public struct NotificationListener: Service {
    public let channel: String
    let url: DatabaseURL
    let wakeup: Wakeup
    let logger: Logger

    public init(channel: String, url: DatabaseURL, wakeup: Wakeup, logger: Logger) {
        self.channel = channel
        self.url = url
        self.wakeup = wakeup
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown { try await listenUntilCancelled() }
    }

    func listenUntilCancelled() async throws {
        var backoff = Backoff()
        var attempt = 0
        let channel = self.channel
        while !Task.isCancelled {
            attempt += 1
            var failure: (any Error)?
            do {
                let connection = try await url.connect(id: attempt, logger: logger)
                do {
                    try await connection.listen(on: channel) { notifications in
                        logger.debug("listening", metadata: ["channel": "\(channel)"])
                        backoff.succeeded()
                        wakeup.signal()  // catch up on whatever was missed while disconnected
                        for try await _ in notifications {
                            wakeup.signal()
                        }
                    }
                } catch {
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
            wakeup.signal()
            try? await Task.sleep(for: delay)
        }
    }
}
