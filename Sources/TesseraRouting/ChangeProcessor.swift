import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle
import TesseraCapture
import TesseraGeometry
import TesseraGrids

/// Claims captured changes and folds their tiles into each subscriber's open window, in one
/// transaction per batch: the windows are written and the changes deleted together, so a
/// crash anywhere repeats at most the batch in flight and loses nothing.
///
/// Wakes on a notification, on the poll interval, and whenever a full batch suggests more.
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
        public var quarantined = 0
        public var skipped = 0
        public var windowsTouched = 0
    }

    let url: DatabaseURL
    let wakeup: Wakeup
    let configuration: Configuration
    let logger: Logger

    public init(url: DatabaseURL, wakeup: Wakeup, configuration: Configuration = .init(), logger: Logger) {
        self.url = url
        self.wakeup = wakeup
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        let wakeup = self.wakeup
        let interval = configuration.pollInterval
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                // The safety net: NOTIFY is only a hint.
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    wakeup.signal()
                }
            }
            try await cancelWhenGracefulShutdown {
                try await self.processOnWakeups()
            }
            group.cancelAll()
        }
    }

    func processOnWakeups() async throws {
        var connection = DedicatedConnection(url: url, logger: logger)
        var failures = 0
        for await _ in wakeup.wakeups {
            if Task.isCancelled { break }
            do {
                while !Task.isCancelled {
                    let limit = configuration.batchSize
                    let logger = self.logger
                    let report = try await connection.withTransaction { conn in
                        // A GEOS context per batch: cheap next to the batch, never shared across tasks.
                        try await Self.processBatch(on: conn, effects: ChangeEffects(), limit: limit, logger: logger)
                    }
                    failures = 0
                    if report.claimed < limit { break }
                }
            } catch {
                if Task.isCancelled { break }
                failures += 1
                let delay = Duration.milliseconds(min(100 << min(failures, 6), 5000))
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
            let outcome = effects.outcome(of: change, layers: catalog.layers)
            if outcome.skipped { report.skipped += 1 }
            if let q = outcome.quarantine {
                quarantined.append(.init(change: change, reason: q.reason, location: q.location))
            }
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
        var keys: [(subscription: TileSubscription, layer: String)] = []
        for (layer, _) in layerWindows {
            for s in catalog.subscribers[layer] ?? [] { keys.append((s, layer)) }
        }
        keys.sort { ($0.subscription.id, $0.layer) < ($1.subscription.id, $1.layer) }
        for key in keys {
            let lockKey = key.subscription.id + "/" + key.layer
            try await connection.perform(
                "SELECT pg_advisory_xact_lock(hashtextextended(\(lockKey), 7423501))",
                logger: logger
            )
            var window = layerWindows[key.layer]!
            if let filter = key.subscription.filter, let layer = catalog.layers[key.layer] {
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
            let existing = try await connection.query(
                """
                SELECT tiles, change_count, west, south, east, north,
                       (extract(epoch FROM first_change_at) * 1000)::int8, (extract(epoch FROM last_change_at) * 1000)::int8
                FROM tessera.pending WHERE subscription_id = \(key.subscription.id)::uuid AND layer = \(key.layer) FOR UPDATE
                """,
                logger: logger
            )
            for try await (tiles, count, west, south, east, north, first, last) in existing.decode(
                (ByteBuffer, Int, Double?, Double?, Double?, Double?, Int64, Int64).self
            ) {
                var stored = PendingWindow()
                try stored.decodeTiles(Array(tiles.readableBytesView))
                stored.changeCount = count
                if let west, let south, let east, let north {
                    stored.bbox = BoundingBox(west: west, south: south, east: east, north: north)
                }
                stored.firstChangeMilliseconds = first
                stored.lastChangeMilliseconds = last
                window.merge(stored)
            }
            let bytes = ByteBuffer(bytes: try window.encodedTiles())
            try await connection.perform(
                """
                INSERT INTO tessera.pending AS p (subscription_id, layer, tiles, change_count, west, south, east, north,
                                                  first_change_at, last_change_at, due_at)
                SELECT s.id, \(key.layer), \(bytes), \(window.changeCount),
                       \(window.bbox?.west), \(window.bbox?.south), \(window.bbox?.east), \(window.bbox?.north),
                       to_timestamp(\(window.firstChangeMilliseconds)::float8 / 1000), to_timestamp(\(window.lastChangeMilliseconds)::float8 / 1000),
                       least(to_timestamp(\(window.lastChangeMilliseconds)::float8 / 1000) + s.debounce_ms * interval '1 millisecond',
                             to_timestamp(\(window.firstChangeMilliseconds)::float8 / 1000) + s.max_delay_ms * interval '1 millisecond')
                FROM tessera.subscriptions s WHERE s.id = \(key.subscription.id)::uuid
                ON CONFLICT (subscription_id, layer) DO UPDATE
                    SET tiles = EXCLUDED.tiles, change_count = EXCLUDED.change_count,
                        west = EXCLUDED.west, south = EXCLUDED.south, east = EXCLUDED.east, north = EXCLUDED.north,
                        first_change_at = EXCLUDED.first_change_at, last_change_at = EXCLUDED.last_change_at,
                        due_at = EXCLUDED.due_at
                """,
                logger: logger
            )
        }
        report.windowsTouched = keys.count
        try await ChangeQueue.delete(changes, on: connection, logger: logger)
        return report
    }
}
