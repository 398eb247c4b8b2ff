import Foundation

/// A Standard Webhooks signing secret: `whsec_` followed by the base64 of 24 to 64 random bytes.
///
/// `description` is redacted so a secret never reaches a log by accident; ``encoded`` is the only way
/// to the text form, which is shown to the subscriber once, at creation or rotation.
public struct WebhookSecret: Sendable, Hashable, CustomStringConvertible {
    public static let prefix = "whsec_"
    public static let byteRange = 24...64

    /// The raw key bytes (what `tessera.subscription_secrets.secret` stores).
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(WebhookSecretError) {
        guard WebhookSecret.byteRange.contains(bytes.count) else {
            throw WebhookSecretError(reason: "must be 24 to 64 bytes, got \(bytes.count)")
        }
        self.bytes = bytes
    }

    /// Parses `whsec_<base64>`; the prefix is optional, as Standard Webhooks libraries accept.
    public init(encoded: String) throws(WebhookSecretError) {
        let body =
            encoded.hasPrefix(WebhookSecret.prefix) ? String(encoded.dropFirst(WebhookSecret.prefix.count)) : encoded
        guard let data = Data(base64Encoded: body) else {
            throw WebhookSecretError(reason: "is not base64 after the '\(WebhookSecret.prefix)' prefix")
        }
        try self.init(bytes: Array(data))
    }

    /// A new secret of 32 bytes from the system's cryptographically secure generator.
    public static func generate() -> WebhookSecret {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        // 32 is inside byteRange, so this cannot throw.
        return try! WebhookSecret(bytes: bytes)
    }

    /// The text form, `whsec_` + base64.
    public var encoded: String { WebhookSecret.prefix + Data(bytes).base64EncodedString() }

    public var description: String { "whsec_…(\(bytes.count) bytes)" }
}

/// A signing secret that cannot be used; `reason` says why.
public struct WebhookSecretError: Error, Sendable, Hashable, CustomStringConvertible {
    public let reason: String
    public var description: String { "secret: \(reason)" }
}
