import Foundation
import Hummingbird
import Logging
import PostgresNIO
import Prometheus
import TesseraCatalog
import TesseraDelivery
import TesseraGeometry

/// The admin API's routes: `GET /health`, `/metrics`, `/openapi.json` and the status page `/` without
/// authentication, everything else under `/v1` behind a bearer API key.
///
/// `metrics` is the registry `/metrics` exports (nil: the route answers 404); `health` is where this
/// process's dispatcher publishes its breakers, for `/v1/status` (nil: breakers are `unknown`).
public func buildRouter(
    client: PostgresClient,
    sender: WebhookSender,
    configuration: APIConfiguration,
    metrics: PrometheusCollectorRegistry? = nil,
    health: EndpointHealth? = nil,
    logger: Logger
) -> Router<APIRequestContext> {
    let router = Router(context: APIRequestContext.self)
    router.add(middleware: MetricsMiddleware())
    let allowed = AllowedMethods()
    router.add(middleware: ProblemMiddleware(allowed: allowed))
    router.get("/") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: PackageResources.status_html))
        )
    }
    router.get("openapi.json") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: PackageResources.openapi_json))
        )
    }
    router.get("metrics") { _, _ in
        guard let metrics else { throw Problem.notFound("this tessera exports no metrics") }
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer()))
        )
    }
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
    StatusController(
        client: client,
        deliveries: DeliveryLogStore(client: client, logger: logger),
        health: health,
        logger: logger
    ).addRoutes(to: v1)
    allowed.record(router.routes)
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
    metrics: PrometheusCollectorRegistry? = nil,
    health: EndpointHealth? = nil,
    logger: Logger,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    Application(
        router: buildRouter(
            client: client,
            sender: sender,
            configuration: configuration,
            metrics: metrics,
            health: health,
            logger: logger
        ),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Tessera"),
        onServerRunning: onServerRunning,
        logger: logger
    )
}
