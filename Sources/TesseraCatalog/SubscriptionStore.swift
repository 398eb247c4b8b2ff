import Foundation
import Logging
import NIOCore
import PostgresNIO
import TesseraGeometry
import TesseraPostgres

/// `tessera.subscriptions` and `tessera.subscription_secrets`: the one owner of their SQL.
///
/// The instance methods are the API's, over a pool: every one takes the tenant and matches it in
/// SQL, so another tenant's subscription is reported as not found, never as forbidden. The static
/// ones run inside a caller's transaction: the pipelines' and the dispatcher's reads, the
/// configuration file's declarations, the dispatcher's disabling.
public struct SubscriptionStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    static let columns = """
        s.id, s.tenant, s.name, s.url, s.method, s.headers::text, s.kind, s.layers, ST_AsEWKB(s.filter), s.format,
        s.compression, s.debounce_ms, s.max_delay_ms, s.max_tiles, s.rollup, s.timeout_ms, s.rate_per_minute,
        s.max_in_flight, s.ordered, s.retry_schedule_ms::int8[], s.status, s.disabled_reason, s.created_at, s.updated_at,
        s.output, s.output_options::text
        """

    /// The position of the first column after ``columns``.
    static let afterColumns = 26

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
                let created = try await Self.insert(settings, tenant: tenant, replacing: false, on: c, logger: logger)
                try await c.perform(
                    """
                    INSERT INTO tessera.subscription_secrets (subscription_id, secret)
                    VALUES (\(created.id), \(ByteBuffer(bytes: secret)))
                    """,
                    logger: logger
                )
                return (created, secret)
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
        for try await row in rows { out.append(try Self.subscription(row, logger: logger)) }
        return out
    }

    /// - Throws: ``StoreError`` `.notFound` when the tenant has no such subscription.
    public func get(tenant: String, id: UUID) async throws -> Subscription {
        let rows = try await client.query(
            "SELECT \(unescaped: Self.columns) FROM tessera.subscriptions s WHERE s.tenant = \(tenant) AND s.id = \(id)",
            logger: logger
        )
        for try await row in rows { return try Self.subscription(row, logger: logger) }
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
                        UPDATE tessera.subscriptions SET name = \(s.name), url = \(s.url), method = \(s.method.rawValue),
                            headers = \(Self.headersJSON(s.headers))::jsonb, kind = \(s.kind.rawValue), layers = \(s.layers),
                            filter = ST_GeomFromEWKB(\(Self.ewkb(s.filter))), format = \(s.format.rawValue),
                            compression = \(s.compression.rawValue), debounce_ms = \(s.debounceMilliseconds),
                            max_delay_ms = \(s.maxDelayMilliseconds), max_tiles = \(s.maxTiles), rollup = \(s.rollUp.rawValue),
                            timeout_ms = \(s.timeoutMilliseconds), rate_per_minute = \(s.ratePerMinute),
                            max_in_flight = \(s.maxInFlight), ordered = \(s.ordered),
                            retry_schedule_ms = \(s.retryScheduleMilliseconds)::int[], output = \(s.output.rawValue),
                            output_options = \(s.outputOptions.json.serialized())::jsonb, updated_at = now()
                        WHERE tenant = \(tenant) AND id = \(id)
                        RETURNING *
                    )
                    SELECT \(unescaped: Self.columns) FROM s
                    """,
                    logger: logger
                )
                for try await row in rows { return try Self.subscription(row, logger: logger) }
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
        let status = (active ? SubscriptionStatus.active : .paused).rawValue
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
        for try await row in rows { return try Self.subscription(row, logger: logger) }
        throw StoreError.notFound("subscription \(id)")
    }

    /// Adds a new random current secret; secrets that were current keep signing for `overlap`, then
    /// expire. Secrets already expired are deleted.
    /// - Returns: the new secret (shown once) and when the previous ones stop signing.
    /// - Throws: ``StoreError`` `.notFound`.
    public func rotateSecret(tenant: String, id: UUID, overlap: Duration) async throws -> ([UInt8], Date) {
        let secret = Self.randomSecret()
        let logger = logger
        let rotation = try await client.withConnection { c in
            try await Self.rotate(
                id,
                tenant: tenant,
                to: secret,
                overlap: overlap,
                unlessCurrent: false,
                on: c,
                logger: logger
            )
        }
        guard let rotation else { throw StoreError.notFound("subscription \(id)") }
        return (secret, rotation.previousSignUntil ?? Date())
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

    // MARK: - Inside a caller's transaction

    /// What a rotation did.
    public struct Rotation: Sendable {
        /// False when `unlessCurrent` found the secret already current.
        public var added: Bool
        /// Until when the secrets current before keep signing; nil when there were none.
        public var previousSignUntil: Date?
    }

    /// Makes `secret` the subscription's current one. The secrets current until now keep signing for
    /// `overlap` (receivers switch over meanwhile); expired ones are deleted. One statement, so a crash
    /// leaves either the old state or the new; the subscription row is locked, so two rotations at
    /// once leave one current secret.
    /// - Parameter unlessCurrent: do nothing when `secret` is already current (a configuration file
    ///   read again at start).
    /// - Returns: nil when the tenant has no such subscription.
    public static func rotate(
        _ id: UUID,
        tenant: String,
        to secret: [UInt8],
        overlap: Duration,
        unlessCurrent: Bool,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Rotation? {
        let overlapSeconds = overlap.inSeconds
        let rows = try await connection.query(
            """
            WITH sub AS (
                SELECT id FROM tessera.subscriptions
                WHERE tenant = \(tenant) AND id = \(id)
                FOR UPDATE
            ), already AS (
                SELECT 1 FROM tessera.subscription_secrets k JOIN sub ON k.subscription_id = sub.id
                WHERE \(unlessCurrent) AND k.expires_at IS NULL AND k.secret = \(ByteBuffer(bytes: secret))
            ), expired AS (
                DELETE FROM tessera.subscription_secrets k USING sub
                WHERE k.subscription_id = sub.id AND k.expires_at <= now() AND NOT EXISTS (SELECT 1 FROM already)
            ), retired AS (
                UPDATE tessera.subscription_secrets k SET expires_at = now() + make_interval(secs => \(overlapSeconds))
                FROM sub
                WHERE k.subscription_id = sub.id AND k.expires_at IS NULL AND NOT EXISTS (SELECT 1 FROM already)
                RETURNING k.expires_at
            ), added AS (
                INSERT INTO tessera.subscription_secrets (subscription_id, secret)
                SELECT sub.id, \(ByteBuffer(bytes: secret)) FROM sub WHERE NOT EXISTS (SELECT 1 FROM already)
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM sub)::int8, (SELECT count(*) FROM added)::int8,
                   (SELECT max(expires_at) FROM retired)
            """,
            logger: logger
        )
        for try await (found, added, previousUntil) in rows.decode((Int64, Int64, Date?).self) where found > 0 {
            return Rotation(added: added > 0, previousSignUntil: previousUntil)
        }
        return nil
    }

    /// Creates or updates the subscription a configuration file declares, by tenant and name, with every
    /// setting of `definition` (the file is the whole definition; its status is left alone). A new one
    /// without a `secret` gets a random secret; a `secret` is installed as the current one unless it
    /// already is (see ``rotate(_:tenant:to:overlap:unlessCurrent:on:logger:)``).
    /// - Returns: the rotation, when the secret was installed now.
    public static func declare(
        _ definition: SubscriptionDefinition,
        tenant: String,
        secret: [UInt8]?,
        secretOverlap: Duration,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Rotation? {
        let declared = try await insert(definition, tenant: tenant, replacing: true, on: connection, logger: logger)
        if let secret {
            return try await rotate(
                declared.id,
                tenant: tenant,
                to: secret,
                overlap: secretOverlap,
                unlessCurrent: true,
                on: connection,
                logger: logger
            )
        }
        // Every subscription signs its deliveries; one declared without a secret gets a random one on
        // first sight, which the API's rotate call replaces with one it reveals.
        try await connection.perform(
            """
            INSERT INTO tessera.subscription_secrets (subscription_id, secret)
            SELECT \(declared.id), \(ByteBuffer(bytes: randomSecret()))
            WHERE NOT EXISTS (SELECT 1 FROM tessera.subscription_secrets k WHERE k.subscription_id = \(declared.id))
            """,
            logger: logger
        )
        return nil
    }

    /// Writes a subscription of `tenant` with every setting of `definition`, creating the tenant if
    /// needed. With `replacing`, one of the same name is updated instead (its status is left alone);
    /// without, the name's uniqueness is the database's to enforce (23505).
    static func insert(
        _ s: SubscriptionDefinition,
        tenant: String,
        replacing: Bool,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Subscription {
        try await connection.perform(
            "INSERT INTO tessera.tenants (name) VALUES (\(tenant)) ON CONFLICT DO NOTHING",
            logger: logger
        )
        let onConflict =
            replacing
            ? """
            ON CONFLICT (tenant, name) DO UPDATE SET url = EXCLUDED.url, method = EXCLUDED.method,
                headers = EXCLUDED.headers, kind = EXCLUDED.kind, layers = EXCLUDED.layers, filter = EXCLUDED.filter,
                format = EXCLUDED.format, compression = EXCLUDED.compression, debounce_ms = EXCLUDED.debounce_ms,
                max_delay_ms = EXCLUDED.max_delay_ms, max_tiles = EXCLUDED.max_tiles, rollup = EXCLUDED.rollup,
                timeout_ms = EXCLUDED.timeout_ms, rate_per_minute = EXCLUDED.rate_per_minute,
                max_in_flight = EXCLUDED.max_in_flight, ordered = EXCLUDED.ordered,
                retry_schedule_ms = EXCLUDED.retry_schedule_ms, output = EXCLUDED.output,
                output_options = EXCLUDED.output_options, updated_at = now()
            """ : ""
        let rows = try await connection.query(
            """
            WITH s AS (
                INSERT INTO tessera.subscriptions (tenant, name, url, method, headers, kind, layers, filter, format,
                    compression, debounce_ms, max_delay_ms, max_tiles, rollup, timeout_ms, rate_per_minute,
                    max_in_flight, ordered, retry_schedule_ms, output, output_options)
                VALUES (\(tenant), \(s.name), \(s.url), \(s.method.rawValue), \(Self.headersJSON(s.headers))::jsonb,
                    \(s.kind.rawValue), \(s.layers), ST_GeomFromEWKB(\(Self.ewkb(s.filter))), \(s.format.rawValue),
                    \(s.compression.rawValue), \(s.debounceMilliseconds), \(s.maxDelayMilliseconds), \(s.maxTiles),
                    \(s.rollUp.rawValue), \(s.timeoutMilliseconds), \(s.ratePerMinute), \(s.maxInFlight), \(s.ordered),
                    \(s.retryScheduleMilliseconds)::int[], \(s.output.rawValue), \(s.outputOptions.json.serialized())::jsonb)
                \(unescaped: onConflict)
                RETURNING *
            )
            SELECT \(unescaped: Self.columns) FROM s
            """,
            logger: logger
        )
        for try await row in rows { return try subscription(row, logger: logger) }
        throw DatabaseError(code: .database, message: "subscription '\(s.name)' was not written")
    }

    /// Every subscription, ordered by id, optionally only those of `kind` and not `disabled`; each with
    /// its signing secrets that have not expired, the current one first (empty unless `withSecrets`).
    public static func all(
        kind: SubscriptionKind? = nil,
        includeDisabled: Bool = true,
        withSecrets: Bool = false,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [(subscription: Subscription, secrets: [[UInt8]])] {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: Self.columns),
                   coalesce((SELECT array_agg(k.secret ORDER BY k.created_at DESC, k.id DESC)
                             FROM tessera.subscription_secrets k
                             WHERE \(withSecrets) AND k.subscription_id = s.id
                               AND (k.expires_at IS NULL OR k.expires_at > now())),
                            '{}'::bytea[])
            FROM tessera.subscriptions s
            WHERE (\(kind?.rawValue)::text IS NULL OR s.kind = \(kind?.rawValue))
              AND (\(includeDisabled) OR s.status <> 'disabled')
            ORDER BY s.id
            """,
            logger: logger
        )
        var out: [(Subscription, [[UInt8]])] = []
        for try await row in rows {
            let secrets = try row.makeRandomAccess()[afterColumns].decode([ByteBuffer].self).map { Array(buffer: $0) }
            out.append((try subscription(row, logger: logger), secrets))
        }
        return out
    }

    /// Disables a subscription (its receiver answered 410 Gone), with the reason.
    public static func disable(_ id: UUID, reason: String, on connection: PostgresConnection, logger: Logger)
        async throws
    {
        try await connection.perform(
            """
            UPDATE tessera.subscriptions SET status = 'disabled', disabled_reason = \(reason), updated_at = now()
            WHERE id = \(id) AND status <> 'disabled'
            """,
            logger: logger
        )
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

    /// Decodes a row of ``columns``. A filter that cannot be read (written by hand: the API validates
    /// it) is logged and dropped, so the subscriber gets everything rather than nothing.
    static func subscription(_ row: PostgresRow, logger: Logger) throws -> Subscription {
        let r = row.makeRandomAccess()
        let name = try r[2].decode(String.self)
        var settings = SubscriptionDefinition(
            name: name,
            url: try r[3].decode(String.self),
            layers: try r[7].decode([String].self)
        )
        settings.method = try value(r[4].decode(String.self), "method")
        if case .object(let members) = try JSONValue.parse(Array(try r[5].decode(String.self).utf8)) {
            for (k, v) in members {
                if case .string(let s) = v { settings.headers[k] = s }
            }
        }
        settings.kind = try value(r[6].decode(String.self), "kind")
        if let ewkb = try r[8].decode(ByteBuffer?.self) {
            do {
                settings.filter = try WKB.decode(Array(ewkb.readableBytesView)).geometry
            } catch {
                logger.error(
                    "subscription filter is unreadable; sending everything",
                    metadata: ["subscription": "\(name)", "error": "\(error)"]
                )
            }
        }
        settings.format = try value(r[9].decode(String.self), "format")
        settings.compression = try value(r[10].decode(String.self), "compression")
        settings.debounceMilliseconds = try r[11].decode(Int.self)
        settings.maxDelayMilliseconds = try r[12].decode(Int.self)
        settings.maxTiles = try r[13].decode(Int.self)
        settings.rollUp = try value(r[14].decode(String.self), "rollup")
        settings.timeoutMilliseconds = try r[15].decode(Int.self)
        settings.ratePerMinute = try r[16].decode(Int?.self)
        settings.maxInFlight = try r[17].decode(Int.self)
        settings.ordered = try r[18].decode(Bool.self)
        settings.retryScheduleMilliseconds = try r[19].decode([Int].self)
        settings.output = try value(r[24].decode(String.self), "output")
        settings.outputOptions = OutputOptions(stored: try JSONValue.parse(Array(try r[25].decode(String.self).utf8)))
        return Subscription(
            id: try r[0].decode(UUID.self),
            tenant: try r[1].decode(String.self),
            settings: settings,
            status: try value(r[20].decode(String.self), "status"),
            disabledReason: try r[21].decode(String?.self),
            createdAt: try r[22].decode(Date.self),
            updatedAt: try r[23].decode(Date.self)
        )
    }

    /// A stored enum value; one the database's CHECK constraints let through but this binary does not
    /// know (a newer one wrote it) is an error, never a silent default.
    static func value<Value: RawRepresentable>(_ text: String, _ column: String) throws -> Value
    where Value.RawValue == String {
        guard let value = Value(rawValue: text) else {
            throw DatabaseError(code: .database, message: "subscription \(column) '\(text)' is unknown to this tessera")
        }
        return value
    }
}
