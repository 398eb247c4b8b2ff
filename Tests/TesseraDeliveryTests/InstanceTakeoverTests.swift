import Foundation
import Logging
import PostgresNIO
import TesseraDatabaseTestSupport
import TesseraPostgres
import Testing

@testable import TesseraDelivery

/// Claims name their instance and count their attempt; a stopped instance's deliveries return to the
/// queue at once with their outcome logged as lost; a late outcome settles only the attempt it belongs to.
@Suite struct InstanceTakeoverTests {
    static let logger = Logger(label: "takeover-tests")
    let me = UUID()
    let other = UUID()

    /// A database with one subscription and `count` due deliveries, and a connection to it.
    func with(
        deliveries count: Int,
        _ body: @Sendable (TestDatabase, PostgresConnection, SubscriptionLimits) async throws -> Void
    ) async throws {
        try await TestDatabase.with { db in
            let fixture = DispatchFixture(db: db)
            let sub = try await fixture.subscription(url: "http://127.0.0.1:9/hook")
            try await fixture.deliveries(sub, count: count)
            let c = try await db.connect()
            do {
                try await body(db, c, SubscriptionLimits(id: sub, endpoint: "http://127.0.0.1:9", maxInFlight: 100))
                try await c.close()
            } catch {
                try? await c.close()
                throw error
            }
        }
    }

    func claim(_ limits: SubscriptionLimits, as instance: UUID, on c: PostgresConnection) async throws
        -> [ClaimedDelivery]
    {
        try await DeliveryQueue.claim(
            quotas: [(limits, 100)],
            lease: .seconds(60),
            instance: instance,
            on: c,
            logger: Self.logger
        )
    }

    /// Registers `instance` as `tessera.instances` would, with a lock key nobody holds unless `lockedBy`
    /// takes it.
    func register(_ instance: UUID, key: Int32, registeredAt: String = "now()", on c: PostgresConnection) async throws {
        try await c.perform(
            """
            INSERT INTO tessera.instances (id, lock_key, hostname, pid, version, registered_at)
            VALUES (\(instance), \(key), 'host-b', 4242, 'test', \(unescaped: registeredAt))
            """,
            logger: Self.logger
        )
    }

    func reclaim(grace: Duration = .seconds(10), on c: PostgresConnection) async throws
        -> DeliveryQueue.StoppedInstances
    {
        try await DeliveryQueue.reclaimFromStoppedInstances(restartGrace: grace, alive: me, on: c, logger: Self.logger)
    }

    func success(_ d: ClaimedDelivery, attempt: Int) -> AttemptRecord {
        AttemptRecord(
            deliveryID: d.id,
            subscriptionID: d.subscriptionID,
            attempt: attempt,
            startedAt: Date(),
            outcome: .init(statusCode: 200, duration: .milliseconds(3), responseBody: "late ok"),
            decision: .delivered
        )
    }

