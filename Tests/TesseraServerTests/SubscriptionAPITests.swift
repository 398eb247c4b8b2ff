import Foundation
import Hummingbird
import HummingbirdTesting
import TesseraCatalog
import TesseraDelivery
import TesseraGeometry
import Testing

@Suite("Subscriptions API")
struct SubscriptionAPITests {
    @Test("create, get, list, update, pause, resume and delete a subscription")
    func crudRoundTrip() async throws {
        try await APIHarness.with { h in
            let created = try await h.createSubscription(
                key: h.alpha,
                name: "cache",
                extra: #", "format": "zxy", "compression": "zstd", "headers": {"X-Token": "abc"},"#
                    + #" "filter": [5.9, 45.8, 10.5, 47.8], "timeout_ms": 5000, "rate_per_minute": 600,"#
                    + #" "max_in_flight": 2, "ordered": true, "retry_schedule_ms": [1000, 60000]"#
            )
            let id = try #require(created["id"]?.string)
            #expect(created["secret"]?.string?.hasPrefix("whsec_") == true)
            #expect(created["format"]?.string == "zxy")
            #expect(created["method"]?.string == "POST")
            #expect(created["timeout_ms"]?.number == 5000)
            #expect(created["filter"]?["type"]?.string == "Polygon")
            #expect(created["headers"]?["X-Token"]?.string == "abc")
            #expect(created["retry_schedule_ms"]?.array?.count == 2)

            let got = try await h.call(.get, "/v1/subscriptions/\(id)", key: h.alpha)
            #expect(got.status == .ok)
            let body = try got.json()
            #expect(body["name"]?.string == "cache")
            #expect(body["secret"] == nil, "the secret is shown only at creation and rotation")
            #expect(body["ordered"] == .bool(true))
            #expect(body["rate_per_minute"]?.number == 600)

            let patched = try await h.call(
                .patch,
                "/v1/subscriptions/\(id)",
                key: h.alpha,
                json: #"{"method": "PUT", "filter": null, "rate_per_minute": null, "layers": ["roads", "water"]}"#
            )
            #expect(patched.status == .ok)
            let p = try patched.json()
            #expect(p["method"]?.string == "PUT")
            #expect(p["filter"] == .null)
            #expect(p["rate_per_minute"] == .null)
            #expect(p["layers"]?.array?.count == 2)
            #expect(p["format"]?.string == "zxy", "PATCH keeps fields it does not name")
            #expect(try await h.db.column("SELECT method FROM tessera.subscriptions") == ["PUT"])

            let paused = try await h.call(.post, "/v1/subscriptions/\(id)/pause", key: h.alpha)
            #expect(try paused.json()["status"]?.string == "paused")
            #expect(try await h.db.column("SELECT status FROM tessera.subscriptions") == ["paused"])
            let resumed = try await h.call(.post, "/v1/subscriptions/\(id)/resume", key: h.alpha)
            #expect(try resumed.json()["status"]?.string == "active")

            let list = try await h.call(.get, "/v1/subscriptions", key: h.alpha)
            #expect(try list.json()["data"]?.array?.count == 1)

            let deleted = try await h.call(.delete, "/v1/subscriptions/\(id)", key: h.alpha)
            #expect(deleted.status == .noContent)
            #expect(try await h.call(.get, "/v1/subscriptions/\(id)", key: h.alpha).status == .notFound)
            #expect(try await h.db.int("SELECT count(*) FROM tessera.subscriptions") == 0)
        }
    }

    @Test("the stored filter is the requested area in EPSG:4326")
    func filterStoredAs4326() async throws {
        try await APIHarness.with { h in
            _ = try await h.createSubscription(
                key: h.alpha,
                name: "alps",
                extra:
                    #", "filter": {"type": "Polygon", "coordinates": [[[6, 46], [7, 46], [7, 47], [6, 47], [6, 46]]]}"#
            )
            #expect(try await h.db.column("SELECT ST_SRID(filter) FROM tessera.subscriptions") == ["4326"])
            #expect(try await h.db.column("SELECT ST_Area(filter) FROM tessera.subscriptions") == ["1"])
        }
    }

    @Test("lists are paginated with an opaque cursor")
    func pagination() async throws {
        try await APIHarness.with { h in
            for i in 0..<5 { _ = try await h.createSubscription(key: h.alpha, name: "s\(i)") }
            var names: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let uri = "/v1/subscriptions?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await h.call(.get, uri, key: h.alpha).json()
                names += (page["data"]?.array ?? []).compactMap { $0["name"]?.string }
                cursor = page["next_cursor"]?.string
                pages += 1
            } while cursor != nil && pages < 10
            #expect(names == ["s0", "s1", "s2", "s3", "s4"])
            #expect(pages == 3)
        }
    }

    @Test("rotating the secret returns a new one; the old keeps signing for the overlap")
    func secretRotation() async throws {
        try await APIHarness.with(configure: { $0.secretRotationOverlap = .seconds(3600) }) { h in
            let created = try await h.createSubscription(key: h.alpha, name: "rotating")
            let id = try #require(created["id"]?.string)
            let first = try #require(created["secret"]?.string)
            let rotated = try await h.call(.post, "/v1/subscriptions/\(id)/rotate-secret", key: h.alpha)
            #expect(rotated.status == .ok)
            let second = try #require(try rotated.json()["secret"]?.string)
            #expect(second.hasPrefix("whsec_"))
            #expect(second != first)
            #expect(try rotated.json()["previous_secret_expires_at"]?.string != nil)

            let store = SubscriptionStore(client: h.client, logger: APIHarness.logger)
            let active = try await store.activeSecrets(tenant: "alpha", id: try #require(UUID(uuidString: id)))
            let encoded = try active.map { try WebhookSecret(bytes: $0.bytes).encoded }
            #expect(encoded == [second, first], "both sign, the new one first")
            let hours = try await h.db.column(
                "SELECT round(extract(epoch FROM expires_at - now()) / 3600) FROM tessera.subscription_secrets WHERE expires_at IS NOT NULL"
            )
            #expect(hours == ["1"])
            // The other tenant cannot rotate it.
            #expect(try await h.call(.post, "/v1/subscriptions/\(id)/rotate-secret", key: h.beta).status == .notFound)
        }
    }

    @Test("a duplicate name within a tenant is a 409 naming the field; other tenants may reuse it")
    func duplicateName() async throws {
        try await APIHarness.with { h in
            _ = try await h.createSubscription(key: h.alpha, name: "same")
            let again = try await h.call(
                .post,
                "/v1/subscriptions",
                key: h.alpha,
                json: #"{"name": "same", "url": "http://93.184.215.14/", "layers": ["roads"]}"#
            )
            #expect(again.status == .conflict)
            #expect(try again.json()["errors"]?.array?.first?["field"]?.string == "name")
            _ = try await h.createSubscription(key: h.beta, name: "same")
        }
    }

    @Test("GET /health answers without a key")
    func health() async throws {
        try await APIHarness.with { h in
            let r = try await h.call(.get, "/health", key: nil)
            #expect(r.status == .ok)
            #expect(try r.json()["status"]?.string == "ok")
        }
    }
}
