import TesseraCatalog

/// A payload's bytes ready to enqueue, with the headers that describe them.
public struct EncodedPayload: Hashable, Sendable {
    public var bytes: [UInt8]
    public var contentType: String
    /// `zstd`, `gzip`, or nil.
    public var contentEncoding: String?

    public init(bytes: [UInt8], contentType: String, contentEncoding: String?) {
        self.bytes = bytes
        self.contentType = contentType
        self.contentEncoding = contentEncoding
    }

    /// `raw` compressed as asked, labelled with `contentType` and the compression's encoding.
    public init(compressing raw: [UInt8], with compression: PayloadCompression, contentType: String)
        throws(CompressionError)
    {
        self.init(
            bytes: try compression.compress(raw),
            contentType: contentType,
            contentEncoding: compression.contentEncoding
        )
    }
}
