import Crypto
import Foundation

/// Signs webhook requests the Standard Webhooks way.
///
/// The signed content is `"\(id).\(timestamp)."` followed by the body bytes exactly as sent (after
/// compression, if any). Each secret contributes one `v1,<base64 HMAC-SHA256>` entry; entries are
/// separated by a space, so during a secret rotation receivers holding either secret can verify.
public struct WebhookSigner: Sendable {
    // Raw bytes: swift-crypto's SymmetricKey is not Sendable; making one per use is cheap.
    private let keys: [[UInt8]]

    /// - Parameter secrets: the current secrets, newest first; at least one is expected.
    public init(secrets: [WebhookSecret]) {
        self.keys = secrets.map(\.bytes)
    }

    public var secretCount: Int { keys.count }

    /// The value of the `webhook-signature` header.
    /// - Parameters:
    ///   - id: the `webhook-id` (the event id, stable across retries).
    ///   - timestamp: the `webhook-timestamp`, seconds since 1970.
    ///   - body: the exact body bytes sent.
    public func signature(id: String, timestamp: Int64, body: some DataProtocol) -> String {
        let prefix = Array("\(id).\(timestamp).".utf8)
        var result = ""
        for key in keys {
            var mac = HMAC<SHA256>(key: SymmetricKey(data: key))
            mac.update(data: prefix)
            mac.update(data: body)
            let digest = Data(mac.finalize())
            if !result.isEmpty {
                result += " "
            }
            result += "v1," + digest.base64EncodedString()
        }
        return result
    }

    /// Whether `header` (a `webhook-signature` value) holds a `v1` signature valid for one of this signer's
    /// secrets. Comparison is constant-time per entry. Receivers would also check the timestamp tolerance.
    public func verify(header: String, id: String, timestamp: Int64, body: some DataProtocol) -> Bool {
        let prefix = Array("\(id).\(timestamp).".utf8)
        let candidates = header.split(separator: " ").compactMap { entry -> Data? in
            guard entry.hasPrefix("v1,") else { return nil }
            return Data(base64Encoded: String(entry.dropFirst(3)))
        }
        for key in keys {
            var mac = HMAC<SHA256>(key: SymmetricKey(data: key))
            mac.update(data: prefix)
            mac.update(data: body)
            let expected = mac.finalize()
            for candidate in candidates where candidate.count == SHA256.byteCount {
                if expected == candidate {  // HashedAuthenticationCode == is constant-time
                    return true
                }
            }
        }
        return false
    }
}
