import Foundation
import Hummingbird
import HummingbirdTesting
import TesseraDelivery
import TesseraGeometry
import TesseraGrids
import TesseraInvalidation
import TesseraServer
import Testing

/// The routes an operator and an integrator use: the OpenAPI document (which must describe exactly
/// the routes there are), the status page and the JSON it reads.
@Suite struct OperationsAPITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func document() throws -> JSONValue {
        try JSONValue.parse(
            Array(try Data(contentsOf: root.appendingPathComponent("Sources/TesseraServer/Resources/openapi.json")))
        )
    }

    /// `GET /v1/subscriptions/{id}` for every operation of the document.
    static func documentedOperations() throws -> Set<String> {
        let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
        guard case .object(let paths)? = try document()["paths"] else { return [] }
        var out: Set<String> = []
        for (path, item) in paths {
            guard case .object(let members) = item else { continue }
            for (method, _) in members where methods.contains(method) { out.insert("\(method.uppercased()) \(path)") }
        }
        return out
    }

    @Test func theDocumentDescribesEveryRouteAndNoOther() async throws {
        try await APIHarness.with { h in
            let sender = WebhookSender(configuration: .init(policy: AddressPolicy()), logger: APIHarness.logger)
            let router = buildRouter(
                client: h.client,
                sender: sender,
                configuration: APIConfiguration(),
                logger: APIHarness.logger
            )
            try await sender.shutdown()
            let routed = Set(
                router.routes.map { route in
                    let path = route.path.description
                    return "\(route.method.rawValue) \(path.hasPrefix("/") ? path : "/" + path)"
                }
            )
            let documented = try Self.documentedOperations()
            #expect(routed.subtracting(documented).sorted() == [], "routes the document does not describe")
            #expect(documented.subtracting(routed).sorted() == [], "operations the router does not have")
            #expect(routed.count >= 23)
        }
    }

    @Test func theDocumentIsServedAsItIsCommitted() async throws {
        try await APIHarness.with { h in
            let served = try await h.call(.get, "/openapi.json", key: nil)
            #expect(served.status == .ok)
            #expect(served.headers[.contentType] == "application/json")
            let document = try served.json()
            #expect(document == (try Self.document()))
            #expect(document["openapi"]?.string?.hasPrefix("3.1") == true)
        }
    }

    /// A routed path asked with a method it does not have is a 405 naming the methods it has (what
    /// schemathesis' unsupported-method check asks for); an unrouted path stays a 404.
    @Test func aWrongMethodOnAKnownPathIs405WithAllow() async throws {
        try await APIHarness.with { h in
            let cases: [(HTTPRequest.Method, String, String)] = [
                (.put, "/v1/subscriptions", "GET, POST"),
                (.post, "/v1/subscriptions/0b7c4b0e-5d2f-4a36-9a5e-0c6f5f1f2a10", "DELETE, GET, PATCH"),
                (.get, "/v1/subscriptions/0b7c4b0e-5d2f-4a36-9a5e-0c6f5f1f2a10/rotate-secret", "POST"),
                (.delete, "/openapi.json", "GET"),
                (.post, "/health", "GET"),
            ]
            for (method, uri, allow) in cases {
                let r = try await h.call(method, uri, key: h.alpha)
                #expect(r.status == .methodNotAllowed, "\(method) \(uri)")
                #expect(r.headers[.allow] == allow, "\(method) \(uri)")
                #expect(r.headers[.contentType] == "application/problem+json")
                #expect(try r.json()["type"]?.string == "urn:tessera:problem:method-not-allowed")
            }
            for uri in ["/v1/nothing", "/v1/subscriptions/a/b/c", "/v1"] {
                #expect(try await h.call(.get, uri, key: h.alpha).status == .notFound, "\(uri)")
            }
        }
    }

    @Test func thePageIsPublicAndItsDataNeedAKey() async throws {
        try await APIHarness.with { h in
            let page = try await h.call(.get, "/", key: nil)
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(String(buffer: page.body).contains("/v1/status"))
            #expect(try await h.call(.get, "/v1/status", key: nil).status == .unauthorized)
            #expect(try await h.call(.get, "/v1/status/tiles", key: nil).status == .unauthorized)
            let bad = try await h.call(.get, "/v1/status/tiles?minutes=61", key: h.alpha)
            #expect(bad.status == .badRequest)
            #expect(try bad.json()["errors"]?.array?.first?["field"]?.string == "minutes")
            // Without a registry there is nothing to export.
            #expect(try await h.call(.get, "/metrics", key: nil).status == .notFound)
        }
    }

    /// The tiles of the tenant's recent deliveries, read back from each format and compression, with
    /// their bounds; another tenant's never appear, nor do deliveries older than asked for.
    @Test func recentTilesAreReadFromEveryPayloadFormatOfTheTenantOnly() async throws {
        try await APIHarness.with { h in
            let a = try await h.createSubscription(key: h.alpha, name: "a")["id"]!.string!
            let b = try await h.createSubscription(key: h.beta, name: "b")["id"]!.string!
            let event = TileInvalidation(
                eventID: UUID().uuidString.lowercased(),
                subscriptionID: a,
                layer: "roads",
                tileMatrixSet: "WebMercatorQuad",
                zooms: [
                    ZoomTiles(tiles: TileSet(zoom: 12, spans: [TileSpan(y: 1343, x0: 2200, x1: 2201)]))
                ],
                bbox: nil,
                changeCount: 1,
                windowStartMilliseconds: 0,
                windowEndMilliseconds: 0
            )
            let protobuf = try event.encoded(as: .protobuf, compression: .zstd)
            let json = try event.encoded(as: .json, compression: .gzip)
            func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
            try await h.db.execute(
                """
                INSERT INTO tessera.deliveries (event_id, subscription_id, event_type, payload, content_type, content_encoding, created_at)
                VALUES
                  (gen_random_uuid(), '\(a)', 'tiles.invalidated', convert_to('10/550/335' || chr(10), 'UTF8'),
                   'text/plain; charset=utf-8', NULL, now()),
                  (gen_random_uuid(), '\(a)', 'tiles.invalidated', '\\x\(hex(protobuf.bytes))',
                   '\(protobuf.contentType)', 'zstd', now()),
                  (gen_random_uuid(), '\(a)', 'tiles.invalidated', '\\x\(hex(json.bytes))', 'application/json', 'gzip', now()),
                  (gen_random_uuid(), '\(a)', 'tiles.invalidated', convert_to('9/1/1' || chr(10), 'UTF8'),
                   'text/plain; charset=utf-8', NULL, now() - interval '10 minutes'),
                  (gen_random_uuid(), '\(b)', 'tiles.invalidated', convert_to('8/3/3' || chr(10), 'UTF8'),
                   'text/plain; charset=utf-8', NULL, now());
                """
            )
            let answer = try await h.call(.get, "/v1/status/tiles?minutes=5", key: h.alpha)
            #expect(answer.status == .ok)
            let tiles = try answer.json()["tiles"]?.array ?? []
            let ids = tiles.map { t in
                ["z", "x", "y"].map { String(Int(t[$0]?.number ?? -1)) }.joined(separator: "/")
            }
            // The protobuf and JSON payloads list the same two tiles: each is drawn once.
            #expect(Set(ids) == ["10/550/335", "12/2200/1343", "12/2201/1343"])
            #expect(ids.count == 3)
            let tile = try #require(tiles.first { $0["z"]?.number == 10 })
            let bounds = try Tile(z: 10, x: 550, y: 335).bounds(in: .webMercatorQuad)
            #expect(
                tile["bbox"]?.array?.compactMap(\.number) == [bounds.west, bounds.south, bounds.east, bounds.north]
            )
            #expect(tile["subscription"]?.string == a)

            let beta = try await h.call(.get, "/v1/status/tiles", key: h.beta).json()["tiles"]?.array ?? []
            #expect(beta.count == 1)
            #expect(beta.first?["subscription"]?.string == b)
        }
    }

    @Test func statusSummarisesTablesAndTheTenantsSubscriptions() async throws {
        try await APIHarness.with { h in
            let a = try await h.createSubscription(key: h.alpha, name: "a")["id"]!.string!
            _ = try await h.createSubscription(key: h.beta, name: "b")
            try await h.db.execute(
                """
                CREATE TABLE roads_t (id bigserial PRIMARY KEY, geom geometry(LineString, 4326));
                SELECT tessera.watch('roads_t', layers => ARRAY['roads']);
                INSERT INTO roads_t (geom) VALUES (ST_GeomFromText('LINESTRING(0 0, 1 1)', 4326)),
                                                  (ST_GeomFromText('LINESTRING(0 1, 1 0)', 4326));
                INSERT INTO tessera.deliveries (event_id, subscription_id, event_type, payload, content_type, status, dead_at)
                VALUES (gen_random_uuid(), '\(a)', 'tiles.invalidated', '\\x7b7d', 'application/json', 'dead', now()),
                       (gen_random_uuid(), '\(a)', 'tiles.invalidated', '\\x7b7d', 'application/json', 'pending', NULL);
                """
            )
            let status = try await h.call(.get, "/v1/status", key: h.alpha).json()
            let tables = status["tables"]?.array ?? []
            #expect(tables.compactMap { $0["table"]?.string } == ["roads_t"])
            #expect(tables.first?["changes_pending"]?.number == 2)
            #expect((tables.first?["lag_s"]?.number ?? -1) >= 0)
            let subscriptions = status["subscriptions"]?.array ?? []
            #expect(subscriptions.compactMap { $0["name"]?.string } == ["a"], "only the tenant's own")
            #expect(subscriptions.first?["dead_letters"]?.number == 1)
            #expect(subscriptions.first?["pending"]?.number == 1)
            #expect(subscriptions.first?["breaker"]?.string == "unknown", "no dispatcher in this process")
        }
    }
}
