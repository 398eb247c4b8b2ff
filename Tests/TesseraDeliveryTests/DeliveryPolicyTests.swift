import Foundation
import Testing

@testable import TesseraDelivery

@Suite struct RetryPolicyTests {
    let now = Date(timeIntervalSince1970: 1_700_000_000)

    func outcome(_ code: Int?, retryAfter: String? = nil, failure: WebhookOutcome.Failure? = nil) -> WebhookOutcome {
        WebhookOutcome(statusCode: code, duration: .milliseconds(5), retryAfter: retryAfter, failure: failure)
    }

    @Test func followsTheScheduleThenGivesUp() {
        let policy = RetryPolicy(jitter: false)
        #expect(policy.maximumAttempts == 7)
        let delays = (1...6).map { policy.decide(attempt: $0, outcome: outcome(500), now: now, random: 0.3) }
        #expect(delays == RetryPolicy.standardSchedule.map { .retry(after: $0) })
        #expect(policy.decide(attempt: 7, outcome: outcome(500), now: now, random: 0.3) == .dead)
        #expect(policy.decide(attempt: 7, outcome: outcome(204), now: now, random: 0.3) == .delivered)
    }

    @Test func fullJitterStaysWithinTheStep() {
        let policy = RetryPolicy(scheduleMilliseconds: [1000, 60000])
        #expect(
            policy.decide(attempt: 1, outcome: outcome(nil, failure: .timeout), now: now, random: 0)
                == .retry(after: .zero)
        )
        #expect(policy.decide(attempt: 2, outcome: outcome(503), now: now, random: 0.5) == .retry(after: .seconds(30)))
        #expect(policy.decide(attempt: 2, outcome: outcome(503), now: now, random: 0.999) < .retry(after: .seconds(60)))
    }

    @Test func honoursRetryAfterWithinBounds() {
        let policy = RetryPolicy(
            schedule: [.seconds(5)],
            retryAfterBounds: .seconds(1) ... .seconds(600),
            jitter: false
        )
        #expect(
            policy.decide(attempt: 1, outcome: outcome(429, retryAfter: "120"), now: now, random: 0)
                == .retry(after: .seconds(120))
        )
        #expect(
            policy.decide(attempt: 1, outcome: outcome(503, retryAfter: "86400"), now: now, random: 0)
                == .retry(after: .seconds(600))
        )
        #expect(
            policy.decide(attempt: 1, outcome: outcome(429, retryAfter: "0"), now: now, random: 0)
                == .retry(after: .seconds(1))
        )
        // HTTP-date form, 90 s after `now`.
        let date = "Tue, 14 Nov 2023 22:14:50 GMT"
        #expect(RetryPolicy.parseRetryAfter(date, now: now) == .seconds(90))
        #expect(
            policy.decide(attempt: 1, outcome: outcome(429, retryAfter: "soon"), now: now, random: 0)
                == .retry(after: .seconds(5))
        )
    }

    @Test func goneDisablesTheSubscription() {
        let decision = RetryPolicy().decide(attempt: 1, outcome: outcome(410), now: now, random: 0)
        guard case .disableSubscription(let reason) = decision else {
            Issue.record("expected disable, got \(decision)")
            return
        }
        #expect(reason.contains("410"))
    }

    @Test func endpointSignals() {
        #expect(RetryPolicy.signal(for: outcome(200), now: now) == .healthy)
        #expect(RetryPolicy.signal(for: outcome(404), now: now) == .healthy)
        #expect(RetryPolicy.signal(for: outcome(429, retryAfter: "3"), now: now) == .slowDown(retryAfter: .seconds(3)))
        #expect(RetryPolicy.signal(for: outcome(502), now: now) == .unavailable(retryAfter: nil, overloaded: true))
        #expect(RetryPolicy.signal(for: outcome(504), now: now) == .unavailable(retryAfter: nil, overloaded: true))
        #expect(
            RetryPolicy.signal(for: outcome(503, retryAfter: "7"), now: now)
                == .unavailable(retryAfter: .seconds(7), overloaded: false)
        )
        #expect(RetryPolicy.signal(for: outcome(500), now: now) == .failure)
        #expect(
            RetryPolicy.signal(for: outcome(nil, failure: .timeout), now: now)
                == .unavailable(retryAfter: nil, overloaded: false)
        )
        #expect(
            RetryPolicy.signal(for: outcome(nil, failure: .transport("connection refused")), now: now)
                == .unavailable(retryAfter: nil, overloaded: false)
        )
    }
}

