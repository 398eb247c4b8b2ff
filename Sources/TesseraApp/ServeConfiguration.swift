import Foundation
import TesseraCapture
import TesseraCatalog
import TesseraDelivery
import TesseraGeometry

#if canImport(Glibc)
    import Glibc
#endif

/// `tessera serve` settings: a JSON file (`--config` or `TESSERA_CONFIG`), then environment
/// variables, then command-line options, each overriding the one before.
///
/// ```json
/// {
///   "database_url": "postgres://tessera@127.0.0.1:54329/tessera",
///   "layers": [{"name": "roads", "tile_matrix_set": "WebMercatorQuad", "min_zoom": 0, "max_zoom": 16, "buffer": "64/4096"}],
///   "watch": [{"table": "public.roads", "layers": ["roads"], "render_columns": ["highway", "name"]}],
///   "subscriptions": [{"name": "cache", "url": "http://127.0.0.1:8080/expire", "layers": ["roads"], "format": "zxy",
///                      "compression": "none", "debounce_ms": 1000, "max_delay_ms": 10000, "max_tiles": 100000,
///                      "rollup": "parents", "retry_schedule_ms": [5000, 300000], "secret_env": "CACHE_WEBHOOK_SECRET"}],
///   (a subscription takes every field the API takes, plus `tenant`, `secret_env` and `secret_file`)
///   "processor": {"batch_size": 2000, "poll_interval_ms": 2000, "flush_interval_ms": 1000},
///   "api": {"listen": "127.0.0.1:8088", "max_body_bytes": 1048576, "secret_rotation_overlap_s": 86400},
///   "allow_networks": ["127.0.0.0/8", "::1"], "expire_roots": ["/var/lib/tessera/expire"],
///   "dispatcher": {"enabled": true, "concurrency": 512, "batch_size": 500, "poll_interval_ms": 100,
///                  "connections_per_host": 32, "endpoint_concurrency": 256},
///   "metrics": {"sample_interval_ms": 10000},
///   "log_level": "info", "log_format": "text"
/// }
/// ```
public struct ServeConfiguration: Sendable {
    public var databaseURL: String?
    public var layers: [LayerDefinition] = []
    public var watches: [Watch] = []
    public var subscriptions: [DeclaredSubscription] = []
    public var batchSize = 2000
    public var pollIntervalMilliseconds = 2000
    public var flushIntervalMilliseconds = 1000
    public var logLevel = "info"
    /// `text` (swift-log's lines) or `json` (one JSON object per line, metadata as members).
    public var logFormat = LogFormat.text
    /// How often the metrics sampler reads the gauges that need SQL (backlogs, windows, deliveries).
    public var metricsSampleIntervalMilliseconds = 10000
    /// Where the admin API listens (`host:port`); nil turns the API off.
    public var apiListen: (host: String, port: Int)? = ("127.0.0.1", 8088)
    public var apiMaxBodyBytes = 1 << 20
    public var secretRotationOverlapSeconds = 86400
    /// CIDR blocks webhooks may reach although they are loopback, private, link-local, … (SSRF
    /// protection); for local development and tests. Also `TESSERA_ALLOW_NETWORKS` (comma-separated).
    public var allowNetworks: [String] = []
    /// The directories `expire-files` subscriptions may write under; none by default (the output is
    /// refused). Also `TESSERA_EXPIRE_ROOTS` (comma-separated).
    public var expireRoots: [String] = []
    public var dispatcher = DispatcherSettings()

    public struct DispatcherSettings: Sendable {
        /// Off: `serve` queues deliveries but sends nothing (another process sends them).
        public var enabled = true
        public var concurrency = 512
        public var batchSize = 500
        public var pollIntervalMilliseconds = 100
        public var connectionsPerHost = 32
        /// Most requests in flight to one endpoint (the adaptive limit's ceiling).
        public var endpointConcurrency = 256
    }

    public init() {}

    /// Reads the file, if any, then applies `TESSERA_*` environment variables, then `options` (the
    /// command line's, by setting path: `["database_url": …]`), each overriding the one before.
    public static func load(
        file: String?,
        environment: [String: String],
        options: [String: String] = [:]
    ) throws(ConfigurationError) -> ServeConfiguration {
        var config = ServeConfiguration()
        let file = file ?? environment["TESSERA_CONFIG"]
        if let file {
            let bytes = try readFile(file)
            let root: JSONValue
            do { root = try JSONValue.parse(bytes) } catch { throw ConfigurationError("\(file): \(error.message)") }
            try config.read(root, file: file, environment: environment)
        }
        // The layers above the file: every scalar setting is declared once in `scalars`, with the
        // variable that overrides it, and read by the same parser wherever it comes from.
        for setting in Self.scalars {
            for variable in setting.variables.reversed() {  // the first variable named wins
                if let text = environment[variable] { try setting.apply(&config, .text(text), variable) }
            }
            if let text = options[setting.path] { try setting.apply(&config, .text(text), setting.path) }
        }
        let policy: AddressPolicy
        do {
            policy = try AddressPolicy(allowing: config.allowNetworks, expireRoots: config.expireRoots)
        } catch {
            throw ConfigurationError("allow_networks: \(error.description)")
        }
        for root in config.expireRoots where ExpireDirectory.path(of: "file://" + root) == nil {
            throw ConfigurationError("expire_roots: '\(root)' is not an absolute directory path")
        }
        // The URLs the file declares, as the API checks them at create (names are checked again on
        // the address connected to): a refused one would otherwise fill the dead-letter queue.
        for (i, subscription) in config.subscriptions.enumerated() {
            do {
                let definition = subscription.definition
                try policy.checkDestination(output: definition.output, url: definition.url)
            } catch {
                throw ConfigurationError("\(file ?? ""): subscriptions[\(i)].url: \(error.description)")
            }
        }
        return config
    }

