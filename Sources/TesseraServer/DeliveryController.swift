import Foundation
import Hummingbird
import TesseraCatalog
import TesseraDelivery
import TesseraGeometry

/// The delivery log, the dead-letter queue and the requeue operations (retry, retry all, replay).
struct DeliveryController: Sendable {
    let deliveries: DeliveryLogStore
    let configuration: APIConfiguration

    static let statuses = ["pending", "delivering", "delivered", "dead"]

    func addRoutes(to group: RouterGroup<APIRequestContext>) {
        group.get("subscriptions/{id}/deliveries", use: log)
        group.get("deliveries/{id}", use: get)
        group.get("dead-letters", use: deadLetters)
        group.get("dead-letters/stats", use: stats)
        group.post("dead-letters/{id}/retry", use: retry)
        group.post("subscriptions/{id}/dead-letters/retry", use: retryAll)
        group.post("subscriptions/{id}/replay", use: replay)
    }

    @Sendable func log(_ request: Request, context: APIRequestContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let id = try context.parameters.subscriptionID()
        let page = try PageRequest(request, configuration: configuration)
        var status: String?
        if let s = request.uri.queryParameters["status"].map(String.init) {
            guard Self.statuses.contains(s) else {
                throw Problem.malformed(field: "status", "must be one of \(Self.statuses.joined(separator: ", "))")
            }
            status = s
        }
        let items = try await deliveries.list(
            tenant: tenant,
            subscription: id,
            status: status,
            limit: page.limit + 1,
            beforeID: try page.cursorID()
        )
        let shown = items.prefix(page.limit)
        let next = items.count > page.limit ? shown.last.map { PageRequest.encode(String($0.id)) } : nil
        return .json(Representation.page(shown.map(Representation.delivery(_:)), nextCursor: next))
    }

    @Sendable func get(_ request: Request, context: APIRequestContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let d = try await deliveries.get(tenant: tenant, id: try context.parameters.deliveryID())
        return .json(Representation.delivery(d))
    }

    @Sendable func deadLetters(_ request: Request, context: APIRequestContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let page = try PageRequest(request, configuration: configuration)
        let query = request.uri.queryParameters
        var subscription: UUID?
        if let text = query["subscription"].map(String.init) {
            // Another tenant's subscription (or no subscription) simply has no dead letters here.
            guard let id = UUID(uuidString: text) else {
                throw Problem.malformed(field: "subscription", "must be a subscription id (a UUID)")
            }
            subscription = id
        }
        func time(_ key: String) throws -> Date? {
            guard let text = query[Substring(key)].map(String.init) else { return nil }
            guard let date = Timestamp.parse(text) else {
                throw Problem.malformed(field: key, "must be an RFC 3339 timestamp like 2026-01-31T12:00:00Z")
            }
            return date
        }
        let since = try time("since")
        let until = try time("until")
        let items = try await deliveries.deadLetters(
            tenant: tenant,
            subscription: subscription,
            since: since,
            until: until,
            limit: page.limit + 1,
            beforeID: try page.cursorID()
        )
        let shown = items.prefix(page.limit)
        let next = items.count > page.limit ? shown.last.map { PageRequest.encode(String($0.delivery.id)) } : nil
        return .json(Representation.page(shown.map(Representation.delivery(_:)), nextCursor: next))
    }

    @Sendable func stats(_ request: Request, context: APIRequestContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let s = try await deliveries.deadLetterStats(tenant: tenant)
        return .json(
            .object([
                ("total", .int(s.total)),
                ("oldest_dead_at", .date(s.oldest)),
                ("newest_dead_at", .date(s.newest)),
                (
                    "subscriptions",
                    .array(
                        s.subscriptions.map {
                            .object([
                                ("subscription_id", .string($0.subscriptionID.uuidString.lowercased())),
                                ("name", .string($0.name)),
                                ("count", .int($0.count)),
                                ("oldest_dead_at", .date($0.oldest)),
                                ("newest_dead_at", .date($0.newest)),
                            ])
                        }
                    )
                ),
            ])
        )
    }

    @Sendable func retry(_ request: Request, context: APIRequestContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let d = try await deliveries.retryDeadLetter(tenant: tenant, id: try context.parameters.deliveryID())
        return .json(Representation.delivery(d), status: .accepted)
    }

    @Sendable func retryAll(_ request: Request, context: APIRequestContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let n = try await deliveries.retryDeadLetters(
            tenant: tenant,
            subscription: try context.parameters.subscriptionID()
        )
        return .json(.object([("requeued", .int(n))]), status: .accepted)
    }

    @Sendable func replay(_ request: Request, context: APIRequestContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let id = try context.parameters.subscriptionID()
        var reader = try await RequestReader.body(of: request, limit: configuration.maxBodyBytes)
        let (from, to) = try Self.replayWindow(&reader)
        let n = try await deliveries.replay(tenant: tenant, subscription: id, from: from, to: to)
        return .json(.object([("requeued", .int(n))]), status: .accepted)
    }

    /// A replay body's `{"from": …, "to": …}`: both required, RFC 3339, `from` before `to`.
    static func replayWindow(_ reader: inout RequestReader) throws -> (from: Date, to: Date) {
        reader.refuseUnknown(["from", "to"])
        reader.require("from")
        reader.require("to")
        let from = reader.timestamp("from")
        let to = reader.timestamp("to")
        if let from, let to, from >= to { reader.refuse("to", "must be later than from") }
        try reader.finish()
        guard let from, let to else { throw Problem.malformed(field: "from", "is required") }
        return (from, to)
    }
}
