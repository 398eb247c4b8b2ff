import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle
import TesseraCapture
import TesseraCatalog
import TesseraGeometry
import TesseraGrids
import TesseraPostgres

/// Claims captured changes and folds their tiles into each subscriber's open window, in one
/// transaction per batch: the windows are written and the changes deleted together, so a
/// crash anywhere repeats at most the batch in flight and loses nothing.
///
/// Wakes on a notification, on the poll interval, and whenever a full batch suggests more. After each
/// batch commits it sets the flusher's alarm to the soonest due time of the windows it wrote.
public struct ChangeProcessor: Service {
    public struct Configuration: Sendable {
        /// Changes claimed per transaction.
        public var batchSize = 2000
        /// How often to look for changes without a notification.
        public var pollInterval = Duration.seconds(2)

        public init(batchSize: Int = 2000, pollInterval: Duration = .seconds(2)) {
            self.batchSize = batchSize
            self.pollInterval = pollInterval
        }
    }

    /// What one batch did.
    public struct BatchReport: Sendable {
        public var claimed = 0
        /// Claimed changes by watched table.
        public var claimedByTable: [String: Int] = [:]
        public var quarantined = 0
        public var skipped = 0
        public var windowsTouched = 0
        /// Quarantined changes by ``ChangeEffects/Outcome/quarantineClass``.
        public var quarantinedByClass: [String: Int] = [:]
        /// Geometries that failed validation (a change may have two).
        public var invalidGeometries = 0
        /// When the soonest window this batch wrote falls due (the flusher's alarm, once committed).
        public var soonestDue: ContinuousClock.Instant?
    }

    let url: DatabaseURL
    let wakeup: Wakeup
    /// The flusher's: set to each window's due time once the batch that wrote it has committed.
    let flushAlarm: Alarm?
    let configuration: Configuration
    let logger: Logger

    public init(
        url: DatabaseURL,
        wakeup: Wakeup,
        flushAlarm: Alarm? = nil,
        configuration: Configuration = .init(),
        logger: Logger
    ) {
        self.url = url
        self.wakeup = wakeup
        self.flushAlarm = flushAlarm
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.processOnWakeups()
        }
    }

    /// Runs a batch at every wake-up, and at least every poll interval (the safety net: NOTIFY is
    /// only a hint); keeps going while batches come back full.
    func processOnWakeups() async {
        var connection = DedicatedConnection(url: url, logger: logger)
        var backoff = Backoff()
        while !Task.isCancelled {
            await wakeup.wait(timeout: configuration.pollInterval)
            if Task.isCancelled { break }
            do {
                while !Task.isCancelled {
                    let limit = configuration.batchSize
                    let logger = self.logger
                    let report = try await connection.withTransaction { conn in
                        // A GEOS context per batch: cheap next to the batch, never shared across tasks.
                        try await Self.processBatch(on: conn, effects: ChangeEffects(), limit: limit, logger: logger)
                    }
                    backoff.succeeded()
                    InvalidationMetrics.record(report)
                    if let due = report.soonestDue { flushAlarm?.wake(at: due) }
                    if report.claimed < limit { break }
                }
            } catch {
                if Task.isCancelled { break }
                let delay = backoff.failed()
                logger.warning(
                    "batch failed; will retry",
                    metadata: ["error": "\(String(reflecting: error))", "retry_in": "\(delay)"]
                )
                try? await Task.sleep(for: delay)
                wakeup.signal()
            }
        }
        connection.close()
    }

    /// Processes one batch of at most `limit` changes inside the caller's transaction:
    /// claims, covers, quarantines, merges into windows, deletes. Public for tests and benchmarks.
    public static func processBatch(
        on connection: PostgresConnection,
        effects: ChangeEffects,
        limit: Int,
        logger: Logger
    ) async throws -> BatchReport {
        var report = BatchReport()
        let changes = try await ChangeQueue.claim(limit: limit, on: connection, logger: logger)
        report.claimed = changes.count
        guard !changes.isEmpty else { return report }
        let catalog = try await Catalog.load(on: connection, logger: logger)

        // One window per layer for this batch, then copied to each subscriber of the layer.
        var layerWindows: [String: PendingWindow] = [:]
        var quarantined: [ChangeQueue.Quarantined] = []
        for change in changes {
            report.claimedByTable[change.table, default: 0] += 1
            let outcome = effects.outcome(of: change, layers: catalog.layers)
            if outcome.skipped { report.skipped += 1 }
            if let q = outcome.quarantine {
                quarantined.append(.init(change: change, reason: q.reason, location: q.location))
                report.quarantinedByClass[outcome.quarantineClass ?? "other", default: 0] += 1
            }
            report.invalidGeometries += outcome.invalidGeometries
            for e in outcome.effects {
                layerWindows[e.layer, default: PendingWindow()].absorb(
                    tiles: e.tiles,
                    bbox: e.bbox,
                    fullExtent: e.fullExtent,
                    at: e.atMilliseconds
                )
            }
        }
        try await ChangeQueue.quarantine(quarantined, on: connection, logger: logger)
        report.quarantined = quarantined.count

        // Every (subscription, layer) window this batch touches, locked in a fixed order so
        // concurrent processors serialise on the same window and never deadlock.
        var keys: [(subscription: Subscription, layer: String)] = []
        for (layer, _) in layerWindows {
            for s in catalog.subscribers[layer] ?? [] { keys.append((s, layer)) }
        }
        keys.sort { ($0.subscription.key, $0.layer) < ($1.subscription.key, $1.layer) }
        for key in keys {
            let lockKey = key.subscription.key + "/" + key.layer
            try await connection.perform(
                "SELECT pg_advisory_xact_lock(hashtextextended(\(lockKey), 7423501))",
                logger: logger
            )
            var window = layerWindows[key.layer]!
            if let filter = key.subscription.settings.filter, let layer = catalog.layers[key.layer] {
                // Only the stale tiles that touch the subscriber's area. A TRUNCATE stays the
                // whole extent (the receiver purges more than its area, never less).
                let area = try TileCover(layer.tileMatrixSet).cover([filter], zooms: layer.zooms)
                var kept: [Int: TileSet] = [:]
                for set in area {
                    if let stale = window.zooms[set.zoom] {
                        let both = stale.intersection(set)
                        if !both.isEmpty { kept[set.zoom] = both }
                    }
                }
                window.zooms = kept
                if kept.isEmpty && !window.fullExtent { continue }
            }
            if let stored = try await PendingStore.lock(
                subscriptionID: key.subscription.key,
                layer: key.layer,
                on: connection,
                logger: logger
            ) {
                window.merge(stored)
            }
            if let delay = try await PendingStore.save(
                window,
                subscriptionID: key.subscription.key,
                layer: key.layer,
                on: connection,
                logger: logger
            ) {
                let due = ContinuousClock.now + delay
                report.soonestDue = min(report.soonestDue ?? due, due)
            }
        }
        report.windowsTouched = keys.count
        try await ChangeQueue.delete(changes, on: connection, logger: logger)
        return report
    }
}