extension DeliveryDecision: Comparable {
    public static func < (lhs: DeliveryDecision, rhs: DeliveryDecision) -> Bool {
        if case .retry(let a) = lhs, case .retry(let b) = rhs { return a < b }
        return false
    }
}

@Suite struct CircuitBreakerTests {
    let start = ContinuousClock.now
    let configuration = CircuitBreaker.Configuration(
        window: .seconds(10),
        minimumRequests: 4,
        failureRate: 0.5,
        consecutiveFailures: 0,
        openDuration: .seconds(5),
        maximumOpenDuration: .seconds(20),
        probesToClose: 2
    )

    @Test func failuresInARowOpenItHoweverFewTheRequests() {
        var breaker = CircuitBreaker(configuration: .init(window: .seconds(30), minimumRequests: 10))
        breaker.record(failed: true, now: start)
        breaker.record(failed: true, now: start + .seconds(1))
        breaker.record(failed: false, now: start + .seconds(2))  // a success ends the run
        breaker.record(failed: true, now: start + .seconds(3))
        breaker.record(failed: true, now: start + .seconds(4))
        #expect(breaker.state == .closed)
        breaker.record(failed: true, now: start + .seconds(5))
        // Three in a row, of six requests: open, for the default first cool-down of 1 s.
        #expect(breaker.state == .open(until: start + .seconds(6)))
    }

    @Test func theDefaultCoolDownStaysWithinFourSeconds() {
        var breaker = CircuitBreaker()
        var now = start
        for _ in 0..<3 { breaker.record(failed: true, now: now) }
        var cooldowns: [Duration] = []
        for _ in 0..<6 {
            guard case .open(let until) = breaker.state else {
                Issue.record("expected open, got \(breaker.state)")
                return
            }
            cooldowns.append(until - now)
            now = until
            #expect(breaker.permission(now: now) == .probe)
            breaker.record(failed: true, now: now)
        }
        #expect(cooldowns == [.seconds(1), .seconds(2), .seconds(4), .seconds(4), .seconds(4), .seconds(4)])
    }

    @Test func opensProbesAndRecovers() {
        var breaker = CircuitBreaker(configuration: configuration)
        // 3 failures out of 3: too few requests to judge.
        for i in 0..<3 { breaker.record(failed: true, now: start + .milliseconds(i)) }
        #expect(breaker.state == .closed)
        breaker.record(failed: false, now: start + .milliseconds(3))
        // 3 of 4 failed: open for 5 s.
        #expect(breaker.state == .open(until: start + .milliseconds(3) + .seconds(5)))
        #expect(breaker.permission(now: start + .seconds(1)) == .refused(until: start + .milliseconds(3) + .seconds(5)))
        // After the cool-down: one probe at a time.
        let later = start + .seconds(6)
        #expect(breaker.permission(now: later) == .probe)
        #expect(!breaker.wouldAllow(now: later))
        breaker.record(failed: false, now: later)
        #expect(breaker.permission(now: later) == .probe)
        breaker.record(failed: false, now: later)
        #expect(breaker.state == .closed)
        #expect(breaker.permission(now: later) == .allowed)
    }

