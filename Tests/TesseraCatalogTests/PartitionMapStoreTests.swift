import Foundation
import Logging
import PostgresNIO
import TesseraCatalog
import TesseraDatabaseTestSupport
import TesseraGrids
import TesseraPostgres
import Testing

/// Publishing partition maps and their hand-offs, on a real PostGIS.
@Suite struct PartitionMapStoreTests {
    static let logger: Logger = {
        var l = Logger(label: "partition-map-test")
        l.logLevel = .warning
        return l
    }()

    /// A migrated database with subscriptions `a` and `b` of tenant `alpha` and `c` of `beta`, and a
    /// running pool over it.
    static func with(_ body: @Sendable (TestDatabase, PartitionMapStore, [String: UUID]) async throws -> Void)
        async throws
    {
        try await TestDatabase.with { db in
            try await db.execute(
                """
                INSERT INTO tessera.layers (name) VALUES ('roads');
                INSERT INTO tessera.tenants (name) VALUES ('alpha'), ('beta');
                INSERT INTO tessera.subscriptions (tenant, name, url, layers) VALUES
                    ('alpha', 'a', 'http://93.184.215.14/a', '{roads}'),
                    ('alpha', 'b', 'http://93.184.215.14/b', '{roads}'),
                    ('beta', 'c', 'http://93.184.215.14/c', '{roads}');
                """
            )
            let ids = try await db.withConnection { c in
                var ids: [String: UUID] = [:]
                let rows = try await c.query("SELECT name, id FROM tessera.subscriptions", logger: logger)
                for try await (name, id) in rows.decode((String, UUID).self) { ids[name] = id }
                return ids
            }
            let client = PostgresClient(configuration: try db.url.clientConfiguration(), backgroundLogger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                try await body(db, PartitionMapStore(client: client, logger: logger), ids)
            }
        }
    }

    static func first() throws -> PartitionMap {
        try PartitionMap(uniform: try PartitionGrid(.s2, level: 10), partitions: 4)
    }

    /// Six partitions instead of four, and a hot cell of face 1 spread over partitions 2 and 5.
    static func second() throws -> PartitionMap {
        let grid = try PartitionGrid(.s2, level: 10)
        var ranges = try PartitionMap(uniform: grid, partitions: 6, epoch: 2).ranges
        let hot = grid.cellStart(1 << 61 | 1 << 40, level: 12)
        ranges.append(PartitionRange(start: hot, owners: [2, 5, 2, 5]))
        ranges.append(PartitionRange(start: grid.cellEnd(hot, level: 12) + 1, owners: [1]))
        ranges.sort { $0.start < $1.start }
        return try PartitionMap(grid: grid, partitions: 6, epoch: 2, ranges: ranges)
    }