    /// `host:port` (`[::1]:8088` for IPv6), or `off` / empty for no API.
    static func listen(_ text: String, _ name: String) throws(ConfigurationError) -> (host: String, port: Int)? {
        if text.isEmpty || text == "off" { return nil }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else {
            throw ConfigurationError("\(name) must be host:port (e.g. 127.0.0.1:8088) or off, got '\(text)'")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ConfigurationError("\(name) needs a host, e.g. 127.0.0.1:8088") }
        return (host, port)
    }

    mutating func read(_ root: JSONValue, file: String, environment: [String: String]) throws(ConfigurationError) {
        var r = Reader(file: file)
        try r.only(
            root,
            [
                "database_url", "layers", "watch", "subscriptions", "processor", "log_level", "log_format",
                "allow_networks", "expire_roots", "dispatcher", "api", "metrics",
            ]
        )
        for setting in Self.scalars {
            let path = setting.path.split(separator: ".").map(String.init)
            var value: JSONValue? = root
            for member in path { value = value?[member] }
            if let value { try setting.apply(&self, .json(value), "\(file): \(setting.path)") }
        }
        for (i, item) in try r.array(root, "layers").enumerated() {
            r.path = "layers[\(i)]"
            try r.only(item, ["name", "tile_matrix_set", "min_zoom", "max_zoom", "buffer"])
            var l = LayerDefinition(name: try r.string(item, "name")!)
            l.tileMatrixSet = try r.string(item, "tile_matrix_set", optional: true) ?? l.tileMatrixSet
            l.minZoom = try r.int(item, "min_zoom") ?? l.minZoom
            l.maxZoom = try r.int(item, "max_zoom") ?? l.maxZoom
            if let buffer = try r.string(item, "buffer", optional: true) {
                let parts = buffer.split(separator: "/")
                guard parts.count == 2, let p = Int(parts[0]), let e = Int(parts[1]), p >= 0, e > 0, p <= e else {
                    throw r.fail("buffer", "must be pixels/extent, e.g. 64/4096")
                }
                l.bufferPixels = p
                l.bufferExtent = e
            }
            layers.append(l)
        }
        for (i, item) in try r.array(root, "watch").enumerated() {
            r.path = "watch[\(i)]"
            try r.only(item, ["table", "id_column", "geometry_column", "render_columns", "layers"])
            var w = Watch(table: try r.string(item, "table")!)
            w.idColumn = try r.string(item, "id_column", optional: true)
            w.geometryColumn = try r.string(item, "geometry_column", optional: true)
            w.renderColumns = try r.strings(item, "render_columns")
            w.layers = try r.strings(item, "layers")
            watches.append(w)
        }
        for (i, item) in try r.array(root, "subscriptions").enumerated() {
            r.path = "subscriptions[\(i)]"
            try r.only(item, Set(SubscriptionDefinition.fields).union(DeclaredSubscription.fileOnlyFields))
            var s = DeclaredSubscription(definition: try r.definition(item))
            s.tenant = try r.string(item, "tenant", optional: true) ?? s.tenant
            s.secret = try r.secret(item, environment: environment)
            subscriptions.append(s)
        }
        // The sections of scalar settings: only their members are checked here, their values are
        // read with the table above.
        for section in ["api", "processor", "dispatcher", "metrics"] {
            guard let members = root[section] else { continue }
            r.path = section
            try r.only(members, Set(Self.scalars.compactMap { $0.member(of: section) }))
        }
    }

    /// Typed access to JSON members with errors that name file, path and member.
    struct Reader {
        let file: String
        var path = ""

        func fail(_ member: String, _ why: String) -> ConfigurationError {
            let at = [path, member].filter { !$0.isEmpty }.joined(separator: ".")
            return ConfigurationError("\(file): \(at.isEmpty ? "" : at + " ")\(why)")
        }