    /// A 429 says the endpoint is up but busy: while closed it is no failure; answering a probe it
    /// neither closes the breaker (the backlog would then flood a throttling receiver) nor reopens it.
    @Test func aThrottledProbeLeavesTheBreakerHalfOpen() {
        var breaker = CircuitBreaker(configuration: configuration)
        breaker.record(failed: true, now: start)
        for i in 1..<4 { breaker.recordThrottled(now: start + .milliseconds(i)) }
        #expect(breaker.state == .closed)  // 1 failure of 4: throttled answers are no failures
        for i in 4..<6 { breaker.record(failed: true, now: start + .milliseconds(i)) }  // 3 of 6
        #expect(breaker.state == .open(until: start + .milliseconds(5) + .seconds(5)))
        let probe = start + .seconds(6)
        for n in 0..<3 {
            #expect(breaker.permission(now: probe + .seconds(n)) == .probe)
            breaker.recordThrottled(now: probe + .seconds(n))
            #expect(breaker.state == .halfOpen(probeInFlight: false, successes: 0))
        }
        #expect(breaker.permission(now: probe + .seconds(3)) == .probe)
        breaker.record(failed: false, now: probe + .seconds(3))
        #expect(breaker.permission(now: probe + .seconds(3)) == .probe)
        breaker.record(failed: false, now: probe + .seconds(3))
        #expect(breaker.state == .closed)
    }

    @Test func aFailedProbeReopensForLonger() {
        var breaker = CircuitBreaker(configuration: configuration)
        for i in 0..<4 { breaker.record(failed: true, now: start + .milliseconds(i)) }
        let probeTime = start + .seconds(6)
        #expect(breaker.permission(now: probeTime) == .probe)
        breaker.record(failed: true, now: probeTime)
        #expect(breaker.state == .open(until: probeTime + .seconds(10)))
        let second = probeTime + .seconds(10)
        #expect(breaker.permission(now: second) == .probe)
        breaker.record(failed: true, now: second)
        #expect(breaker.state == .open(until: second + .seconds(20)))  // capped at the maximum
    }

    @Test func oldFailuresLeaveTheWindow() {
        var breaker = CircuitBreaker(configuration: configuration)
        for i in 0..<3 { breaker.record(failed: true, now: start + .milliseconds(i)) }
        // 11 s later the failures are out of the 10 s window: successes keep it closed.
        for i in 0..<4 { breaker.record(failed: false, now: start + .seconds(11) + .milliseconds(i)) }
        breaker.record(failed: true, now: start + .seconds(12))
        #expect(breaker.state == .closed)
    }
}

@Suite struct TokenBucketTests {
    @Test func holdsTheRate() {
        let start = ContinuousClock.now
        var bucket = TokenBucket(ratePerMinute: 120, now: start)  // 2/s, burst 2
        #expect(bucket.available(now: start) == 2)
        bucket.take(2, now: start)
        #expect(bucket.available(now: start) == 0)
        #expect(bucket.timeUntilNextToken(now: start) == .milliseconds(500))
        #expect(bucket.available(now: start + .milliseconds(500)) == 1)
        // Over 10 s no more than 2/s (plus the burst) can be taken.
        var taken = 0
        for step in 0..<100 {
            let now = start + .milliseconds(500 + step * 100)
            let n = bucket.available(now: now)
            bucket.take(n, now: now)
            taken += n
        }
        #expect(taken <= 21 && taken >= 19)
        // Idle time does not bank more than the burst.
        #expect(bucket.available(now: start + .seconds(3600)) == 2)
    }
}

@Suite struct DispatchSchedulerTests {
    let start = ContinuousClock.now

    @Test func capsInFlightPerSubscription() {
        var scheduler = DispatchScheduler()
        let a = SubscriptionLimits(id: "a", endpoint: "http://a:80", maxInFlight: 3)
        let b = SubscriptionLimits(id: "b", endpoint: "http://b:80", maxInFlight: 10)
        let quotas = scheduler.quotas(for: [a, b], capacity: 100, now: start)
        #expect(Dictionary(uniqueKeysWithValues: quotas.map { ($0.subscription.id, $0.quota) }) == ["a": 3, "b": 10])
        scheduler.claimed(a, count: 3, now: start)
        #expect(scheduler.quotas(for: [a], capacity: 100, now: start).isEmpty)
        scheduler.finished(a, signal: .healthy, keepSlot: false, now: start)
        #expect(scheduler.quotas(for: [a], capacity: 100, now: start).first?.quota == 1)
    }