    @Test func theNewestEpochIsCurrentAndItsHandoffsAreTheMoves() async throws {
        try await Self.with { db, store, ids in
            let id = try #require(ids["a"])
            #expect(try await store.current(tenant: "alpha", subscription: id) == nil)

            let old = try Self.first()
            try await store.publish(old, loads: [1, 2, 3, 4], subscription: id)
            let one = try #require(try await store.current(tenant: "alpha", subscription: id))
            #expect(one.map == old)
            #expect(one.loads == [1, 2, 3, 4])
            #expect(
                try await db.int("SELECT count(*) FROM tessera.partition_handoffs") == 0,
                "a first map moves nothing"
            )

            let new = try Self.second()
            try await store.publish(new, loads: nil, subscription: id)
            let two = try #require(try await store.current(tenant: "alpha", subscription: id))
            #expect(two.map == new)
            #expect(two.map.epoch == 2)
            #expect(two.loads == nil)
            #expect(two.publishedAt >= one.publishedAt)

            let expected = old.moves(to: new).map { "2 \($0.from) \($0.to)" }
            #expect(!expected.isEmpty)
            #expect(expected.contains("2 0 5"), "the hot cell's keys go from 0 to both of its slices' owners")
            #expect(expected.contains("2 0 2"))
            let rows = try await db.column(
                """
                SELECT epoch || ' ' || from_partition || ' ' || to_partition FROM tessera.partition_handoffs
                ORDER BY from_partition, to_partition
                """
            )
            #expect(rows.compactMap { $0 } == expected)

            let handoffs = try await db.withConnection { c in
                try await PartitionMapStore.handoffs(subscription: id, since: 1, on: c, logger: Self.logger)
            }
            #expect(handoffs.edges == PartitionHandoff.edges(of: old.moves(to: new), epoch: 2))
            let later = try await db.withConnection { c in
                try await PartitionMapStore.handoffs(subscription: id, since: 3, on: c, logger: Self.logger)
            }
            #expect(later.edges.isEmpty)
        }
    }

    @Test func anEpochThatDoesNotFollowTheCurrentOneIsAConflict() async throws {
        try await Self.with { db, store, ids in
            let id = try #require(ids["a"])
            let map = try Self.first()
            let early = await #expect(throws: StoreError.self) {
                try await store.publish(map.with(epoch: 2), loads: nil, subscription: id)
            }
            #expect(early?.code == .conflict)
            #expect(early?.field == "epoch")
            #expect(early?.message.contains("first epoch is 1") == true)

            try await store.publish(map, loads: nil, subscription: id)
            try await store.publish(map.with(epoch: 2), loads: nil, subscription: id)
            for stale in [1, 2, 4] as [Int64] {
                let error = await #expect(throws: StoreError.self) {
                    try await store.publish(map.with(epoch: stale), loads: nil, subscription: id)
                }
                #expect(error?.code == .conflict, "epoch \(stale)")
                #expect(error?.field == "epoch")
            }
            #expect(try await db.column("SELECT epoch FROM tessera.partition_maps ORDER BY epoch") == ["1", "2"])
        }
    }

    @Test func concurrentPublishersOfOneEpochLeaveOneWinner() async throws {
        try await Self.with { db, store, ids in
            let id = try #require(ids["a"])
            let map = try Self.first()
            try await store.publish(map, loads: nil, subscription: id)
            let next = try Self.second()
            let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        do {
                            try await store.publish(next, loads: nil, subscription: id)
                            return "published"
                        } catch let error as StoreError where error.code == .conflict {
                            return "conflict"
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.sorted() == ["conflict", "conflict", "conflict", "published"])
            #expect(try await db.int("SELECT count(*) FROM tessera.partition_maps") == 2)
            #expect(
                try await db.int("SELECT count(*) FROM tessera.partition_handoffs")
                    == map.moves(to: next).count
            )
        }
    }

    @Test func anotherTenantsSubscriptionIsNotFound() async throws {
        try await Self.with { _, store, ids in
            let id = try #require(ids["a"])
            try await store.publish(try Self.first(), loads: nil, subscription: id)
            let error = await #expect(throws: StoreError.self) {
                try await store.current(tenant: "beta", subscription: id)
            }
            #expect(error?.code == .notFound)
            let missing = await #expect(throws: StoreError.self) {
                try await store.current(tenant: "alpha", subscription: UUID())
            }
            #expect(missing?.code == .notFound)
            #expect(try await store.current(tenant: "alpha", subscription: try #require(ids["b"])) == nil)
            let unknown = await #expect(throws: StoreError.self) {
                try await store.publish(try Self.first(), loads: nil, subscription: UUID())
            }
            #expect(unknown?.code == .notFound)
        }
    }

    @Test func loadsAreOnePerPartitionAndTheGridSystemStays() async throws {
        try await Self.with { _, store, ids in
            let id = try #require(ids["a"])
            let map = try Self.first()
            let short = await #expect(throws: StoreError.self) {
                try await store.publish(map, loads: [1, 2], subscription: id)
            }
            #expect(short?.code == .invalid)
            #expect(short?.field == "loads")
            let negative = await #expect(throws: StoreError.self) {
                try await store.publish(map, loads: [1, -2, 3, .nan], subscription: id)
            }
            #expect(negative?.field == "loads[1]")

            try await store.publish(map, loads: nil, subscription: id)
            let h3 = try PartitionMap(uniform: try PartitionGrid(.h3, level: 5), partitions: 4, epoch: 2)
            let other = await #expect(throws: StoreError.self) {
                try await store.publish(h3, loads: nil, subscription: id)
            }
            #expect(other?.field == "grid")
            // Another level of the same system is the same curve, so it may change.
            let finer = try PartitionMap(uniform: try PartitionGrid(.s2, level: 12), partitions: 4, epoch: 2)
            try await store.publish(finer, loads: nil, subscription: id)
        }
    }

    @Test func aMapThatCannotBeReadIsAnErrorNamingIt() async throws {
        try await Self.with { db, store, ids in
            let id = try #require(ids["a"])
            try await store.publish(try Self.first(), loads: nil, subscription: id)
            try await db.execute("UPDATE tessera.partition_maps SET map = '\\x54500209'::bytea")
            let error = await #expect(throws: DatabaseError.self) {
                try await store.current(tenant: "alpha", subscription: id)
            }
            #expect(error?.message.contains("\(id)") == true)
            #expect(error?.message.contains("epoch 1") == true)
        }
    }

    @Test func pruningKeepsTheNewestAndDeletingTheSubscriptionCascades() async throws {
        try await Self.with { db, store, ids in
            let id = try #require(ids["a"])
            let other = try #require(ids["b"])
            let map = try Self.first()
            try await store.publish(map, loads: nil, subscription: id)
            try await store.publish(try Self.second(), loads: nil, subscription: id)
            try await store.publish(try Self.second().with(epoch: 3), loads: nil, subscription: id)
            try await store.publish(map, loads: nil, subscription: other)

            let pruned = try await db.withConnection { c in
                try await PartitionMapStore.prune(subscription: id, keepingFrom: 2, on: c, logger: Self.logger)
            }
            #expect(pruned == 1)
            let all = try await db.withConnection { c in
                try await PartitionMapStore.prune(subscription: id, keepingFrom: 100, on: c, logger: Self.logger)
            }
            #expect(all == 1, "the newest map stays")
            #expect(try await store.current(tenant: "alpha", subscription: id)?.map.epoch == 3)
            #expect(
                try await db.column("SELECT subscription_id || ' ' || epoch FROM tessera.partition_maps ORDER BY 1")
                    .compactMap { $0 }.sorted() == ["\(id) 3".lowercased(), "\(other) 1".lowercased()].sorted()
            )
            let handoffs = try await db.int("SELECT count(*) FROM tessera.partition_handoffs")
            #expect(handoffs > 0, "hand-offs outlive the maps they came from")
            let dropped = try await db.withConnection { c in
                try await PartitionMapStore.pruneHandoffs(subscription: id, before: 3, on: c, logger: Self.logger)
            }
            #expect(dropped == handoffs, "epoch 3 moved nothing")

            try await store.publish(try Self.first().with(epoch: 4), loads: nil, subscription: id)
            #expect(try await db.int("SELECT count(*) FROM tessera.partition_handoffs") > 0)
            try await db.execute("DELETE FROM tessera.subscriptions WHERE id = '\(id)'")
            #expect(
                try await db.int("SELECT count(*) FROM tessera.partition_maps WHERE subscription_id = '\(id)'") == 0
            )
            #expect(try await db.int("SELECT count(*) FROM tessera.partition_handoffs") == 0)
            #expect(try await db.int("SELECT count(*) FROM tessera.partition_maps") == 1, "b keeps its map")
        }
    }
}
