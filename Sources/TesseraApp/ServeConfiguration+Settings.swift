import Foundation
import TesseraGeometry

extension ServeConfiguration {
    /// A setting's value as one source gives it: a member of the file, or the text of an environment
    /// variable or option.
    enum Source {
        case json(JSONValue)
        case text(String)
    }

    /// One scalar setting: its path in the file, the environment variables that override it (the
    /// first one set wins), and how its value is read and stored. Errors name where the value came from
    /// (`file: processor.batch_size`, `TESSERA_BATCH_SIZE`) and why.
    struct Scalar: Sendable {
        let path: String
        let variables: [String]
        let apply: @Sendable (inout ServeConfiguration, Source, String) throws(ConfigurationError) -> Void

        /// The member name when the setting lives in `section` (`processor.batch_size` → `batch_size`).
        func member(of section: String) -> String? {
            path.hasPrefix(section + ".") ? String(path.dropFirst(section.count + 1)) : nil
        }
    }

    /// Every scalar setting of `tessera serve`, once: file → environment → options.
    static let scalars: [Scalar] = [
        text("database_url", ["TESSERA_DATABASE_URL", "DATABASE_URL"]) { $0.databaseURL = $1 },
        text("log_level", ["TESSERA_LOG_LEVEL"]) { $0.logLevel = $1 },
        Scalar(path: "log_format", variables: ["TESSERA_LOG_FORMAT"]) {
            (config: inout ServeConfiguration, source: Source, name: String) throws(ConfigurationError) in
            guard let text = try string(source, name) else { return }
            guard let format = LogFormat(rawValue: text) else {
                throw ConfigurationError("\(name) must be text or json, got '\(text)'")
            }
            config.logFormat = format
        },
        integer(
            "metrics.sample_interval_ms",
            ["TESSERA_METRICS_SAMPLE_INTERVAL_MS"],
            \.metricsSampleIntervalMilliseconds,
            minimum: 100
        ),
        stringList("allow_networks", ["TESSERA_ALLOW_NETWORKS"], \.allowNetworks),
        stringList("expire_roots", ["TESSERA_EXPIRE_ROOTS"], \.expireRoots),
        integer("processor.batch_size", ["TESSERA_BATCH_SIZE"], \.batchSize),
        integer("processor.poll_interval_ms", ["TESSERA_POLL_INTERVAL_MS"], \.pollIntervalMilliseconds),
        integer("processor.flush_interval_ms", ["TESSERA_FLUSH_INTERVAL_MS"], \.flushIntervalMilliseconds),
        Scalar(path: "api.listen", variables: ["TESSERA_API_LISTEN"]) {
            (config: inout ServeConfiguration, source: Source, name: String) throws(ConfigurationError) in
            guard let text = try string(source, name) else { return }
            config.apiListen = try listen(text, name)
        },
        integer("api.max_body_bytes", ["TESSERA_API_MAX_BODY_BYTES"], \.apiMaxBodyBytes),
        // Zero is meaningful here: the previous secret stops signing at once.
        integer(
            "api.secret_rotation_overlap_s",
            ["TESSERA_SECRET_ROTATION_OVERLAP_S"],
            \.secretRotationOverlapSeconds,
            minimum: 0
        ),
        Scalar(path: "dispatcher.enabled", variables: ["TESSERA_DISPATCH"]) {
            (config: inout ServeConfiguration, source: Source, name: String) throws(ConfigurationError) in
            switch source {
            case .text("on"): config.dispatcher.enabled = true
            case .text("off"): config.dispatcher.enabled = false
            case .text(let text): throw ConfigurationError("\(name) must be on or off, got '\(text)'")
            case .json(.bool(let b)): config.dispatcher.enabled = b
            case .json: throw wrong(name, "must be true or false")
            }
        },
        integer("dispatcher.concurrency", [], \.dispatcher.concurrency),
        integer("dispatcher.batch_size", [], \.dispatcher.batchSize),
        integer("dispatcher.poll_interval_ms", [], \.dispatcher.pollIntervalMilliseconds),
        integer("dispatcher.connections_per_host", [], \.dispatcher.connectionsPerHost),
        integer("dispatcher.endpoint_concurrency", [], \.dispatcher.endpointConcurrency),
    ]

    /// A string setting, stored by `store`.
    static func text(
        _ path: String,
        _ variables: [String],
        _ store: @escaping @Sendable (inout ServeConfiguration, String) -> Void
    ) -> Scalar {
        Scalar(path: path, variables: variables) {
            (config: inout ServeConfiguration, source: Source, name: String) throws(ConfigurationError) in
            if let text = try string(source, name) { store(&config, text) }
        }
    }

    /// A whole number of at least `minimum` (1 unless said).
    static func integer(
        _ path: String,
        _ variables: [String],
        _ field: WritableKeyPath<ServeConfiguration, Int> & Sendable,
        minimum: Int = 1
    ) -> Scalar {
        Scalar(path: path, variables: variables) {
            (config: inout ServeConfiguration, source: Source, name: String) throws(ConfigurationError) in
            let what = minimum == 1 ? "a positive integer" : "an integer of at least \(minimum)"
            let n: Int?
            let shown: String
            switch source {
            case .text(let text):
                n = Int(text)
                shown = "'\(text)'"
            case .json(.number(let d)) where d == d.rounded() && abs(d) < 1e15:
                n = Int(d)
                shown = JSONText.number(d) ?? "\(d)"
            case .json(let other):
                n = nil
                shown = other.serialized()
            }
            guard let n, n >= minimum else { throw ConfigurationError("\(name) must be \(what), got \(shown)") }
            config[keyPath: field] = n
        }
    }

    /// An array of strings, or a comma-separated variable.
    static func stringList(
        _ path: String,
        _ variables: [String],
        _ field: WritableKeyPath<ServeConfiguration, [String]> & Sendable
    ) -> Scalar {
        Scalar(path: path, variables: variables) {
            (config: inout ServeConfiguration, source: Source, name: String) throws(ConfigurationError) in
            switch source {
            case .text(let text):
                config[keyPath: field] = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }
            case .json(let value):
                guard case .array(let items) = value else { throw wrong(name, "must be an array of strings") }
                var strings: [String] = []
                for item in items {
                    guard case .string(let s) = item else { throw wrong(name, "must be an array of strings") }
                    strings.append(s)
                }
                config[keyPath: field] = strings
            }
        }
    }

    /// The text of a string member or of a variable.
    static func string(_ source: Source, _ name: String) throws(ConfigurationError) -> String? {
        switch source {
        case .text(let text): return text
        case .json(.string(let text)): return text
        case .json: throw wrong(name, "must be a string")
        }
    }

    static func wrong(_ name: String, _ why: String) -> ConfigurationError {
        ConfigurationError("\(name) \(why)")
    }
}
