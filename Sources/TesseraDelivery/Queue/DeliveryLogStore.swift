import Foundation
import Logging
import PostgresNIO
import TesseraCatalog
import TesseraPostgres

/// The delivery log and the dead-letter queue of one tenant, read from `tessera.deliveries`
/// and `tessera.delivery_attempts`, and the requeue operations (retry, retry all, replay).
///
/// Requeueing sets a delivery back to `pending`, due now, with its attempt count at zero
/// and its attempt history kept. The event id — the `webhook-id` header — does not change,
/// as in Svix: a receiver that deduplicates on it will treat a replayed delivery as seen.
public struct DeliveryLogStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    static let columns = """
        d.id, d.event_id, d.subscription_id, d.event_type, d.status, d.attempts, d.last_status_code, d.last_error,
        (SELECT a.duration_ms FROM tessera.delivery_attempts a WHERE a.delivery_id = d.id ORDER BY a.id DESC LIMIT 1),
        d.content_type, d.content_encoding, octet_length(d.payload), d.change_count, d.window_start, d.window_end,
        d.created_at, d.next_attempt_at, d.delivered_at, d.dead_at
        """

    static let requeue = """
        status = 'pending', next_attempt_at = now(), attempts = 0, early_probes = 0, lease_until = NULL, last_error = NULL,
        last_status_code = NULL, delivered_at = NULL, dead_at = NULL, progress = NULL
        """

    /// One page of a subscription's deliveries, newest first (by creation, then id), starting after
    /// the delivery `beforeID` (the last one of the previous page). Ordered by `created_at` so the
    /// `deliveries_subscription (subscription_id, created_at)` index serves it.
    /// - Throws: ``StoreError`` `.notFound` when the tenant has no such subscription.
    public func list(
        tenant: String,
        subscription: UUID,
        status: String? = nil,
        limit: Int,
        beforeID: Int64? = nil
    ) async throws -> [DeliveryRecord] {
        try await requireSubscription(tenant: tenant, id: subscription)
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.columns) FROM tessera.deliveries d
            WHERE d.subscription_id = \(subscription) AND (\(status)::text IS NULL OR d.status = \(status))
                AND (\(beforeID)::int8 IS NULL OR (d.created_at, d.id) < (
                    (SELECT c.created_at FROM tessera.deliveries c WHERE c.id = \(beforeID)), \(beforeID)))
            ORDER BY d.created_at DESC, d.id DESC LIMIT \(limit)
            """,
            logger: logger
        )
        var out: [DeliveryRecord] = []
        for try await row in rows { out.append(try Self.delivery(row)) }
        return out
    }

    /// A delivery of the tenant with its attempts.
    /// - Throws: ``StoreError`` `.notFound`.
    public func get(tenant: String, id: Int64) async throws -> DeliveryWithAttempts {
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.columns) FROM tessera.deliveries d
            JOIN tessera.subscriptions s ON s.id = d.subscription_id
            WHERE s.tenant = \(tenant) AND d.id = \(id)
            """,
            logger: logger
        )
        var found: DeliveryRecord?
        for try await row in rows { found = try Self.delivery(row) }
        guard let found else { throw StoreError.notFound("delivery \(id)") }
        return try await withAttempts([found])[0]
    }

    /// One page of dead letters, newest first, each with its whole attempt history.
    /// - Parameters:
    ///   - since, until: bounds on when the delivery died (`since` included, `until` excluded).
    public func deadLetters(
        tenant: String,
        subscription: UUID? = nil,
        since: Date? = nil,
        until: Date? = nil,
        limit: Int,
        beforeID: Int64? = nil
    ) async throws -> [DeliveryWithAttempts] {
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.columns) FROM tessera.deliveries d
            JOIN tessera.subscriptions s ON s.id = d.subscription_id
            WHERE s.tenant = \(tenant) AND d.status = 'dead'
                AND (\(subscription)::uuid IS NULL OR d.subscription_id = \(subscription))
                AND (\(since)::timestamptz IS NULL OR d.dead_at >= \(since))
                AND (\(until)::timestamptz IS NULL OR d.dead_at < \(until))
                AND (\(beforeID)::int8 IS NULL OR d.id < \(beforeID))
            ORDER BY d.id DESC LIMIT \(limit)
            """,
            logger: logger
        )
        var out: [DeliveryRecord] = []
        for try await row in rows { out.append(try Self.delivery(row)) }
        return try await withAttempts(out)
    }

    /// How many dead letters the tenant has, in all and per subscription.
    public func deadLetterStats(tenant: String) async throws -> DeadLetterStats {
        let rows = try await client.query(
            """
            SELECT s.id, s.name, count(*)::int8, min(d.dead_at), max(d.dead_at)
            FROM tessera.deliveries d JOIN tessera.subscriptions s ON s.id = d.subscription_id
            WHERE s.tenant = \(tenant) AND d.status = 'dead'
            GROUP BY s.id, s.name ORDER BY s.name
            """,
            logger: logger
        )
        var stats = DeadLetterStats(total: 0, oldest: nil, newest: nil, subscriptions: [])
        for try await (id, name, count, oldest, newest) in rows.decode((UUID, String, Int, Date?, Date?).self) {
            let oldest = oldest ?? Date(timeIntervalSince1970: 0)
            let newest = newest ?? oldest
            stats.subscriptions.append(
                .init(subscriptionID: id, name: name, count: count, oldest: oldest, newest: newest)
            )
            stats.total += count
            stats.oldest = min(stats.oldest ?? oldest, oldest)
            stats.newest = max(stats.newest ?? newest, newest)
        }
        return stats
    }

    /// One subscription's delivery figures over the last `seconds`, for the status page.
    public struct SubscriptionActivity: Sendable, Hashable {
        public var id: UUID
        public var name: String
        public var status: String
        public var delivered: Int
        /// Attempts that did not end in a 2xx.
        public var failedAttempts: Int
        public var pending: Int
        public var deadLetters: Int
        /// Seconds since the oldest undelivered delivery was created (0 when none waits).
        public var oldestUndeliveredSeconds: Double
    }

    /// Every subscription of the tenant with what it delivered and failed in the last `seconds`.
    public func activity(tenant: String, seconds: Int) async throws -> [SubscriptionActivity] {
        let rows = try await client.query(
            """
            SELECT s.id, s.name, s.status,
                   (SELECT count(*) FROM tessera.deliveries d WHERE d.subscription_id = s.id
                       AND d.status = 'delivered' AND d.delivered_at > now() - make_interval(secs => \(seconds)))::int8,
                   (SELECT count(*) FROM tessera.deliveries d JOIN tessera.delivery_attempts a ON a.delivery_id = d.id
                       WHERE d.subscription_id = s.id AND a.started_at > now() - make_interval(secs => \(seconds))
                       AND (a.status_code IS NULL OR a.status_code NOT BETWEEN 200 AND 299))::int8,
                   (SELECT count(*) FROM tessera.deliveries d WHERE d.subscription_id = s.id
                       AND d.status IN ('pending', 'delivering'))::int8,
                   (SELECT count(*) FROM tessera.deliveries d WHERE d.subscription_id = s.id AND d.status = 'dead')::int8,
                   coalesce((SELECT extract(epoch FROM now() - min(d.created_at)) FROM tessera.deliveries d
                       WHERE d.subscription_id = s.id AND d.status IN ('pending', 'delivering')), 0)::float8
            FROM tessera.subscriptions s WHERE s.tenant = \(tenant) ORDER BY s.name
            """,
            logger: logger
        )
        var out: [SubscriptionActivity] = []
        for try await (id, name, status, delivered, failed, pending, dead, oldest) in rows.decode(
            (UUID, String, String, Int, Int, Int, Int, Double).self
        ) {
            out.append(
                SubscriptionActivity(
                    id: id,
                    name: name,
                    status: status,
                    delivered: delivered,
                    failedAttempts: failed,
                    pending: pending,
                    deadLetters: dead,
                    oldestUndeliveredSeconds: oldest
                )
            )
        }
        return out
    }

    /// A stored payload of one of the tenant's deliveries.
    public struct StoredPayload: Sendable {
        public var subscriptionID: UUID
        public var eventType: String
        public var createdAt: Date
        public var payload: [UInt8]
        public var contentType: String
        public var contentEncoding: String?
    }

    /// The payloads of the tenant's deliveries created in the last `seconds`, newest first, at most `limit`.
    public func recentPayloads(tenant: String, seconds: Int, limit: Int) async throws -> [StoredPayload] {
        let rows = try await client.query(
            """
            SELECT d.subscription_id, d.event_type, d.created_at, d.payload, d.content_type, d.content_encoding
            FROM tessera.deliveries d JOIN tessera.subscriptions s ON s.id = d.subscription_id
            WHERE s.tenant = \(tenant) AND d.created_at > now() - make_interval(secs => \(seconds))
            ORDER BY d.created_at DESC LIMIT \(limit)
            """,
            logger: logger
        )
        var out: [StoredPayload] = []
        for try await (subscription, type, created, payload, contentType, encoding) in rows.decode(
            (UUID, String, Date, ByteBuffer, String, String?).self
        ) {
            out.append(
                StoredPayload(
                    subscriptionID: subscription,
                    eventType: type,
                    createdAt: created,
                    payload: Array(buffer: payload),
                    contentType: contentType,
                    contentEncoding: encoding
                )
            )
        }
        return out
    }

    /// Requeues one dead letter.
    /// - Throws: ``StoreError`` `.notFound`, or `.conflict` when the delivery is not dead.
    public func retryDeadLetter(tenant: String, id: Int64) async throws -> DeliveryRecord {
        let rows = try await client.query(
            """
            WITH d AS (
                UPDATE tessera.deliveries SET \(unescaped: Self.requeue)
                WHERE id = \(id) AND status = 'dead'
                    AND subscription_id IN (SELECT id FROM tessera.subscriptions WHERE tenant = \(tenant))
                RETURNING *
            )
            SELECT \(unescaped: Self.columns) FROM d
            """,
            logger: logger
        )
        for try await row in rows { return try Self.delivery(row) }
        let existing = try await get(tenant: tenant, id: id)  // throws notFound for others' deliveries
        throw StoreError(
            code: .conflict,
            message: "delivery \(id) is \(existing.delivery.status), not dead; only dead letters are retried"
        )
    }

    /// Requeues every dead letter of a subscription.
    /// - Returns: how many were requeued.
    /// - Throws: ``StoreError`` `.notFound` when the tenant has no such subscription.
    public func retryDeadLetters(tenant: String, subscription: UUID) async throws -> Int {
        try await requireSubscription(tenant: tenant, id: subscription)
        return try await count(
            """
            WITH d AS (
                UPDATE tessera.deliveries SET \(unescaped: Self.requeue)
                WHERE subscription_id = \(subscription) AND status = 'dead' RETURNING 1
            )
            SELECT count(*)::int8 FROM d
            """
        )
    }

    /// Requeues the subscription's finished deliveries (delivered or dead) created in `[from, to)`,
    /// so each is sent once more with its original event id.
    /// - Returns: how many were requeued.
    /// - Throws: ``StoreError`` `.notFound` when the tenant has no such subscription.
    public func replay(tenant: String, subscription: UUID, from: Date, to: Date) async throws -> Int {
        try await requireSubscription(tenant: tenant, id: subscription)
        return try await count(
            """
            WITH d AS (
                UPDATE tessera.deliveries SET \(unescaped: Self.requeue)
                WHERE subscription_id = \(subscription) AND status IN ('delivered', 'dead')
                    AND created_at >= \(from) AND created_at < \(to)
                RETURNING 1
            )
            SELECT count(*)::int8 FROM d
            """
        )
    }

    // MARK: - Helpers

    func requireSubscription(tenant: String, id: UUID) async throws {
        let rows = try await client.query(
            "SELECT 1 FROM tessera.subscriptions WHERE tenant = \(tenant) AND id = \(id)",
            logger: logger
        )
        for try await _ in rows { return }
        throw StoreError.notFound("subscription \(id)")
    }

    func count(_ query: PostgresQuery) async throws -> Int {
        var n = 0
        for try await c in try await client.query(query, logger: logger).decode(Int.self) { n = c }
        return n
    }

    func withAttempts(_ deliveries: [DeliveryRecord]) async throws -> [DeliveryWithAttempts] {
        guard !deliveries.isEmpty else { return [] }
        let ids = deliveries.map(\.id)
        let rows = try await client.query(
            """
            SELECT delivery_id, attempt, started_at, duration_ms, status_code, error, response_body, outcome_lost, probe
            FROM tessera.delivery_attempts WHERE delivery_id = ANY(\(ids)) ORDER BY delivery_id, id
            """,
            logger: logger
        )
        var byDelivery: [Int64: [DeliveryAttemptRecord]] = [:]
        for try await (id, attempt, started, duration, code, error, body, lost, probe) in rows.decode(
            (Int64, Int, Date, Int, Int?, String?, String?, Bool, Bool).self
        ) {
            byDelivery[id, default: []].append(
                DeliveryAttemptRecord(
                    attempt: attempt,
                    startedAt: started,
                    durationMilliseconds: duration,
                    statusCode: code,
                    error: error,
                    responseBody: body,
                    outcomeLost: lost,
                    probe: probe
                )
            )
        }
        return deliveries.map { DeliveryWithAttempts(delivery: $0, attempts: byDelivery[$0.id] ?? []) }
    }

    static func delivery(_ row: PostgresRow) throws -> DeliveryRecord {
        let r = row.makeRandomAccess()
        return DeliveryRecord(
            id: try r[0].decode(Int64.self),
            eventID: try r[1].decode(UUID.self),
            subscriptionID: try r[2].decode(UUID.self),
            eventType: try r[3].decode(String.self),
            status: try r[4].decode(String.self),
            attempts: try r[5].decode(Int.self),
            lastStatusCode: try r[6].decode(Int?.self),
            lastError: try r[7].decode(String?.self),
            latencyMilliseconds: try r[8].decode(Int?.self),
            contentType: try r[9].decode(String.self),
            contentEncoding: try r[10].decode(String?.self),
            payloadBytes: try r[11].decode(Int.self),
            changeCount: try r[12].decode(Int.self),
            windowStart: try r[13].decode(Date?.self),
            windowEnd: try r[14].decode(Date?.self),
            createdAt: try r[15].decode(Date.self),
            nextAttemptAt: try r[16].decode(Date.self),
            deliveredAt: try r[17].decode(Date?.self),
            deadAt: try r[18].decode(Date?.self)
        )
    }
}
