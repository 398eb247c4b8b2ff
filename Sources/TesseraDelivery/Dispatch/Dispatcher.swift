import Foundation
import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle
import Synchronization
import TesseraCapture

/// Sends the rows of `tessera.deliveries` as signed webhooks: a `Service` run by `tessera serve`.
///
/// One loop claims due deliveries in short transactions (`FOR UPDATE SKIP LOCKED`, status `delivering`
/// with a lease), as many per subscription as the ``DispatchScheduler`` allows; each claimed delivery is
/// signed and handed to the shared ``WebhookSender``, whose callback accounts the outcome (no task per
/// request); a second loop writes the outcomes in batches (attempt log, next attempt or final state),
/// and the writer ends only once every claimed delivery is written. No transaction is open during HTTP. Leases that
/// ran out (a dispatcher that died mid-send) are returned to the queue, so several dispatchers may share
/// a database. On graceful shutdown claiming stops and the requests in flight finish and are recorded.
public struct Dispatcher: Service {
    public struct Configuration: Sendable {
        /// Most deliveries claimed per transaction.
        public var batchSize: Int
        /// Most requests in flight in all.
        public var concurrency: Int
        /// How often to look for due deliveries when there is nothing to do.
        public var pollInterval: Duration
        /// How often subscription settings and secrets are re-read.
        public var subscriptionRefresh: Duration
        /// How often expired leases are returned to the queue.
        public var reclaimInterval: Duration
        /// A lease lasts the subscription's timeout plus this margin.
        public var leaseMargin: Duration
        public var scheduler: DispatchScheduler.Configuration
        public var retryAfterBounds: ClosedRange<Duration>
        /// Full jitter on retry delays; tests turn it off to get the schedule exactly.
        public var jitter: Bool

        public init(
            batchSize: Int = 500,
            concurrency: Int = 512,
            pollInterval: Duration = .milliseconds(100),
            subscriptionRefresh: Duration = .seconds(1),
            reclaimInterval: Duration = .seconds(5),
            leaseMargin: Duration = .seconds(30),
            scheduler: DispatchScheduler.Configuration = .init(),
            retryAfterBounds: ClosedRange<Duration> = .zero ... .seconds(3600),
            jitter: Bool = true
        ) {
            self.batchSize = batchSize
            self.concurrency = concurrency
            self.pollInterval = pollInterval
            self.subscriptionRefresh = subscriptionRefresh
            self.reclaimInterval = reclaimInterval
            self.leaseMargin = leaseMargin
            self.scheduler = scheduler
            self.retryAfterBounds = retryAfterBounds
            self.jitter = jitter
        }
    }

    let url: DatabaseURL
    let sender: WebhookSender
    let configuration: Configuration
    let logger: Logger

    public init(url: DatabaseURL, sender: WebhookSender, configuration: Configuration = .init(), logger: Logger) {
        self.url = url
        self.sender = sender
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        let core = DispatchCore(scheduler: DispatchScheduler(configuration: configuration.scheduler))
        await withDiscardingTaskGroup { group in
            group.addTask { await self.writeOutcomes(core) }
            await claimLoop(core)
            core.closeIntake()
        }
    }

    // MARK: - Claiming

