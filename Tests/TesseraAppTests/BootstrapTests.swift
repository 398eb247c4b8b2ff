import Foundation
import Logging
import PostgresNIO
import TesseraCatalog
import TesseraDatabaseTestSupport
import TesseraDelivery
import Testing

@testable import TesseraApp

/// What a configuration file's subscriptions do to the database at start-up, on a real PostGIS.
@Suite struct BootstrapTests {
    static func apply(_ db: TestDatabase, _ spec: DeclaredSubscription, overlap: Duration = .seconds(3600))
        async throws
    {
        try await db.withConnection { c in
            try await Bootstrap.apply(
                layers: [LayerDefinition(name: "roads")],
                watches: [],
                subscriptions: [spec],
                secretOverlap: overlap,
                on: c,
                logger: db.logger
            )
        }
    }

    /// The subscription's secrets as `whsec_` text, current ones (no expiry) first, each with whether it expires.
    static func secrets(_ db: TestDatabase) async throws -> [String] {
        try await db.column(
            """
            SELECT 'whsec_' || encode(k.secret, 'base64') || CASE WHEN k.expires_at IS NULL THEN '' ELSE ' expiring' END
            FROM tessera.subscription_secrets k JOIN tessera.subscriptions s ON s.id = k.subscription_id
            WHERE s.name = 'cache' ORDER BY k.expires_at NULLS FIRST, k.id
            """
        ).map { $0 ?? "" }
    }

    static func spec(secret: WebhookSecret?) -> DeclaredSubscription {
        var spec = DeclaredSubscription(
            definition: SubscriptionDefinition(
                name: "cache",
                url: "https://cache.example.com/expire",
                layers: ["roads"]
            )
        )
        spec.secret = secret?.bytes
        return spec
    }

    @Test func aConfiguredSecretIsInstalledOnceAndAChangeRotatesIt() async throws {
        try await TestDatabase.with { db in
            let first = WebhookSecret.generate()
            let second = WebhookSecret.generate()

            try await Self.apply(db, Self.spec(secret: first))
            #expect(try await Self.secrets(db) == [first.encoded])

            // Started again with the same file: nothing changes.
            try await Self.apply(db, Self.spec(secret: first))
            #expect(try await Self.secrets(db) == [first.encoded])

            // A new secret in the file: it signs from now on, the old one for the overlap too.
            try await Self.apply(db, Self.spec(secret: second), overlap: .seconds(3600))
            #expect(try await Self.secrets(db) == [second.encoded, first.encoded + " expiring"])
            let remaining = try await db.int(
                """
                SELECT extract(epoch FROM k.expires_at - now())::int FROM tessera.subscription_secrets k
                WHERE k.expires_at IS NOT NULL
                """
            )
            #expect((3500...3600).contains(remaining))

            // The secret removed from the file: the subscription keeps the one it has.
            try await Self.apply(db, Self.spec(secret: nil))
            #expect(try await Self.secrets(db) == [second.encoded, first.encoded + " expiring"])

            // Back to the first one after the overlap ran out: the expired secret is deleted.
            try await db.execute("UPDATE tessera.subscription_secrets SET expires_at = now() - interval '1 s'")
            #expect(try await Self.secrets(db).count == 2)
            try await db.execute(
                """
                UPDATE tessera.subscription_secrets SET expires_at = NULL
                WHERE secret = decode('\(Data(second.bytes).base64EncodedString())', 'base64')
                """
            )
            try await Self.apply(db, Self.spec(secret: first), overlap: .zero)
            let now = try await Self.secrets(db)
            #expect(now.first == first.encoded)
            #expect(now.count == 2)
            #expect(now.last == second.encoded + " expiring")
        }
    }

    @Test func withoutASecretANewSubscriptionGetsARandomOneAndKeepsIt() async throws {
        try await TestDatabase.with { db in
            try await Self.apply(db, Self.spec(secret: nil))
            let generated = try await Self.secrets(db)
            #expect(generated.count == 1)
            #expect(try WebhookSecret(encoded: generated[0]).bytes.count == 32)
            try await Self.apply(db, Self.spec(secret: nil))
            #expect(try await Self.secrets(db) == generated)
        }
    }
}
