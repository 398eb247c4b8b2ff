import Crypto
import Foundation

/// Signs webhook requests the Standard Webhooks way.
///
/// The signed content is `"\(id).\(timestamp)."` followed by the body bytes exactly as sent (after
/// compression, if any). Each secret contributes one `v1,<base64 HMAC-SHA256>` entry; entries are
/// separated by a space, so during a secret rotation receivers holding either secret can verify.
public struct WebhookSigner: Sendable {
    private let keys: [[UInt8]]
    /// One HMAC per secret with the key already absorbed, copied for each signature: keying an HMAC
    /// hashes the padded key twice, as much work as signing a 1 KB body.
    private let keyed: [KeyedHMACSHA256]

    /// - Parameter secrets: the current secrets, newest first; at least one is expected.
    public init(secrets: [WebhookSecret]) {
        self.keys = secrets.map(\.bytes)
        self.keyed = keys.map { KeyedHMACSHA256(key: $0) }
    }

    public var secretCount: Int { keys.count }

    /// The value of the `webhook-signature` header.
    /// - Parameters:
    ///   - id: the `webhook-id` (the event id, stable across retries).
    ///   - timestamp: the `webhook-timestamp`, seconds since 1970.
    ///   - body: the exact body bytes sent.
    public func signature(id: String, timestamp: Int64, body: some DataProtocol) -> String {
        let bytes = Array(body)
        return bytes.withUnsafeBytes { signature(id: id, timestamp: timestamp, body: $0) }
    }

    /// The same over bytes in memory: the dispatcher's path, without generic byte iteration.
    public func signature(id: String, timestamp: Int64, body: UnsafeRawBufferPointer) -> String {
        let prefix = Array("\(id).\(timestamp).".utf8)
        var result = ""
        for key in keyed {
            let digest = prefix.withUnsafeBytes { key.authenticate(prefix: $0, body: body) }
            if !result.isEmpty {
                result += " "
            }
            result += "v1," + Data(digest).base64EncodedString()
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

/// HMAC-SHA256 (RFC 2104) with the key absorbed once: the inner and outer hash states after the
/// padded key, copied for every message. swift-crypto's `HMAC` keys itself anew each time and reads
/// bytes through the generic `DataProtocol` path, which cost more than the hashing.
/// `@unchecked Sendable`: the two states are never updated in place; swift-crypto's digest state is
/// copy-on-write (a copy's first `update` copies the context, `Digest_boring.swift`), so concurrent
/// copies only read the shared originals.
private struct KeyedHMACSHA256: @unchecked Sendable {
    private let inner: SHA256
    private let outer: SHA256

    init(key: [UInt8]) {
        let blockSize = 64
        var padded = key.count > blockSize ? Array(SHA256.hash(data: key)) : key
        padded += repeatElement(0, count: blockSize - padded.count)
        var inner = SHA256()
        padded.map { $0 ^ 0x36 }.withUnsafeBytes { inner.update(bufferPointer: $0) }
        var outer = SHA256()
        padded.map { $0 ^ 0x5c }.withUnsafeBytes { outer.update(bufferPointer: $0) }
        self.inner = inner
        self.outer = outer
    }

    func authenticate(prefix: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer) -> SHA256Digest {
        var inner = self.inner
        inner.update(bufferPointer: prefix)
        inner.update(bufferPointer: body)
        var outer = self.outer
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        return outer.finalize()
    }
}
