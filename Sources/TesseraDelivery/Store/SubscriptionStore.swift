import Foundation
import Logging
import NIOCore
import PostgresNIO
import TesseraGeometry

/// Subscriptions of one tenant in `tessera.subscriptions`, with their signing secrets.
///
/// Every operation takes the tenant and matches it in SQL: another tenant's subscription
/// is reported as not found, never as forbidden.
public struct SubscriptionStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    static let columns = """
        s.id, s.tenant, s.name, s.url, s.method, s.headers::text, s.kind, s.layers, ST_AsGeoJSON(s.filter), s.format,
        s.compression, s.debounce_ms, s.max_delay_ms, s.max_tiles, s.rollup, s.timeout_ms, s.rate_per_minute,
        s.max_in_flight, s.ordered, s.retry_schedule_ms::int8[], s.status, s.disabled_reason, s.created_at, s.updated_at
        """

    /// Creates a subscription with a new 32-byte signing secret.
    /// - Returns: the subscription and its secret (shown once).
    /// - Throws: ``StoreError`` `.conflict` (field `name`) when the tenant has one of that name,
    ///   `.invalid` (field `layers[i]`) for a layer that does not exist.
    public func create(tenant: String, _ settings: SubscriptionDefinition) async throws -> (Subscription, [UInt8]) {
        let secret = Self.randomSecret()
        let logger = logger
        return try await mapErrors(name: settings.name) {
            try await client.transaction(logger: logger) { c in
                try await Self.checkLayers(settings.layers, on: c, logger: logger)
                try await c.drain(
                    "INSERT INTO tessera.tenants (name) VALUES (\(tenant)) ON CONFLICT DO NOTHING",
                    logger: logger
                )
                let s = settings
                let rows = try await c.query(
                    """
                    WITH s AS (
                        INSERT INTO tessera.subscriptions (tenant, name, url, method, headers, kind, layers, filter, format,
                            compression, debounce_ms, max_delay_ms, max_tiles, rollup, timeout_ms, rate_per_minute,
                            max_in_flight, ordered, retry_schedule_ms)
                        VALUES (\(tenant), \(s.name), \(s.url), \(s.method), \(Self.headersJSON(s.headers))::jsonb, \(s.kind),
                            \(s.layers), ST_GeomFromEWKB(\(Self.ewkb(s.filter))), \(s.format), \(s.compression),
                            \(s.debounceMilliseconds), \(s.maxDelayMilliseconds), \(s.maxTiles), \(s.rollUp),
                            \(s.timeoutMilliseconds), \(s.ratePerMinute), \(s.maxInFlight), \(s.ordered),
                            \(s.retryScheduleMilliseconds)::int[])
                        RETURNING *
                    )
                    SELECT \(unescaped: Self.columns) FROM s
                    """,
                    logger: logger
                )
                var created: [Subscription] = []
                for try await row in rows { created.append(try Self.subscription(row)) }
                try await c.drain(
                    """
                    INSERT INTO tessera.subscription_secrets (subscription_id, secret)
                    VALUES (\(created[0].id), \(ByteBuffer(bytes: secret)))
                    """,
                    logger: logger
                )
                return (created[0], secret)
            }
        }
    }

    /// One page of the tenant's subscriptions, ordered by name, starting after `afterName`.
    public func list(tenant: String, limit: Int, afterName: String? = nil) async throws -> [Subscription] {
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.columns) FROM tessera.subscriptions s
            WHERE s.tenant = \(tenant) AND (\(afterName)::text IS NULL OR s.name > \(afterName))
            ORDER BY s.name LIMIT \(limit)
            """,
            logger: logger
        )
        var out: [Subscription] = []
        for try await row in rows { out.append(try Self.subscription(row)) }
        return out
    }

    /// - Throws: ``StoreError`` `.notFound` when the tenant has no such subscription.
    public func get(tenant: String, id: UUID) async throws -> Subscription {
        let rows = try await client.query(
            "SELECT \(unescaped: Self.columns) FROM tessera.subscriptions s WHERE s.tenant = \(tenant) AND s.id = \(id)",
            logger: logger
        )
        for try await row in rows { return try Self.subscription(row) }
        throw StoreError.notFound("subscription \(id)")
    }

    /// Replaces every setting of a subscription.
    /// - Throws: ``StoreError`` `.notFound`, `.conflict` (another subscription has the name), `.invalid` (layers).
    public func update(tenant: String, id: UUID, _ settings: SubscriptionDefinition) async throws -> Subscription {
        let logger = logger
        return try await mapErrors(name: settings.name) {
            try await client.transaction(logger: logger) { c in
                try await Self.checkLayers(settings.layers, on: c, logger: logger)
                let s = settings
                let rows = try await c.query(
                    """
                    WITH s AS (
                        UPDATE tessera.subscriptions SET name = \(s.name), url = \(s.url), method = \(s.method),
                            headers = \(Self.headersJSON(s.headers))::jsonb, kind = \(s.kind), layers = \(s.layers),
                            filter = ST_GeomFromEWKB(\(Self.ewkb(s.filter))), format = \(s.format),
                            compression = \(s.compression), debounce_ms = \(s.debounceMilliseconds),
                            max_delay_ms = \(s.maxDelayMilliseconds), max_tiles = \(s.maxTiles), rollup = \(s.rollUp),
                            timeout_ms = \(s.timeoutMilliseconds), rate_per_minute = \(s.ratePerMinute),
                            max_in_flight = \(s.maxInFlight), ordered = \(s.ordered),
                            retry_schedule_ms = \(s.retryScheduleMilliseconds)::int[], updated_at = now()
                        WHERE tenant = \(tenant) AND id = \(id)
                        RETURNING *
                    )
                    SELECT \(unescaped: Self.columns) FROM s
                    """,
                    logger: logger
                )
                for try await row in rows { return try Self.subscription(row) }
                throw StoreError.notFound("subscription \(id)")
            }
        }
    }

    /// Deletes a subscription with its windows, deliveries, attempts and secrets.
    /// - Throws: ``StoreError`` `.notFound`.
    public func delete(tenant: String, id: UUID) async throws {
        let rows = try await client.query(
            "DELETE FROM tessera.subscriptions WHERE tenant = \(tenant) AND id = \(id) RETURNING id",
            logger: logger
        )
        for try await _ in rows { return }
        throw StoreError.notFound("subscription \(id)")
    }

    /// Pauses (`active: false`) or resumes a subscription. Resuming also re-enables a subscription
    /// the dispatcher disabled, and clears the reason.
    /// - Throws: ``StoreError`` `.notFound`.
    public func setActive(tenant: String, id: UUID, _ active: Bool) async throws -> Subscription {
        let status = active ? "active" : "paused"
        let rows = try await client.query(
            """
            WITH s AS (
                UPDATE tessera.subscriptions SET status = \(status), disabled_reason = NULL, updated_at = now()
                WHERE tenant = \(tenant) AND id = \(id) RETURNING *
            )
            SELECT \(unescaped: Self.columns) FROM s
            """,
            logger: logger
        )
        for try await row in rows { return try Self.subscription(row) }
        throw StoreError.notFound("subscription \(id)")
    }

    /// Adds a new current secret; secrets that were current keep signing for `overlap`, then expire.
    /// Secrets already expired are deleted.
    /// - Returns: the new secret (shown once) and when the previous ones stop signing.
    /// - Throws: ``StoreError`` `.notFound`.
    public func rotateSecret(tenant: String, id: UUID, overlap: Duration) async throws -> ([UInt8], Date) {
        let secret = Self.randomSecret()
        let overlapSeconds = Double(overlap.components.seconds) + Double(overlap.components.attoseconds) / 1e18
        let logger = logger
        return try await client.transaction(logger: logger) { c in
            var found = false
            for try await _ in try await c.query(
                "SELECT 1 FROM tessera.subscriptions WHERE tenant = \(tenant) AND id = \(id) FOR UPDATE",
                logger: logger
            ) { found = true }
            guard found else { throw StoreError.notFound("subscription \(id)") }
            try await c.drain(
                "DELETE FROM tessera.subscription_secrets WHERE subscription_id = \(id) AND expires_at <= now()",
                logger: logger
            )
            var until = Date()
            for try await expiry in try await c.query(
                """
                UPDATE tessera.subscription_secrets
                SET expires_at = now() + make_interval(secs => \(overlapSeconds))
                WHERE subscription_id = \(id) AND expires_at IS NULL
                RETURNING expires_at
                """,
                logger: logger
            ).decode(Date.self) { until = expiry }
            try await c.drain(
                """
                INSERT INTO tessera.subscription_secrets (subscription_id, secret)
                VALUES (\(id), \(ByteBuffer(bytes: secret)))
                """,
                logger: logger
            )
            return (secret, until)
        }
    }

    /// The secrets that sign now, the current one first.
    /// - Throws: ``StoreError`` `.notFound` when the tenant has no such subscription.
    public func activeSecrets(tenant: String, id: UUID) async throws -> [SubscriptionSecret] {
        _ = try await get(tenant: tenant, id: id)
        let rows = try await client.query(
            """
            SELECT k.secret, k.created_at, k.expires_at FROM tessera.subscription_secrets k
            JOIN tessera.subscriptions s ON s.id = k.subscription_id
            WHERE s.tenant = \(tenant) AND s.id = \(id) AND (k.expires_at IS NULL OR k.expires_at > now())
            ORDER BY k.expires_at DESC NULLS FIRST, k.id DESC
            """,
            logger: logger
        )
        var out: [SubscriptionSecret] = []
        for try await (bytes, created, expires) in rows.decode((ByteBuffer, Date, Date?).self) {
            out.append(SubscriptionSecret(bytes: Array(buffer: bytes), createdAt: created, expiresAt: expires))
        }
        return out
    }

    // MARK: - Helpers

    static func randomSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    static func headersJSON(_ headers: [String: String]) -> String {
        "{"
            + headers.sorted { $0.key < $1.key }.map { "\(JSONText.quoted($0.key)):\(JSONText.quoted($0.value))" }
            .joined(separator: ",") + "}"
    }

    static func ewkb(_ geometry: Geometry?) -> ByteBuffer? {
        geometry.map { ByteBuffer(bytes: WKB.encode($0, srid: 4326)) }
    }

    /// Refuses layers that `tessera.layers` does not know, naming the first one.
    static func checkLayers(_ layers: [String], on c: PostgresConnection, logger: Logger) async throws {
        let rows = try await c.query(
            """
            SELECT l.ord::int8, l.name FROM unnest(\(layers)::text[]) WITH ORDINALITY AS l(name, ord)
            WHERE NOT EXISTS (SELECT 1 FROM tessera.layers k WHERE k.name = l.name) ORDER BY l.ord LIMIT 1
            """,
            logger: logger
        )
        for try await (ord, name) in rows.decode((Int, String).self) {
            throw StoreError(
                code: .invalid,
                field: "layers[\(ord - 1)]",
                message: "no layer named '\(name)' (layers come from the configuration's \"layers\")"
            )
        }
    }

    /// Turns a unique-name violation into a conflict on `name`, a CHECK violation into `.invalid`.
    func mapErrors<T>(name: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PSQLError {
            switch error.serverInfo?[.sqlState] {
            case "23505":
                throw StoreError(code: .conflict, field: "name", message: "a subscription named '\(name)' exists")
            case "23514":
                throw StoreError(code: .invalid, message: error.serverInfo?[.message] ?? "refused by a constraint")
            default:
                throw error
            }
        }
    }

    static func subscription(_ row: PostgresRow) throws -> Subscription {
        let r = row.makeRandomAccess()
        var settings = SubscriptionDefinition(
            name: try r[2].decode(String.self),
            url: try r[3].decode(String.self),
            layers: try r[7].decode([String].self)
        )
        settings.method = try r[4].decode(String.self)
        if case .object(let members) = try JSONValue.parse(Array(try r[5].decode(String.self).utf8)) {
            for (k, v) in members {
                if case .string(let s) = v { settings.headers[k] = s }
            }
        }
        settings.kind = try r[6].decode(String.self)
        if let geojson = try r[8].decode(String?.self) {
            settings.filter = try GeoJSON.decodeGeometry(Array(geojson.utf8))
        }
        settings.format = try r[9].decode(String.self)
        settings.compression = try r[10].decode(String.self)
        settings.debounceMilliseconds = try r[11].decode(Int.self)
        settings.maxDelayMilliseconds = try r[12].decode(Int.self)
        settings.maxTiles = try r[13].decode(Int.self)
        settings.rollUp = try r[14].decode(String.self)
        settings.timeoutMilliseconds = try r[15].decode(Int.self)
        settings.ratePerMinute = try r[16].decode(Int?.self)
        settings.maxInFlight = try r[17].decode(Int.self)
        settings.ordered = try r[18].decode(Bool.self)
        settings.retryScheduleMilliseconds = try r[19].decode([Int].self)
        return Subscription(
            id: try r[0].decode(UUID.self),
            tenant: try r[1].decode(String.self),
            settings: settings,
            status: try r[20].decode(String.self),
            disabledReason: try r[21].decode(String?.self),
            createdAt: try r[22].decode(Date.self),
            updatedAt: try r[23].decode(Date.self)
        )
    }
}
