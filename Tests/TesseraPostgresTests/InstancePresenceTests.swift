import Foundation
import Logging
import PostgresNIO
import TesseraDatabaseTestSupport
import Testing

@testable import TesseraPostgres

/// The instance row and its advisory lock: held while the service runs, taken again after the session
/// is lost, removed on graceful shutdown.
@Suite struct InstancePresenceTests {
    static let logger = Logger(label: "presence-tests")

    /// The backend pids holding the lock of a live instance row `id` (empty: none).
    static func holders(_ id: UUID, on db: TestDatabase) async throws -> [Int32] {
        let c = try await db.connect()
        defer { Task { try? await c.close() } }
        let rows = try await c.query(
            """
            SELECT l.pid FROM tessera.instances i
            JOIN pg_locks l ON l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                 AND l.classid = \(InstancePresence.lockClass)::oid AND l.objid = i.lock_key::oid
            WHERE i.id = \(id) AND \(unescaped: InstancePresence.holdsLockCondition("i"))
            """,
            logger: logger
        )
        var pids: [Int32] = []
        for try await pid in rows.decode(Int32.self) { pids.append(pid) }
        return pids
    }

    @Test func holdsItsLockWhileRunningTakesItAgainAfterLosingItsSessionAndLeavesOnShutdown() async throws {
        try await TestDatabase.with { db in
            let identity = InstanceIdentity(hostname: "test-host", pid: 99, version: "test")
            let registered = Wakeup()
            let presence = InstancePresence(
                identity: identity,
                url: db.url,
                registered: registered,
                logger: Self.logger
            )
            try await withRunningServices([presence], logger: Self.logger) {
                await registered.wait(timeout: .seconds(10))
                let first = try await Self.holders(identity.id, on: db)
                #expect(first.count == 1)
                #expect(
                    try await db.int(
                        "SELECT count(*) FROM tessera.instances WHERE hostname = 'test-host' AND pid = 99 AND version = 'test'"
                    ) == 1
                )
                // The session is cut (a database restart, a network fault): it registers again.
                _ = try await db.int("SELECT count(*)::int FROM (SELECT pg_terminate_backend(\(first[0]))) t")
                await registered.wait(timeout: .seconds(10))
                let second = try await Self.holders(identity.id, on: db)
                #expect(second.count == 1)
                #expect(second != first)
                #expect(try await db.int("SELECT count(*) FROM tessera.instances") == 1)
            }
            #expect(try await db.int("SELECT count(*) FROM tessera.instances") == 0)
        }
    }

    @Test func writesItsRowAgainIfAnotherInstanceRemovedIt() async throws {
        try await TestDatabase.with { db in
            let identity = InstanceIdentity(version: "test")
            let registered = Wakeup()
            let presence = InstancePresence(
                identity: identity,
                url: db.url,
                reassertInterval: .milliseconds(100),
                registered: registered,
                logger: Self.logger
            )
            try await withRunningServices([presence], logger: Self.logger) {
                await registered.wait(timeout: .seconds(10))
                try await db.execute("DELETE FROM tessera.instances")
                var back = false
                for _ in 0..<200 where !back {
                    try await Task.sleep(for: .milliseconds(20))
                    back = try await Self.holders(identity.id, on: db).count == 1
                }
                #expect(back)
            }
        }
    }
}
