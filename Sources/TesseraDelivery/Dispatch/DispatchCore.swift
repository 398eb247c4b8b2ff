import Synchronization
import TesseraPostgres

/// The dispatcher's shared state: the scheduler, the subscription settings, the outcomes waiting to be
/// written. Hot (touched by every request), so a class over a `Mutex`.
final class DispatchCore: Sendable {
    private struct State {
        var scheduler: DispatchScheduler
        var settings: [String: DeliveryTarget] = [:]
        var limits: [SubscriptionLimits] = []
        /// Subscriptions disabled by this dispatcher and not yet seen disabled in a refresh.
        var disabledHere: Set<String> = []
        var records: [AttemptRecord] = []
        /// Claimed and not yet written.
        var outstanding = 0
        var intakeClosed = false
    }

    private let state: Mutex<State>
    /// Wakes the claim loop: a request slot freed up, or deliveries were written (the pipelines of this
    /// process signal it, and so does the NOTIFY of other instances' rows).
    let claimWanted: Wakeup
    /// Signalled when an outcome is waiting to be written.
    let recordWaiting = Wakeup()

    let health: EndpointHealth

    init(scheduler: DispatchScheduler, claimWanted: Wakeup = Wakeup(), health: EndpointHealth = EndpointHealth()) {
        state = Mutex(State(scheduler: scheduler))
        self.claimWanted = claimWanted
        self.health = health
    }

    var outstanding: Int { state.withLock { $0.outstanding } }

    var isIntakeClosed: Bool { state.withLock { $0.intakeClosed } }

    var isDrained: Bool { state.withLock { $0.intakeClosed && $0.outstanding == 0 && $0.records.isEmpty } }

    func settings(_ id: String) -> DeliveryTarget? { state.withLock { $0.settings[id] } }

    func update(_ all: [DeliveryTarget]) {
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

    /// What each subscription may claim now, and which of those quotas are early probes (may take a
    /// delivery that is not yet due: ``DispatchScheduler/probesEarly(_:)``).
    func quotas(capacity: Int, now: ContinuousClock.Instant) -> (
        quotas: [(subscription: SubscriptionLimits, quota: Int)], early: Set<String>
    ) {
        let (quotas, early, waits) = state.withLock { state in
            let quotas = state.scheduler.quotas(for: state.limits, capacity: capacity, now: now)
            let early = Set(quotas.filter { state.scheduler.probesEarly($0.subscription) }.map(\.subscription.id))
            return (quotas, early, state.scheduler.takeRateLimitWaits())
        }
        if !waits.isEmpty { DeliveryMetrics.rateLimitWaits(waits) }
        return (quotas, early)
    }

    /// Endpoints whose breaker closed again since the last call.
    func takeRecoveredEndpoints() -> Set<String> {
        state.withLock { $0.scheduler.takeRecovered() }
    }

    func restoreRecoveredEndpoints(_ endpoints: Set<String>) {
        state.withLock { $0.scheduler.restoreRecovered(endpoints) }
    }

    /// The subscriptions that send to any of `endpoints`.
    func subscriptions(of endpoints: Set<String>) -> [String] {
        state.withLock { state in state.limits.filter { endpoints.contains($0.endpoint) }.map(\.id) }
    }

    /// Accounts the claimed deliveries and pairs each with its subscription's settings.
    func claimed(
        _ deliveries: [ClaimedDelivery],
        quotas: [(subscription: SubscriptionLimits, quota: Int)],
        now: ContinuousClock.Instant
    ) -> [(ClaimedDelivery, DeliveryTarget)] {
        var counts: [String: Int] = [:]
        for delivery in deliveries { counts[delivery.subscriptionID, default: 0] += 1 }
        return state.withLock { state in
            for (limits, _) in quotas {
                state.scheduler.claimed(limits, count: counts[limits.id] ?? 0, now: now)
            }
            // A delivery whose subscription vanished since the refresh stays leased; the lease recovery
            // returns it to the queue (or the cascade deleted it).
            let work = deliveries.compactMap { delivery -> (ClaimedDelivery, DeliveryTarget)? in
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
        let breaker = state.withLock { state in
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
            return state.scheduler.breakerState(limits.endpoint)
        }
        DeliveryMetrics.breaker(limits.endpoint, state: breaker)
        health.record(subscription: limits.id, endpoint: limits.endpoint, breaker: breaker)
        // The claim loop is woken when the batch is stored (`persisted`), which frees its capacity:
        // waking it for every answer cost more than the claims it made.
        recordWaiting.signal()
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
        claimWanted.signal()
    }

    func closeIntake() {
        state.withLock { $0.intakeClosed = true }
        recordWaiting.signal()
    }
}