    @Test func orderedSubscriptionsHaveOneInFlightUntilStored() {
        var scheduler = DispatchScheduler()
        let o = SubscriptionLimits(id: "o", endpoint: "http://o:80", maxInFlight: 50, ordered: true)
        #expect(scheduler.quotas(for: [o], capacity: 100, now: start).first?.quota == 1)
        scheduler.claimed(o, count: 1, now: start)
        scheduler.finished(o, signal: .healthy, keepSlot: true, now: start)
        #expect(scheduler.quotas(for: [o], capacity: 100, now: start).isEmpty)
        scheduler.release("o")
        #expect(scheduler.quotas(for: [o], capacity: 100, now: start).first?.quota == 1)
    }

    @Test func pausedAndDisabledSubscriptionsGetNothing() {
        var scheduler = DispatchScheduler()
        let paused = SubscriptionLimits(id: "p", endpoint: "http://p:80", isActive: false)
        #expect(scheduler.quotas(for: [paused], capacity: 100, now: start).isEmpty)
    }

    @Test func rateLimitHolds() {
        var scheduler = DispatchScheduler()
        let limited = SubscriptionLimits(id: "r", endpoint: "http://r:80", maxInFlight: 100, ratePerMinute: 600)
        var sent = 0
        for step in 0..<50 {  // 5 s in 100 ms steps
            let now = start + .milliseconds(step * 100)
            let quota = scheduler.quotas(for: [limited], capacity: 1000, now: now).first?.quota ?? 0
            scheduler.claimed(limited, count: quota, now: now)
            for _ in 0..<quota { scheduler.finished(limited, signal: .healthy, keepSlot: false, now: now) }
            sent += quota
        }
        // 10/s for 5 s, plus a burst of 10.
        #expect(sent >= 50 && sent <= 60)
    }

    /// `tessera_rate_limit_waits_total` counts the claims the bucket held back, and only those.
    @Test func rateLimitWaitsAreCountedPerSubscription() {
        var scheduler = DispatchScheduler()
        let limited = SubscriptionLimits(id: "r", endpoint: "http://r:80", maxInFlight: 100, ratePerMinute: 60)
        let free = SubscriptionLimits(id: "f", endpoint: "http://f:80", maxInFlight: 100)
        var granted = 0
        for step in 0..<5 {  // five claims within 50 ms: the burst of one, then four held back
            let now = start + .milliseconds(step * 10)
            for (limits, quota) in scheduler.quotas(for: [limited, free], capacity: 1000, now: now) {
                scheduler.claimed(limits, count: quota, now: now)
                if limits.id == "r" { granted += quota }
            }
        }
        #expect(granted == 1)
        #expect(scheduler.takeRateLimitWaits() == ["r": 4])
        #expect(scheduler.takeRateLimitWaits() == [:], "taking them resets the count")
    }

    @Test func anOpenBreakerStopsTheEndpointAndProbesOnce() {
        var scheduler = DispatchScheduler(
            configuration: .init(breaker: .init(window: .seconds(10), minimumRequests: 2, openDuration: .seconds(5)))
        )
        let a = SubscriptionLimits(id: "a", endpoint: "http://down:80", maxInFlight: 10)
        let b = SubscriptionLimits(id: "b", endpoint: "http://down:80", maxInFlight: 10)
        let c = SubscriptionLimits(id: "c", endpoint: "http://up:80", maxInFlight: 10)
        scheduler.claimed(a, count: 2, now: start)
        scheduler.finished(a, signal: .failure, keepSlot: false, now: start)
        scheduler.finished(a, signal: .failure, keepSlot: false, now: start)
        // The shared endpoint is open: neither a nor b is sent; c is unaffected.
        let quotas = scheduler.quotas(for: [a, b, c], capacity: 100, now: start + .seconds(1))
        #expect(quotas.map(\.subscription.id) == ["c"])
        // After the cool-down a single probe across both subscriptions.
        let later = start + .seconds(6)
        let probe = scheduler.quotas(for: [a, b], capacity: 100, now: later)
        #expect(probe.reduce(0) { $0 + $1.quota } == 1)
        scheduler.claimed(probe[0].subscription, count: 1, now: later)
        #expect(scheduler.quotas(for: [a, b], capacity: 100, now: later).isEmpty)
        scheduler.finished(probe[0].subscription, signal: .healthy, keepSlot: false, now: later)
        scheduler.claimed(a, count: 1, now: later)
        scheduler.finished(a, signal: .healthy, keepSlot: false, now: later)
        #expect(scheduler.breakerState("http://down:80") == .closed)
        // A breaker that closes again reports its endpoint once; answered failures never probe early.
        #expect(scheduler.takeRecovered() == ["http://down:80"])
        #expect(scheduler.takeRecovered().isEmpty)
        #expect(!scheduler.probesEarly(a))
    }

