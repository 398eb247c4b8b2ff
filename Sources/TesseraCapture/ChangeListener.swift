import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle

/// LISTENs on `tessera_changes` over a dedicated connection and turns notifications into
/// wake-ups for the processor.
///
/// A notification is only a hint: whatever arrives while no listener is connected is lost,
/// so the listener also signals after every (re)connect, and the processor polls anyway.
/// Reconnects with exponential backoff (0.1 s doubling to 5 s) after any failure.
public struct ChangeListener: Service {
    public static let channel = "tessera_changes"

    let url: DatabaseURL
    let wakeup: Wakeup
    let logger: Logger

    public init(url: DatabaseURL, wakeup: Wakeup, logger: Logger) {
        self.url = url
        self.wakeup = wakeup
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown { try await listenUntilCancelled() }
    }

    func listenUntilCancelled() async throws {
        var backoff = Duration.milliseconds(100)
        var attempt = 0
        while !Task.isCancelled {
            attempt += 1
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: url.connectionConfiguration(),
                    id: attempt,
                    logger: logger
                )
                do {
                    try await connection.listen(on: Self.channel) { notifications in
                        logger.debug("listening", metadata: ["channel": "\(Self.channel)"])
                        backoff = .milliseconds(100)
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
                if Task.isCancelled { return }
                logger.warning(
                    "listener disconnected; reconnecting",
                    metadata: ["error": "\(String(reflecting: error))", "retry_in": "\(backoff)"]
                )
            }
            if Task.isCancelled { return }
            wakeup.signal()
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(5))
        }
    }
}
