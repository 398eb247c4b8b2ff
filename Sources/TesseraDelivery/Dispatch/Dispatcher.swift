import Foundation
import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle
import TesseraCatalog
import TesseraPostgres

/// Sends the rows of `tessera.deliveries` through their outputs: a `Service` run by `tessera serve`.
///
/// One loop claims due deliveries in short transactions (`FOR UPDATE SKIP LOCKED`, status `delivering`
/// with a lease), as many per subscription as the ``DispatchScheduler`` allows; each claimed delivery is
/// handed to the ``DeliveryOutput`` its row names (the ``WebhookOutput`` signs it and sends it through
/// the shared ``WebhookSender``), whose callback accounts the outcome (no task per request); a second loop writes the outcomes in batches (attempt log, next attempt or final state),
/// and the writer ends only once every claimed delivery is written. No transaction is open during HTTP.
///
/// Several instances may share a database. The dispatcher keeps its instance known to the database
/// (TesseraPostgres' ``InstancePresence``, for as long as it runs) and each claim names it; every
/// `livenessInterval` the claim loop returns the deliveries of instances that stopped to the queue
/// (from the start, so a crashed instance's requests are sent again within seconds of any instance
/// starting, numbered as the next attempt). Leases that ran out (an instance hung, or cut off from the
/// database) are returned too, every `reclaimInterval`. On graceful shutdown claiming stops, the
/// requests in flight finish and are recorded, and only then does the instance leave.
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
        /// How often the deliveries of stopped instances are returned to the queue.
        public var livenessInterval: Duration
        /// How long an instance's lock must be seen missing before it is judged stopped (a live one whose
        /// connection was cut, or every one after a database restart, registers again within a second).
        public var stoppedGrace: Duration
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
            livenessInterval: Duration = .milliseconds(500),
            stoppedGrace: Duration = .seconds(2),
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
            self.livenessInterval = livenessInterval
            self.stoppedGrace = stoppedGrace
            self.leaseMargin = leaseMargin
            self.scheduler = scheduler
            self.retryAfterBounds = retryAfterBounds
            self.jitter = jitter
        }
    }

    let url: DatabaseURL
    /// The instance its claims name (see ``InstancePresence``).
    public let identity: InstanceIdentity
    var instance: UUID { identity.id }
    let outputs: [String: any DeliveryOutput]
    /// Where subscription URLs may point (checked when their settings are loaded).
    let policy: AddressPolicy
    /// Wakes the claim loop: signal it when deliveries are written (``WindowFlusher`` and the other
    /// pipelines of the process do; a ``NotificationListener`` on ``DeliveryQueue/channel`` does for
    /// the rows of other instances).
    public let wakeup: Wakeup
    /// Where the breaker state of each subscription's endpoint is published (the status page reads it).
    public let health: EndpointHealth
    let configuration: Configuration
    let logger: Logger

    public init(
        url: DatabaseURL,
        identity: InstanceIdentity = InstanceIdentity(version: "unknown"),
        outputs: [any DeliveryOutput],
        policy: AddressPolicy,
        wakeup: Wakeup = Wakeup(),
        health: EndpointHealth = EndpointHealth(),
        configuration: Configuration = .init(),
        logger: Logger
    ) {
        self.wakeup = wakeup
        self.health = health
        self.url = url
        self.identity = identity
        self.outputs = Dictionary(outputs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.policy = policy
        self.configuration = configuration
        self.logger = logger
    }

    /// A dispatcher with the webhook output only, through `sender` and its address policy.
    public init(
        url: DatabaseURL,
        identity: InstanceIdentity = InstanceIdentity(version: "unknown"),
        sender: WebhookSender,
        wakeup: Wakeup = Wakeup(),
        configuration: Configuration = .init(),
        logger: Logger
    ) {
        self.init(
            url: url,
            identity: identity,
            outputs: [WebhookOutput(sender: sender)],
            policy: sender.configuration.policy,
            wakeup: wakeup,
            configuration: configuration,
            logger: logger
        )
    }

    public func run() async throws {
        let core = DispatchCore(
            scheduler: DispatchScheduler(configuration: configuration.scheduler),
            claimWanted: wakeup,
            health: health
        )
        // Not a child of the graceful shutdown: the instance stays known until its outcomes are recorded.
        let presence = InstancePresence(identity: identity, url: url, reassertInterval: .seconds(2), logger: logger)
        let held = Task { await presence.holdUntilCancelled() }
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.writeOutcomes(core) }
                group.addTask { await self.maintain(core) }
                await claimLoop(core)
                core.closeIntake()
            }
            await leave()
        } onCancel: {
            held.cancel()
        }
        held.cancel()
        await held.value
    }

    /// Removes this instance's row, returning to the queue whatever it still holds (outcomes the writer
    /// could not record), so the next start has nothing to wait for.
    private func leave() async {
        var connection = DedicatedConnection(url: url, deadline: .seconds(5), logger: logger)
        let identity = self.identity
        let logger = self.logger
        do {
            let requeued = try await connection.withTransaction { conn in
                try await DeliveryQueue.leave(identity, on: conn, logger: logger)
            }
            if requeued > 0 {
                logger.warning("left deliveries unrecorded; they are sent again", metadata: ["count": "\(requeued)"])
            }
        } catch {
            logger.warning(
                "could not leave; another instance will take over",
                metadata: ["error": "\(String(reflecting: error))"]
            )
        }
        connection.close()
    }

    // MARK: - Housekeeping

    /// Off the claim path, on a connection of its own: re-reads the subscriptions, returns the
    /// deliveries of stopped instances and of expired leases to the queue, and brings forward the
    /// backlog of endpoints that recovered. Ends when claiming ends.
    private func maintain(_ core: DispatchCore) async {
        var connection = DedicatedConnection(url: url, logger: logger)
        let clock = ContinuousClock()
        var nextRefresh = clock.now
        var nextLiveness = clock.now
        var nextReclaim = clock.now
        var backoff = Backoff()
        let logger = self.logger
        while !Task.isShuttingDownGracefully && !Task.isCancelled && !core.isIntakeClosed {
            do {
                if clock.now >= nextRefresh {
                    let policy = self.policy
                    let bounds = configuration.retryAfterBounds
                    let jitter = configuration.jitter
                    let settings = try await connection.withTransaction { conn in
                        try await DeliveryQueue.loadTargets(
                            on: conn,
                            policy: policy,
                            retryAfterBounds: bounds,
                            jitter: jitter,
                            logger: logger
                        )
                    }
                    core.update(settings)
                    core.claimWanted.signal()
                    nextRefresh = clock.now + configuration.subscriptionRefresh
                }
                let recovered = core.takeRecoveredEndpoints()
                if !recovered.isEmpty {
                    let subscriptions = core.subscriptions(of: recovered)
                    let advanced: Int
                    do {
                        advanced = try await connection.withTransaction { conn in
                            try await DeliveryQueue.bringForward(subscriptions: subscriptions, on: conn, logger: logger)
                        }
                    } catch {
                        core.restoreRecoveredEndpoints(recovered)
                        throw error
                    }
                    if advanced > 0 {
                        logger.info(
                            "endpoints recovered; their waiting retries are due now",
                            metadata: [
                                "endpoints": "\(recovered.sorted().joined(separator: ", "))",
                                "deliveries": "\(advanced)",
                            ]
                        )
                        core.claimWanted.signal()
                    }
                }
                if clock.now >= nextLiveness {
                    let grace = configuration.stoppedGrace
                    let instance = self.instance
                    let stopped = try await connection.withTransaction { conn in
                        try await DeliveryQueue.reclaimFromStoppedInstances(
                            grace: grace,
                            alive: instance,
                            on: conn,
                            logger: logger
                        )
                    }
                    if !stopped.instances.isEmpty {
                        logger.warning(
                            "instances stopped; their deliveries are sent again",
                            metadata: [
                                "instances": "\(stopped.instances.joined(separator: ", "))",
                                "deliveries": "\(stopped.deliveries)",
                            ]
                        )
                        core.claimWanted.signal()
                    }
                    nextLiveness = clock.now + configuration.livenessInterval
                }
                if clock.now >= nextReclaim {
                    let reclaimed = try await connection.withTransaction { conn in
                        try await DeliveryQueue.reclaimExpiredLeases(on: conn, logger: logger)
                    }
                    if reclaimed > 0 {
                        logger.warning("reclaimed deliveries whose lease expired", metadata: ["count": "\(reclaimed)"])
                        core.claimWanted.signal()
                    }
                    nextReclaim = clock.now + configuration.reclaimInterval
                }
                backoff.succeeded()
                let next = min(nextRefresh, nextLiveness, nextReclaim, clock.now + Self.recoveryCheck)
                try? await Task.sleep(until: next, clock: clock)
            } catch {
                if Task.isCancelled { break }
                logger.warning(
                    "dispatcher housekeeping failed; will retry",
                    metadata: ["error": "\(String(reflecting: error))"]
                )
                try? await Task.sleep(for: backoff.failed())
            }
        }
        connection.close()
    }

    /// How soon a recovered endpoint's waiting retries are brought forward.
    static let recoveryCheck = Duration.milliseconds(100)

    // MARK: - Claiming

    private func claimLoop(_ core: DispatchCore) async {
        var connection = DedicatedConnection(url: url, logger: logger)
        let clock = ContinuousClock()
        var backoff = Backoff()
        let minimumClaim = max(1, min(configuration.batchSize, configuration.concurrency) / 4)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let outstanding = core.outstanding
                let capacity = min(configuration.concurrency - outstanding, configuration.batchSize)
                if outstanding > 0 && capacity < minimumClaim {
                    await core.claimWanted.wait(timeout: configuration.pollInterval)
                    continue
                }
                let (quotas, early) = core.quotas(capacity: capacity, now: clock.now)
                if quotas.isEmpty {
                    await core.claimWanted.wait(timeout: configuration.pollInterval)
                    continue
                }
                let longestTimeout =
                    quotas.compactMap { core.settings($0.subscription.id)?.timeout }.max() ?? .seconds(60)
                let lease = longestTimeout + configuration.leaseMargin
                let logger = self.logger
                let instance = self.instance
                let claimed = try await connection.withTransaction { conn in
                    try await DeliveryQueue.claim(
                        quotas: quotas,
                        early: early,
                        lease: lease,
                        instance: instance,
                        on: conn,
                        logger: logger
                    )
                }
                backoff.succeeded()
                let work = core.claimed(claimed, quotas: quotas, now: clock.now)
                for (delivery, target) in work {
                    send(delivery, to: target, core: core)
                }
                if claimed.isEmpty {
                    await core.claimWanted.wait(timeout: configuration.pollInterval)
                }
            } catch {
                if Task.isCancelled { break }
                logger.warning(
                    "claiming deliveries failed; will retry",
                    metadata: ["error": "\(String(reflecting: error))"]
                )
                try? await Task.sleep(for: backoff.failed())
            }
        }
        connection.close()
    }

    // MARK: - Sending

    /// Hands one delivery to its output; the outcome is accounted when the answer arrives (on an event
    /// loop thread, without a task per request: this is the hot path).
    private func send(_ delivery: ClaimedDelivery, to target: DeliveryTarget, core: DispatchCore) {
        let started = Date()
        let attempt = delivery.attempt
        DeliveryMetrics.inFlight(output: delivery.output).increment()
        guard let output = outputs[delivery.output] else {
            let failure = WebhookOutcome.Failure.transport("no output named '\(delivery.output)' in this tessera")
            finish(
                delivery,
                target: target,
                core: core,
                started: started,
                outcome: .init(duration: .zero, failure: failure)
            )
            return
        }
        output.send(delivery, attempt: attempt, to: target) { outcome in
            self.finish(delivery, target: target, core: core, started: started, outcome: outcome)
        }
    }

    private func finish(
        _ delivery: ClaimedDelivery,
        target: DeliveryTarget,
        core: DispatchCore,
        started: Date,
        outcome: WebhookOutcome
    ) {
        let attempt = delivery.attempt
        let now = Date()
        DeliveryMetrics.inFlight(output: delivery.output).decrement()
        let signal = RetryPolicy.signal(for: outcome, now: now)
        var decision = target.retry.decide(
            attempt: delivery.scheduledAttempt,
            outcome: outcome,
            now: now,
            // Only a retry's delay is jittered; a success needs no random draw.
            random: outcome.isSuccess ? 0 : Double.random(in: 0..<1)
        )
        if delivery.early, case .unavailable = signal {
            // The endpoint is still down: this probe went ahead of the delivery's schedule and costs it nothing.
            switch decision {
            case .retry, .dead: decision = .keepSchedule
            case .delivered, .keepSchedule, .disableSubscription: break
            }
        }
        DeliveryMetrics.attempted(delivery, outcome: outcome, decision: decision, now: now)
        logger.debug(
            "delivery attempted",
            metadata: [
                "event_id": "\(delivery.eventID)", "subscription": "\(delivery.subscriptionID)",
                "delivery": "\(delivery.id)", "output": "\(delivery.output)", "attempt": "\(attempt)",
                "outcome": "\(DeliveryMetrics.outcomeClass(outcome))", "decision": "\(decision)",
                "error": "\(outcome.errorDescription ?? "")",
            ]
        )
        if case .dead = decision {
            logger.warning(
                "delivery dead-lettered",
                metadata: [
                    "event_id": "\(delivery.eventID)", "subscription": "\(delivery.subscriptionID)",
                    "delivery": "\(delivery.id)", "attempt": "\(attempt)",
                    "error": "\(outcome.errorDescription ?? "")",
                ]
            )
        }
        if case .disableSubscription(let reason) = decision {
            logger.warning(
                "disabling subscription",
                metadata: ["subscription": "\(delivery.subscriptionID)", "reason": "\(reason)"]
            )
        }
        var record = AttemptRecord(
            deliveryID: delivery.id,
            subscriptionID: delivery.subscriptionID,
            attempt: attempt,
            startedAt: started,
            outcome: outcome,
            decision: decision
        )
        record.claimedAt = delivery.claimedAt
        record.earlyProbe = delivery.early
        core.completed(record, limits: target.limits, signal: signal, now: ContinuousClock.now)
    }

    // MARK: - Recording

    private func writeOutcomes(_ core: DispatchCore) async {
        var connection = DedicatedConnection(url: url, logger: logger)
        var backoff = Backoff()
        while !Task.isCancelled {
            let batch = core.takeRecords()
            if batch.isEmpty {
                if core.isDrained { break }
                await core.recordWaiting.wait(timeout: .milliseconds(50))
                continue
            }
            do {
                let logger = self.logger
                let instance = self.instance
                try await connection.withTransaction { conn in
                    try await DeliveryQueue.record(batch, instance: instance, on: conn, logger: logger)
                }
                backoff.succeeded()
                core.persisted(batch)
            } catch {
                logger.warning(
                    "recording attempts failed; will retry",
                    metadata: ["error": "\(String(reflecting: error))"]
                )
                core.putBack(batch)
                if Task.isCancelled { break }
                try? await Task.sleep(for: backoff.failed())
            }
        }
        connection.close()
    }
}
