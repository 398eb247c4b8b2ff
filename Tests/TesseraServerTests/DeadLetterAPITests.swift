import Foundation
import Hummingbird
import HummingbirdTesting
import TesseraGeometry
import Testing

@Suite("Delivery log and dead letters")
struct DeadLetterAPITests {
    @Test("the delivery log lists a subscription's deliveries with code, latency and attempts")
    func deliveryLog() async throws {
        try await APIHarness.with { h in
            let id = try #require(try await h.createSubscription(key: h.alpha, name: "log")["id"]?.string)
            try await DeliveryFixtures.insert(h.db, subscription: id, statuses: ["delivered", "dead", "pending"])
            let log = try await h.call(.get, "/v1/subscriptions/\(id)/deliveries", key: h.alpha).json()
            let rows = try #require(log["data"]?.array)
            #expect(rows.compactMap { $0["status"]?.string } == ["pending", "dead", "delivered"], "newest first")
            #expect(rows[1]["last_status_code"]?.number == 500)
            #expect(rows[1]["latency_ms"]?.number == 24, "the latest attempt's duration")
            #expect(rows[1]["attempts"]?.number == 2)
            let dead = try await h.call(.get, "/v1/subscriptions/\(id)/deliveries?status=dead", key: h.alpha).json()
            #expect(dead["data"]?.array?.count == 1)

            // Pages of 2 through 3 + 4 deliveries, 4 of them created in the same instant: each seen once.
            try await h.db.execute(
                """
                INSERT INTO tessera.deliveries (event_id, subscription_id, event_type, payload, content_type, created_at)
                SELECT gen_random_uuid(), '\(id)', 'tiles.invalidated', '\\x7b7d', 'application/json',
                    timestamptz '2026-01-01T00:01:00Z'
                FROM generate_series(1, 4)
                """
            )
            var seen: [String] = []
            var cursor: String?
            repeat {
                let uri = "/v1/subscriptions/\(id)/deliveries?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await h.call(.get, uri, key: h.alpha).json()
                seen += (page["data"]?.array ?? []).compactMap { $0["id"]?.string }
                cursor = page["next_cursor"]?.string
            } while cursor != nil && seen.count < 20
            #expect(seen.count == 7)
            #expect(Set(seen).count == 7)

            let deliveryID = try #require(rows[1]["id"]?.string)
            let one = try await h.call(.get, "/v1/deliveries/\(deliveryID)", key: h.alpha).json()
            let history = try #require(one["attempt_history"]?.array)
            #expect(history.compactMap { $0["attempt"]?.number } == [1, 2])
            #expect(history[0]["response_body"]?.string == "oops")
        }
    }

    @Test("dead letters: list with history and filters, stats, retry one, retry all")
    func deadLetters() async throws {
        try await APIHarness.with { h in
            let a = try #require(try await h.createSubscription(key: h.alpha, name: "a")["id"]?.string)
            let b = try #require(try await h.createSubscription(key: h.alpha, name: "b")["id"]?.string)
            try await DeliveryFixtures.insert(h.db, subscription: a, statuses: ["dead", "dead", "delivered", "dead"])
            try await DeliveryFixtures.insert(h.db, subscription: b, statuses: ["dead", "pending"])

            let all = try await h.call(.get, "/v1/dead-letters", key: h.alpha).json()
            #expect(all["data"]?.array?.count == 4)
            #expect(all["data"]?.array?.first?["attempt_history"]?.array?.count == 2)
            let onlyB = try await h.call(.get, "/v1/dead-letters?subscription=\(b)", key: h.alpha).json()
            #expect(onlyB["data"]?.array?.count == 1)
            // Deaths at 01:00, 01:01, 01:03 (a) and 01:00 (b).
            let window = try await h.call(
                .get,
                "/v1/dead-letters?since=2026-01-01T01:00:30Z&until=2026-01-01T01:02:00Z",
                key: h.alpha
            ).json()
            #expect(window["data"]?.array?.count == 1)

            var seen = 0
            var cursor: String?
            repeat {
                let page = try await h.call(
                    .get,
                    "/v1/dead-letters?limit=3" + (cursor.map { "&cursor=\($0)" } ?? ""),
                    key: h.alpha
                ).json()
                seen += page["data"]?.array?.count ?? 0
                cursor = page["next_cursor"]?.string
            } while cursor != nil
            #expect(seen == 4)

            let stats = try await h.call(.get, "/v1/dead-letters/stats", key: h.alpha).json()
            #expect(stats["total"]?.number == 4)
            #expect(stats["subscriptions"]?.array?.compactMap { $0["count"]?.number } == [3, 1])

            // Retry one of subscription a.
            let onlyA = try await h.call(.get, "/v1/dead-letters?subscription=\(a)", key: h.alpha).json()
            let oneID = try #require(onlyA["data"]?.array?.first?["id"]?.string)
            let retried = try await h.call(.post, "/v1/dead-letters/\(oneID)/retry", key: h.alpha)
            #expect(retried.status == .accepted)
            #expect(try retried.json()["status"]?.string == "pending")
            #expect(
                try await h.db.column(
                    "SELECT status || ' ' || attempts || ' ' || (next_attempt_at <= now()) || ' ' || (dead_at IS NULL) FROM tessera.deliveries WHERE id = \(oneID)"
                ) == ["pending 0 true true"]
            )
            #expect(
                try await h.db.int("SELECT count(*) FROM tessera.delivery_attempts WHERE delivery_id = \(oneID)") == 2,
                "the attempt history is kept"
            )
            // Retrying it again: it is no longer dead.
            #expect(try await h.call(.post, "/v1/dead-letters/\(oneID)/retry", key: h.alpha).status == .conflict)

