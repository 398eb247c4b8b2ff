import Foundation
import TesseraGeometry

extension JSONValue {
    /// Compact JSON text. Non-finite numbers, which JSON cannot carry, are written as null.
    public func serialized() -> String {
        var out = ""
        write(into: &out)
        return out
    }

    private func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += JSONText.number(n) ?? "null"
        case .string(let s): out += JSONText.quoted(s)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, m) in members.enumerated() {
                if i > 0 { out += "," }
                out += JSONText.quoted(m.key)
                out += ":"
                m.value.write(into: &out)
            }
            out += "}"
        }
    }

    static func int(_ value: Int) -> JSONValue { .number(Double(value)) }
    static func int(_ value: Int?) -> JSONValue { value.map { .number(Double($0)) } ?? .null }
    static func string(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
    static func date(_ value: Date?) -> JSONValue { value.map { .string(Timestamp.format($0)) } ?? .null }
}

/// RFC 3339 timestamps as the API writes and reads them.
enum Timestamp {
    /// `2026-11-23T18:04:59.123Z`.
    static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// Reads `2026-11-23T18:04:59Z`, with or without fractional seconds, with `Z` or an offset.
    static func parse(_ text: String) -> Date? {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = withFraction.date(from: text) { return d }
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        return plain.date(from: text)
    }
}
