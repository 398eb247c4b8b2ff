import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TesseraApp
import TesseraPostgres

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
            settings = try ServeConfiguration.load(
                file: config,
                environment: environment(),
                options: databaseURL.map { ["database_url": $0] } ?? [:]
            )
        } catch {
            printError(error.description)
            throw ExitCode(2)
        }
        let logger = makeLogger(level: settings.logLevel, format: settings.logFormat)
        let url = try databaseURLOrExit(settings.databaseURL)
        let metrics = TesseraMetrics.bootstrap()

        try await prepareDatabase(url: url, migrate: !noMigrate, settings: settings, logger: logger)
        let services: [ServiceGroupConfiguration.ServiceConfiguration]
        do {
            services = try TesseraService.services(
                settings: settings,
                url: url,
                version: TesseraVersion.current,
                metrics: metrics,
                logger: logger
            )
        } catch let error as ConfigurationError {
            printError(error.description)
            throw ExitCode(2)
        }
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
        let progress = Mutex(Progress(resultsOnStandardOutput: false))
        try await prepareDatabase(url: url, migrate: true, settings: nil, logger: logger) { index, count, name in
            progress.withLock { $0.update("migration \(index) of \(count): \(name)", force: true) }
        }
        progress.withLock { $0.finish() }
    }
}

/// Migrates and applies the configuration's layers, watches and subscriptions; exits 1 when that fails.
func prepareDatabase(
    url: DatabaseURL,
    migrate: Bool,
    settings: ServeConfiguration?,
    logger: Logger,
    progress: (@Sendable (Int, Int, String) -> Void)? = nil
) async throws {
    do {
        try await TesseraService.prepareDatabase(
            url: url,
            migrate: migrate,
            settings: settings,
            logger: logger,
            progress: progress
        )
    } catch {
        printError(error.description)
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

func makeLogger(level: String, format: LogFormat = .text) -> Logger {
    var logger = Logger(label: "tessera") { label in
        switch format {
        case .text: StreamLogHandler.standardError(label: label)
        case .json: JSONLogHandler(label: label)
        }
    }
    logger.logLevel = Logger.Level(rawValue: level) ?? .info
    return logger
}
