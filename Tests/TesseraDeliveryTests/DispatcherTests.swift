import Foundation
import Synchronization
import TesseraCatalog
import TesseraDatabaseTestSupport
import Testing

@testable import TesseraDelivery

/// The dispatcher against real loopback receivers and a real PostGIS.
@Suite(.serialized) struct DispatcherTests {
    @Test func deliversSignedWebhooksAndRecordsEveryAttempt() async throws {
        let receiver = try await TestReceiver.start()
        defer { Task { try? await receiver.stop() } }
        let rotated = WebhookSecret.generate()
        try await DispatchFixture.with { f in
            let sub = try await f.subscription(
                url: receiver.url,
                method: "PUT",
                headers: #"{"X-Team": "maps", "Content-Type": "text/evil"}"#,
                extraSecrets: [rotated]
            )
            let events = try await f.deliveries(sub, count: 20)
            #expect(try await f.eventually { try await f.count(sub, status: "delivered") == 20 })
            let requests = receiver.requests
            #expect(requests.count == 20)
            #expect(Set(requests.compactMap { $0.header("webhook-id") }) == Set(events))
            for request in requests {
                #expect(request.method == "PUT")
                #expect(request.header("content-type") == "application/json")
                #expect(request.header("x-team") == "maps")
                #expect(request.header("tessera-attempt") == "1")
                #expect(request.header("user-agent") == "Tessera/test")
                let id = try #require(request.header("webhook-id"))
                let timestamp = try #require(request.header("webhook-timestamp"))
                let signatures = try #require(request.header("webhook-signature")).split(separator: " ").map(
                    String.init
                )
                // Both current secrets sign (rotation overlap), each recomputed independently.
                #expect(
                    signatures.contains(
                        HMACReference.signature(
                            secret: DispatchFixture.secret.bytes,
                            id: id,
                            timestamp: timestamp,
                            body: request.body
                        )
                    )
                )
                #expect(
                    signatures.contains(
                        HMACReference.signature(secret: rotated.bytes, id: id, timestamp: timestamp, body: request.body)
                    )
                )
            }
            // The Python reference verifier agrees (JSON body).
            let first = try #require(requests.first)
            #expect(
                try PythonVerifier.verify(
                    secret: DispatchFixture.secret.encoded,
                    headers: first.headers,
                    body: first.body
                )
            )
            #expect(
                try await f.db.int(
                    "SELECT count(*) FROM tessera.delivery_attempts WHERE status_code = 200 AND response_body = 'ok'"
                ) == 20
            )
            #expect(
                try await f.db.int(
                    "SELECT count(*) FROM tessera.deliveries WHERE delivered_at IS NOT NULL AND lease_until IS NULL AND attempts = 1"
                ) == 20
            )
        }
    }

    @Test func signsTheCompressedBytesAsSent() async throws {
        let receiver = try await TestReceiver.start()
        defer { Task { try? await receiver.stop() } }
        try await DispatchFixture.with { f in
            let sub = try await f.subscription(url: receiver.url)
            let payload = try PayloadCompression.zstd.compress(Array(repeating: UInt8(7), count: 2000))
            try await f.deliveries(sub, count: 1, contentType: "application/x-protobuf", encoding: "zstd") { _ in
                payload
            }
            let request = try #require(try await receiver.waitFor(1).first)
            #expect(request.body == payload)
            #expect(request.header("content-encoding") == "zstd")
            #expect(
                request.header("webhook-signature")
                    == HMACReference.signature(
                        secret: DispatchFixture.secret.bytes,
                        id: request.header("webhook-id")!,
                        timestamp: request.header("webhook-timestamp")!,
                        body: request.body
                    )
            )
        }
    }

    @Test func retriesOnTheScheduleThenDeadLettersWithTheHistory() async throws {
        let receiver = try await TestReceiver.start { _ in .status(500, body: "boom") }
        defer { Task { try? await receiver.stop() } }
        try await DispatchFixture.with { f in
            let sub = try await f.subscription(url: receiver.url, scheduleMs: [100, 300])
            let events = try await f.deliveries(sub, count: 1)
            #expect(try await f.eventually { try await f.count(sub, status: "dead") == 1 })
            let requests = receiver.requests
            let history = try await f.db.column(
                "SELECT attempt || ':' || coalesce(status_code::text, error) FROM tessera.delivery_attempts ORDER BY attempt"
            )
            try #require(requests.count == 3, "attempts: \(history)")
            #expect(requests.map { $0.header("webhook-id") } == Array(repeating: events[0], count: 3))
            #expect(requests.map { $0.header("tessera-attempt") } == ["1", "2", "3"])
            // Jitter is off in tests: the gaps follow the schedule.
            #expect(requests[0].receivedAt.duration(to: requests[1].receivedAt) >= .milliseconds(100))
            #expect(requests[1].receivedAt.duration(to: requests[2].receivedAt) >= .milliseconds(300))
            #expect(
                try await f.db.column(
                    "SELECT attempt || ':' || status_code || ':' || response_body FROM tessera.delivery_attempts ORDER BY attempt"
                ) == ["1:500:boom", "2:500:boom", "3:500:boom"]
            )
            #expect(
                try await f.db.int(
                    "SELECT count(*) FROM tessera.deliveries WHERE dead_at IS NOT NULL AND attempts = 3 AND last_status_code = 500 AND last_error = 'HTTP 500'"
                ) == 1
            )
        }
    }

    @Test func honoursRetryAfterAndSlowsDownOn429() async throws {
        let receiver = try await TestReceiver.start()
        receiver.respond { request in
            request.header("tessera-attempt") == "1" ? .status(429, headers: [("Retry-After", "1")]) : .ok
        }
        defer { Task { try? await receiver.stop() } }
        try await DispatchFixture.with { f in
            let sub = try await f.subscription(url: receiver.url, scheduleMs: [10])
            try await f.deliveries(sub, count: 1)
            #expect(try await f.eventually { try await f.count(sub, status: "delivered") == 1 })
            let requests = receiver.requests
            #expect(requests.count == 2)
            // The schedule says 10 ms; the receiver asked for 1 s.
            #expect(requests[0].receivedAt.duration(to: requests[1].receivedAt) >= .milliseconds(950))
        }
    }

    @Test func goneDisablesTheSubscriptionAndSaysWhy() async throws {
        let receiver = try await TestReceiver.start { _ in .status(410) }
        defer { Task { try? await receiver.stop() } }
        try await DispatchFixture.with { f in
            let sub = try await f.subscription(url: receiver.url, maxInFlight: 1)
            try await f.deliveries(sub, count: 5)
            #expect(
                try await f.eventually {
                    try await f.db.column("SELECT status FROM tessera.subscriptions WHERE id = '\(sub)'") == [
                        "disabled"
                    ]
                }
            )
            try await Task.sleep(for: .milliseconds(300))
            #expect(receiver.count == 1)
            let reason = try await f.db.column("SELECT disabled_reason FROM tessera.subscriptions")[0] ?? ""
            #expect(reason.contains("410"))
            // Nothing is lost: the deliveries wait for the subscription to be enabled again.
            #expect(try await f.count(sub, status: "pending") == 5)
            try await f.db.execute("UPDATE tessera.subscriptions SET status = 'active', disabled_reason = NULL")
            receiver.respond { _ in .ok }
            #expect(try await f.eventually { try await f.count(sub, status: "delivered") == 5 })
        }
    }

    @Test func breakerOpensOnADeadEndpointAndRecovers() async throws {
        let receiver = try await TestReceiver.start { _ in .status(503) }
        defer { Task { try? await receiver.stop() } }
        let breaker = CircuitBreaker.Configuration(
            window: .seconds(10),
            minimumRequests: 4,
            failureRate: 0.5,
            openDuration: .milliseconds(1500),
            probesToClose: 1
        )
        try await DispatchFixture.with(configuration: DispatchFixture.testConfiguration(breaker: breaker)) { f in
            let sub = try await f.subscription(
                url: receiver.url,
                maxInFlight: 1,
                scheduleMs: Array(repeating: 10, count: 19)
            )
            try await f.deliveries(sub, count: 10)
            _ = try await receiver.waitFor(4)
            // Open: nothing reaches the endpoint for the cool-down, although retries are due every 10 ms.
            try await Task.sleep(for: .milliseconds(300))
            #expect(receiver.count == 4)
            receiver.respond { _ in .ok }
            #expect(try await f.eventually { try await f.count(sub, status: "delivered") == 10 })
            let requests = receiver.requests
            #expect(requests[3].receivedAt.duration(to: requests[4].receivedAt) >= .milliseconds(1400))
            #expect(requests.count == 14)
        }
    }

    @Test func rateLimitHolds() async throws {
        let receiver = try await TestReceiver.start()
        defer { Task { try? await receiver.stop() } }
        try await DispatchFixture.with { f in
            let sub = try await f.subscription(url: receiver.url, ratePerMinute: 600, maxInFlight: 50)
            try await f.deliveries(sub, count: 25)
            #expect(try await f.eventually { try await f.count(sub, status: "delivered") == 25 })
            let times = receiver.requests.map(\.receivedAt).sorted()
            // 10/s with a burst of 10: 25 requests take at least 1.5 s, and no second holds more than 20.
            #expect(times[0].duration(to: times[24]) >= .milliseconds(1400))
            for (index, time) in times.enumerated() {
                #expect(times[index...].prefix { $0 < time + .seconds(1) }.count <= 21)
            }
        }
    }

    @Test func aReceiverDownForAWhileLosesNothing() async throws {
        let probe = try await TestReceiver.start()
        let port = probe.port
        try await probe.stop()
        let breaker = CircuitBreaker.Configuration(
            window: .seconds(10),
            minimumRequests: 5,
            openDuration: .milliseconds(200),
            maximumOpenDuration: .milliseconds(400)
        )
        try await DispatchFixture.with(configuration: DispatchFixture.testConfiguration(breaker: breaker)) { f in
            let sub = try await f.subscription(
                url: "http://127.0.0.1:\(port)/hook",
                maxInFlight: 8,
                scheduleMs: Array(repeating: 100, count: 20)
            )
            let events = try await f.deliveries(sub, count: 50)
            try await Task.sleep(for: .seconds(1))
            #expect(try await f.count(sub, status: "delivered") == 0)
            let receiver = try await TestReceiver.start(port: port)
            defer { Task { try? await receiver.stop() } }
            #expect(try await f.eventually { try await f.count(sub, status: "delivered") == 50 })
            #expect(Set(receiver.requests.compactMap { $0.header("webhook-id") }) == Set(events))
            #expect(try await f.db.int("SELECT count(*) FROM tessera.delivery_attempts WHERE error IS NOT NULL") > 0)
        }
    }

    @Test func aReceiverBackFromAnOutageIsProbedWithinSecondsAndItsBacklogDrainsAtOnce() async throws {
        let gone = try await TestReceiver.start()
        let port = gone.port
        try await gone.stop()
        let healthy = try await TestReceiver.start()
        defer { Task { try? await healthy.stop() } }
        // The default breaker: open after 3 failures in a row, cool-downs of 1, 2, 4, 4, … s.
        try await DispatchFixture.with(configuration: DispatchFixture.testConfiguration(breaker: .init())) { f in
            // Two attempts a minute apart: without early probes the first delivery after the outage would
            // wait for that minute, and every delivery would be dead after its second failed attempt.
            let down = try await f.subscription(
                url: "http://127.0.0.1:\(port)/hook",
                maxInFlight: 20,
                scheduleMs: [60000],
                status: "paused"
            )
            let up = try await f.subscription(url: healthy.url, maxInFlight: 8)
            let clock = ContinuousClock()
            let outageStart = clock.now
            // All 20 sent at once when the subscription starts, before anything is known of the endpoint.
            let events = try await f.deliveries(down, count: 20)
            try await f.db.execute("UPDATE tessera.subscriptions SET status = 'active' WHERE id = '\(down)'")
            // The other endpoint is not held up by the dead one.
            try await f.deliveries(up, count: 40)
            #expect(try await f.eventually(timeout: .seconds(5)) { try await f.count(up, status: "delivered") == 40 })
            try await Task.sleep(until: outageStart + .seconds(9))
            let downAttempts = """
                SELECT count(*) FROM tessera.delivery_attempts a JOIN tessera.deliveries d ON d.id = a.delivery_id
                WHERE d.subscription_id = '\(down)'
                """
            // 9 s of a dead endpoint cost its first 20 requests (sent before anything was known) and one
            // probe per cool-down; no delivery lost its budget to the probes, none is dead.
            let attempts = try await f.db.int(downAttempts)
            let probes = try await f.db.int(downAttempts + " AND a.probe")
            #expect(attempts <= 20 + 5, "\(attempts) attempts")
            #expect(probes >= 2, "\(probes) early probes")
            #expect(try await f.db.int("SELECT coalesce(sum(early_probes), 0) FROM tessera.deliveries") == probes)
            #expect(try await f.count(down, status: "dead") == 0)
            #expect(try await f.count(down, status: "pending") == 20)

            let back = clock.now
            let receiver = try await TestReceiver.start(port: port)
            defer { Task { try? await receiver.stop() } }
            let first = try await receiver.waitFor(1, timeout: .seconds(10))
            let wait = back.duration(to: first[0].receivedAt)
            #expect(wait <= .seconds(5), "first delivery \(wait) after the receiver came back")
            // Two probes close the breaker; the retries waiting for their minute are then due at once.
            #expect(try await f.eventually(timeout: .seconds(5)) { try await f.count(down, status: "delivered") == 20 })
            #expect(Set(receiver.requests.compactMap { $0.header("webhook-id") }) == Set(events))
        }
    }

    @Test func aDeadReceiverDoesNotHoldUpAnotherSubscription() async throws {
        let stuck = try await TestReceiver.start { _ in
            var reply = TestReceiver.Reply.ok
            reply.delay = .seconds(12)
            return reply
        }
        let healthy = try await TestReceiver.start()
        defer {
            Task {
                try? await stuck.stop(); try? await healthy.stop()
            }
        }
        try await DispatchFixture.with { f in
            let slow = try await f.subscription(url: stuck.url, timeoutMs: 10000, maxInFlight: 4)
            let fast = try await f.subscription(url: healthy.url, maxInFlight: 4)
            try await f.deliveries(slow, count: 100)
            try await f.deliveries(fast, count: 100)
            #expect(try await f.eventually { try await f.count(fast, status: "delivered") == 100 })
            // All of the healthy receiver's deliveries went through while the stuck one's first requests
            // were still waiting for an answer; the stuck one has only its cap in flight.
            #expect(
                try await f.db.int(
                    "SELECT count(*) FROM tessera.delivery_attempts a JOIN tessera.deliveries d ON d.id = a.delivery_id WHERE d.subscription_id = '\(slow)'"
                ) == 0
            )
            #expect(stuck.count <= 4)
        }
    }

    @Test func orderedSubscriptionsSendOneAtATimeInOrder() async throws {
        let receiver = try await TestReceiver.start()
        let failures = Counter()
        receiver.respond { _ in failures.next() < 2 ? .status(500) : .ok }
        defer { Task { try? await receiver.stop() } }
        try await DispatchFixture.with { f in
            let sub = try await f.subscription(
                url: receiver.url,
                maxInFlight: 10,
                ordered: true,
                scheduleMs: [30, 30, 30]
            )
            let events = try await f.deliveries(sub, count: 8)
            #expect(try await f.eventually { try await f.count(sub, status: "delivered") == 8 })
            // The failing head blocks the rest until it succeeds; then strictly in order.
            let ids = receiver.requests.compactMap { $0.header("webhook-id") }
            #expect(ids == [events[0], events[0]] + events)
        }
    }

    @Test func twoDispatchersKeepOrderAndSendEachDeliveryOnce() async throws {
        // Each answer takes 30 ms: a second request of the ordered subscription arriving sooner than
        // that after the previous one would mean two were in flight at once.
        let orderedReceiver = try await TestReceiver.start { _ in
            var reply = TestReceiver.Reply.ok
            reply.delay = .milliseconds(30)
            return reply
        }
        let parallelReceiver = try await TestReceiver.start()
        defer {
            Task {
                try? await orderedReceiver.stop(); try? await parallelReceiver.stop()
            }
        }
        try await DispatchFixture.with { f in
            // A second dispatcher process on the same database (its own connections, client and state).
            try await f.run(policy: DispatchFixture.loopback, configuration: DispatchFixture.testConfiguration()) {
                let ordered = try await f.subscription(url: orderedReceiver.url, maxInFlight: 10, ordered: true)
                let parallel = try await f.subscription(url: parallelReceiver.url, maxInFlight: 16)
                let events = try await f.deliveries(ordered, count: 20)
                let many = try await f.deliveries(parallel, count: 300)
                #expect(try await f.eventually { try await f.count(ordered, status: "delivered") == 20 })
                #expect(try await f.eventually { try await f.count(parallel, status: "delivered") == 300 })
                let requests = orderedReceiver.requests
                #expect(requests.compactMap { $0.header("webhook-id") } == events)
                for (previous, next) in zip(requests, requests.dropFirst()) {
                    #expect(next.receivedAt - previous.receivedAt >= .milliseconds(30))
                }
                // Claims never overlap: every parallel delivery was sent once, by one of the two.
                let sent = parallelReceiver.requests.compactMap { $0.header("webhook-id") }
                #expect(sent.count == 300)
                #expect(Set(sent) == Set(many))
            }
        }
    }

    @Test func deletingDeliveriesOrTheirSubscriptionDeletesTheirAttempts() async throws {
        let receiver = try await TestReceiver.start()
        defer { Task { try? await receiver.stop() } }
        try await DispatchFixture.with { f in
            let kept = try await f.subscription(url: receiver.url)
            let dropped = try await f.subscription(url: receiver.url)
            let trimmed = try await f.subscription(url: receiver.url)
            for sub in [kept, dropped, trimmed] { try await f.deliveries(sub, count: 5) }
            let all = { try await f.db.int("SELECT count(*) FROM tessera.delivery_attempts") }
            #expect(try await f.eventually { try await all() == 15 })
            let attempts = { (sub: String) in
                try await f.db.int(
                    """
                    SELECT count(*) FROM tessera.delivery_attempts a
                    WHERE a.delivery_id IN (SELECT id FROM tessera.deliveries WHERE subscription_id = '\(sub)')
                       OR NOT EXISTS (SELECT FROM tessera.deliveries d WHERE d.id = a.delivery_id)
                    """
                )
            }
            // The subscription's deliveries go by cascade, their attempts by the deliveries' trigger.
            try await f.db.execute("DELETE FROM tessera.subscriptions WHERE id = '\(dropped)'")
            try await f.db.execute(
                "DELETE FROM tessera.deliveries WHERE id IN (SELECT id FROM tessera.deliveries WHERE subscription_id = '\(trimmed)' LIMIT 2)"
            )
            #expect(try await attempts(kept) == 5)
            #expect(try await attempts(trimmed) == 3)
            #expect(try await all() == 8)
            try await f.db.execute("TRUNCATE tessera.deliveries")
            #expect(try await all() == 0)
            // Both in one command, as a DBA clearing the queue would.
            try await f.deliveries(kept, count: 2)
            #expect(try await f.eventually { try await all() == 2 })
            try await f.db.execute("TRUNCATE tessera.delivery_attempts, tessera.deliveries")
            #expect(try await f.db.int("SELECT count(*) FROM tessera.deliveries") == 0)
        }
    }

    @Test func pausedSubscriptionsWaitAndResume() async throws {
        let receiver = try await TestReceiver.start()
        defer { Task { try? await receiver.stop() } }
        try await DispatchFixture.with { f in
            let sub = try await f.subscription(url: receiver.url, status: "paused")
            try await f.deliveries(sub, count: 3)
            try await Task.sleep(for: .milliseconds(300))
            #expect(receiver.count == 0)
            #expect(try await f.count(sub, status: "pending") == 3)
            try await f.db.execute("UPDATE tessera.subscriptions SET status = 'active'")
            #expect(try await f.eventually { try await f.count(sub, status: "delivered") == 3 })
        }
    }

    @Test func refusesInternalAddressesUnlessAllowListed() async throws {
        let receiver = try await TestReceiver.start()
        defer { Task { try? await receiver.stop() } }
        try await DispatchFixture.with(policy: AddressPolicy()) { f in
            let byName = try await f.subscription(url: "http://localhost:\(receiver.port)/hook", scheduleMs: [])
            let byAddress = try await f.subscription(url: receiver.url, scheduleMs: [])
            try await f.deliveries(byName, count: 1)
            try await f.deliveries(byAddress, count: 1)
            #expect(
                try await f.eventually {
                    try await f.db.int("SELECT count(*) FROM tessera.deliveries WHERE status = 'dead'") == 2
                }
            )
            #expect(receiver.count == 0)
            let errors = try await f.db.column("SELECT error FROM tessera.delivery_attempts")
            #expect(errors.allSatisfy { $0?.contains("loopback") == true })
        }
    }

    @Test func expiredLeasesAreReclaimed() async throws {
        let receiver = try await TestReceiver.start()
        defer { Task { try? await receiver.stop() } }
        try await DispatchFixture.with { f in
            let sub = try await f.subscription(url: receiver.url)
            try await f.deliveries(sub, count: 2)
            // A dispatcher that died mid-send left these leased.
            try await f.db.execute(
                "UPDATE tessera.deliveries SET status = 'delivering', lease_until = now() - interval '1 second'"
            )
            #expect(try await f.eventually { try await f.count(sub, status: "delivered") == 2 })
        }
    }
}

final class Counter: Sendable {
    private let value = Mutex(0)
    func next() -> Int {
        value.withLock { v in
            defer { v += 1 }; return v
        }
    }
}
