import Crypto
import Foundation
import NIOCore

/// A bearer API key: `tsk_` followed by 32 random bytes in unpadded base64url.
///
/// Only ``hash`` (SHA-256 of the whole key text) is stored; ``prefix`` (the first 12
/// characters) identifies a key in lists and logs without revealing it.
public struct APIKey: Sendable, Hashable {
    public static let scheme = "tsk_"
    public let text: String

    /// A new random key.
    public static func generate() -> APIKey {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return APIKey(unchecked: scheme + Base64URL.encode(bytes))
    }

    /// Wraps a key a client presented; nil when it does not have the key's shape.
    public init?(_ text: String) {
        guard text.hasPrefix(Self.scheme), (20...128).contains(text.utf8.count),
            text.utf8.dropFirst(Self.scheme.utf8.count).allSatisfy(Base64URL.isAlphabet(_:))
        else { return nil }
        self.text = text
    }

    private init(unchecked text: String) { self.text = text }

    /// SHA-256 of the key text: what `tessera.api_keys.key_hash` holds.
    public var hash: [UInt8] { Array(SHA256.hash(data: Array(text.utf8))) }

    var hashBytes: ByteBuffer { ByteBuffer(bytes: hash) }

    /// The first characters, shown in lists (`tsk_AbCdEfGh`).
    public var prefix: String { String(text.prefix(12)) }
}

/// Unpadded base64url (RFC 4648 §5).
enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func isAlphabet(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default: false
        }
    }
}
