/// The rules for a subscription's custom request headers, checked by the API and the configuration
/// file when a subscription is written, and by the webhook output on every send (whatever reached the
/// database).
public enum CustomHeaders {
    /// Headers Tessera sets itself; a subscription's custom headers may not set these (compared
    /// case-insensitively), nor any header starting with `webhook-` or `tessera-`.
    public static let reserved: Set<String> = [
        "webhook-id", "webhook-timestamp", "webhook-signature", "content-type", "content-encoding",
        "content-length", "transfer-encoding", "host", "user-agent", "connection", "keep-alive", "te", "trailer",
        "upgrade", "expect", "proxy-authorization", "proxy-connection", "tessera-attempt",
    ]

    /// Refuses custom headers that are malformed, reserved, or too many/too large. The error names the
    /// header and the reason.
    public static func validate(_ headers: [String: String]) throws(CustomHeaderError) {
        guard headers.count <= 32 else {
            throw CustomHeaderError(name: "headers", reason: "at most 32 custom headers")
        }
        var total = 0
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            let lower = name.lowercased()
            guard !name.isEmpty, name.utf8.count <= 256, name.utf8.allSatisfy(isTokenByte) else {
                throw CustomHeaderError(name: name, reason: "not a valid header name")
            }
            guard !reserved.contains(lower), !lower.hasPrefix("webhook-"), !lower.hasPrefix("tessera-") else {
                throw CustomHeaderError(name: name, reason: "is set by Tessera and cannot be overridden")
            }
            // Visible ASCII, space, tab and UTF-8 bytes; no CR, LF or other control bytes (header injection).
            guard value.utf8.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7f) }) else {
                throw CustomHeaderError(name: name, reason: "value contains control characters")
            }
            total += name.utf8.count + value.utf8.count
        }
        guard total <= 8192 else {
            throw CustomHeaderError(name: "headers", reason: "custom headers larger than 8192 bytes in total")
        }
    }

    /// Whether a custom header may be sent (the dispatcher skips any other, whatever reached the database).
    public static func isAllowed(name: String, value: String) -> Bool {
        (try? validate([name: value])) != nil
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}

/// A custom header that cannot be used; names the header and the reason.
public struct CustomHeaderError: Error, Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let reason: String
    public var description: String { "header '\(name)': \(reason)" }
}
