import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import TesseraGeometry
import Testing

/// A header by name (case-insensitive).
func header(_ fields: HTTPFields, _ name: String) -> String? {
    fields.first { $0.name.canonicalName == name.lowercased() }?.value
}

@Suite("Test call")
struct TestCallTests {
    /// What the loopback receiver got.
    actor Inbox {
        struct Received: Sendable {
            var headers: HTTPFields
            var body: [UInt8]
        }
        var requests: [Received] = []
        func add(_ r: Received) { requests.append(r) }
    }

    /// Runs a real HTTP receiver on a loopback port that answers 202 "thanks".
    static func withReceiver(_ body: @Sendable (Int, Inbox) async throws -> Void) async throws {
        let inbox = Inbox()
        let router = Router()
        router.post("hook") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            await inbox.add(.init(headers: request.headers, body: Array(buffer: bytes)))
            return Response(status: .accepted, body: .init(byteBuffer: ByteBuffer(string: "thanks")))
        }
        let receiver = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await receiver.test(.live) { client in
            try await body(try #require(client.port), inbox)
        }
    }

    /// `v1,` + base64 HMAC-SHA256 over `id.timestamp.body`, computed here from the Standard Webhooks text.
    static func signature(secret: String, id: String, timestamp: String, body: [UInt8]) throws -> String {
        let key = try #require(Data(base64Encoded: String(secret.dropFirst("whsec_".count))))
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array("\(id).\(timestamp).".utf8) + body,
            using: SymmetricKey(data: key)
        )
        return "v1," + Data(mac).base64EncodedString()
    }

    @Test("sends a signed webhook.test event to a loopback receiver and reports its answer")
    func signedTestEvent() async throws {
        try await Self.withReceiver { port, inbox in
            try await APIHarness.with(allow: ["127.0.0.0/8"]) { h in
                let created = try await h.createSubscription(
                    key: h.alpha,
                    name: "receiver",
                    url: "http://127.0.0.1:\(port)/hook",
                    extra: #", "headers": {"X-Token": "t0k"}"#
                )
                let id = try #require(created["id"]?.string)
                let secret = try #require(created["secret"]?.string)
                let r = try await h.call(.post, "/v1/subscriptions/\(id)/test", key: h.alpha)
                #expect(r.status == .ok)
                let answer = try r.json()
                #expect(answer["success"] == .bool(true), "\(String(buffer: r.body))")
                #expect(answer["status_code"]?.number == 202)
                #expect(answer["response_body"]?.string == "thanks")
                #expect((answer["latency_ms"]?.number ?? -1) >= 0)

                let got = try #require(await inbox.requests.first)
                let event = try JSONValue.parse(got.body)
                #expect(event["type"]?.string == "webhook.test")
                #expect(event["data"]?["subscription_id"]?.string == id)
                let webhookID = try #require(header(got.headers, "webhook-id"))
                let timestamp = try #require(header(got.headers, "webhook-timestamp"))
                let signature = try #require(header(got.headers, "webhook-signature"))
                #expect(webhookID == answer["event_id"]?.string)
                #expect(
                    signature
                        == (try Self.signature(secret: secret, id: webhookID, timestamp: timestamp, body: got.body))
                )
                #expect(header(got.headers, "X-Token") == "t0k")
                #expect(got.headers[.contentType] == "application/json")

                // After a rotation both secrets sign the test event.
                let rotated = try await h.call(.post, "/v1/subscriptions/\(id)/rotate-secret", key: h.alpha).json()
                let newSecret = try #require(rotated["secret"]?.string)
                _ = try await h.call(.post, "/v1/subscriptions/\(id)/test", key: h.alpha)
                let second = try #require(await inbox.requests.last)
                let sid = try #require(header(second.headers, "webhook-id"))
                let sts = try #require(header(second.headers, "webhook-timestamp"))
                let signatures = try #require(header(second.headers, "webhook-signature")).split(separator: " ")
                    .map(String.init)
                #expect(
                    Set(signatures) == [
                        try Self.signature(secret: newSecret, id: sid, timestamp: sts, body: second.body),
                        try Self.signature(secret: secret, id: sid, timestamp: sts, body: second.body),
                    ]
                )
            }
        }
    }

    @Test("a receiver that does not answer is reported as a failure, not an API error")
    func receiverDown() async throws {
        try await APIHarness.with(allow: ["127.0.0.0/8"]) { h in
            let id = try #require(
                try await h.createSubscription(key: h.alpha, name: "down", url: "http://127.0.0.1:9/hook")["id"]?.string
            )
            let r = try await h.call(.post, "/v1/subscriptions/\(id)/test", key: h.alpha)
            #expect(r.status == .ok)
            let answer = try r.json()
            #expect(answer["success"] == .bool(false))
            #expect(answer["status_code"] == .null)
            #expect(answer["error"]?.string?.isEmpty == false)
        }
    }
}