    private func claimLoop(_ core: DispatchCore) async {
        var connection = DedicatedConnection(url: url, logger: logger)
        let clock = ContinuousClock()
        var lastRefresh: ContinuousClock.Instant?
        var lastReclaim: ContinuousClock.Instant?
        var failures = 0
        let minimumClaim = max(1, min(configuration.batchSize, configuration.concurrency) / 4)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let now = clock.now
                if lastRefresh.map({ now - $0 >= configuration.subscriptionRefresh }) ?? true {
                    let policy = sender.configuration.policy
                    let bounds = configuration.retryAfterBounds
                    let jitter = configuration.jitter
                    let logger = self.logger
                    let settings = try await connection.withTransaction { conn in
                        try await DeliveryStore.loadSubscriptions(
                            on: conn,
                            policy: policy,
                            retryAfterBounds: bounds,
                            jitter: jitter,
                            logger: logger
                        )
                    }
                    core.update(settings)
                    lastRefresh = now
                }
                if lastReclaim.map({ now - $0 >= configuration.reclaimInterval }) ?? true {
                    let logger = self.logger
                    let reclaimed = try await connection.withTransaction { conn in
                        try await DeliveryStore.reclaimExpiredLeases(on: conn, logger: logger)
                    }
                    if reclaimed > 0 {
                        logger.warning("reclaimed deliveries whose lease expired", metadata: ["count": "\(reclaimed)"])
                    }
                    lastReclaim = now
                }
                let outstanding = core.outstanding
                let capacity = min(configuration.concurrency - outstanding, configuration.batchSize)
                if outstanding > 0 && capacity < minimumClaim {
                    await core.doorbell.wait(timeout: configuration.pollInterval)
                    continue
                }
                let quotas = core.quotas(capacity: capacity, now: clock.now)
                if quotas.isEmpty {
                    await core.doorbell.wait(timeout: configuration.pollInterval)
                    continue
                }
                let longestTimeout =
                    quotas.compactMap { core.settings($0.subscription.id)?.timeout }.max() ?? .seconds(60)
                let lease = longestTimeout + configuration.leaseMargin
                let logger = self.logger
                let claimed = try await connection.withTransaction { conn in
                    try await DeliveryStore.claim(quotas: quotas, lease: lease, on: conn, logger: logger)
                }
                failures = 0
                let work = core.claimed(claimed, quotas: quotas, now: clock.now)
                for (delivery, settings) in work {
                    send(delivery, settings: settings, core: core)
                }
                if claimed.isEmpty {
                    await core.doorbell.wait(timeout: configuration.pollInterval)
                }
            } catch {
                if Task.isCancelled { break }
                failures += 1
                logger.warning(
                    "claiming deliveries failed; will retry",
                    metadata: ["error": "\(String(reflecting: error))"]
                )
                try? await Task.sleep(for: .milliseconds(min(100 << min(failures, 6), 5000)))
            }
        }
        connection.close()
    }

    // MARK: - Sending

    /// Signs and hands one delivery to the sender; the outcome is accounted when the answer arrives
    /// (on an event loop thread, without a task per request: this is the hot path).
    private func send(_ delivery: ClaimedDelivery, settings: SubscriptionSettings, core: DispatchCore) {
        let started = Date()
        let attempt = delivery.attempts + 1
        switch settings.url {
        case .failure(let error):
            finish(
                delivery,
                settings: settings,
                core: core,
                started: started,
                outcome: WebhookOutcome(duration: .zero, failure: .refused(error))
            )
        case .success(let target):
            if settings.signer.secretCount == 0 {
                finish(
                    delivery,
                    settings: settings,
                    core: core,
                    started: started,
                    outcome: WebhookOutcome(
                        duration: .zero,
                        failure: .transport("the subscription has no signing secret")
                    )
                )
                return
            }
            let headers = WebhookHeaders.make(
                eventID: delivery.eventID,
                timestamp: Int64(started.timeIntervalSince1970),
                body: delivery.payload,
                contentType: delivery.contentType,
                contentEncoding: delivery.contentEncoding,
                attempt: attempt,
                userAgent: sender.configuration.userAgent,
                custom: settings.headers,
                signer: settings.signer
            )
            let request = WebhookRequest(
                url: target,
                method: settings.method,
                headers: headers,
                body: delivery.payload,
                timeout: settings.timeout
            )
            sender.send(request) { outcome in
                self.finish(delivery, settings: settings, core: core, started: started, outcome: outcome)
            }
        }
    }

    private func finish(
        _ delivery: ClaimedDelivery,
        settings: SubscriptionSettings,
        core: DispatchCore,
        started: Date,
        outcome: WebhookOutcome
    ) {
        let attempt = delivery.attempts + 1
        let now = Date()
        let decision = settings.retry.decide(
            attempt: attempt,
            outcome: outcome,
            now: now,
            // Only a retry's delay is jittered; a success needs no random draw.
            random: outcome.isSuccess ? 0 : Double.random(in: 0..<1)
        )
        if case .disableSubscription(let reason) = decision {
            logger.warning(
                "disabling subscription",
                metadata: ["subscription": "\(delivery.subscriptionID)", "reason": "\(reason)"]
            )
        }
        let record = AttemptRecord(
            deliveryID: delivery.id,
            subscriptionID: delivery.subscriptionID,
            attempt: attempt,
            startedAt: started,
            outcome: outcome,
            decision: decision
        )
        core.completed(
            record,
            limits: settings.limits,
            signal: RetryPolicy.signal(for: outcome, now: now),
            now: ContinuousClock.now
        )
    }

    // MARK: - Recording

    private func writeOutcomes(_ core: DispatchCore) async {
        var connection = DedicatedConnection(url: url, logger: logger)
        var failures = 0
        while !Task.isCancelled {
            let batch = core.takeRecords()
            if batch.isEmpty {
                if core.isDrained { break }
                await core.recordsBell.wait(timeout: .milliseconds(50))
                continue
            }
            do {
                let logger = self.logger
                try await connection.withTransaction { conn in
                    try await DeliveryStore.record(batch, on: conn, logger: logger)
                }
                failures = 0
                core.persisted(batch)
            } catch {
                failures += 1
                logger.warning(
                    "recording attempts failed; will retry",
                    metadata: ["error": "\(String(reflecting: error))"]
                )
                core.putBack(batch)
                if Task.isCancelled { break }
                try? await Task.sleep(for: .milliseconds(min(100 << min(failures, 6), 5000)))
            }
        }
        connection.close()
    }
}

