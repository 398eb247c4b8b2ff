import Foundation
import Logging
import NIOCore
import PostgresNIO
import TesseraGrids
import TesseraPostgres

/// A subscription's partition map as published: the map, the loads the balancer saw, and when.
public struct PublishedPartitionMap: Sendable, Hashable {
    public var map: PartitionMap
    /// Per partition (`loads[p]` for partition `p`), the load the balancer measured when it drew the
    /// map; nil when it published without (a uniform map for a subscription without history).
    public var loads: [Double]?
    public var publishedAt: Date

    public init(map: PartitionMap, loads: [Double]?, publishedAt: Date) {
        self.map = map
        self.loads = loads
        self.publishedAt = publishedAt
    }
}

/// `tessera.partition_maps` and `tessera.partition_handoffs`: the one owner of their SQL.
///
/// Every publication of a subscription's map is a new epoch, exactly one more than the last, written
/// with the hand-offs it causes (``PartitionHandoff``) in one transaction: whoever reads a map of
/// epoch `e` can also read every hand-off up to `e`. The instance methods run over a pool (the API's
/// reads take the tenant and match it in SQL, so another tenant's subscription is not found); the
/// static ones run inside a caller's transaction.
public struct PartitionMapStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Publishes `map` in a transaction of its own; see
    /// ``publish(_:loads:subscription:on:logger:)``.
    public func publish(_ map: PartitionMap, loads: [Double]?, subscription: UUID) async throws {
        let logger = logger
        try await client.transaction(logger: logger) { c in
            try await Self.publish(map, loads: loads, subscription: subscription, on: c, logger: logger)
        }
    }

    /// The newest map of a subscription of `tenant`; nil when the subscription has none yet.
    /// - Throws: ``StoreError`` `.notFound` when the tenant has no such subscription;
    ///   `DatabaseError` `.database` for a stored map this binary cannot read.
    public func current(tenant: String, subscription: UUID) async throws -> PublishedPartitionMap? {
        let rows = try await client.query(
            """
            SELECT m.epoch, m.partitions, m.map, m.loads, m.published_at FROM tessera.subscriptions s
            LEFT JOIN LATERAL (
                SELECT * FROM tessera.partition_maps p WHERE p.subscription_id = s.id ORDER BY p.epoch DESC LIMIT 1
            ) m ON true
            WHERE s.tenant = \(tenant) AND s.id = \(subscription)
            """,
            logger: logger
        )
        for try await row in rows { return try Self.published(row, subscription: subscription) }
        throw StoreError.notFound("subscription \(subscription)")
    }

    // MARK: - Inside a caller's transaction

    /// Publishes `map` as the subscription's next epoch, with the hand-offs from the current map
    /// (`current.moves(to: map)`), inside the caller's transaction.
    ///
    /// The subscription's row is locked until the transaction ends, so concurrent publishers take
    /// turns and the loser sees the winner's epoch. `FOR NO KEY UPDATE` rather than `FOR UPDATE`: the
    /// pipelines' inserts that reference the subscription (their foreign key checks take
    /// `FOR KEY SHARE`) do not wait for a publication.
    /// - Parameter loads: one non-negative finite load per partition, or nil.
    /// - Throws: ``StoreError`` `.conflict` (field `epoch`) unless `map.epoch` is the current epoch
    ///   plus one (1 for a first map); `.invalid` (field `loads`) for loads that are not one per
    ///   partition, or (field `grid`) for a map on another grid system than the current one (its
    ///   positions mean other places, so no hand-off could be computed); `.notFound` when there is no
    ///   such subscription.
    public static func publish(
        _ map: PartitionMap,
        loads: [Double]?,
        subscription: UUID,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        if let loads {
            guard loads.count == map.partitionCount else {
                throw StoreError(
                    code: .invalid,
                    field: "loads",
                    message: "has \(loads.count) entries for \(map.partitionCount) partitions"
                )
            }
            if let bad = loads.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
                throw StoreError(
                    code: .invalid,
                    field: "loads[\(bad)]",
                    message: "\(loads[bad]) is not a finite non-negative load"
                )
            }
        }
        let locked = try await connection.query(
            "SELECT 1 FROM tessera.subscriptions WHERE id = \(subscription) FOR NO KEY UPDATE",
            logger: logger
        )
        var found = false
        for try await _ in locked { found = true }
        guard found else { throw StoreError.notFound("subscription \(subscription)") }

        let previous = try await current(subscription: subscription, on: connection, logger: logger)
        let expected = (previous?.map.epoch ?? 0) + 1
        guard map.epoch == expected else {
            let reason =
                previous.map { "the published epoch is \($0.map.epoch), so the next one is \(expected)" }
                ?? "no map is published yet, so the first epoch is 1"
            throw StoreError(code: .conflict, field: "epoch", message: "\(map.epoch) is refused: \(reason)")
        }
        var edges: [PartitionHandoff.Edge] = []
        if let previous {
            guard previous.map.grid.system == map.grid.system else {
                throw StoreError(
                    code: .invalid,
                    field: "grid",
                    message:
                        "the map is on \(map.grid.system.rawValue) but epoch \(previous.map.epoch) is on "
                        + "\(previous.map.grid.system.rawValue); a subscription keeps its grid system"
                )
            }
            edges = PartitionHandoff.edges(of: previous.map.moves(to: map), epoch: map.epoch)
        }
        do {
            try await connection.perform(
                """
                INSERT INTO tessera.partition_maps (subscription_id, epoch, partitions, map, loads)
                VALUES (\(subscription), \(map.epoch), \(map.partitionCount), \(ByteBuffer(bytes: map.encoded())),
                        \(loads)::float8[])
                """,
                logger: logger
            )
            if !edges.isEmpty {
                try await connection.perform(
                    """
                    INSERT INTO tessera.partition_handoffs (subscription_id, epoch, from_partition, to_partition)
                    SELECT \(subscription), \(map.epoch), e.from_partition, e.to_partition
                    FROM unnest(\(edges.map(\.from))::int8[], \(edges.map(\.to))::int8[]) AS e(from_partition, to_partition)
                    """,
                    logger: logger
                )
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            // A publisher whose snapshot predates the lock (a REPEATABLE READ caller) lost the race.
            throw StoreError(
                code: .conflict,
                field: "epoch",
                message: "\(map.epoch) is refused: another publisher published it first"
            )
        }
    }

    /// The subscription's newest map; nil when it has none (or there is no such subscription).
    /// - Throws: `DatabaseError` `.database` for a stored map this binary cannot read.
    public static func current(
        subscription: UUID,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> PublishedPartitionMap? {
        let rows = try await connection.query(
            """
            SELECT epoch, partitions, map, loads, published_at FROM tessera.partition_maps
            WHERE subscription_id = \(subscription) ORDER BY epoch DESC LIMIT 1
            """,
            logger: logger
        )
        for try await row in rows { return try published(row, subscription: subscription) }
        return nil
    }

    /// The newest epoch of every subscription's map and the load per partition the balancer saw
    /// (empty when none was stored), for the metrics.
    public static func latestLoads(on connection: PostgresConnection, logger: Logger) async throws
        -> [(subscription: String, epoch: Int64, partitions: Int, loads: [Double])]
    {
        let rows = try await connection.query(
            """
            SELECT DISTINCT ON (subscription_id) subscription_id::text, epoch, partitions, coalesce(loads, '{}')
            FROM tessera.partition_maps ORDER BY subscription_id, epoch DESC
            """,
            logger: logger
        )
        var result: [(subscription: String, epoch: Int64, partitions: Int, loads: [Double])] = []
        for try await (subscription, epoch, partitions, loads) in rows.decode((String, Int64, Int, [Double]).self) {
            result.append((subscription, epoch, partitions, loads))
        }
        return result
    }

    /// The hand-offs of epochs `epoch` and later, by epoch: what a pipeline needs to gate the
    /// deliveries of partitions that received positions (``PartitionHandoff/mayRelease(partition:epoch:oldestUndelivered:)``),
    /// given that nothing routed before `epoch` is left undelivered.
    public static func handoffs(
        subscription: UUID,
        since epoch: Int64,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> PartitionHandoff {
        let rows = try await connection.query(
            """
            SELECT epoch, from_partition::int8, to_partition::int8 FROM tessera.partition_handoffs
            WHERE subscription_id = \(subscription) AND epoch >= \(epoch)
            ORDER BY epoch, from_partition, to_partition
            """,
            logger: logger
        )
        var edges: [PartitionHandoff.Edge] = []
        for try await (epoch, from, to) in rows.decode((Int64, Int, Int).self) {
            edges.append(PartitionHandoff.Edge(epoch: epoch, from: from, to: to))
        }
        return PartitionHandoff(edges: edges)
    }

    /// Deletes the subscription's maps of epochs before `epoch`, except the newest, which is always
    /// kept. Hand-offs are left alone: they gate deliveries, not maps (see
    /// ``pruneHandoffs(subscription:before:on:logger:)``).
    /// - Returns: how many maps were deleted.
    @discardableResult
    public static func prune(
        subscription: UUID,
        keepingFrom epoch: Int64,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Int {
        try await connection.perform(
            """
            DELETE FROM tessera.partition_maps
            WHERE subscription_id = \(subscription) AND epoch < \(epoch)
              AND epoch < (SELECT max(epoch) FROM tessera.partition_maps WHERE subscription_id = \(subscription))
            RETURNING 1
            """,
            logger: logger
        )
    }

    /// Deletes the subscription's hand-offs of epochs before `epoch`. Call only once no delivery
    /// routed with an epoch before `epoch` is left undelivered: those hand-offs can then hold
    /// nothing back (``PartitionHandoff/prune(oldestUndelivered:)``).
    /// - Returns: how many hand-offs were deleted.
    @discardableResult
    public static func pruneHandoffs(
        subscription: UUID,
        before epoch: Int64,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Int {
        try await connection.perform(
            """
            DELETE FROM tessera.partition_handoffs WHERE subscription_id = \(subscription) AND epoch < \(epoch)
            RETURNING 1
            """,
            logger: logger
        )
    }

    // MARK: - Helpers

    /// Decodes `epoch, partitions, map, loads, published_at`; nil for the all-NULL row of a
    /// subscription without a map. A map that cannot be read is an error naming it, never a crash
    /// and never a silent fallback: routing with a wrong map would scatter keys.
    static func published(_ row: PostgresRow, subscription: UUID) throws -> PublishedPartitionMap? {
        let r = row.makeRandomAccess()
        guard let epoch = try r[0].decode(Int64?.self) else { return nil }
        let partitions = try r[1].decode(Int.self)
        let bytes = try r[2].decode(ByteBuffer.self)
        let map: PartitionMap
        do {
            map = try PartitionMap(encoded: Array(buffer: bytes))
        } catch {
            throw DatabaseError(
                code: .database,
                message: "subscription \(subscription): the partition map of epoch \(epoch) cannot be read: \(error)"
            )
        }
        guard map.epoch == epoch, map.partitionCount == partitions else {
            throw DatabaseError(
                code: .database,
                message:
                    "subscription \(subscription): the partition map of epoch \(epoch) says epoch \(map.epoch) "
                    + "with \(map.partitionCount) partitions, its row \(partitions) partitions"
            )
        }
        return PublishedPartitionMap(
            map: map,
            loads: try r[3].decode([Double]?.self),
            publishedAt: try r[4].decode(Date.self)
        )
    }
}
