import Foundation
import Hummingbird
import HummingbirdTesting
import TesseraCatalog
import TesseraDatabaseTestSupport
import TesseraDelivery
import TesseraGeometry
import Testing

@Suite("Tenant isolation")
struct TenantIsolationTests {
    @Test("tenant B can neither see nor change tenant A's subscriptions, deliveries or dead letters")
    func isolation() async throws {
        try await APIHarness.with { h in
            let id = try #require(try await h.createSubscription(key: h.alpha, name: "private")["id"]?.string)
            try await DeliveryFixtures.insert(h.db, subscription: id, statuses: ["dead", "delivered"])
            let deadID = try #require(
                try await h.db.column("SELECT id FROM tessera.deliveries WHERE status = 'dead'").first ?? nil
            )

            let attempts: [(HTTPRequest.Method, String, String?)] = [
                (.get, "/v1/subscriptions/\(id)", nil),
                (.patch, "/v1/subscriptions/\(id)", #"{"name": "mine now"}"#),
                (.delete, "/v1/subscriptions/\(id)", nil),
                (.post, "/v1/subscriptions/\(id)/pause", nil),
                (.post, "/v1/subscriptions/\(id)/resume", nil),
                (.post, "/v1/subscriptions/\(id)/rotate-secret", nil),
                (.post, "/v1/subscriptions/\(id)/test", nil),
                (.get, "/v1/subscriptions/\(id)/deliveries", nil),
                (.get, "/v1/deliveries/\(deadID)", nil),
                (.post, "/v1/dead-letters/\(deadID)/retry", nil),
                (.post, "/v1/subscriptions/\(id)/dead-letters/retry", nil),
                (
                    .post, "/v1/subscriptions/\(id)/replay",
                    #"{"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}"#
                ),
            ]
            for (method, uri, body) in attempts {
                let r = try await h.call(method, uri, key: h.beta, json: body)
                #expect(r.status == .notFound, "\(method) \(uri) as tenant beta: \(r.status.code)")
            }
            let list = try await h.call(.get, "/v1/subscriptions", key: h.beta).json()
            #expect(list["data"]?.array?.isEmpty == true)
            let dead = try await h.call(.get, "/v1/dead-letters", key: h.beta).json()
            #expect(dead["data"]?.array?.isEmpty == true)
            let filtered = try await h.call(.get, "/v1/dead-letters?subscription=\(id)", key: h.beta).json()
            #expect(filtered["data"]?.array?.isEmpty == true)
            let stats = try await h.call(.get, "/v1/dead-letters/stats", key: h.beta).json()
            #expect(stats["total"]?.number == 0)

            // Nothing changed for tenant A.
            #expect(
                try await h.db.column("SELECT name || ' ' || status FROM tessera.subscriptions") == ["private active"]
            )
            #expect(try await h.db.int("SELECT count(*) FROM tessera.deliveries WHERE status = 'dead'") == 1)
            #expect(try await h.db.int("SELECT count(*) FROM tessera.subscription_secrets") == 1)
            let own = try await h.call(.get, "/v1/dead-letters", key: h.alpha).json()
            #expect(own["data"]?.array?.count == 1)
        }
    }

    @Test("a revoked key is refused")
    func revokedKey() async throws {
        try await APIHarness.with { h in
            #expect(try await h.call(.get, "/v1/subscriptions", key: h.alpha).status == .ok)
            let keys = KeyStore(client: h.client, logger: APIHarness.logger)
            let prefix = String(h.alpha.prefix(12))
            let revoked = try await keys.revoke(prefix)
            #expect(revoked.count == 1)
            #expect(try await h.call(.get, "/v1/subscriptions", key: h.alpha).status == .unauthorized)
            #expect(try await h.call(.get, "/v1/subscriptions", key: h.beta).status == .ok)
            let stored = try await h.db.column("SELECT encode(key_hash, 'hex') FROM tessera.api_keys")
            #expect(!stored.contains { $0?.contains(h.alpha) == true }, "only hashes are stored")
        }
    }
}

/// Rows of `tessera.deliveries` (with attempts) written directly, as the dispatcher would leave them.
enum DeliveryFixtures {
    /// One delivery per status, created one minute apart from 2026-01-01T00:00Z, each with two attempts.
    static func insert(_ db: TestDatabase, subscription: String, statuses: [String]) async throws {
        for (i, status) in statuses.enumerated() {
            let created = "timestamptz '2026-01-01T00:00:00Z' + interval '\(i) minutes'"
            let delivered = status == "delivered" ? "\(created) + interval '1 second'" : "NULL"
            let dead = status == "dead" ? "\(created) + interval '1 hour'" : "NULL"
            try await db.execute(
                """
                WITH d AS (
                    INSERT INTO tessera.deliveries (event_id, subscription_id, event_type, payload, content_type, status,
                        attempts, created_at, delivered_at, dead_at, last_status_code, last_error, next_attempt_at)
                    VALUES (gen_random_uuid(), '\(subscription)', 'tiles.invalidated', '\\x7b7d', 'application/json',
                        '\(status)', 2, \(created), \(delivered), \(dead), 500, 'HTTP 500', \(created))
                    RETURNING id, created_at
                )
                INSERT INTO tessera.delivery_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response_body)
                SELECT id, n, created_at + n * interval '1 second', 12 * n, 500, 'HTTP 500', 'oops' FROM d, generate_series(1, 2) n;
                """
            )
        }
    }
}
