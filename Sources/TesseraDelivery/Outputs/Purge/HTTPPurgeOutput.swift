import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PostgresNIO
import Synchronization
import TesseraPostgres

/// The `http-purge` output: sends each request of a delivery's ``PurgeList`` (one per stale tile, or a
/// ban) to the subscription's origin, at most `max_in_flight` at a time and `rate_per_minute` at most.
///
/// A request is done when it is answered 2xx, or 404 (a cache that never held the tile). An attempt
/// succeeds when every request is done; otherwise it fails (and is retried on the subscription's
/// schedule, then dead-lettered) with only the requests not yet done left for the next attempt. The
/// done requests are marked in `tessera.deliveries.progress`: every second while the attempt runs
/// (which also renews its lease) and with its outcome, so a restart or another instance goes on where
/// this one stopped. A `kill -9` can repeat at most the requests answered in the last second; a graceful
/// stop repeats none.
///
/// An attempt stops early after ``Configuration/consecutiveFailureLimit`` failures in a row with no
/// success between them (the cache is down: no point in trying the rest now).
public struct HTTPPurgeOutput: DeliveryOutput {
    public static let name = "http-purge"

    public struct Configuration: Sendable {
        public var checkpointInterval: Duration
        public var consecutiveFailureLimit: Int

        public init(checkpointInterval: Duration = .seconds(1), consecutiveFailureLimit: Int = 32) {
            self.checkpointInterval = checkpointInterval
            self.consecutiveFailureLimit = consecutiveFailureLimit
        }
    }

    public var name: String { Self.name }
    let sender: WebhookSender
    let url: DatabaseURL
    let configuration: Configuration
    let logger: Logger

    public init(sender: WebhookSender, url: DatabaseURL, configuration: Configuration = .init(), logger: Logger) {
        self.sender = sender
        self.url = url
        self.configuration = configuration
        self.logger = logger
    }

    public func send(
        _ delivery: ClaimedDelivery,
        attempt: Int,
        to target: DeliveryTarget,
        completion: @escaping @Sendable (WebhookOutcome) -> Void
    ) {
        // One task per purge delivery (each is many requests): the cost is in its requests, not here.
        Task { completion(await run(delivery, to: target)) }
    }

    /// One attempt: the requests not yet done, then the outcome with the progress to store.
    func run(_ delivery: ClaimedDelivery, to target: DeliveryTarget) async -> WebhookOutcome {
        let started = ContinuousClock.now
        let origin: WebhookURL
        switch target.url {
        case .failure(let error): return WebhookOutcome(duration: .zero, failure: .refused(error))
        case .success(let checked): origin = checked
        }
        let list: PurgeList
        do {
            list = try PurgeList(parsing: delivery.payload)
        } catch {
            return WebhookOutcome(duration: .zero, failure: .transport("unreadable payload: \(error)"))
        }
        // Every event names at least one tile: an empty list was written for a template that could not be
        // read, and must fail visibly (to the dead-letter queue) rather than count as purged.
        guard !list.requests.isEmpty else {
            return WebhookOutcome(
                duration: .zero,
                failure: .transport("the purge list is empty (an unreadable URL template?)")
            )
        }
        let progress = ProgressBox(PurgeProgress(count: list.requests.count, stored: delivery.progress))
        let pending = (0..<list.requests.count).filter { !progress.isDone($0) }
        let alreadyDone = list.requests.count - pending.count
        let concurrency = max(1, target.requestConcurrency)
        let spacing: Duration? = target.requestRatePerMinute.map { .nanoseconds(60_000_000_000 / Int64($0)) }
        let lease = target.timeout + .seconds(30)
        var report = Report()

        let checkpoints = Task {
            var connection = DedicatedConnection(url: url, deadline: .seconds(10), logger: logger)
            var written = progress.snapshot().bits
            while !Task.isCancelled {
                try? await Task.sleep(for: configuration.checkpointInterval)
                let now = progress.snapshot().bits
                let changed = now != written
                do {
                    try await Self.checkpoint(delivery, progress: changed ? now : nil, lease: lease, on: &connection)
                    written = now
                } catch {
                    logger.debug("purge checkpoint failed", metadata: ["error": "\(String(reflecting: error))"])
                }
            }
            connection.close()
        }

        await withTaskGroup(of: (Int, WebhookOutcome).self) { group in
            var next = pending.makeIterator()
            var running = 0
            var nextStart = ContinuousClock.now
            func start(_ i: Int) {
                let r = list.requests[i]
                var headers = HTTPHeaders()
                for (name, value) in target.headers { headers.add(name: name, value: value) }
                if let ban = r.banExpression { headers.add(name: target.banHeader, value: ban) }
                let request = WebhookRequest(
                    url: origin.replacingTarget(r.target),
                    method: HTTPMethod(rawValue: r.method),
                    headers: headers,
                    body: ByteBuffer(),
                    timeout: target.timeout
                )
                let sender = self.sender
                group.addTask { (i, await sender.send(request)) }
                running += 1
            }
            while running < concurrency, let i = next.next() {
                if let spacing {
                    try? await Task.sleep(until: nextStart, clock: .continuous)
                    nextStart = max(nextStart, .now) + spacing
                }
                start(i)
            }
            while let (i, outcome) = await group.next() {
                running -= 1
                if outcome.isSuccess || outcome.statusCode == 404 {
                    progress.markDone(i)
                    report.consecutiveFailures = 0
                } else {
                    report.failed(i, outcome, target: list.requests[i].target)
                }
                if report.consecutiveFailures >= configuration.consecutiveFailureLimit { continue }
                if let j = next.next() {
                    if let spacing {
                        try? await Task.sleep(until: nextStart, clock: .continuous)
                        nextStart = max(nextStart, .now) + spacing
                    }
                    start(j)
                }
            }
        }
        checkpoints.cancel()
        await checkpoints.value

        let final = progress.snapshot()
        let duration = ContinuousClock.now - started
        let done = final.doneCount
        let total = list.requests.count
        var outcome: WebhookOutcome
        if final.isComplete {
            outcome = WebhookOutcome(
                statusCode: 200,
                duration: duration,
                responseBody: "\(total - alreadyDone) of \(total) purge requests sent now, \(alreadyDone) done before"
            )
        } else {
            let summary =
                "\(total - done) of \(total) purge requests not done (\(report.failures) failed"
                + (report.consecutiveFailures >= configuration.consecutiveFailureLimit
                    ? ", the rest not tried after \(report.consecutiveFailures) failures in a row" : "")
                + "); first: \(report.first ?? "none")"
            outcome = WebhookOutcome(
                statusCode: report.representativeStatus,
                duration: duration,
                responseBody: summary,
                retryAfter: report.retryAfter,
                failure: report.representativeStatus == nil ? (report.firstFailure ?? .transport(summary)) : nil
            )
        }
        outcome.progress = final.bits
        return outcome
    }

