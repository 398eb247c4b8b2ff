import Foundation
import TesseraCapture
import TesseraDelivery
import TesseraGeometry
import TesseraRouting

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
///                      "rollup": "parents", "secret_env": "CACHE_WEBHOOK_SECRET"}],
///   "processor": {"batch_size": 2000, "poll_interval_ms": 2000, "flush_interval_ms": 100},
///   "api": {"listen": "127.0.0.1:8088", "max_body_bytes": 1048576, "secret_rotation_overlap_s": 86400},
///   "allow_networks": ["127.0.0.0/8", "::1"],
///   "dispatcher": {"enabled": true, "concurrency": 512, "batch_size": 500, "poll_interval_ms": 100,
///                  "connections_per_host": 32, "endpoint_concurrency": 256},
///   "log_level": "info"
/// }
/// ```
struct ServeConfiguration {
    var databaseURL: String?
    var layers: [Bootstrap.LayerSpec] = []
    var watches: [Bootstrap.WatchSpec] = []
    var subscriptions: [Bootstrap.SubscriptionSpec] = []
    var batchSize = 2000
    var pollIntervalMilliseconds = 2000
    var flushIntervalMilliseconds = 100
    var logLevel = "info"
    /// Where the admin API listens (`host:port`); nil turns the API off.
    var apiListen: (host: String, port: Int)? = ("127.0.0.1", 8088)
    var apiMaxBodyBytes = 1 << 20
    var secretRotationOverlapSeconds = 86400
    /// CIDR blocks webhooks may reach although they are loopback, private, link-local, … (SSRF
    /// protection); for local development and tests. Also `TESSERA_ALLOW_NETWORKS` (comma-separated).
    var allowNetworks: [String] = []
    var dispatcher = DispatcherSettings()

    struct DispatcherSettings {
        /// Off: `serve` queues deliveries but sends nothing (another process sends them).
        var enabled = true
        var concurrency = 512
        var batchSize = 500
        var pollIntervalMilliseconds = 100
        var connectionsPerHost = 32
        /// Most requests in flight to one endpoint (the adaptive limit's ceiling).
        var endpointConcurrency = 256
    }

