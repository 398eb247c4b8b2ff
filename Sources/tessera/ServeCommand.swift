import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import TesseraCapture
import TesseraDelivery
import TesseraRouting
import TesseraServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the change processor and the webhook dispatcher.",
        discussion: """
            Migrates the database, applies the layers, watched tables and subscriptions of the \
            configuration file, then runs until SIGINT or SIGTERM: a LISTEN connection and a poll \
            wake the processor, which turns captured changes into per-subscription windows; due \
            windows become rows of tessera.deliveries, which the dispatcher sends as signed webhooks \
            (retries, circuit breaker, rate limits). Several processes may share one database.
            """
    )

    @Option(name: .long, help: "Configuration file (JSON); also TESSERA_CONFIG.")
    var config: String?

    @Option(name: .long, help: "postgres://user@host:port/db; also TESSERA_DATABASE_URL.")
    var databaseURL: String?

    @Flag(name: .long, help: "Do not apply migrations at start.")
    var noMigrate = false

    func run() async throws {
        let settings: ServeConfiguration
        do {
            settings = try ServeConfiguration.load(file: config, environment: environment())
        } catch {
            printError(error.description)
            throw ExitCode(2)
        }
        let logger = makeLogger(level: settings.logLevel)
        let url = try databaseURLOrExit(databaseURL ?? settings.databaseURL)

        try await prepareDatabase(url: url, migrate: !noMigrate, settings: settings, logger: logger)

        let wakeup = Wakeup()
        let processor = ChangeProcessor(
            url: url,
            wakeup: wakeup,
            configuration: .init(
                batchSize: settings.batchSize,
                pollInterval: .milliseconds(settings.pollIntervalMilliseconds)
            ),
            logger: logger
        )
        let flusher = WindowFlusher(
            url: url,
            configuration: .init(interval: .milliseconds(settings.flushIntervalMilliseconds)),
            logger: logger
        )
        // One HTTP client for every webhook; listed before the services that use it, so that it is
        // shut down after them (services stop in reverse order).
        let sender = WebhookSender(
            configuration: .init(
                policy: try AddressPolicy(allowing: settings.allowNetworks),
                userAgent: "Tessera/\(TesseraVersion.current)",
                connectionsPerHost: settings.dispatcher.connectionsPerHost
            ),
            logger: logger
        )
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: sender),
            .init(service: ChangeListener(url: url, wakeup: wakeup, logger: logger)),
            .init(service: processor),
            .init(service: flusher),
        ]
        if settings.dispatcher.enabled {
            let dispatcher = Dispatcher(
                url: url,
                sender: sender,
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
        services += try apiServices(settings: settings, url: url, sender: sender, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        logger.info("serving", metadata: ["database": "\(url)"])
        try await group.run()
    }
}

/// The admin API: a connection pool and the HTTP server, in start order (they stop in reverse).
/// Its test calls go through the dispatcher's `sender`. Empty when `api.listen` is off.
func apiServices(
    settings: ServeConfiguration,
    url: DatabaseURL,
    sender: WebhookSender,
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
    let app = buildApplication(client: client, sender: sender, configuration: api, logger: logger) { channel in
        let address = channel.localAddress
        logger.info(
            "admin API listening",
            metadata: ["host": "\(address?.ipAddress ?? "?")", "port": "\(address?.port ?? 0)"]
        )
    }
    return [.init(service: client), .init(service: app)]
}

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or update the tessera schema (the SQL of sql/, embedded in the binary)."
    )

    @Option(name: .long, help: "postgres://user@host:port/db; also TESSERA_DATABASE_URL.")
    var databaseURL: String?

    func run() async throws {
        let logger = makeLogger(level: environment()["TESSERA_LOG_LEVEL"] ?? "info")
        let env = environment()
        let url = try databaseURLOrExit(databaseURL ?? env["TESSERA_DATABASE_URL"] ?? env["DATABASE_URL"])
        try await prepareDatabase(url: url, migrate: true, settings: nil, logger: logger)
    }
}

/// Migrates and applies the configuration's layers, watches and subscriptions over one connection.
func prepareDatabase(url: DatabaseURL, migrate: Bool, settings: ServeConfiguration?, logger: Logger) async throws {
    let connection: PostgresConnection
    do {
        connection = try await PostgresConnection.connect(
            configuration: url.connectionConfiguration(),
            id: 0,
            logger: logger
        )
    } catch {
        printError("cannot connect to \(url): \(String(reflecting: error))")
        throw ExitCode(1)
    }
    do {
        if migrate {
            let applied = try await Migrator.migrate(connection, logger: logger)
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
        printError(String(describing: (error as? PSQLError).map { $0.serverInfo?[.message] ?? "\($0)" } ?? "\(error)"))
        throw ExitCode(1)
    }
}

func databaseURLOrExit(_ text: String?) throws -> DatabaseURL {
    guard let text else {
        printError("no database: pass --database-url or set TESSERA_DATABASE_URL (scripts/run starts a local PostGIS)")
        throw ExitCode(2)
    }
    do {
        return try DatabaseURL(text)
    } catch {
        printError(error.message)
        throw ExitCode(2)
    }
}

func environment() -> [String: String] { ProcessInfo.processInfo.environment }

func makeLogger(level: String) -> Logger {
    var logger = Logger(label: "tessera") { StreamLogHandler.standardError(label: $0) }
    logger.logLevel = Logger.Level(rawValue: level) ?? .info
    return logger
}