    /// Stores the progress of a running attempt (when it changed) and renews its lease; matches the
    /// claim exactly, so a delivery taken over by another instance is left alone.
    static func checkpoint(
        _ delivery: ClaimedDelivery,
        progress: [UInt8]?,
        lease: Duration,
        on connection: inout DedicatedConnection
    ) async throws {
        let id = delivery.id
        let attempt = delivery.attempt
        let claimedAt = delivery.claimedAt
        let leaseMilliseconds = lease.wholeMilliseconds
        let bytes = progress.map { ByteBuffer(bytes: $0) }
        _ = try await connection.withTransaction { c in
            try await c.perform(
                """
                UPDATE tessera.deliveries
                SET progress = coalesce(\(bytes), progress),
                    lease_until = now() + \(leaseMilliseconds) * interval '1 millisecond'
                WHERE id = \(id) AND attempts = \(attempt) AND status = 'delivering'
                  AND abs(extract(epoch FROM claimed_at) - \(claimedAt)) < 0.001
                """,
                logger: Logger(label: "tessera.purge")
            )
        }
    }

    /// The failures of one attempt.
    struct Report {
        var failures = 0
        var consecutiveFailures = 0
        var statusCounts: [Int: Int] = [:]
        var first: String?
        var firstFailure: WebhookOutcome.Failure?
        var retryAfter: String?

        mutating func failed(_ i: Int, _ outcome: WebhookOutcome, target: String) {
            failures += 1
            consecutiveFailures += 1
            if let code = outcome.statusCode { statusCounts[code, default: 0] += 1 }
            if outcome.statusCode == 429, let after = outcome.retryAfter { retryAfter = after }
            if first == nil {
                first = "\(outcome.errorDescription ?? "failed") for \(target)"
                firstFailure = outcome.failure
            }
        }

        /// 429 when any request was throttled (the retry honours Retry-After); else the most common
        /// status of the failures; nil when none was answered (a transport failure).
        var representativeStatus: Int? {
            if statusCounts[429] != nil { return 429 }
            return statusCounts.max { ($0.value, -$0.key) < ($1.value, -$1.key) }?.key
        }
    }
}

/// The progress of a running attempt, shared between its requests' completions and its checkpoints.
final class ProgressBox: Sendable {
    private let state: Mutex<PurgeProgress>

    init(_ progress: PurgeProgress) { state = Mutex(progress) }

    func isDone(_ i: Int) -> Bool { state.withLock { $0.isDone(i) } }
    func markDone(_ i: Int) { state.withLock { $0.markDone(i) } }
    func snapshot() -> PurgeProgress { state.withLock { $0 } }
}
