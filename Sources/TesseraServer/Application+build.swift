import Foundation
import Hummingbird
import Logging
import PostgresNIO
import TesseraCatalog
import TesseraDelivery
import TesseraGeometry

/// The admin API's routes: `GET /health` without authentication, everything else under `/v1`
/// behind a bearer API key.
public func buildRouter(
    client: PostgresClient,
    sender: WebhookSender,
    configuration: APIConfiguration,
    logger: Logger
) -> Router<APIRequestContext> {
    let router = Router(context: APIRequestContext.self)
    router.add(middleware: ProblemMiddleware())
    router.get("health") { _, _ in
        var healthy = true
        do {
            for try await _ in try await client.query("SELECT 1", logger: logger) {}
        } catch {
            healthy = false
        }
        return Response.json(
            .object([("status", .string(healthy ? "ok" : "unavailable")), ("database", .bool(healthy))]),
            status: healthy ? .ok : .serviceUnavailable
        )
    }
    let v1 = router.group("v1").add(middleware: BearerAuthenticator(keys: KeyStore(client: client, logger: logger)))
    SubscriptionController(
        subscriptions: SubscriptionStore(client: client, logger: logger),
        destinations: DestinationCheck(policy: configuration.addressPolicy),
        configuration: configuration,
        testCall: TestCall(sender: sender, userAgent: sender.configuration.userAgent)
    ).addRoutes(to: v1)
    DeliveryController(
        deliveries: DeliveryLogStore(client: client, logger: logger),
        configuration: configuration
    ).addRoutes(to: v1)
    PartitionController(maps: PartitionMapStore(client: client, logger: logger)).addRoutes(to: v1)
    return router
}

/// The admin API as an application: serve it with `run()` or put it in a `ServiceGroup`.
///
/// `client` must be run by the caller (a `Service` of the same group), as must `sender`'s client
/// be shut down by its owner.
public func buildApplication(
    client: PostgresClient,
    sender: WebhookSender,
    configuration: APIConfiguration,
    logger: Logger,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    Application(
        router: buildRouter(client: client, sender: sender, configuration: configuration, logger: logger),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Tessera"),
        onServerRunning: onServerRunning,
        logger: logger
    )
}
