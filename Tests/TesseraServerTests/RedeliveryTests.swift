import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import TesseraCatalog
import TesseraDatabaseTestSupport
import TesseraDelivery
import TesseraGeometry
import Testing

@Suite("Requeued deliveries are sent again")
struct RedeliveryTests {
    @Test("a dead letter retried and a replayed range reach the receiver once more, with their webhook-ids")
    func retriedAndReplayedAreDelivered() async throws {
        try await TestCallTests.withReceiver { port, inbox in
            try await APIHarness.with(allow: ["127.0.0.0/8"]) { h in
                let created = try await h.createSubscription(
                    key: h.alpha,
                    name: "again",
                    url: "http://127.0.0.1:\(port)/hook"
                )
                let id = try #require(created["id"]?.string)
                let secret = try #require(created["secret"]?.string)
                // 00:00 dead, 00:01 delivered, 00:02 delivered, 00:03 delivered (outside the replayed range).
                try await DeliveryFixtures.insert(
                    h.db,
                    subscription: id,
                    statuses: ["dead", "delivered", "delivered", "delivered"]
                )
                let events = try await h.db.column("SELECT event_id FROM tessera.deliveries ORDER BY id").compactMap {
                    $0
                }
                let deadID = try #require(
                    try await h.db.column("SELECT id FROM tessera.deliveries WHERE status = 'dead'").first ?? nil
                )

                #expect(try await h.call(.post, "/v1/dead-letters/\(deadID)/retry", key: h.alpha).status == .accepted)
                let replay = try await h.call(
                    .post,
                    "/v1/subscriptions/\(id)/replay",
                    key: h.alpha,
                    json: #"{"from": "2026-01-01T00:01:00Z", "to": "2026-01-01T00:03:00Z"}"#
                )
                #expect(try replay.json()["requeued"]?.number == 2)

                try await Self.runDispatcher(h) {
                    for _ in 0..<500 {
                        if try await h.db.int("SELECT count(*) FROM tessera.deliveries WHERE status = 'pending'") == 0 {
                            break
                        }
                        try await Task.sleep(for: .milliseconds(20))
                    }
                }
                #expect(try await h.db.int("SELECT count(*) FROM tessera.deliveries WHERE status = 'delivered'") == 4)
                let received = await inbox.requests
                #expect(received.count == 3)
                #expect(Set(received.compactMap { header($0.headers, "webhook-id") }) == Set(events.prefix(3)))
                for r in received {
                    let wid = try #require(header(r.headers, "webhook-id"))
                    let ts = try #require(header(r.headers, "webhook-timestamp"))
                    let signature = try #require(header(r.headers, "webhook-signature"))
                    #expect(
                        signature == (try TestCallTests.signature(secret: secret, id: wid, timestamp: ts, body: r.body))
                    )
                }
                // Two attempts from before plus the new one, per requeued delivery.
                #expect(try await h.db.int("SELECT count(*) FROM tessera.delivery_attempts") == 4 * 2 + 3)
            }
        }
    }

    /// Runs the dispatcher (with its own sender) while `body` runs.
    static func runDispatcher(_ h: APIHarness, _ body: () async throws -> Void) async throws {
        var logger = Logger(label: "dispatch")
        logger.logLevel = .error
        let sender = WebhookSender(
            configuration: .init(policy: try AddressPolicy(allowing: ["127.0.0.0/8"]), userAgent: "Tessera/test"),
            logger: logger
        )
        let dispatcher = Dispatcher(
            url: h.db.url,
            sender: sender,
            configuration: .init(
                pollInterval: .milliseconds(10),
                subscriptionRefresh: .milliseconds(50),
                jitter: false
            ),
            logger: logger
        )
        try await withRunningServices([sender, dispatcher], logger: logger, body)
    }
}
