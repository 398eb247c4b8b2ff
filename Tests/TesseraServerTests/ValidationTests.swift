import Foundation
import Hummingbird
import HummingbirdTesting
import TesseraGeometry
import Testing

@Suite("Malformed and invalid requests")
struct ValidationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let body: String
        let status: Int
        /// The field the problem must name ("" for the whole body).
        let field: String
        var testDescription: String { label }
    }

    static let base = #""name": "n", "url": "http://93.184.215.14/hook", "layers": ["roads"]"#

    static let cases: [Case] = [
        Case(label: "not JSON", body: "{name:", status: 400, field: ""),
        Case(label: "empty body", body: "", status: 400, field: ""),
        Case(label: "an array body", body: "[1, 2]", status: 400, field: ""),
        Case(label: "unknown field", body: "{\(base), \"colour\": \"red\"}", status: 400, field: "colour"),
        Case(label: "missing url", body: #"{"name": "n", "layers": ["roads"]}"#, status: 400, field: "url"),
        Case(
            label: "name is a number",
            body: #"{"name": 5, "url": "http://93.184.215.14/", "layers": ["roads"]}"#,
            status: 400,
            field: "name"
        ),
        Case(
            label: "layers is a string",
            body: #"{"name": "n", "url": "http://93.184.215.14/", "layers": "roads"}"#,
            status: 400,
            field: "layers"
        ),
        Case(
            label: "empty layers",
            body: #"{"name": "n", "url": "http://93.184.215.14/", "layers": []}"#,
            status: 422,
            field: "layers"
        ),
        Case(
            label: "unknown layer",
            body: #"{"name": "n", "url": "http://93.184.215.14/", "layers": ["roads", "rails"]}"#,
            status: 422,
            field: "layers[1]"
        ),
        Case(label: "timeout over 60 s", body: "{\(base), \"timeout_ms\": 90000}", status: 422, field: "timeout_ms"),
        Case(label: "timeout not an integer", body: "{\(base), \"timeout_ms\": 1.5}", status: 400, field: "timeout_ms"),
        Case(
            label: "timeout as a string",
            body: "{\(base), \"timeout_ms\": \"30s\"}",
            status: 400,
            field: "timeout_ms"
        ),
        Case(label: "method GET", body: "{\(base), \"method\": \"GET\"}", status: 422, field: "method"),
        Case(label: "format xml", body: "{\(base), \"format\": \"xml\"}", status: 422, field: "format"),
        Case(
            label: "compression brotli",
            body: "{\(base), \"compression\": \"br\"}",
            status: 422,
            field: "compression"
        ),
        Case(label: "kind features (not yet)", body: "{\(base), \"kind\": \"features\"}", status: 422, field: "kind"),
        Case(label: "kind unknown", body: "{\(base), \"kind\": \"weather\"}", status: 422, field: "kind"),
        Case(label: "bbox of 3 numbers", body: "{\(base), \"filter\": [1, 2, 3]}", status: 422, field: "filter"),
        Case(label: "bbox west > east", body: "{\(base), \"filter\": [10, 40, 5, 45]}", status: 422, field: "filter"),
        Case(label: "bbox latitude 95", body: "{\(base), \"filter\": [0, 0, 10, 95]}", status: 422, field: "filter"),
        Case(
            label: "bbox with a string",
            body: "{\(base), \"filter\": [0, 0, \"a\", 5]}",
            status: 400,
            field: "filter[2]"
        ),
        Case(
            label: "self-intersecting polygon",
            body: "{\(base), \"filter\": {\"type\": \"Polygon\", \"coordinates\": [[[0,0],[2,2],[2,0],[0,2],[0,0]]]}}",
            status: 422,
            field: "filter"
        ),
        Case(
            label: "unclosed polygon",
            body: "{\(base), \"filter\": {\"type\": \"Polygon\", \"coordinates\": [[[0,0],[1,0],[1,1],[0,1]]]}}",
            status: 422,
            field: "filter"
        ),
        Case(
            label: "a Point filter",
            body: "{\(base), \"filter\": {\"type\": \"Point\", \"coordinates\": [1, 2]}}",
            status: 422,
            field: "filter"
        ),
        Case(label: "filter is a string", body: "{\(base), \"filter\": \"alps\"}", status: 400, field: "filter"),
        Case(
            label: "filter an empty Polygon",
            body:
                #"{"name": "n", "url": "http://93.184.215.14/", "layers": ["roads"], "filter": {"type": "Polygon", "coordinates": []}}"#,
            status: 422,
            field: "filter"
        ),
        Case(
            label: "filter an empty MultiPolygon",
            body:
                #"{"name": "n", "url": "http://93.184.215.14/", "layers": ["roads"], "filter": {"type": "MultiPolygon", "coordinates": [[]]}}"#,
            status: 422,
            field: "filter"
        ),
        Case(
            label: "url ftp",
            body: #"{"name": "n", "url": "ftp://93.184.215.14/x", "layers": ["roads"]}"#,
            status: 422,
            field: "url"
        ),
        Case(
            label: "url not a URL",
            body: #"{"name": "n", "url": "not a url", "layers": ["roads"]}"#,
            status: 422,
            field: "url"
        ),
        Case(
            label: "url with user info",
            body: #"{"name": "n", "url": "http://u:p@93.184.215.14/", "layers": ["roads"]}"#,
            status: 422,
            field: "url"
        ),
        Case(
            label: "reserved header",
            body: "{\(base), \"headers\": {\"webhook-id\": \"x\"}}",
            status: 422,
            field: "headers.webhook-id"
        ),
        Case(
            label: "header with newline",
            body: "{\(base), \"headers\": {\"X-A\": \"a\\r\\nB: c\"}}",
            status: 422,
            field: "headers.X-A"
        ),
        Case(
            label: "header value a number",
            body: "{\(base), \"headers\": {\"X-A\": 1}}",
            status: 400,
            field: "headers.X-A"
        ),
        Case(label: "negative rate", body: "{\(base), \"rate_per_minute\": -1}", status: 422, field: "rate_per_minute"),
        Case(label: "max_in_flight 0", body: "{\(base), \"max_in_flight\": 0}", status: 422, field: "max_in_flight"),
        Case(
            label: "retry schedule of strings",
            body: "{\(base), \"retry_schedule_ms\": [\"1s\"]}",
            status: 400,
            field: "retry_schedule_ms[0]"
        ),
        Case(
            label: "retry schedule too long",
            body: "{\(base), \"retry_schedule_ms\": [\(Array(repeating: "1", count: 21).joined(separator: ","))]}",
            status: 422,
            field: "retry_schedule_ms"
        ),
        Case(label: "ordered as a string", body: "{\(base), \"ordered\": \"yes\"}", status: 400, field: "ordered"),
        Case(
            label: "NUL in a layer name",
            body: #"{"name": "n", "url": "http://93.184.215.14/", "layers": ["ro\u0000ads"]}"#,
            status: 422,
            field: "layers[0]"
        ),
        Case(
            label: "NUL in the name",
            body: #"{"name": "a\u0000b", "url": "http://93.184.215.14/", "layers": ["roads"]}"#,
            status: 422,
            field: "name"
        ),
        Case(
            label: "NUL in the URL",
            body: #"{"name": "n", "url": "http://93.184.215.14/a\u0000b", "layers": ["roads"]}"#,
            status: 422,
            field: "url"
        ),
        Case(
            label: "NUL in a header value",
            body: "{\(base), \"headers\": {\"X-A\": \"a\\u0000b\"}}",
            status: 422,
            field: "headers.X-A"
        ),
        Case(
            label: "blank name",
            body: #"{"name": "  ", "url": "http://93.184.215.14/", "layers": ["roads"]}"#,
            status: 422,
            field: "name"
        ),
        Case(label: "huge integer", body: "{\(base), \"debounce_ms\": 1e300}", status: 400, field: "debounce_ms"),
    ]

    /// One database for the whole table: each case must leave no subscription behind.
    @Test("a malformed create is a 4xx problem+json naming the field")
    func malformedCreate() async throws {
        try await APIHarness.with { h in
            for c in Self.cases {
                let r = try await h.call(.post, "/v1/subscriptions", key: h.alpha, json: c.body)
                #expect(Int(r.status.code) == c.status, "\(c.label): \(String(buffer: r.body))")
                #expect(r.headers[.contentType] == "application/problem+json", "\(c.label)")
                let problem = try r.json()
                #expect(problem["status"]?.number == Double(c.status), "\(c.label)")
                #expect(problem["type"]?.string?.hasPrefix("urn:tessera:problem:") == true, "\(c.label)")
                let fields = (problem["errors"]?.array ?? []).compactMap { $0["field"]?.string }
                if c.field.isEmpty {
                    #expect(problem["detail"]?.string?.isEmpty == false, "\(c.label)")
                } else {
                    #expect(fields.contains(c.field), "\(c.label): fields \(fields) in \(String(buffer: r.body))")
                }
                // The problem names the field; its reason does not say it again ("url: url: …").
                for e in problem["errors"]?.array ?? [] {
                    if let field = e["field"]?.string, !field.isEmpty, let reason = e["reason"]?.string {
                        #expect(!reason.hasPrefix("\(field):"), "\(c.label): \(reason)")
                    }
                }
            }
            #expect(try await h.db.int("SELECT count(*) FROM tessera.subscriptions") == 0)
        }
    }

    @Test("a body over the limit is refused with 413")
    func oversizeBody() async throws {
        try await APIHarness.with(configure: { $0.maxBodyBytes = 4096 }) { h in
            let padding = String(repeating: "x", count: 8000)
            let r = try await h.call(
                .post,
                "/v1/subscriptions",
                key: h.alpha,
                json: #"{"name": "\#(padding)", "url": "http://93.184.215.14/", "layers": ["roads"]}"#
            )
            #expect(r.status == .contentTooLarge)
            #expect(r.headers[.contentType] == "application/problem+json")
        }
    }

    @Test("a body that is not JSON by its content type is refused with 415")
    func wrongContentType() async throws {
        try await APIHarness.with { h in
            let r = try await h.call(
                .post,
                "/v1/subscriptions",
                key: h.alpha,
                json: "name=n",
                headers: [.contentType: "application/x-www-form-urlencoded"]
            )
            #expect(r.status == .unsupportedMediaType)
        }
    }

    @Test("bad PATCH values are refused and change nothing")
    func badPatch() async throws {
        try await APIHarness.with { h in
            let id = try #require(try await h.createSubscription(key: h.alpha, name: "p")["id"]?.string)
            let r = try await h.call(
                .patch,
                "/v1/subscriptions/\(id)",
                key: h.alpha,
                json: #"{"timeout_ms": 61000, "id": "x"}"#
            )
            #expect(r.status == .badRequest)
            let fields = (try r.json()["errors"]?.array ?? []).compactMap { $0["field"]?.string }
            #expect(fields == ["id"], "shape problems are reported first")
            let r2 = try await h.call(.patch, "/v1/subscriptions/\(id)", key: h.alpha, json: #"{"timeout_ms": 61000}"#)
            #expect(r2.status == .unprocessableContent)
            #expect(try await h.db.column("SELECT timeout_ms FROM tessera.subscriptions") == ["30000"])
        }
    }

    @Test("RFC 3339 timestamps may write t and z in lower case")
    func lowerCaseTimestamps() async throws {
        try await APIHarness.with { h in
            let r = try await h.call(.get, "/v1/dead-letters?since=2026-01-31t12:00:00z", key: h.alpha)
            #expect(r.status == .ok, "\(String(buffer: r.body))")
            let id = try await h.createSubscription(key: h.alpha, name: "n")["id"]!.string!
            let replay = try await h.call(
                .post,
                "/v1/subscriptions/\(id)/replay",
                key: h.alpha,
                json: #"{"from": "2026-01-31t12:00:00.5z", "to": "2026-01-31T13:00:00+01:00"}"#
            )
            // 13:00+01:00 is 12:00Z, before 12:00:00.5Z: read as times, not as text.
            #expect(replay.status == .unprocessableContent, "\(String(buffer: replay.body))")
            #expect(try replay.json()["errors"]?.array?.first?["field"]?.string == "to")
            let ok = try await h.call(
                .post,
                "/v1/subscriptions/\(id)/replay",
                key: h.alpha,
                json: #"{"from": "2026-01-31t12:00:00z", "to": "2026-01-31t12:00:01Z"}"#
            )
            #expect(ok.status == .accepted, "\(String(buffer: ok.body))")
            #expect(
                try await h.call(.get, "/v1/dead-letters?since=2026-01-31x12:00:00z", key: h.alpha).status
                    == .badRequest
            )
        }
    }

    @Test("a delivery id is its digits as the API writes them")
    func deliveryIDsAreExact() async throws {
        try await APIHarness.with { h in
            let sub = try await h.createSubscription(key: h.alpha, name: "n")["id"]!.string!
            try await h.db.execute(
                """
                INSERT INTO tessera.deliveries (event_id, subscription_id, event_type, payload, content_type)
                VALUES (gen_random_uuid(), '\(sub)', 'tiles.invalidated', convert_to('0/0/0', 'UTF8'), 'text/plain')
                """
            )
            let id = try await h.db.int("SELECT max(id) FROM tessera.deliveries")
            #expect(try await h.call(.get, "/v1/deliveries/\(id)", key: h.alpha).status == .ok)
            for text in ["+\(id)", "0\(id)", "\(id)%20", "%2B\(id)"] {
                #expect(try await h.call(.get, "/v1/deliveries/\(text)", key: h.alpha).status == .notFound, "\(text)")
            }
        }
    }

    @Test("bad query parameters and ids are 4xx, never 5xx")
    func badQueries() async throws {
        try await APIHarness.with { h in
            let uris: [(String, HTTPRequest.Method, Int)] = [
                ("/v1/subscriptions?limit=0", .get, 400),
                ("/v1/subscriptions?limit=abc", .get, 400),
                ("/v1/subscriptions?cursor=%%%", .get, 400),
                ("/v1/subscriptions/not-a-uuid", .get, 404),
                ("/v1/deliveries/abc", .get, 404),
                ("/v1/deliveries/99999999999999999999", .get, 404),
                ("/v1/dead-letters?since=yesterday", .get, 400),
                ("/v1/dead-letters?subscription=xyz", .get, 400),
                ("/v1/dead-letters?cursor=Zm9v", .get, 400),
                ("/v1/subscriptions?cursor=YQBi", .get, 400),  // "a\0b"
                ("/v1/subscriptions/\(UUID().uuidString)/deliveries?status=lost", .get, 400),
                ("/v1/nothing-here", .get, 404),
                ("/v1/subscriptions", .put, 405),
            ]
            for (uri, method, status) in uris {
                let r = try await h.call(method, uri, key: h.alpha)
                #expect(Int(r.status.code) == status, "\(method) \(uri): \(String(buffer: r.body))")
                #expect(r.headers[.contentType] == "application/problem+json", "\(uri)")
            }
        }
    }

    @Test("requests without a valid key get 401 problem+json")
    func authentication() async throws {
        try await APIHarness.with { h in
            for key in [nil, "nope", "tsk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"] as [String?] {
                let r = try await h.call(.get, "/v1/subscriptions", key: key)
                #expect(r.status == .unauthorized)
                #expect(r.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            }
            let basic = try await h.call(
                .get,
                "/v1/subscriptions",
                key: nil,
                headers: [.authorization: "Basic Zm9vOmJhcg=="]
            )
            #expect(basic.status == .unauthorized)
        }
    }
}
