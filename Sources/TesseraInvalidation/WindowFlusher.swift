import Foundation
import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle
import TesseraCatalog
import TesseraDelivery
import TesseraGeometry
import TesseraPostgres

/// Closes coalescing windows that are due (debounce elapsed since the last change, or the
/// maximum delay since the first) and turns each into delivery rows, in one transaction:
/// the delivery rows are written and the window deleted together.
public struct WindowFlusher: Service {
    public struct Configuration: Sendable {
        /// How often to look for due windows.
        public var interval = Duration.milliseconds(100)
        /// Windows closed per transaction.
        public var batchSize = 200

        public init(interval: Duration = .milliseconds(100), batchSize: Int = 200) {
            self.interval = interval
            self.batchSize = batchSize
        }
    }

    let url: DatabaseURL
    let configuration: Configuration
    let logger: Logger

    public init(url: DatabaseURL, configuration: Configuration = .init(), logger: Logger) {
        self.url = url
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var connection = DedicatedConnection(url: url, logger: logger)
            var backoff = Backoff()
            while !Task.isCancelled {
                do {
                    let limit = configuration.batchSize
                    let logger = self.logger
                    let closed = try await connection.withTransaction { conn in
                        try await Self.flushDue(on: conn, limit: limit, logger: logger)
                    }
                    backoff.succeeded()
                    if closed >= limit { continue }
                } catch {
                    if Task.isCancelled { break }
                    logger.warning("flush failed; will retry", metadata: ["error": "\(String(reflecting: error))"])
                    try? await Task.sleep(for: backoff.failed())
                }
                try? await Task.sleep(for: configuration.interval)
            }
            connection.close()
        }
    }

    /// Closes up to `limit` windows due now, inside the caller's transaction; returns how many.
    /// Public for tests and benchmarks.
    public static func flushDue(on connection: PostgresConnection, limit: Int, logger: Logger) async throws -> Int {
        let windows = try await PendingStore.claimDue(limit: limit, on: connection, logger: logger)
        guard !windows.isEmpty else { return 0 }
        let catalog = try await Catalog.load(on: connection, logger: logger)
        let subscriptions = Dictionary(catalog.subscriptions.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        var deliveries: [OutgoingDelivery] = []
        for row in windows {
            if let subscription = subscriptions[row.subscriptionID], let layer = catalog.layers[row.layer] {
                let events = WindowPayloads.invalidations(
                    window: row.window,
                    layer: layer,
                    subscription: subscription,
                    newEventID: { UUID().uuidString.lowercased() }
                )
                for event in events {
                    let payload = try event.encoded(
                        as: subscription.settings.format,
                        compression: subscription.settings.compression
                    )
                    deliveries.append(
                        OutgoingDelivery(
                            eventID: event.eventID,
                            subscriptionID: row.subscriptionID,
                            eventType: TileInvalidation.eventType,
                            payload: payload.bytes,
                            contentType: payload.contentType,
                            contentEncoding: payload.contentEncoding,
                            changeCount: event.changeCount,
                            windowStartMilliseconds: event.windowStartMilliseconds,
                            windowEndMilliseconds: event.windowEndMilliseconds
                        )
                    )
                }
            } else {
                logger.warning(
                    "dropping a window whose subscription or layer no longer exists (or is disabled)",
                    metadata: [
                        "subscription": "\(row.subscriptionID)", "layer": "\(row.layer)",
                        "changes": "\(row.window.changeCount)",
                    ]
                )
            }
            try await PendingStore.delete(
                subscriptionID: row.subscriptionID,
                layer: row.layer,
                on: connection,
                logger: logger
            )
        }
        try await DeliveryQueue.enqueue(deliveries, on: connection, logger: logger)
        return windows.count
    }
}