    /// Reads the file, if any, then applies `TESSERA_*` environment variables.
    static func load(file: String?, environment: [String: String]) throws(ConfigurationError) -> ServeConfiguration {
        var config = ServeConfiguration()
        if let file = file ?? environment["TESSERA_CONFIG"] {
            let bytes: [UInt8]
            do { bytes = try CommandInput.readAll(file) } catch { throw ConfigurationError("\(error)") }
            let root: JSONValue
            do { root = try JSONValue.parse(bytes) } catch { throw ConfigurationError("\(file): \(error.message)") }
            try config.read(root, file: file, environment: environment)
        }
        if let v = environment["TESSERA_DATABASE_URL"] ?? environment["DATABASE_URL"] { config.databaseURL = v }
        if let v = environment["TESSERA_BATCH_SIZE"] { config.batchSize = try positive(v, "TESSERA_BATCH_SIZE") }
        if let v = environment["TESSERA_POLL_INTERVAL_MS"] {
            config.pollIntervalMilliseconds = try positive(v, "TESSERA_POLL_INTERVAL_MS")
        }
        if let v = environment["TESSERA_FLUSH_INTERVAL_MS"] {
            config.flushIntervalMilliseconds = try positive(v, "TESSERA_FLUSH_INTERVAL_MS")
        }
        if let v = environment["TESSERA_LOG_LEVEL"] { config.logLevel = v }
        if let v = environment["TESSERA_API_LISTEN"] { config.apiListen = try listen(v, "TESSERA_API_LISTEN") }
        if let v = environment["TESSERA_API_MAX_BODY_BYTES"] {
            config.apiMaxBodyBytes = try positive(v, "TESSERA_API_MAX_BODY_BYTES")
        }
        if let v = environment["TESSERA_SECRET_ROTATION_OVERLAP_S"] {
            config.secretRotationOverlapSeconds = try positive(v, "TESSERA_SECRET_ROTATION_OVERLAP_S")
        }
        if let v = environment["TESSERA_ALLOW_NETWORKS"] {
            config.allowNetworks = v.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
        }
        if let v = environment["TESSERA_DISPATCH"] {
            guard ["on", "off"].contains(v) else {
                throw ConfigurationError("TESSERA_DISPATCH must be on or off, got '\(v)'")
            }
            config.dispatcher.enabled = v == "on"
        }
        let policy: AddressPolicy
        do {
            policy = try AddressPolicy(allowing: config.allowNetworks)
        } catch {
            throw ConfigurationError("allow_networks: \(error.description)")
        }
        // The URLs the file declares, as the API checks them at create (names are checked again on
        // the address connected to): a refused one would otherwise fill the dead-letter queue.
        for (i, subscription) in config.subscriptions.enumerated() {
            do {
                try policy.checkURL(subscription.url)
            } catch {
                throw ConfigurationError(
                    "\(file ?? environment["TESSERA_CONFIG"] ?? ""): subscriptions[\(i)].url: \(error.description)"
                )
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

    static func positive(_ text: String, _ name: String) throws(ConfigurationError) -> Int {
        guard let n = Int(text), n > 0 else {
            throw ConfigurationError("\(name) must be a positive integer, got '\(text)'")
        }
        return n
    }

    mutating func read(_ root: JSONValue, file: String, environment: [String: String]) throws(ConfigurationError) {
        var r = Reader(file: file)
        try r.only(
            root,
            [
                "database_url", "layers", "watch", "subscriptions", "processor", "log_level", "allow_networks",
                "dispatcher", "api",
            ]
        )
        databaseURL = try r.string(root, "database_url", optional: true) ?? databaseURL
        logLevel = try r.string(root, "log_level", optional: true) ?? logLevel
        for (i, item) in try r.array(root, "layers").enumerated() {
            r.path = "layers[\(i)]"
            try r.only(item, ["name", "tile_matrix_set", "min_zoom", "max_zoom", "buffer"])
            var l = Bootstrap.LayerSpec(name: try r.string(item, "name")!)
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
            var w = Bootstrap.WatchSpec(table: try r.string(item, "table")!)
            w.idColumn = try r.string(item, "id_column", optional: true)
            w.geometryColumn = try r.string(item, "geometry_column", optional: true)
            w.renderColumns = try r.strings(item, "render_columns")
            w.layers = try r.strings(item, "layers")
            watches.append(w)
        }
        for (i, item) in try r.array(root, "subscriptions").enumerated() {
            r.path = "subscriptions[\(i)]"
            try r.only(
                item,
                [
                    "name", "url", "layers", "tenant", "format", "compression", "rollup", "debounce_ms", "max_delay_ms",
                    "max_tiles", "secret_env", "secret_file",
                ]
            )
            var s = Bootstrap.SubscriptionSpec(name: try r.string(item, "name")!, url: try r.string(item, "url")!)
            s.layers = try r.strings(item, "layers") ?? []
            guard !s.layers.isEmpty else { throw r.fail("layers", "must name at least one layer") }
            s.tenant = try r.string(item, "tenant", optional: true) ?? s.tenant
            s.format = try r.oneOf(item, "format", ["json", "zxy", "protobuf"]) ?? s.format
            s.compression = try r.oneOf(item, "compression", ["none", "zstd", "gzip"]) ?? s.compression
            s.rollUp = try r.oneOf(item, "rollup", ["parents", "split"]) ?? s.rollUp
            s.debounceMilliseconds = try r.int(item, "debounce_ms") ?? s.debounceMilliseconds
            s.maxDelayMilliseconds = try r.int(item, "max_delay_ms") ?? s.maxDelayMilliseconds
            s.maxTiles = try r.int(item, "max_tiles") ?? s.maxTiles
            s.secret = try r.secret(item, environment: environment)
            subscriptions.append(s)
        }
        r.path = "api"
        if let a = root["api"] {
            try r.only(a, ["listen", "max_body_bytes", "secret_rotation_overlap_s"])
            if let l = try r.string(a, "listen", optional: true) {
                apiListen = try Self.listen(l, "\(file): api.listen")
            }
            apiMaxBodyBytes = try r.int(a, "max_body_bytes") ?? apiMaxBodyBytes
            secretRotationOverlapSeconds = try r.int(a, "secret_rotation_overlap_s") ?? secretRotationOverlapSeconds
        }
        r.path = "processor"
        if let p = root["processor"] {
            try r.only(p, ["batch_size", "poll_interval_ms", "flush_interval_ms"])
            batchSize = try r.int(p, "batch_size") ?? batchSize
            pollIntervalMilliseconds = try r.int(p, "poll_interval_ms") ?? pollIntervalMilliseconds
            flushIntervalMilliseconds = try r.int(p, "flush_interval_ms") ?? flushIntervalMilliseconds
        }
        r.path = ""
        allowNetworks = try r.strings(root, "allow_networks") ?? allowNetworks
        r.path = "dispatcher"
        if let d = root["dispatcher"] {
            try r.only(
                d,
                [
                    "enabled", "concurrency", "batch_size", "poll_interval_ms", "connections_per_host",
                    "endpoint_concurrency",
                ]
            )
            switch d["enabled"] {
            case nil: break
            case .bool(let b)?: dispatcher.enabled = b
            default: throw r.fail("enabled", "must be true or false")
            }
            for (key, value) in [
                ("concurrency", \DispatcherSettings.concurrency), ("batch_size", \.batchSize),
                ("poll_interval_ms", \.pollIntervalMilliseconds), ("connections_per_host", \.connectionsPerHost),
                ("endpoint_concurrency", \.endpointConcurrency),
            ] {
                if let n = try r.int(d, key) {
                    guard n > 0 else { throw r.fail(key, "must be a positive integer") }
                    dispatcher[keyPath: value] = n
                }
            }
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
                    text = String(decoding: try CommandInput.readAll(path), as: UTF8.self)
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

        func oneOf(_ v: JSONValue, _ key: String, _ allowed: [String]) throws(ConfigurationError) -> String? {
            guard let s = try string(v, key, optional: true) else { return nil }
            guard allowed.contains(s) else {
                throw fail(key, "must be one of \(allowed.joined(separator: ", ")), got '\(s)'")
            }
            return s
        }
    }
}

struct ConfigurationError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
