import Foundation
import Logging
import PostgresNIO
import TesseraDatabaseTestSupport
import TesseraPostgres

@testable import TesseraDelivery

/// A migrated test database plus a running dispatcher (sender + dispatcher in a ServiceGroup).
struct DispatchFixture: Sendable {
    let db: TestDatabase
    static let secret = try! WebhookSecret(bytes: Array(0..<32))
    static let loopback = try! AddressPolicy(allowing: ["127.0.0.0/8", "::1"])

    /// Settings for fast tests: tiny poll interval, exact schedules.
    static func testConfiguration(
        breaker: CircuitBreaker.Configuration = .init(
            window: .seconds(10),
            minimumRequests: 1000,
            openDuration: .seconds(1)
        )
    ) -> Dispatcher.Configuration {
        Dispatcher.Configuration(
            batchSize: 100,
            concurrency: 64,
            pollInterval: .milliseconds(10),
            subscriptionRefresh: .milliseconds(50),
            reclaimInterval: .milliseconds(100),
            leaseMargin: .seconds(30),
            scheduler: .init(breaker: breaker),
            jitter: false
        )
    }

    static func with(
        policy: AddressPolicy = loopback,
        configuration: Dispatcher.Configuration = testConfiguration(),
        _ body: @Sendable (DispatchFixture) async throws -> Void
    ) async throws {
        do {
            try await TestDatabase.with { db in
                let fixture = DispatchFixture(db: db)
                try await fixture.run(policy: policy, configuration: configuration) { try await body(fixture) }
            }
        } catch let error as PSQLError {
            throw DatabaseFailure(description: String(reflecting: error))
        }
    }

    /// Runs the dispatcher while `body` runs, then shuts it down gracefully.
    func run(policy: AddressPolicy, configuration: Dispatcher.Configuration, _ body: () async throws -> Void)
        async throws
    {
        var logger = Logger(label: "dispatch-test")
        logger.logLevel = .error
        let sender = WebhookSender(configuration: .init(policy: policy, userAgent: "Tessera/test"), logger: logger)
        let dispatcher = Dispatcher(
            url: db.url,
            outputs: [
                WebhookOutput(sender: sender),
                HTTPPurgeOutput(
                    sender: sender,
                    url: db.url,
                    configuration: .init(checkpointInterval: .milliseconds(100)),
                    logger: logger
                ),
                ExpireFilesOutput(),
            ],
            policy: policy,
            configuration: configuration,
            logger: logger
        )
        try await withRunningServices([sender, dispatcher], logger: logger, body)
    }

    /// Creates a subscription (with ``secret`` as its signing secret); returns its id.
    @discardableResult
    func subscription(
        url: String,
        name: String = "s-\(UUID().uuidString.prefix(8))",
        method: String = "POST",
        headers: String = "{}",
        timeoutMs: Int = 20000,
        ratePerMinute: Int? = nil,
        maxInFlight: Int = 4,
        ordered: Bool = false,
        scheduleMs: [Int] = [50, 50, 50],
        status: String = "active",
        output: String = "webhook",
        extraSecrets: [WebhookSecret] = []
    ) async throws -> String {
        let rate = ratePerMinute.map(String.init) ?? "NULL"
        let schedule = "ARRAY[" + scheduleMs.map(String.init).joined(separator: ",") + "]::int[]"
        let id = UUID().uuidString.lowercased()
        // One transaction: a dispatcher already running must never see the subscription with
        // only some of its secrets (it caches subscription settings between refreshes).
        var script = """
            BEGIN;
            INSERT INTO tessera.subscriptions (id, name, url, layers, method, headers, timeout_ms, rate_per_minute,
                                               max_in_flight, ordered, retry_schedule_ms, status, output)
            VALUES ('\(id)', '\(name)', '\(url)', ARRAY['roads'], '\(method)', '\(headers)'::jsonb, \(timeoutMs), \(rate),
                    \(maxInFlight), \(ordered), \(schedule), '\(status)', '\(output)');

            """
        for (index, secret) in ([DispatchFixture.secret] + extraSecrets).enumerated() {
            script += """
                INSERT INTO tessera.subscription_secrets (subscription_id, secret, created_at)
                VALUES ('\(id)', decode('\(Data(secret.bytes).base64EncodedString())', 'base64'),
                        now() - interval '\(index) minutes');

                """
        }
        try await db.execute(script + "COMMIT;")
        return id
    }

    /// Queues `count` deliveries with JSON bodies `{"n": i}`; returns their event ids in order.
    @discardableResult
    func deliveries(
        _ subscription: String,
        count: Int,
        contentType: String = "application/json",
        encoding: String? = nil,
        output: String = "webhook",
        payload: ((Int) -> [UInt8])? = nil
    ) async throws -> [String] {
        var ids: [String] = []
        let connection = try await db.connect()
        do {
            for i in 0..<count {
                let eventID = UUID().uuidString.lowercased()
                let bytes = payload?(i) ?? Array("{\"n\":\(i)}".utf8)
                try await connection.perform(
                    """
                    INSERT INTO tessera.deliveries (event_id, subscription_id, event_type, payload, content_type,
                                                    content_encoding, output)
                    VALUES (\(eventID)::uuid, \(subscription)::uuid, 'tiles.invalidated', \(ByteBuffer(bytes: bytes)),
                            \(contentType), \(encoding), \(output))
                    """,
                    logger: db.logger
                )
                ids.append(eventID)
            }
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
        return ids
    }

    /// Polls until `condition` holds or `timeout` passes; returns whether it held.
    @discardableResult
    func eventually(timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws -> Bool {
        let clock = ContinuousClock()
        let end = clock.now + timeout
        while clock.now < end {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }

    func count(_ subscription: String, status: String) async throws -> Int {
        try await db.int(
            "SELECT count(*) FROM tessera.deliveries WHERE subscription_id = '\(subscription)' AND status = '\(status)'"
        )
    }
}

/// A database error with its details (PSQLError's description hides them).
struct DatabaseFailure: Error, CustomStringConvertible {
    let description: String
}
