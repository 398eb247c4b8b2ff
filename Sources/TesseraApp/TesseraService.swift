import Logging
import PostgresNIO
import Prometheus
import ServiceLifecycle
import TesseraCapture
import TesseraCatalog
import TesseraDelivery
import TesseraInvalidation
import TesseraPostgres
import TesseraServer

/// The one place that assembles Tessera: the services of `tessera serve`, in start order (they stop
/// in reverse), and the database preparation before them.
public enum TesseraService {
    /// Migrates (unless `migrate` is false) and applies the configuration's layers, watches and
    /// subscriptions, over one connection.
    /// - Throws: ``StartupError`` saying what failed: the connection, or what the database refused.
    public static func prepareDatabase(
        url: DatabaseURL,
        migrate: Bool,
        settings: ServeConfiguration?,
        logger: Logger,
        progress: (@Sendable (_ index: Int, _ count: Int, _ name: String) -> Void)? = nil
    ) async throws(StartupError) {
        let connection: PostgresConnection
        do {
            connection = try await url.connect(id: 0, logger: logger)
        } catch {
            throw StartupError("cannot connect to \(url): \(String(reflecting: error))")
        }
        do {
            if migrate {
                let applied = try await Migrator.migrate(connection, logger: logger, progress: progress)
                logger.info("database schema is current", metadata: ["applied_now": "\(applied)"])
            }
            if let settings {
                try await Bootstrap.apply(
                    layers: settings.layers,
                    watches: settings.watches,
                    subscriptions: settings.subscriptions,
                    secretOverlap: .seconds(settings.secretRotationOverlapSeconds),
                    on: connection,
                    logger: logger
                )
            }
            try await connection.close()
        } catch {
            try? await connection.close()
            throw StartupError(
                String(describing: (error as? PSQLError).map { $0.serverInfo?[.message] ?? "\($0)" } ?? "\(error)")
            )
        }
    }

    /// The services of `tessera serve`: the webhook client, the change listener, the processor, the
    /// window flusher, the dispatcher (unless turned off; it keeps the instance known to the database),
    /// the metrics sampler (when there is a `metrics` registry) and the admin API (unless turned off).
    /// - Throws: ``ConfigurationError`` for unusable settings (`allow_networks`, TLS).
    public static func services(
        settings: ServeConfiguration,
        url: DatabaseURL,
        version: String,
        metrics: PrometheusCollectorRegistry? = nil,
        logger: Logger
    ) throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
        let policy: AddressPolicy
        do {
            policy = try AddressPolicy(allowing: settings.allowNetworks, expireRoots: settings.expireRoots)
        } catch {
            throw ConfigurationError("allow_networks: \(error.description)")
        }
        // The hand-offs: a NOTIFY of the capture triggers wakes the processor; the processor sets the
        // flusher's alarm to each window's due time; the flusher wakes the dispatcher in process, and the
        // NOTIFY of its delivery rows wakes the dispatchers of other instances.
        let changesCommitted = Wakeup()
        let windowsDue = Alarm()
        let deliveriesWritten = Wakeup()
        let processor = ChangeProcessor(
            url: url,
            wakeup: changesCommitted,
            flushAlarm: windowsDue,
            configuration: .init(
                batchSize: settings.batchSize,
                pollInterval: .milliseconds(settings.pollIntervalMilliseconds)
            ),
            logger: logger
        )
        let flusher = WindowFlusher(
            url: url,
            alarm: windowsDue,
            deliveriesWritten: deliveriesWritten,
            configuration: .init(interval: .milliseconds(settings.flushIntervalMilliseconds)),
            logger: logger
        )
        // One HTTP client for every webhook; listed before the services that use it, so that it is
        // shut down after them (services stop in reverse order).
        let sender = WebhookSender(
            configuration: .init(
                policy: policy,
                userAgent: "Tessera/\(version)",
                connectionsPerHost: settings.dispatcher.connectionsPerHost
            ),
            logger: logger
        )
        var listened: [(channel: String, wakeup: Wakeup)] = [(ChangeQueue.channel, changesCommitted)]
        if settings.dispatcher.enabled { listened.append((DeliveryQueue.channel, deliveriesWritten)) }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: sender),
            .init(service: NotificationListener(wakeups: listened, url: url, logger: logger)),
            .init(service: processor),
            .init(service: flusher),
        ]
        if metrics != nil {
            services.append(
                .init(
                    service: MetricsSampler(
                        url: url,
                        interval: .milliseconds(settings.metricsSampleIntervalMilliseconds),
                        logger: logger
                    )
                )
            )
        }
        let health = EndpointHealth()
        if settings.dispatcher.enabled {
            let dispatcher = Dispatcher(
                url: url,
                identity: InstanceIdentity(version: version),
                outputs: [
                    WebhookOutput(sender: sender),
                    HTTPPurgeOutput(sender: sender, url: url, logger: logger),
                    ExpireFilesOutput(),
                ],
                policy: policy,
                wakeup: deliveriesWritten,
                health: health,
                configuration: .init(
                    batchSize: settings.dispatcher.batchSize,
                    concurrency: settings.dispatcher.concurrency,
                    pollInterval: .milliseconds(settings.dispatcher.pollIntervalMilliseconds),
                    scheduler: .init(endpointConcurrency: settings.dispatcher.endpointConcurrency)
                ),
                logger: logger
            )
            services.append(.init(service: dispatcher))
        }
        services += try apiServices(
            settings: settings,
            url: url,
            sender: sender,
            metrics: metrics,
            health: settings.dispatcher.enabled ? health : nil,
            logger: logger
        )
        return services
    }

    /// The admin API: a connection pool and the HTTP server, in start order. Its test calls go
    /// through the dispatcher's `sender`. Empty when `api.listen` is off.
    static func apiServices(
        settings: ServeConfiguration,
        url: DatabaseURL,
        sender: WebhookSender,
        metrics: PrometheusCollectorRegistry? = nil,
        health: EndpointHealth? = nil,
        logger: Logger
    ) throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
        guard let listen = settings.apiListen else { return [] }
        var api = APIConfiguration()
        api.host = listen.host
        api.port = listen.port
        api.maxBodyBytes = settings.apiMaxBodyBytes
        api.secretRotationOverlap = .seconds(settings.secretRotationOverlapSeconds)
        api.addressPolicy = sender.configuration.policy
        let client = PostgresClient(configuration: try url.clientConfiguration(), backgroundLogger: logger)
        let app = buildApplication(
            client: client,
            sender: sender,
            configuration: api,
            metrics: metrics,
            health: health,
            logger: logger
        ) { channel in
            let address = channel.localAddress
            logger.info(
                "admin API listening",
                metadata: ["host": "\(address?.ipAddress ?? "?")", "port": "\(address?.port ?? 0)"]
            )
        }
        return [.init(service: client), .init(service: app)]
    }
}

/// Tessera could not start: the message says why (printed as it is).
public struct StartupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
