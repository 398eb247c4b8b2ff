import Foundation
import NIOCore
import TesseraCatalog
import Testing

@testable import TesseraDelivery

/// The dispatcher's shared state without a database or sockets: what it lets the claim loop take,
/// what it keeps for the writer, when it is drained.
@Suite struct DispatchCoreTests {
    static let policy = try! AddressPolicy(allowing: ["127.0.0.0/8"])

    static func target(_ name: String, ordered: Bool = false, maxInFlight: Int = 4) -> DeliveryTarget {
        var settings = SubscriptionDefinition(name: name, url: "http://127.0.0.1:9/\(name)", layers: ["roads"])
        settings.ordered = ordered
        settings.maxInFlight = maxInFlight
        let subscription = Subscription(id: UUID(), tenant: "default", settings: settings)
        return DeliveryTarget(
            subscription,
            secrets: [Array(repeating: 7, count: 32)],
            policy: policy,
            retryAfterBounds: .zero ... .seconds(60),
            jitter: false
        )
    }

    static func delivery(_ id: Int64, of target: DeliveryTarget) -> ClaimedDelivery {
        ClaimedDelivery(
            id: id,
            eventID: UUID().uuidString.lowercased(),
            subscriptionID: target.limits.id,
            payload: ByteBuffer(string: "{}"),
            contentType: "application/json",
            contentEncoding: nil,
            output: WebhookOutput.name,
            attempt: 1
        )
    }

    static func record(_ delivery: ClaimedDelivery, _ decision: DeliveryDecision) -> AttemptRecord {
        AttemptRecord(
            deliveryID: delivery.id,
            subscriptionID: delivery.subscriptionID,
            attempt: 1,
            startedAt: Date(),
            outcome: WebhookOutcome(statusCode: 200, duration: .milliseconds(1)),
            decision: decision
        )
    }

    @Test func quotasFollowTheSubscriptionsLimitsAndClaimsAreCountedUntilStored() {
        let core = DispatchCore(scheduler: DispatchScheduler())
        let a = Self.target("a", maxInFlight: 3)
        core.update([a])
        let now = ContinuousClock.now
        let quotas = core.quotas(capacity: 100, now: now).quotas
        #expect(quotas.map(\.quota) == [3])

        let claimed = (1...3).map { Self.delivery($0, of: a) }
        let work = core.claimed(claimed, quotas: quotas, now: now)
        #expect(work.map(\.0.id) == [1, 2, 3])
        #expect(core.outstanding == 3)
        #expect(core.quotas(capacity: 100, now: now).quotas.isEmpty)  // all three slots in use

        core.completed(Self.record(claimed[0], .delivered), limits: a.limits, signal: .healthy, now: now)
        #expect(core.quotas(capacity: 100, now: now).quotas.map(\.quota) == [1])  // a parallel slot frees at once
        let records = core.takeRecords()
        #expect(records.map(\.deliveryID) == [1])
        #expect(core.takeRecords().isEmpty)
        core.persisted(records)
        #expect(core.outstanding == 2)
    }

    @Test func anOrderedSubscriptionTakesItsNextDeliveryOnlyOnceTheOutcomeIsStored() {
        let core = DispatchCore(scheduler: DispatchScheduler())
        let o = Self.target("o", ordered: true, maxInFlight: 50)
        core.update([o])
        let now = ContinuousClock.now
        let quotas = core.quotas(capacity: 100, now: now).quotas
        #expect(quotas.map(\.quota) == [1])
        let head = Self.delivery(1, of: o)
        _ = core.claimed([head], quotas: quotas, now: now)
        core.completed(Self.record(head, .retry(after: .seconds(5))), limits: o.limits, signal: .failure, now: now)
        #expect(core.quotas(capacity: 100, now: now).quotas.isEmpty)  // answered, not yet stored
        let records = core.takeRecords()
        #expect(records.first?.releasesSlotWhenStored == true)
        core.persisted(records)
        #expect(core.quotas(capacity: 100, now: now).quotas.map(\.quota) == [1])
    }

    @Test func aFailedWriteIsPutBackFirstAndNothingIsDrainedWhileAnythingIsOutstanding() {
        let core = DispatchCore(scheduler: DispatchScheduler())
        let a = Self.target("a")
        core.update([a])
        let now = ContinuousClock.now
        let quotas = core.quotas(capacity: 2, now: now).quotas
        let claimed = [Self.delivery(1, of: a), Self.delivery(2, of: a)]
        _ = core.claimed(claimed, quotas: quotas, now: now)
        core.completed(Self.record(claimed[0], .delivered), limits: a.limits, signal: .healthy, now: now)
        let first = core.takeRecords()
        core.completed(Self.record(claimed[1], .delivered), limits: a.limits, signal: .healthy, now: now)
        core.putBack(first)  // the write failed
        core.closeIntake()
        #expect(!core.isDrained)
        let again = core.takeRecords()
        #expect(again.map(\.deliveryID) == [1, 2])
        core.persisted(again)
        #expect(core.isDrained)
    }

    @Test func aSubscriptionDisabledHereIsNotClaimedUntilARefreshShowsItActiveAgain() {
        let core = DispatchCore(scheduler: DispatchScheduler())
        let a = Self.target("a")
        core.update([a])
        let now = ContinuousClock.now
        let quotas = core.quotas(capacity: 10, now: now).quotas
        let gone = Self.delivery(1, of: a)
        _ = core.claimed([gone], quotas: quotas, now: now)
        core.completed(
            Self.record(gone, .disableSubscription(reason: "HTTP 410")),
            limits: a.limits,
            signal: .healthy,
            now: now
        )
        #expect(core.quotas(capacity: 10, now: now).quotas.isEmpty)
        // A refresh that still reads it active (read before the disabling was stored) keeps it off.
        core.update([a])
        #expect(core.quotas(capacity: 10, now: now).quotas.isEmpty)
        // Seen disabled, then enabled again through the API: claimed again.
        var disabled = a
        disabled.limits.isActive = false
        core.update([disabled])
        core.update([a])
        #expect(core.quotas(capacity: 10, now: now).quotas.map(\.quota) == [4])
    }

    @Test func aDeliveryWhoseSubscriptionVanishedIsNotSent() {
        let core = DispatchCore(scheduler: DispatchScheduler())
        let a = Self.target("a")
        let b = Self.target("b")
        core.update([a])
        let now = ContinuousClock.now
        let work = core.claimed(
            [Self.delivery(1, of: a), Self.delivery(2, of: b)],
            quotas: core.quotas(capacity: 10, now: now).quotas,
            now: now
        )
        #expect(work.map(\.0.id) == [1])
        #expect(core.outstanding == 1)
    }
}
