import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import TesseraCatalog
import TesseraPostgres

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage the admin API's bearer keys, directly in the database.",
        discussion: """
            Keys belong to a tenant and see only that tenant's subscriptions, deliveries and dead \
            letters. Only a SHA-256 of each key is stored: the key is printed once, at creation.
            """,
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct DatabaseOptions: ParsableArguments {
        @Option(name: .long, help: "postgres://user@host:port/db; also TESSERA_DATABASE_URL.")
        var databaseURL: String?
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a key (and its tenant, if new); prints the key once."
        )
        @OptionGroup var database: DatabaseOptions
        @Option(name: .long, help: "The tenant the key acts for (created if it does not exist).")
        var tenant = "default"
        @Option(name: .long, help: "A name to recognise the key by.")
        var name: String

        func run() async throws {
            let (key, record) = try await withStore(database) { try await $0.createKey(tenant: tenant, name: name) }
            print(key.text)
            printError(
                "created key \(record.prefix)… (\(record.id.uuidString.lowercased())) for tenant '\(record.tenant)'; it is shown only now"
            )
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (never the keys themselves).")
        @OptionGroup var database: DatabaseOptions
        @Option(name: .long, help: "Only this tenant's keys.")
        var tenant: String?

        func run() async throws {
            let keys = try await withStore(database) { try await $0.list(tenant: tenant) }
            print(["id", "tenant", "name", "prefix", "created", "last used", "revoked"].joined(separator: "\t"))
            for k in keys {
                let fields = [
                    k.id.uuidString.lowercased(), k.tenant, k.name, k.prefix, iso(k.createdAt),
                    k.lastUsedAt.map(iso) ?? "-", k.revokedAt.map(iso) ?? "-",
                ]
                print(fields.joined(separator: "\t"))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a key by id or prefix; it is refused from then on."
        )
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The key's id or its prefix (tsk_…, as `keys list` shows).")
        var key: String

        func run() async throws {
            let revoked = try await withStore(database) { try await $0.revoke(key) }
            if let k = revoked.first {
                printError("revoked key \(k.prefix)… (\(k.id.uuidString.lowercased())) of tenant '\(k.tenant)'")
            } else {
                printError("the key was already revoked")
            }
        }
    }
}

private func iso(_ date: Date) -> String { date.formatted(.iso8601) }

/// Runs `body` with a key store over a short-lived client; reports store errors as exit code 1.
private func withStore<T: Sendable>(
    _ options: KeysCommand.DatabaseOptions,
    _ body: @escaping @Sendable (KeyStore) async throws -> T
) async throws -> T {
    let env = environment()
    let url = try databaseURLOrExit(options.databaseURL ?? env["TESSERA_DATABASE_URL"] ?? env["DATABASE_URL"])
    let logger = makeLogger(level: env["TESSERA_LOG_LEVEL"] ?? "error")
    do {
        return try await withPostgresClient(url: url, logger: logger) { client in
            try await body(KeyStore(client: client, logger: logger))
        }
    } catch let error as StoreError {
        printError(error.description)
        throw ExitCode(1)
    } catch let error as PSQLError {
        printError("database: \(error.serverInfo?[.message] ?? String(reflecting: error))")
        throw ExitCode(1)
    }
}

/// Runs a `PostgresClient` for the duration of `body`.
func withPostgresClient<T: Sendable>(
    url: DatabaseURL,
    logger: Logger,
    _ body: @escaping @Sendable (PostgresClient) async throws -> T
) async throws -> T {
    let client = PostgresClient(configuration: try url.clientConfiguration(), backgroundLogger: logger)
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            await client.run()
            return nil
        }
        defer { group.cancelAll() }
        let result = try await body(client)
        return result
    }
}
