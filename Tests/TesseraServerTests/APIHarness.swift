import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresNIO
import TesseraCatalog
import TesseraDatabaseTestSupport
import TesseraDelivery
import TesseraGeometry
import TesseraPostgres
import TesseraServer

/// A migrated test database with the layers `roads` and `water`, two tenants with one key each,
/// and the admin API routed in-process (`app.test(.router)`).
struct APIHarness: Sendable {
    let db: TestDatabase
    let client: PostgresClient
    let api: any TestClientProtocol
    /// Keys of tenants `alpha` and `beta`.
    let alpha: String
    let beta: String

    static let logger: Logger = {
        var l = Logger(label: "api-test")
        l.logLevel = .warning
        return l
    }()

    /// Runs `body` with a fresh harness. `allow` is the SSRF allow-list (CIDR blocks).
    static func with(
        allow: [String] = [],
        configure: @Sendable (inout APIConfiguration) -> Void = { _ in },
        _ body: @Sendable (APIHarness) async throws -> Void
    ) async throws {
        try await TestDatabase.with { db in
            try await db.execute(
                """
                INSERT INTO tessera.layers (name) VALUES ('roads'), ('water');
                """
            )
            let client = PostgresClient(configuration: try db.url.clientConfiguration(), backgroundLogger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                let keys = KeyStore(client: client, logger: logger)
                let alpha = try await keys.createKey(tenant: "alpha", name: "test").0.text
                let beta = try await keys.createKey(tenant: "beta", name: "test").0.text
                var configuration = APIConfiguration()
                configuration.addressPolicy = try AddressPolicy(allowing: allow)
                configure(&configuration)
                let sender = WebhookSender(configuration: .init(policy: configuration.addressPolicy), logger: logger)
                let app = buildApplication(client: client, sender: sender, configuration: configuration, logger: logger)
                do {
                    try await app.test(.router) { api in
                        try await body(APIHarness(db: db, client: client, api: api, alpha: alpha, beta: beta))
                    }
                    try await sender.shutdown()
                } catch {
                    try? await sender.shutdown()
                    group.cancelAll()
                    throw error
                }
                group.cancelAll()
            }
        }
    }

    /// Sends a request with `key` as bearer and a JSON (or raw) body.
    func call(
        _ method: HTTPRequest.Method,
        _ uri: String,
        key: String?,
        json: String? = nil,
        headers: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = headers
        if let key { headers[.authorization] = "Bearer \(key)" }
        if json != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await api.execute(
            uri: uri,
            method: method,
            headers: headers,
            body: json.map { ByteBuffer(string: $0) }
        )
    }

    /// Creates a subscription for the tenant of `key`; returns its JSON (with the secret).
    func createSubscription(
        key: String,
        name: String,
        url: String = "http://93.184.215.14/hook",
        extra: String = ""
    ) async throws -> JSONValue {
        let body = #"{"name": "\#(name)", "url": "\#(url)", "layers": ["roads"]\#(extra)}"#
        let response = try await call(.post, "/v1/subscriptions", key: key, json: body)
        guard response.status == .created else {
            throw HarnessError("create \(name): \(response.status.code) \(String(buffer: response.body))")
        }
        return try response.json()
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension TestResponse {
    func json() throws -> JSONValue { try JSONValue.parse(body.readableBytesView) }
}

extension JSONValue {
    var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }
    var number: Double? {
        if case .number(let n) = self { return n }
        return nil
    }
    var array: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }
}
