import Foundation
import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle
import TesseraCapture
import TesseraDelivery
import TesseraGeometry

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
            var failures = 0
            while !Task.isCancelled {
                do {
                    let limit = configuration.batchSize
                    let logger = self.logger
                    let closed = try await connection.withTransaction { conn in
                        try await Self.flushDue(on: conn, limit: limit, logger: logger)
                    }
                    failures = 0
                    if closed >= limit { continue }
                } catch {
                    if Task.isCancelled { break }
                    failures += 1
                    logger.warning("flush failed; will retry", metadata: ["error": "\(String(reflecting: error))"])
                    try? await Task.sleep(for: .milliseconds(min(100 << min(failures, 6), 5000)))
                }
                try? await Task.sleep(for: configuration.interval)
            }
            connection.close()
        }
    }

    /// Closes up to `limit` windows due now, inside the caller's transaction; returns how many.
    /// Public for tests and benchmarks.
    public static func flushDue(on connection: PostgresConnection, limit: Int, logger: Logger) async throws -> Int {
        let rows = try await connection.query(
            """
            SELECT subscription_id::text, layer, tiles, change_count, west, south, east, north,
                   (extract(epoch FROM first_change_at) * 1000)::int8, (extract(epoch FROM last_change_at) * 1000)::int8
            FROM tessera.pending WHERE due_at <= now()
            ORDER BY due_at LIMIT \(limit)
            FOR UPDATE SKIP LOCKED
            """,
            logger: logger
        )
        var windows: [(subscription: String, layer: String, window: PendingWindow)] = []
        for try await (sub, layer, tiles, count, west, south, east, north, first, last) in rows.decode(
            (String, String, ByteBuffer, Int, Double?, Double?, Double?, Double?, Int64, Int64).self
        ) {
            var w = PendingWindow()
            try w.decodeTiles(Array(tiles.readableBytesView))
            w.changeCount = count
            if let west, let south, let east, let north {
                w.bbox = BoundingBox(west: west, south: south, east: east, north: north)
            }
            w.firstChangeMilliseconds = first
            w.lastChangeMilliseconds = last
            windows.append((sub, layer, w))
        }
        guard !windows.isEmpty else { return 0 }
        let catalog = try await Catalog.load(on: connection, logger: logger)
        let subscriptions = Dictionary(catalog.subscriptions.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for (subID, layerName, window) in windows {
            if let subscription = subscriptions[subID], let layer = catalog.layers[layerName] {
                let format = PayloadFormat(rawValue: subscription.format) ?? .json
                let compression = PayloadCompression(rawValue: subscription.compression) ?? .none
                let events = WindowPayloads.invalidations(
                    window: window,
                    layer: layer,
                    subscription: subscription,
                    newEventID: { UUID().uuidString.lowercased() }
                )
                for event in events {
                    let payload = try event.encoded(as: format, compression: compression)
                    try await connection.perform(
                        """
                        INSERT INTO tessera.deliveries (event_id, subscription_id, event_type, payload, content_type,
                                                        content_encoding, change_count, window_start, window_end)
                        VALUES (\(event.eventID)::uuid, \(subID)::uuid, 'tiles.invalidated', \(ByteBuffer(bytes: payload.bytes)),
                                \(payload.contentType), \(payload.contentEncoding), \(event.changeCount),
                                to_timestamp(\(event.windowStartMilliseconds)::float8 / 1000),
                                to_timestamp(\(event.windowEndMilliseconds)::float8 / 1000))
                        """,
                        logger: logger
                    )
                }
            } else {
                logger.warning(
                    "dropping a window whose subscription or layer no longer exists (or is disabled)",
                    metadata: ["subscription": "\(subID)", "layer": "\(layerName)", "changes": "\(window.changeCount)"]
                )
            }
            try await connection.perform(
                "DELETE FROM tessera.pending WHERE subscription_id = \(subID)::uuid AND layer = \(layerName)",
                logger: logger
            )
        }
        return windows.count
    }
}