    @Test func anUnreachableEndpointIsProbedEarlyUntilItAnswers() {
        var scheduler = DispatchScheduler()
        let a = SubscriptionLimits(id: "a", endpoint: "http://gone:80", maxInFlight: 10)
        let refused = EndpointSignal.unavailable(retryAfter: nil, overloaded: false)
        scheduler.claimed(a, count: 3, now: start)
        for _ in 0..<3 { scheduler.finished(a, signal: refused, keepSlot: false, now: start) }
        #expect(scheduler.quotas(for: [a], capacity: 100, now: start + .milliseconds(900)).isEmpty)
        #expect(scheduler.probesEarly(a))
        // Each probe that fails reopens the breaker; the cool-down never passes 4 s.
        var now = start + .seconds(1)
        for expected in [2, 4, 4, 4] {
            #expect(scheduler.quotas(for: [a], capacity: 100, now: now).map(\.quota) == [1])
            scheduler.claimed(a, count: 1, now: now)
            scheduler.finished(a, signal: refused, keepSlot: false, now: now)
            #expect(scheduler.breakerState("http://gone:80") == .open(until: now + .seconds(expected)))
            now = now + .seconds(expected)
        }
        #expect(scheduler.takeRecovered().isEmpty)
        // The receiver answers again: two probes close the breaker, and it reports the recovery.
        for _ in 0..<2 {
            #expect(scheduler.probesEarly(a))
            #expect(scheduler.quotas(for: [a], capacity: 100, now: now).map(\.quota) == [1])
            scheduler.claimed(a, count: 1, now: now)
            scheduler.finished(a, signal: .healthy, keepSlot: false, now: now)
        }
        #expect(scheduler.breakerState("http://gone:80") == .closed)
        #expect(!scheduler.probesEarly(a))
        #expect(scheduler.takeRecovered() == ["http://gone:80"])
        // The backlog restarts from 16 requests in flight, and grows from there.
        #expect(scheduler.concurrencyLimit("http://gone:80") == 16)
        #expect(scheduler.quotas(for: [a], capacity: 100, now: now).map(\.quota) == [10])
    }

    @Test func slowDownHalvesTheEndpointAndPausesForRetryAfter() {
        var scheduler = DispatchScheduler(configuration: .init(endpointConcurrency: 64))
        let a = SubscriptionLimits(id: "a", endpoint: "http://busy:80", maxInFlight: 100)
        scheduler.claimed(a, count: 16, now: start)
        scheduler.finished(a, signal: .slowDown(retryAfter: .seconds(2)), keepSlot: false, now: start)
        #expect(scheduler.concurrencyLimit("http://busy:80") == 8)
        #expect(scheduler.quotas(for: [a], capacity: 100, now: start + .seconds(1)).isEmpty)
        // After the pause: the 15 still in flight exceed the limit of 8, so nothing more yet.
        #expect(scheduler.quotas(for: [a], capacity: 100, now: start + .seconds(3)).isEmpty)
        for _ in 0..<15 { scheduler.finished(a, signal: .healthy, keepSlot: false, now: start + .seconds(3)) }
        #expect(scheduler.concurrencyLimit("http://busy:80") == 23)
        #expect(scheduler.quotas(for: [a], capacity: 100, now: start + .seconds(3)).first?.quota == 23)
    }
}
