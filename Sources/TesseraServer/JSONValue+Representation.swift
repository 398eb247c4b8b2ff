import Foundation
import TesseraGeometry

extension JSONValue {
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

    /// Reads `2026-11-23T18:04:59Z`, with or without fractional seconds, with `Z` or an offset; `t`
    /// and `z` may be lower case (RFC 3339 §5.6).
    static func parse(_ text: String) -> Date? {
        let text = String(
            decoding: text.utf8.map { $0 == UInt8(ascii: "t") || $0 == UInt8(ascii: "z") ? $0 - 32 : $0 },
            as: UTF8.self
        )
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = withFraction.date(from: text) { return d }
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        return plain.date(from: text)
    }
}
