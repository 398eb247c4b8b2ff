import Foundation
import Logging
import PostgresNIO
import TesseraPostgres

/// An API key as listed: never the key itself.
public struct APIKeyRecord: Sendable, Hashable {
    public var id: UUID
    public var tenant: String
    public var name: String
    public var prefix: String
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?
}

/// Tenants and their API keys in `tessera.api_keys` (only SHA-256 hashes are stored).
public struct KeyStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Creates `tenant` if it does not exist yet, and a new key for it.
    /// - Returns: the key (shown once; only its hash is kept) and its record.
    /// - Throws: ``StoreError`` `.invalid` naming `tenant` or `name` when the database refuses them.
    public func createKey(tenant: String, name: String) async throws -> (APIKey, APIKeyRecord) {
        guard Self.isValidTenant(tenant) else {
            throw StoreError(
                code: .invalid,
                field: "tenant",
                message: "'\(tenant)' must be 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        }
        guard !name.isEmpty, name.count <= 200 else {
            throw StoreError(code: .invalid, field: "name", message: "must be 1 to 200 characters")
        }
        let key = APIKey.generate()
        let hash = key.hashBytes
        let prefix = key.prefix
        let logger = logger
        let record = try await client.transaction(logger: logger) { c in
            try await c.perform(
                "INSERT INTO tessera.tenants (name) VALUES (\(tenant)) ON CONFLICT DO NOTHING",
                logger: logger
            )
            let rows = try await c.query(
                """
                INSERT INTO tessera.api_keys (tenant, name, prefix, key_hash) VALUES (\(tenant), \(name), \(prefix), \(hash))
                RETURNING id, tenant, name, prefix, created_at, last_used_at, revoked_at
                """,
                logger: logger
            )
            var out: [APIKeyRecord] = []
            for try await row in rows { out.append(try Self.record(row)) }
            return out[0]
        }
        return (key, record)
    }

    /// Every key, or those of one tenant, oldest first.
    public func list(tenant: String? = nil) async throws -> [APIKeyRecord] {
        let rows = try await client.query(
            """
            SELECT id, tenant, name, prefix, created_at, last_used_at, revoked_at FROM tessera.api_keys
            WHERE \(tenant)::text IS NULL OR tenant = \(tenant) ORDER BY created_at, id
            """,
            logger: logger
        )
        var out: [APIKeyRecord] = []
        for try await row in rows { out.append(try Self.record(row)) }
        return out
    }

    /// Revokes the key with this id or prefix; a revoked key is refused from then on.
    /// - Returns: the keys revoked now (empty when none matched or all were revoked already).
    /// - Throws: ``StoreError`` `.conflict` when a prefix matches keys of several tenants' keys.
    public func revoke(_ idOrPrefix: String) async throws -> [APIKeyRecord] {
        let id = UUID(uuidString: idOrPrefix)
        let matching = try await list().filter { k in
            (id != nil && k.id == id) || (id == nil && k.prefix == idOrPrefix)
        }
        guard matching.count <= 1 else {
            throw StoreError(
                code: .conflict,
                message: "'\(idOrPrefix)' matches \(matching.count) keys; revoke by id"
            )
        }
        guard let key = matching.first else { throw StoreError.notFound("API key '\(idOrPrefix)'") }
        let rows = try await client.query(
            """
            UPDATE tessera.api_keys SET revoked_at = now() WHERE id = \(key.id) AND revoked_at IS NULL
            RETURNING id, tenant, name, prefix, created_at, last_used_at, revoked_at
            """,
            logger: logger
        )
        var out: [APIKeyRecord] = []
        for try await row in rows { out.append(try Self.record(row)) }
        return out
    }

    /// The tenant of an active key, or nil for an unknown or revoked key. Marks the key used.
    public func authenticate(_ key: APIKey) async throws -> (tenant: String, keyID: UUID)? {
        let rows = try await client.query(
            """
            UPDATE tessera.api_keys SET last_used_at = now()
            WHERE key_hash = \(key.hashBytes) AND revoked_at IS NULL
            RETURNING tenant, id
            """,
            logger: logger
        )
        for try await (tenant, id) in rows.decode((String, UUID).self) { return (tenant, id) }
        return nil
    }

    /// The rule of `tessera.tenants.name`, checked before the database sees it.
    public static func isValidTenant(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...63).contains(bytes.count) else { return false }
        func alnum(_ c: UInt8) -> Bool {
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c)
        }
        return alnum(bytes[0])
            && bytes.allSatisfy {
                alnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
            }
    }

    static func record(_ row: PostgresRow) throws -> APIKeyRecord {
        let (id, tenant, name, prefix, created, used, revoked) = try row.decode(
            (UUID, String, String, String, Date, Date?, Date?).self
        )
        return APIKeyRecord(
            id: id,
            tenant: tenant,
            name: name,
            prefix: prefix,
            createdAt: created,
            lastUsedAt: used,
            revokedAt: revoked
        )
    }
}
