import NIOCore
import NIOHTTP1
import TesseraCatalog

/// The headers of a webhook request. (The rules for a subscription's custom headers are
/// ``TesseraCatalog/CustomHeaders``'s: what the API accepts is what is sent.)
public enum WebhookHeaders {
    /// The attempt number, 1 for the first try.
    public static let attempt = "Tessera-Attempt"

    /// All headers of one attempt: the subscription's custom headers first, then Tessera's own.
    public static func make(
        eventID: String,
        timestamp: Int64,
        body: ByteBuffer,
        contentType: String,
        contentEncoding: String?,
        attempt: Int,
        userAgent: String,
        custom: [(String, String)],
        signer: WebhookSigner
    ) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.reserveCapacity(custom.count + 8)
        for (name, value) in custom where CustomHeaders.isAllowed(name: name, value: value) {
            headers.add(name: name, value: value)
        }
        headers.add(name: "webhook-id", value: eventID)
        headers.add(name: "webhook-timestamp", value: String(timestamp))
        let signature = body.withUnsafeReadableBytes { bytes in
            signer.signature(id: eventID, timestamp: timestamp, body: bytes)
        }
        headers.add(name: "webhook-signature", value: signature)
        headers.add(name: "Content-Type", value: contentType)
        if let contentEncoding {
            headers.add(name: "Content-Encoding", value: contentEncoding)
        }
        headers.add(name: WebhookHeaders.attempt, value: String(attempt))
        headers.add(name: "User-Agent", value: userAgent)
        return headers
    }
}
