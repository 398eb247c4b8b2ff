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
                // This test's own instance, registered (its lock is not held: it is never judged).
                try await c.perform(
                    """
                    INSERT INTO tessera.instances (id, lock_key, hostname, pid, version)
                    VALUES (\(me), 1000, 'host-a', 4141, 'test')
                    """,
                    logger: Self.logger
                )
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

    /// With no grace, an instance whose lock is missing is judged at once.
    func reclaim(grace: Duration = .zero, on c: PostgresConnection) async throws -> DeliveryQueue.StoppedInstances {
        try await DeliveryQueue.reclaimFromStoppedInstances(grace: grace, alive: me, on: c, logger: Self.logger)
    }

    /// The one delivery, claimed by the other instance, which then stops: its outcome is lost.
    func lostByOther(_ limits: SubscriptionLimits, key: Int32, on c: PostgresConnection) async throws
        -> ClaimedDelivery
    {
        try await register(other, key: key, on: c)
        let lost = try #require(try await claim(limits, as: other, on: c).first)
        _ = try await reclaim(on: c)
        return lost
    }

    /// Replays every delivery as the admin API does (`DeliveryLogStore`'s requeue): a new series.
    func replay(on c: PostgresConnection) async throws {
        try await c.perform("UPDATE tessera.deliveries SET \(unescaped: DeliveryLogStore.requeue)", logger: Self.logger)
    }

    func success(_ d: ClaimedDelivery, attempt: Int) -> AttemptRecord {
        var record = AttemptRecord(
            deliveryID: d.id,
            subscriptionID: d.subscriptionID,
            attempt: attempt,
            startedAt: Date(),
            outcome: .init(statusCode: 200, duration: .milliseconds(3), responseBody: "late ok"),
            decision: .delivered
        )
        record.claimedAt = d.claimedAt
        return record
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
            #expect(try await db.int("SELECT count(*) FROM tessera.instances WHERE id = '\(other)'") == 0)
            #expect(
                try await db.int(
                    "SELECT count(*) FROM tessera.deliveries WHERE status = 'pending' AND next_attempt_at <= now()"
                ) == 4
            )
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
            // Its session ends: the lock goes with it (once the server has ended the session).
            try await holder.close()
            var taken = 0
            for _ in 0..<100 where taken == 0 {
                taken = try await reclaim(on: c).deliveries
                if taken == 0 { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(taken == 2)
        }
    }

    @Test func aLockMissingForLessThanTheGraceIsNotJudgedAndIsForgottenWhenHeldAgain() async throws {
        try await with(deliveries: 2) { db, c, limits in
            try await register(other, key: 779, on: c)
            _ = try await claim(limits, as: other, on: c)
            // Seen missing (a database restart, a cut connection): noted, not judged.
            #expect(try await reclaim(grace: .seconds(3600), on: c) == .init())
            #expect(
                try await db.int("SELECT count(*) FROM tessera.instances WHERE lock_missing_since IS NOT NULL") == 1
            )
            // It comes back: forgotten.
            let holder = try await db.connect()
            try await holder.perform("SELECT pg_advisory_lock(\(InstancePresence.lockClass), 779)", logger: Self.logger)
            #expect(try await reclaim(grace: .zero, on: c) == .init())
            #expect(
                try await db.int("SELECT count(*) FROM tessera.instances WHERE lock_missing_since IS NOT NULL") == 0
            )
            try await holder.close()
            // Missing again, for longer than the grace this time.
            var taken = 0
            for _ in 0..<100 where taken == 0 {
                // The first look may already judge it (it was seen missing by the look before).
                taken += try await reclaim(grace: .milliseconds(50), on: c).deliveries
                try await Task.sleep(for: .milliseconds(60))
                taken += try await reclaim(grace: .milliseconds(50), on: c).deliveries
            }
            #expect(taken == 2)
        }
    }

    @Test func theCallersOwnInstanceIsNeverJudged() async throws {
        try await with(deliveries: 2) { db, c, limits in
            _ = try await claim(limits, as: me, on: c)
            #expect(try await reclaim(on: c) == .init())
            #expect(try await db.int("SELECT count(*) FROM tessera.instances WHERE id = '\(me)'") == 1)
        }
    }

    @Test func aLateOutcomeIsLoggedForItsAttemptAndLeavesTheResendAlone() async throws {
        try await with(deliveries: 1) { db, c, limits in
            let lost = try await lostByOther(limits, key: 781, on: c)
            let resend = try #require(try await claim(limits, as: me, on: c).first)
            #expect(resend.attempt == 2)
            // The stopped instance's answer arrives after all (it was only cut off).
            try await DeliveryQueue.record([success(lost, attempt: 1)], instance: other, on: c, logger: Self.logger)
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
            try await DeliveryQueue.record([success(resend, attempt: 2)], instance: me, on: c, logger: Self.logger)
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
            let lost = try await lostByOther(limits, key: 782, on: c)
            try await DeliveryQueue.record([success(lost, attempt: 1)], instance: other, on: c, logger: Self.logger)
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
            _ = try await claim(limits, as: me, on: c)
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

    @Test func anUnregisteredInstanceClaimsNothing() async throws {
        try await with(deliveries: 2) { _, c, limits in
            let claimed = try await claim(limits, as: UUID(), on: c)
            #expect(claimed.isEmpty)
        }
    }

    @Test func aReplayedDeliveryIgnoresALateOutcomeOfItsEarlierSeries() async throws {
        try await with(deliveries: 1) { db, c, limits in
            let lost = try await lostByOther(limits, key: 783, on: c)
            // Replayed meanwhile: a new series, numbered from 1 again, sent by this instance.
            try await replay(on: c)
            let replay = try #require(try await claim(limits, as: me, on: c).first)
            #expect(replay.attempt == 1)
            try await DeliveryQueue.record([success(lost, attempt: 1)], instance: other, on: c, logger: Self.logger)
            #expect(try await db.int("SELECT count(*) FROM tessera.deliveries WHERE status = 'delivering'") == 1)
        }
    }

    @Test func aDeliveryLostTwiceInARowWaitsForItsScheduleAndDiesAfterItsLastAttempt() async throws {
        try await with(deliveries: 1) { db, c, limits in
            // 4 attempts in all.
            try await c.perform(
                "UPDATE tessera.subscriptions SET retry_schedule_ms = ARRAY[60000, 60000, 60000]",
                logger: Self.logger
            )
            for attempt in 1...4 {
                try await c.perform("UPDATE tessera.deliveries SET next_attempt_at = now()", logger: Self.logger)
                let claimed = try #require(try await claim(limits, as: me, on: c).first)
                #expect(claimed.attempt == attempt)
                try await c.perform(
                    "UPDATE tessera.deliveries SET lease_until = now() - interval '1 second'",
                    logger: Self.logger
                )
                #expect(try await DeliveryQueue.reclaimExpiredLeases(on: c, logger: Self.logger) == 1)
                let state = try await db.column(
                    "SELECT status || ' ' || (next_attempt_at > now())::text FROM tessera.deliveries"
                )
                switch attempt {
                case 1: #expect(state == ["pending false"])  // the first loss: sent again at once
                case 2, 3: #expect(state == ["pending true"])  // lost again: the schedule's delay
                default: #expect((state.first ?? nil)?.hasPrefix("dead") == true)
                }
            }
            #expect(try await db.int("SELECT count(*) FROM tessera.delivery_attempts WHERE outcome_lost") == 4)
        }
    }

    @Test func aReplaysOwnOutcomeLeavesTheLostRowOfTheEarlierSeries() async throws {
        try await with(deliveries: 1) { db, c, limits in
            _ = try await lostByOther(limits, key: 784, on: c)
            try await replay(on: c)
            let replay = try #require(try await claim(limits, as: me, on: c).first)
            #expect(replay.attempt == 1)
            try await DeliveryQueue.record([success(replay, attempt: 1)], instance: me, on: c, logger: Self.logger)
            #expect(try await db.int("SELECT count(*) FROM tessera.deliveries WHERE status = 'delivered'") == 1)
            // Both requests numbered 1 stay in the log: the lost one of the first series, and the replay's.
            #expect(
                try await db.int("SELECT count(*) FROM tessera.delivery_attempts WHERE attempt = 1 AND outcome_lost")
                    == 1
            )
            #expect(
                try await db.int(
                    "SELECT count(*) FROM tessera.delivery_attempts WHERE attempt = 1 AND status_code = 200"
                ) == 1
            )
        }
    }
}
