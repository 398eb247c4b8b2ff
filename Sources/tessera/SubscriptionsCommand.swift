import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TesseraGeometry

/// `tessera subscriptions …`: a client of the admin API (TESSERA_API_URL, TESSERA_API_KEY).
struct SubscriptionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscriptions",
        abstract: "Manage webhook subscriptions through the admin API.",
        discussion: """
            Talks to a running `tessera serve` over HTTP: the API at --api-url or TESSERA_API_URL \
            (default http://127.0.0.1:8088) with the key of --api-key or TESSERA_API_KEY (create one \
            with `tessera keys create`). Answers are printed as the API's JSON; errors (RFC 9457 \
            problem+json) go to standard error with exit code 1.
            """,
        subcommands: [
            List.self, Create.self, Get.self, Delete.self, Pause.self, Resume.self, RotateSecret.self, Test.self,
        ]
    )

    struct APIOptions: ParsableArguments {
        @Option(name: .long, help: "The admin API's base URL; also TESSERA_API_URL.")
        var apiURL: String?
        @Option(name: .long, help: "A bearer API key (tsk_…); also TESSERA_API_KEY.")
        var apiKey: String?
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List subscriptions (all pages).")
        @OptionGroup var api: APIOptions

        func run() async throws {
            var cursor: String?
            var all: [JSONValue] = []
            repeat {
                let path = "/v1/subscriptions?limit=500" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await APIClient.call(api, .GET, path)
                if case .array(let items)? = page["data"] { all += items }
                if case .string(let next)? = page["next_cursor"] { cursor = next } else { cursor = nil }
            } while cursor != nil
            print(["id", "name", "status", "url", "layers"].joined(separator: "\t"))
            for s in all {
                func text(_ key: String) -> String {
                    if case .string(let v)? = s[key] { return v }
                    return "-"
                }
                var layers = ""
                if case .array(let items)? = s["layers"] {
                    layers = items.compactMap { if case .string(let v) = $0 { v } else { nil } }.joined(separator: ",")
                }
                print([text("id"), text("name"), text("status"), text("url"), layers].joined(separator: "\t"))
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a subscription; prints it with its signing secret (shown only now).",
            discussion: """
                Either give the fields as options, or the whole JSON body with --json FILE ('-' for \
                standard input); options then override members of the file.
                """
        )
        @OptionGroup var api: APIOptions
        @Option(help: "JSON body file ('-': standard input).") var json: String?
        @Option(help: "Unique name within the tenant.") var name: String?
        @Option(help: "Receiver URL (http or https).") var url: String?
        @Option(name: .customLong("layer"), help: "A layer to receive (repeatable).") var layers: [String] = []
        @Option(help: "json, zxy or protobuf.") var format: String?
        @Option(help: "none, zstd or gzip.") var compression: String?
        @Option(help: "POST, PUT or PATCH.") var method: String?
        @Option(name: .customLong("header"), help: "A custom header 'Name: value' (repeatable).") var headers:
            [String] = []
        @Option(help: "Only changes within west,south,east,north (degrees).") var bbox: String?
        @Option(help: "Request timeout in ms (at most 60000).") var timeoutMs: Int?
        @Option(help: "Deliveries per minute at most.") var ratePerMinute: Int?
        @Flag(help: "One delivery in flight at a time, in order.") var ordered = false

        func run() async throws {
            var members: [(key: String, value: JSONValue)] = []
            if let json {
                let bytes = try CommandInput.readAll(json)
                guard case .object(let m) = try JSONValue.parse(bytes) else {
                    throw ValidationError("\(json) must hold a JSON object")
                }
                members = m
            }
            func set(_ key: String, _ value: JSONValue?) {
                guard let value else { return }
                members.removeAll { $0.key == key }
                members.append((key, value))
            }
            set("name", name.map { .string($0) })
            set("url", url.map { .string($0) })
            set("layers", layers.isEmpty ? nil : .array(layers.map { .string($0) }))
            set("format", format.map { .string($0) })
            set("compression", compression.map { .string($0) })
            set("method", method.map { .string($0) })
            set("timeout_ms", timeoutMs.map { .number(Double($0)) })
            set("rate_per_minute", ratePerMinute.map { .number(Double($0)) })
            if ordered { set("ordered", .bool(true)) }
            if !headers.isEmpty {
                var object: [(key: String, value: JSONValue)] = []
                for h in headers {
                    guard let colon = h.firstIndex(of: ":") else {
                        throw ValidationError("--header must be 'Name: value'")
                    }
                    object.append(
                        (String(h[..<colon]), .string(h[h.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
                    )
                }
                set("headers", .object(object))
            }
            if let bbox {
                let parts = bbox.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
                guard parts.count == 4 else { throw ValidationError("--bbox must be west,south,east,north") }
                set("filter", .array(parts.map { .number($0) }))
            }
            let answer = try await APIClient.call(api, .POST, "/v1/subscriptions", body: .object(members))
            print(answer.serialized())
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one subscription.")
        @OptionGroup var api: APIOptions
        @Argument(help: "The subscription id.") var id: String
        func run() async throws { print(try await APIClient.call(api, .GET, "/v1/subscriptions/\(id)").serialized()) }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a subscription with its deliveries.")
        @OptionGroup var api: APIOptions
        @Argument(help: "The subscription id.") var id: String
        func run() async throws { _ = try await APIClient.call(api, .DELETE, "/v1/subscriptions/\(id)") }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pause deliveries (they queue up).")
        @OptionGroup var api: APIOptions
        @Argument(help: "The subscription id.") var id: String
        func run() async throws {
            print(try await APIClient.call(api, .POST, "/v1/subscriptions/\(id)/pause").serialized())
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume a paused or disabled subscription.")
        @OptionGroup var api: APIOptions
        @Argument(help: "The subscription id.") var id: String
        func run() async throws {
            print(try await APIClient.call(api, .POST, "/v1/subscriptions/\(id)/resume").serialized())
        }
    }

    struct RotateSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-secret",
            abstract: "Make a new signing secret (printed once); the old one keeps signing for the overlap."
        )
        @OptionGroup var api: APIOptions
        @Argument(help: "The subscription id.") var id: String
        func run() async throws {
            print(try await APIClient.call(api, .POST, "/v1/subscriptions/\(id)/rotate-secret").serialized())
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a webhook.test event now and show what the receiver answered."
        )
        @OptionGroup var api: APIOptions
        @Argument(help: "The subscription id.") var id: String
        func run() async throws {
            let answer = try await APIClient.call(api, .POST, "/v1/subscriptions/\(id)/test")
            print(answer.serialized())
            if case .bool(false)? = answer["success"] { throw ExitCode(1) }
        }
    }
}

/// One call to the admin API with AsyncHTTPClient.
enum APIClient {
    static func call(
        _ options: SubscriptionsCommand.APIOptions,
        _ method: HTTPMethod,
        _ path: String,
        body: JSONValue? = nil
    ) async throws -> JSONValue {
        let env = environment()
        let base = options.apiURL ?? env["TESSERA_API_URL"] ?? "http://127.0.0.1:8088"
        guard let key = options.apiKey ?? env["TESSERA_API_KEY"] else {
            printError("no API key: pass --api-key or set TESSERA_API_KEY (create one with `tessera keys create`)")
            throw ExitCode(2)
        }
        var request = HTTPClientRequest(url: base.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        request.headers.add(name: "User-Agent", value: "tessera/\(TesseraVersion.current)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body.serialized()))
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let status: HTTPResponseStatus
        let bytes: ByteBuffer
        do {
            let response = try await client.execute(request, timeout: .seconds(90))
            status = response.status
            bytes = try await response.body.collect(upTo: 16 << 20)
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            printError("cannot reach the API at \(base): \(error)")
            throw ExitCode(1)
        }
        let value = bytes.readableBytes == 0 ? JSONValue.null : (try? JSONValue.parse(bytes.readableBytesView)) ?? .null
        guard (200..<300).contains(status.code) else {
            if case .string(let detail)? = value["detail"] {
                printError("\(status.code) \(detail)")
            } else {
                printError("\(status.code) \(String(buffer: bytes))")
            }
            throw ExitCode(1)
        }
        return value
    }
}
