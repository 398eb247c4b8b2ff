import Foundation
import Hummingbird
import TesseraCatalog
import TesseraDelivery
import TesseraGeometry

/// `/v1/subscriptions`: create, list, get, update, delete, pause, resume, rotate the secret, test.
struct SubscriptionController: Sendable {
    let subscriptions: SubscriptionStore
    let destinations: DestinationCheck
    let configuration: APIConfiguration
    let testCall: TestCall

    func addRoutes(to group: RouterGroup<APIRequestContext>) {
        group.post("subscriptions", use: create)
        group.get("subscriptions", use: list)
        group.get("subscriptions/{id}", use: get)
        group.patch("subscriptions/{id}", use: update)
        group.delete("subscriptions/{id}", use: delete)
        group.post("subscriptions/{id}/pause") { request, context in
            try await setActive(false, request, context)
        }
        group.post("subscriptions/{id}/resume") { request, context in
            try await setActive(true, request, context)
        }
        group.post("subscriptions/{id}/rotate-secret", use: rotateSecret)
        group.post("subscriptions/{id}/test", use: test)
    }

    @Sendable func create(_ request: Request, context: APIRequestContext) async throws -> Response {
        let tenant = try context.requireTenant()
        var reader = try await RequestReader.body(of: request, limit: configuration.maxBodyBytes)
        var settings = SubscriptionDefinition(name: "", url: "", layers: [])
        SubscriptionDefinition.read(&reader, into: &settings, creating: true)
        try reader.finish()
        try await destinations.check(settings.url, output: settings.output)
        let (subscription, secret) = try await subscriptions.create(tenant: tenant, settings)
        var response = Response.json(
            Representation.subscription(subscription, secret: try WebhookSecret(bytes: secret).encoded),
            status: .created
        )
        response.headers[.location] = "/v1/subscriptions/\(subscription.id.uuidString.lowercased())"
        return response
    }

    @Sendable func list(_ request: Request, context: APIRequestContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let page = try PageRequest(request, configuration: configuration)
        let items = try await subscriptions.list(tenant: tenant, limit: page.limit + 1, afterName: page.cursor)
        let shown = items.prefix(page.limit)
        let next = items.count > page.limit ? shown.last.map { PageRequest.encode($0.settings.name) } : nil
        return .json(Representation.page(shown.map { Representation.subscription($0) }, nextCursor: next))
    }

    @Sendable func get(_ request: Request, context: APIRequestContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let s = try await subscriptions.get(tenant: tenant, id: try context.parameters.subscriptionID())
        return .json(Representation.subscription(s))
    }

    @Sendable func update(_ request: Request, context: APIRequestContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let id = try context.parameters.subscriptionID()
        var reader = try await RequestReader.body(of: request, limit: configuration.maxBodyBytes)
        let existing = try await subscriptions.get(tenant: tenant, id: id)
        var settings = existing.settings
        SubscriptionDefinition.read(&reader, into: &settings, creating: false)
        try reader.finish()
        if settings.url != existing.settings.url || settings.output != existing.settings.output {
            try await destinations.check(settings.url, output: settings.output)
        }
        let updated = try await subscriptions.update(tenant: tenant, id: id, settings)
        return .json(Representation.subscription(updated))
    }

    @Sendable func delete(_ request: Request, context: APIRequestContext) async throws -> Response {
        let tenant = try context.requireTenant()
        try await subscriptions.delete(tenant: tenant, id: try context.parameters.subscriptionID())
        return Response(status: .noContent)
    }

    func setActive(_ active: Bool, _ request: Request, _ context: APIRequestContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let s = try await subscriptions.setActive(tenant: tenant, id: try context.parameters.subscriptionID(), active)
        return .json(Representation.subscription(s))
    }

    @Sendable func rotateSecret(_ request: Request, context: APIRequestContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let id = try context.parameters.subscriptionID()
        let (secret, until) = try await subscriptions.rotateSecret(
            tenant: tenant,
            id: id,
            overlap: configuration.secretRotationOverlap
        )
        return .json(
            .object([
                ("id", .string(id.uuidString.lowercased())),
                ("secret", .string(try WebhookSecret(bytes: secret).encoded)),
                ("previous_secret_expires_at", .date(until)),
            ])
        )
    }

    @Sendable func test(_ request: Request, context: APIRequestContext) async throws -> Response {
        let tenant = try context.requireTenant()
        let id = try context.parameters.subscriptionID()
        let subscription = try await subscriptions.get(tenant: tenant, id: id)
        let secrets = try await subscriptions.activeSecrets(tenant: tenant, id: id)
        let result = try await testCall.send(to: subscription, secrets: secrets)
        return .json(result)
    }
}