    @Test func aClaimCountsItsAttemptAndNamesItsInstance() async throws {
        try await with(deliveries: 3) { db, c, limits in
            let first = try await claim(limits, as: me, on: c)
            #expect(first.map(\.attempt) == [1, 1, 1])
            #expect(
                try await db.int(
                    "SELECT count(*) FROM tessera.deliveries WHERE claimed_by = '\(me)' AND claimed_at IS NOT NULL AND attempts = 1"
                ) == 3
            )
        }
    }

    @Test func aStoppedInstancesDeliveriesReturnAtOnceWithTheirOutcomeLoggedAsLost() async throws {
        try await with(deliveries: 4) { db, c, limits in
            try await register(other, key: 777, on: c)
            let claimed = try await claim(limits, as: other, on: c)
            #expect(claimed.count == 4)
            let stopped = try await reclaim(on: c)
            #expect(stopped == .init(instances: ["host-b pid 4242"], deliveries: 4))
            #expect(try await db.int("SELECT count(*) FROM tessera.instances") == 0)
            #expect(try await db.int("SELECT count(*) FROM tessera.deliveries WHERE status = 'pending'") == 4)
            #expect(
                try await db.int(
                    """
                    SELECT count(*) FROM tessera.delivery_attempts
                    WHERE outcome_lost AND attempt = 1 AND status_code IS NULL
                      AND error = 'outcome lost: the sending instance stopped (host-b pid 4242)'
                    """
                ) == 4
            )
            // Sent again as the next attempt.
            let again = try await claim(limits, as: me, on: c)
            #expect(again.map(\.attempt) == [2, 2, 2, 2])
            // Nothing more to find.
            #expect(try await reclaim(on: c) == .init())
        }
    }

    @Test func anInstanceHoldingItsLockKeepsItsDeliveries() async throws {
        try await with(deliveries: 2) { db, c, limits in
            try await register(other, key: 778, on: c)
            _ = try await claim(limits, as: other, on: c)
            let holder = try await db.connect()
            try await holder.perform(
                "SELECT pg_advisory_lock(\(InstancePresence.lockClass), 778)",
                logger: Self.logger
            )
            #expect(try await reclaim(on: c) == .init())
            #expect(try await db.int("SELECT count(*) FROM tessera.deliveries WHERE status = 'delivering'") == 2)
            // Its session ends: the lock goes with it.
            try await holder.close()
            #expect(try await reclaim(on: c).deliveries == 2)
        }
    }

    @Test func anInstanceRegisteredBeforeTheServerStartedIsGivenTimeToComeBack() async throws {
        try await with(deliveries: 2) { db, c, limits in
            try await register(other, key: 779, registeredAt: "pg_postmaster_start_time() - interval '1 second'", on: c)
            _ = try await claim(limits, as: other, on: c)
            #expect(try await reclaim(grace: .seconds(365 * 86400), on: c) == .init())
            #expect(try await reclaim(grace: .zero, on: c).deliveries == 2)
        }
    }

    @Test func theCallersOwnInstanceIsNeverJudged() async throws {
        try await with(deliveries: 2) { db, c, limits in
            try await register(me, key: 780, on: c)
            _ = try await claim(limits, as: me, on: c)
            #expect(try await reclaim(on: c) == .init())
            #expect(try await db.int("SELECT count(*) FROM tessera.instances") == 1)
        }
    }

    @Test func aLateOutcomeIsLoggedForItsAttemptAndLeavesTheResendAlone() async throws {
        try await with(deliveries: 1) { db, c, limits in
            try await register(other, key: 781, on: c)
            let lost = try #require(try await claim(limits, as: other, on: c).first)
            _ = try await reclaim(on: c)
            let resend = try #require(try await claim(limits, as: me, on: c).first)
            #expect(resend.attempt == 2)
            // The stopped instance's answer arrives after all (it was only cut off).
            try await DeliveryQueue.record([success(lost, attempt: 1)], on: c, logger: Self.logger)
            #expect(
                try await db.int("SELECT count(*) FROM tessera.deliveries WHERE status = 'delivering' AND attempts = 2")
                    == 1
            )
            #expect(
                try await db.int(
                    "SELECT count(*) FROM tessera.delivery_attempts WHERE attempt = 1 AND NOT outcome_lost AND status_code = 200 AND response_body = 'late ok'"
                ) == 1
            )
            #expect(try await db.int("SELECT count(*) FROM tessera.delivery_attempts WHERE outcome_lost") == 0)
            try await DeliveryQueue.record([success(resend, attempt: 2)], on: c, logger: Self.logger)
            #expect(
                try await db.int("SELECT count(*) FROM tessera.deliveries WHERE status = 'delivered' AND attempts = 2")
                    == 1
            )
            #expect(
                try await db.int(
                    "SELECT (string_agg(attempt::text, ',' ORDER BY attempt) = '1,2')::int FROM tessera.delivery_attempts"
                ) == 1
            )
        }
    }

    @Test func aLateOutcomeSettlesADeliveryNobodyClaimedAgain() async throws {
        try await with(deliveries: 1) { db, c, limits in
            try await register(other, key: 782, on: c)
            let lost = try #require(try await claim(limits, as: other, on: c).first)
            _ = try await reclaim(on: c)
            try await DeliveryQueue.record([success(lost, attempt: 1)], on: c, logger: Self.logger)
            #expect(
                try await db.int("SELECT count(*) FROM tessera.deliveries WHERE status = 'delivered' AND attempts = 1")
                    == 1
            )
            #expect(try await db.int("SELECT count(*) FROM tessera.delivery_attempts") == 1)
            #expect(try await db.int("SELECT count(*) FROM tessera.delivery_attempts WHERE outcome_lost") == 0)
        }
    }

    @Test func anExpiredLeaseIsLoggedAsALostOutcome() async throws {
        try await with(deliveries: 2) { db, c, limits in
            _ = try await claim(limits, as: other, on: c)
            try await c.perform(
                "UPDATE tessera.deliveries SET lease_until = now() - interval '1 second'",
                logger: Self.logger
            )
            #expect(try await DeliveryQueue.reclaimExpiredLeases(on: c, logger: Self.logger) == 2)
            #expect(
                try await db.int(
                    "SELECT count(*) FROM tessera.delivery_attempts WHERE outcome_lost AND attempt = 1 AND error LIKE 'outcome lost: no outcome%lease ran out'"
                ) == 2
            )
            #expect(try await claim(limits, as: me, on: c).map(\.attempt) == [2, 2])
        }
    }
}