            // Retry all of subscription a: its two remaining dead letters, nothing of b.
            let retryAll = try await h.call(.post, "/v1/subscriptions/\(a)/dead-letters/retry", key: h.alpha)
            #expect(retryAll.status == .accepted)
            #expect(try retryAll.json()["requeued"]?.number == 2)
            #expect(
                try await h.db.int(
                    "SELECT count(*) FROM tessera.deliveries WHERE subscription_id = '\(a)' AND status = 'dead'"
                ) == 0
            )
            #expect(
                try await h.db.int(
                    "SELECT count(*) FROM tessera.deliveries WHERE subscription_id = '\(b)' AND status = 'dead'"
                ) == 1
            )
            #expect(
                try await h.db.int(
                    "SELECT count(*) FROM tessera.deliveries WHERE subscription_id = '\(a)' AND status = 'delivered'"
                ) == 1
            )
        }
    }

    @Test("replay requeues the delivered and dead deliveries of a time range, keeping their event ids")
    func replay() async throws {
        try await APIHarness.with { h in
            let a = try #require(try await h.createSubscription(key: h.alpha, name: "a")["id"]?.string)
            // Created at 00:00 … 00:04.
            try await DeliveryFixtures.insert(
                h.db,
                subscription: a,
                statuses: ["delivered", "dead", "delivered", "pending", "delivered"]
            )
            let before = try await h.db.column("SELECT event_id FROM tessera.deliveries ORDER BY id")
            let r = try await h.call(
                .post,
                "/v1/subscriptions/\(a)/replay",
                key: h.alpha,
                json: #"{"from": "2026-01-01T00:01:00Z", "to": "2026-01-01T00:04:00Z"}"#
            )
            #expect(r.status == .accepted)
            #expect(try r.json()["requeued"]?.number == 2, "00:01 dead and 00:02 delivered; 00:03 is pending already")
            #expect(
                try await h.db.column("SELECT status FROM tessera.deliveries ORDER BY id")
                    == ["delivered", "pending", "pending", "pending", "delivered"]
            )
            #expect(try await h.db.column("SELECT event_id FROM tessera.deliveries ORDER BY id") == before)
            #expect(try await h.db.int("SELECT count(*) FROM tessera.deliveries WHERE delivered_at IS NOT NULL") == 2)

            let bad: [String] = [
                #"{"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}"#,
                #"{"from": "yesterday", "to": "2026-01-01T00:00:00Z"}"#,
                #"{"to": "2026-01-01T00:00:00Z"}"#,
                #"{"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z", "status": "dead"}"#,
            ]
            for body in bad {
                let r = try await h.call(.post, "/v1/subscriptions/\(a)/replay", key: h.alpha, json: body)
                #expect((400..<500).contains(r.status.code), "\(body): \(r.status.code)")
            }
        }
    }
}
