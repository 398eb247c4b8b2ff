import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle
import TesseraCapture
import TesseraCatalog
import TesseraDelivery
import TesseraInvalidation
import TesseraPostgres

/// Reads, on an interval, the gauges that need SQL (outbox backlogs, open windows, deliveries by
/// status, dead letters, partition loads) in one read-only transaction, and the process's own figures;
/// a scrape of `/metrics` reads only what the last sample left. A label set seen before and gone now
/// (a backlog drained, a status emptied) is set to zero rather than left at its last value.
public struct MetricsSampler: Service {
    let url: DatabaseURL
    let interval: Duration
    let logger: Logger

    public init(url: DatabaseURL, interval: Duration = .seconds(10), logger: Logger) {
        self.url = url
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var connection = DedicatedConnection(url: url, logger: logger)
            var gauges = GaugeSet()
            var cpu = CPUCounter()
            let clock = ContinuousClock()
            while !Task.isCancelled {
                let started = clock.now
                let process = ProcessStatistics.read()
                cpu.advance(to: process.cpuSeconds)
                do {
                    let logger = self.logger
                    let sample = try await connection.withTransaction { conn in
                        try await Sample.read(on: conn, logger: logger)
                    }
                    gauges.publish(sample.values + process.values)
                    Gauge(label: "tessera_metrics_sample_seconds").record((clock.now - started).inSeconds)
                } catch {
                    if Task.isCancelled { break }
                    Counter(label: "tessera_metrics_sample_failures_total").increment()
                    gauges.publish(process.values, keepingOthers: true)
                    logger.warning("metrics sample failed", metadata: ["error": "\(String(reflecting: error))"])
                }
                try? await Task.sleep(until: started + interval, clock: clock)
            }
            connection.close()
        }
    }
}

/// One gauge value: its name, its labels (in a fixed order) and the value.
struct GaugeValue: Sendable, Hashable {
    var name: String
    var labels: [Label]
    var value: Double

    struct Label: Sendable, Hashable {
        var name: String
        var value: String
    }

    init(_ name: String, _ value: Double) { self.init(name, [], value) }

    init(_ name: String, _ labels: [(String, String)], _ value: Double) {
        self.name = name
        self.labels = labels.map { Label(name: $0.0, value: $0.1) }
        self.value = value
    }

    var key: Key { Key(name: name, labels: labels) }

    struct Key: Hashable {
        var name: String
        var labels: [Label]
    }
}

/// The gauges published by the last sample, so that a label set that disappears is zeroed.
struct GaugeSet {
    private var published: Set<GaugeValue.Key> = []

    mutating func publish(_ values: [GaugeValue], keepingOthers: Bool = false) {
        var now: Set<GaugeValue.Key> = []
        for v in values {
            Gauge(label: v.name, dimensions: v.labels.map { ($0.name, $0.value) }).record(v.value)
            now.insert(v.key)
        }
        if keepingOthers {
            published.formUnion(now)
            return
        }
        for gone in published.subtracting(now) {
            Gauge(label: gone.name, dimensions: gone.labels.map { ($0.name, $0.value) }).record(0)
        }
        published = now
    }
}

/// `process_cpu_seconds_total` is a counter: advanced by what the CPU time grew since the last reading.
struct CPUCounter {
    private var last: Double?

    mutating func advance(to seconds: Double?) {
        guard let seconds else { return }
        let grown = seconds - (last ?? 0)
        if grown > 0 { FloatingPointCounter(label: "process_cpu_seconds_total").increment(by: grown) }
        last = max(last ?? 0, seconds)
    }
}

/// What one sample read from the database, as gauges.
struct Sample: Sendable {
    var values: [GaugeValue] = []

    static func read(on connection: PostgresConnection, logger: Logger) async throws -> Sample {
        var sample = Sample()
        for b in try await ChangeQueue.backlog(on: connection, logger: logger) {
            let table = [("table", b.table)]
            sample.values += [
                GaugeValue("tessera_outbox_rows", table, Double(b.rows)),
                GaugeValue("tessera_changes_pending", table, Double(b.changes)),
                GaugeValue("tessera_oldest_pending_change_age_seconds", table, b.oldestAgeSeconds ?? 0),
            ]
        }
        let windows = try await PendingStore.openWindows(on: connection, logger: logger)
        sample.values += [
            GaugeValue("tessera_windows_open", Double(windows.count)),
            GaugeValue("tessera_oldest_open_window_age_seconds", windows.oldestAgeSeconds ?? 0),
        ]
        var undelivered: [[String]: Double] = [:]
        for c in try await DeliveryQueue.statusCounts(on: connection, logger: logger) {
            let labels = [("subscription", c.subscriptionID), ("output", c.output)]
            sample.values.append(GaugeValue("tessera_deliveries", labels + [("status", c.status)], Double(c.count)))
            if c.status == "dead" {
                sample.values.append(GaugeValue("tessera_dead_letters", labels, Double(c.count)))
            }
            if c.status == "pending" || c.status == "delivering" {
                let key = [c.subscriptionID, c.output]
                undelivered[key] = max(undelivered[key] ?? 0, c.oldestAgeSeconds)
            }
        }
        for (key, age) in undelivered {
            sample.values.append(
                GaugeValue(
                    "tessera_delivery_oldest_undelivered_age_seconds",
                    [("subscription", key[0]), ("output", key[1])],
                    age
                )
            )
        }
        for map in try await PartitionMapStore.latestLoads(on: connection, logger: logger) {
            let subscription = [("subscription", map.subscription)]
            sample.values.append(GaugeValue("tessera_partition_map_epoch", subscription, Double(map.epoch)))
            sample.values.append(GaugeValue("tessera_partitions", subscription, Double(map.partitions)))
            guard !map.loads.isEmpty else { continue }
            for (i, load) in map.loads.enumerated() {
                sample.values.append(
                    GaugeValue("tessera_partition_load", subscription + [("partition", String(i))], load)
                )
            }
            let mean = map.loads.reduce(0, +) / Double(map.loads.count)
            sample.values.append(
                GaugeValue("tessera_partition_skew_ratio", subscription, mean > 0 ? map.loads.max()! / mean : 1)
            )
        }
        return sample
    }
}

extension ProcessStatistics {
    /// The `process_*` gauges of what could be read (the CPU counter is kept apart).
    var values: [GaugeValue] {
        [
            ("process_resident_memory_bytes", residentBytes),
            ("process_virtual_memory_bytes", virtualBytes),
            ("process_open_fds", openFileDescriptors),
            ("process_max_fds", maxFileDescriptors),
            ("process_start_time_seconds", startTimeSeconds),
            ("process_threads", threads),
        ].compactMap { name, value in value.map { GaugeValue(name, $0) } }
    }
}
