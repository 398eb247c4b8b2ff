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
///
/// It sleeps until the next window is due: the processor sets the ``Alarm`` for each window it writes
/// (after its transaction commits), and after every pass the flusher reads the soonest due time of the
/// windows stored (those of other instances, or of before a restart). `interval` is only the safety net.
/// Once it has written delivery rows it wakes the dispatcher in process (`deliveriesWritten`); the
/// rows' NOTIFY wakes the dispatchers of other instances.
public struct WindowFlusher: Service {
    public struct Configuration: Sendable {
        /// The longest the flusher sleeps without being asked to run: the safety net.
        public var interval = Duration.seconds(1)
        /// Windows closed per transaction.
        public var batchSize = 200

        public init(interval: Duration = .seconds(1), batchSize: Int = 200) {
            self.interval = interval
            self.batchSize = batchSize
        }
    }

    let url: DatabaseURL
    let alarm: Alarm
    let deliveriesWritten: Wakeup?
    let configuration: Configuration
    let logger: Logger

    public init(
        url: DatabaseURL,
        alarm: Alarm = Alarm(),
        deliveriesWritten: Wakeup? = nil,
        configuration: Configuration = .init(),
        logger: Logger
    ) {
        self.url = url
        self.alarm = alarm
        self.deliveriesWritten = deliveriesWritten
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var connection = DedicatedConnection(url: url, logger: logger)
            var backoff = Backoff()
            let clock = ContinuousClock()
            while !Task.isCancelled {
                var wake = clock.now + configuration.interval
                do {
                    let limit = configuration.batchSize
                    let logger = self.logger
                    // The soonest due time is read in the same transaction, after the windows it closed.
                    let (report, next) = try await connection.withTransaction { conn in
                        let report = try await Self.flush(on: conn, limit: limit, logger: logger)
                        let next =
                            report.windows >= limit
                            ? nil : try await PendingStore.timeUntilNextDue(on: conn, logger: logger)
                        return (report, next)
                    }
                    let closed = report.windows
                    backoff.succeeded()
                    InvalidationMetrics.record(report)
                    if closed > 0 { deliveriesWritten?.signal() }
                    if closed >= limit { continue }
                    if let next {
                        // Due already yet nothing was closed: another flusher (or a processor) holds it;
                        // look again shortly rather than spin.
                        let delay = next > .zero ? next : (closed == 0 ? Self.busyRetry : .zero)
                        wake = min(wake, clock.now + delay)
                    }
                } catch {
                    if Task.isCancelled { break }
                    logger.warning("flush failed; will retry", metadata: ["error": "\(String(reflecting: error))"])
                    wake = clock.now + backoff.failed()
                }
                await alarm.wait(until: wake)
            }
            connection.close()
        }
    }

    static let busyRetry = Duration.milliseconds(10)

    /// What one flush did.
    public struct FlushReport: Sendable {
        /// Windows closed (a window whose subscription or layer is gone counts, and is dropped).
        public var windows = 0
        /// Per window closed and delivered: seconds from its first change to the flush.
        public var ages: [Double] = []
        /// Per payload: the tiles it lists.
        public var tilesPerPayload: [Int] = []
        /// Zooms rolled up to coarser tiles, over all payloads.
        public var rollups = 0
    }

    /// Closes up to `limit` windows due now, inside the caller's transaction; returns how many.
    /// Public for tests and benchmarks.
    public static func flushDue(on connection: PostgresConnection, limit: Int, logger: Logger) async throws -> Int {
        try await flush(on: connection, limit: limit, logger: logger).windows
    }

    /// Closes up to `limit` windows due now, inside the caller's transaction, and says what it wrote.
    static func flush(on connection: PostgresConnection, limit: Int, logger: Logger) async throws -> FlushReport {
        var report = FlushReport()
        let windows = try await PendingStore.claimDue(limit: limit, on: connection, logger: logger)
        guard !windows.isEmpty else { return report }
        let nowMilliseconds = Int64(Date().timeIntervalSince1970 * 1000)
        let catalog = try await Catalog.load(on: connection, logger: logger)
        let subscriptions = Dictionary(catalog.subscriptions.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        var deliveries: [OutgoingDelivery] = []
        for row in windows {
            if let subscription = subscriptions[row.subscriptionID], let layer = catalog.layers[row.layer] {
                let events = Self.invalidations(of: row, layer: layer, subscription: subscription)
                deliveries += try Self.deliveries(of: events, row: row, layer: layer, subscription: subscription)
                report.ages.append(Double(nowMilliseconds - row.window.firstChangeMilliseconds) / 1000)
                for event in events {
                    report.tilesPerPayload.append(event.tileCount)
                    report.rollups += event.zooms.count { $0.rolledUpFrom != nil }
                    logger.debug(
                        "window flushed",
                        metadata: [
                            "event_id": "\(event.eventID)", "subscription": "\(row.subscriptionID)",
                            "layer": "\(row.layer)", "tiles": "\(event.tileCount)", "changes": "\(event.changeCount)",
                            "part": "\(event.part)/\(event.parts)",
                        ]
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
        report.windows = windows.count
        return report
    }

    static func invalidations(of row: PendingStore.Row, layer: Layer, subscription: Subscription) -> [TileInvalidation]
    {
        WindowPayloads.invalidations(
            window: row.window,
            layer: layer,
            subscription: subscription,
            newEventID: { UUID().uuidString.lowercased() }
        )
    }

    /// The delivery rows of one closed window's payloads, encoded as the subscription asks.
    static func deliveries(
        of events: [TileInvalidation],
        row: PendingStore.Row,
        layer: Layer,
        subscription: Subscription
    ) throws -> [OutgoingDelivery] {
        try events.map { event in
            let payload =
                subscription.settings.output == .webhook
                ? try event.encoded(as: subscription.settings.format, compression: subscription.settings.compression)
                : PurgeRequests.payload(of: event, layer: layer, subscription: subscription)
            return OutgoingDelivery(
                eventID: event.eventID,
                subscriptionID: row.subscriptionID,
                eventType: TileInvalidation.eventType,
                payload: payload.bytes,
                contentType: payload.contentType,
                contentEncoding: payload.contentEncoding,
                output: subscription.settings.output.rawValue,
                changeCount: event.changeCount,
                windowStartMilliseconds: event.windowStartMilliseconds,
                windowEndMilliseconds: event.windowEndMilliseconds,
                processedAtMilliseconds: row.openedAtMilliseconds,
                dueAtMilliseconds: row.dueAtMilliseconds
            )
        }
    }
}