        /// Refuses a value that is not an object, or has a member not in `keys` (a misspelt setting
        /// must not be ignored silently).
        func only(_ v: JSONValue, _ keys: Set<String>) throws(ConfigurationError) {
            guard case .object(let members) = v else { throw fail("", "must be a JSON object") }
            for m in members where !keys.contains(m.key) {
                throw fail(m.key, "is not a setting (known: \(keys.sorted().joined(separator: ", ")))")
            }
        }

        /// A subscription's settings, read as the API reads them (the same fields, defaults and
        /// rules); the first problem is refused with its field.
        func definition(_ v: JSONValue) throws(ConfigurationError) -> SubscriptionDefinition {
            guard case .object(let members) = v else { throw fail("", "must be a JSON object") }
            var reader = FieldReader(
                members: members.filter { !DeclaredSubscription.fileOnlyFields.contains($0.key) }
            )
            var definition = SubscriptionDefinition(name: "", url: "", layers: [])
            SubscriptionDefinition.read(&reader, into: &definition, creating: true)
            if let problem = reader.problems.first { throw fail(problem.field, problem.reason) }
            return definition
        }

        /// A subscription's signing secret, `whsec_…`, from the environment variable named by
        /// `secret_env` or the file named by `secret_file` (surrounding white space ignored); nil
        /// when neither is given. The secret itself never appears in the file, nor in an error.
        func secret(_ v: JSONValue, environment: [String: String]) throws(ConfigurationError) -> [UInt8]? {
            let variable = try string(v, "secret_env", optional: true)
            let path = try string(v, "secret_file", optional: true)
            let member: String
            let text: String
            switch (variable, path) {
            case (nil, nil):
                return nil
            case (.some, .some):
                throw fail("secret_env", "and secret_file cannot both be given")
            case (let name?, nil):
                member = "secret_env"
                guard let value = environment[name], !value.isEmpty else {
                    throw fail(member, "names \(name), which is not set")
                }
                text = value
            case (nil, let path?):
                member = "secret_file"
                do {
                    text = String(decoding: try readFile(path), as: UTF8.self)
                } catch {
                    throw fail(member, "is unusable: \(error)")
                }
            }
            do {
                return try WebhookSecret(encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)).bytes
            } catch {
                throw fail(member, "does not hold a usable whsec_ signing secret: \(error.reason)")
            }
        }

        func string(_ v: JSONValue, _ key: String, optional: Bool = false) throws(ConfigurationError) -> String? {
            switch v[key] {
            case .string(let s)?: return s
            case nil where optional: return nil
            case nil: throw fail(key, "is required")
            default: throw fail(key, "must be a string")
            }
        }

        func int(_ v: JSONValue, _ key: String) throws(ConfigurationError) -> Int? {
            switch v[key] {
            case nil: return nil
            case .number(let n)? where n >= 0 && n == n.rounded() && n < 1e9: return Int(n)
            default: throw fail(key, "must be a non-negative integer")
            }
        }

        func array(_ v: JSONValue, _ key: String) throws(ConfigurationError) -> [JSONValue] {
            switch v[key] {
            case nil: return []
            case .array(let a)?: return a
            default: throw fail(key, "must be an array")
            }
        }

        func strings(_ v: JSONValue, _ key: String) throws(ConfigurationError) -> [String]? {
            guard let items = v[key] else { return nil }
            guard case .array(let a) = items else { throw fail(key, "must be an array of strings") }
            var out: [String] = []
            for item in a {
                guard case .string(let s) = item else { throw fail(key, "must be an array of strings") }
                out.append(s)
            }
            return out
        }
    }
}

/// A configuration that cannot be used; the text names the file, the setting and the reason.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A subscription the configuration file declares: its settings, its tenant, and the signing secret
/// the file names (nil keeps whatever the subscription has, or gives a new one a random secret).
public struct DeclaredSubscription: Sendable, Equatable {
    /// The members a file's subscription has beyond the API's fields.
    public static let fileOnlyFields: Set<String> = ["tenant", "secret_env", "secret_file"]

    public var definition: SubscriptionDefinition
    public var tenant = "default"
    public var secret: [UInt8]?

    public init(definition: SubscriptionDefinition) {
        self.definition = definition
    }
}

/// All bytes of a file.
/// - Throws: ``ConfigurationError`` naming the file and the system's reason.
public func readFile(_ path: String) throws(ConfigurationError) -> [UInt8] {
    let fd = open(path, O_RDONLY)
    if fd < 0 { throw ConfigurationError("cannot read \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    return try readAll(descriptor: fd, name: path)
}

/// All bytes until the end of an open file descriptor (a file, standard input).
/// - Throws: ``ConfigurationError`` naming `name` and the system's reason.
public func readAll(descriptor fd: Int32, name: String) throws(ConfigurationError) -> [UInt8] {
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw ConfigurationError("cannot read \(name): \(String(cString: strerror(errno)))")
        }
        if n == 0 { break }
        result.append(contentsOf: chunk[0..<n])
    }
    return result
}
