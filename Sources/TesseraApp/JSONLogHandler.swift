import Foundation
import Logging
import TesseraGeometry
import TesseraPostgres

/// How `tessera serve` writes its log.
public enum LogFormat: String, Sendable {
    /// swift-log's lines, for a person at a terminal.
    case text
    /// One JSON object per line: `ts` (RFC 3339, UTC, milliseconds), `level`, `label`, `message`,
    /// `source`, then every metadata member (`subscription`, `event_id`, `delivery`…) as a member of
    /// its own; a metadata key that would shadow one of the first five is written as `metadata.<key>`.
    case json
}

/// A swift-log handler writing JSON lines (``LogFormat/json``) to a file handle, standard error by
/// default. Lines are written whole, one `write` each, so the lines of concurrent tasks never mix.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let sink: @Sendable (String) -> Void

    public init(label: String, sink: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    static let reserved: Set<String> = ["ts", "level", "label", "message", "source"]

    public func log(event: LogEvent) {
        emit(level: event.level, message: event.message, metadata: event.metadata, source: event.source)
    }

    func emit(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String) {
        var all = self.metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let explicit { all.merge(explicit) { _, new in new } }
        var members: [(key: String, value: JSONValue)] = [
            ("ts", .string(Self.timestamp(Date()))),
            ("level", .string(level.rawValue)),
            ("label", .string(label)),
            ("message", .string(message.description)),
            ("source", .string(source)),
        ]
        for key in all.keys.sorted() {
            let name = Self.reserved.contains(key) ? "metadata.\(key)" : key
            members.append((name, Self.json(all[key]!)))
        }
        sink(JSONValue.object(members).serialized() + "\n")
    }

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let s): return .string(s)
        case .stringConvertible(let c): return .string(c.description)
        case .array(let items): return .array(items.map(json))
        case .dictionary(let d): return .object(d.keys.sorted().map { ($0, json(d[$0]!)) })
        }
    }

    /// `2026-12-02T10:13:54.123Z`.
    static func timestamp(_ date: Date) -> String {
        UTCTimestamp.text(secondsSince1970: date.timeIntervalSince1970)
    }

    /// Writes to standard error, whole lines at a time.
    public static let standardError: @Sendable (String) -> Void = { line in
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
    }
}