/// The dispatcher's shared state: the scheduler, the subscription settings, the outcomes waiting to be
/// written. Hot (touched by every request), so a class over a `Mutex`.
final class DispatchCore: Sendable {
    private struct State {
        var scheduler: DispatchScheduler
        var settings: [String: SubscriptionSettings] = [:]
        var limits: [SubscriptionLimits] = []
        /// Subscriptions disabled by this dispatcher and not yet seen disabled in a refresh.
        var disabledHere: Set<String> = []
        var records: [AttemptRecord] = []
        /// Claimed and not yet written.
        var outstanding = 0
        var intakeClosed = false
    }

    private let state: Mutex<State>
    /// Rung when a request slot frees up.
    let doorbell = Doorbell()
    /// Rung when an outcome is waiting to be written.
    let recordsBell = Doorbell()

    init(scheduler: DispatchScheduler) {
        state = Mutex(State(scheduler: scheduler))
    }

    var outstanding: Int { state.withLock { $0.outstanding } }

    var isDrained: Bool { state.withLock { $0.intakeClosed && $0.outstanding == 0 && $0.records.isEmpty } }

    func settings(_ id: String) -> SubscriptionSettings? { state.withLock { $0.settings[id] } }

    func update(_ all: [SubscriptionSettings]) {
        state.withLock { state in
            state.settings = Dictionary(all.map { ($0.limits.id, $0) }, uniquingKeysWith: { a, _ in a })
            state.disabledHere = state.disabledHere.filter { state.settings[$0]?.limits.isActive == true }
            state.limits = all.map { settings in
                var limits = settings.limits
                if state.disabledHere.contains(limits.id) { limits.isActive = false }
                return limits
            }
        }
    }

    func quotas(capacity: Int, now: ContinuousClock.Instant) -> [(subscription: SubscriptionLimits, quota: Int)] {
        state.withLock { state in
            state.scheduler.quotas(for: state.limits, capacity: capacity, now: now)
        }
    }

    /// Accounts the claimed deliveries and pairs each with its subscription's settings.
    func claimed(
        _ deliveries: [ClaimedDelivery],
        quotas: [(subscription: SubscriptionLimits, quota: Int)],
        now: ContinuousClock.Instant
    ) -> [(ClaimedDelivery, SubscriptionSettings)] {
        var counts: [String: Int] = [:]
        for delivery in deliveries { counts[delivery.subscriptionID, default: 0] += 1 }
        return state.withLock { state in
            for (limits, _) in quotas {
                state.scheduler.claimed(limits, count: counts[limits.id] ?? 0, now: now)
            }
            // A delivery whose subscription vanished since the refresh stays leased; the lease recovery
            // returns it to the queue (or the cascade deleted it).
            let work = deliveries.compactMap { delivery -> (ClaimedDelivery, SubscriptionSettings)? in
                guard let settings = state.settings[delivery.subscriptionID] else { return nil }
                return (delivery, settings)
            }
            state.outstanding += work.count
            return work
        }
    }

    func completed(
        _ record: AttemptRecord,
        limits: SubscriptionLimits,
        signal: EndpointSignal,
        now: ContinuousClock.Instant
    ) {
        state.withLock { state in
            state.scheduler.finished(limits, signal: signal, keepSlot: limits.ordered, now: now)
            var record = record
            record.releasesSlotWhenStored = limits.ordered
            state.records.append(record)
            if case .disableSubscription = record.decision, !state.disabledHere.contains(limits.id) {
                state.disabledHere.insert(limits.id)
                if let index = state.limits.firstIndex(where: { $0.id == limits.id }) {
                    state.limits[index].isActive = false
                }
            }
        }
        // The claim loop is woken when the batch is stored (`persisted`), which frees its capacity:
        // waking it for every answer cost more than the claims it made.
        recordsBell.ring()
    }

    func takeRecords() -> [AttemptRecord] {
        state.withLock { state in
            defer { state.records.removeAll(keepingCapacity: true) }
            return state.records
        }
    }

    func putBack(_ records: [AttemptRecord]) {
        state.withLock { $0.records.insert(contentsOf: records, at: 0) }
    }

    /// The outcomes are stored: ordered subscriptions may now claim their next delivery.
    func persisted(_ records: [AttemptRecord]) {
        state.withLock { state in
            state.outstanding -= records.count
            for record in records where record.releasesSlotWhenStored {
                state.scheduler.release(record.subscriptionID)
            }
        }
        doorbell.ring()
    }

    func closeIntake() {
        state.withLock { $0.intakeClosed = true }
        recordsBell.ring()
    }
}
