import CZlib
import CZstd
import TesseraCatalog

/// The codecs behind a subscription's `compression` (the catalog's ``TesseraCatalog/PayloadCompression``).
extension PayloadCompression {
    /// Compresses `bytes` (zstd level 3; gzip level 6 with a gzip header, RFC 1952).
    public func compress(_ bytes: [UInt8]) throws(CompressionError) -> [UInt8] {
        switch self {
        case .none: return bytes
        case .zstd: return try Self.zstdCompress(bytes)
        case .gzip: return try Self.gzipCompress(bytes)
        }
    }

    /// Decompresses `bytes`; refuses output larger than `limit` bytes.
    public func decompress(_ bytes: [UInt8], limit: Int = 256 << 20) throws(CompressionError) -> [UInt8] {
        switch self {
        case .none: return bytes
        case .zstd: return try Self.zstdDecompress(bytes, limit: limit)
        case .gzip: return try Self.gzipDecompress(bytes, limit: limit)
        }
    }

    static func zstdCompress(_ input: [UInt8]) throws(CompressionError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
        let n = input.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in ZSTD_compress(dst.baseAddress, dst.count, src.baseAddress, src.count, 3)
            }
        }
        if ZSTD_isError(n) != 0 { throw CompressionError(message: "zstd: \(String(cString: ZSTD_getErrorName(n)))") }
        out.removeSubrange(n...)
        return out
    }

    static func zstdDecompress(_ input: [UInt8], limit: Int) throws(CompressionError) -> [UInt8] {
        guard let stream = ZSTD_createDStream() else { throw CompressionError(message: "zstd: out of memory") }
        defer { ZSTD_freeDStream(stream) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var failure: CompressionError?
        input.withUnsafeBytes { src in
            var inBuf = ZSTD_inBuffer(src: src.baseAddress, size: src.count, pos: 0)
            while true {
                let (ret, produced) = chunk.withUnsafeMutableBytes { dst -> (Int, Int) in
                    var outBuf = ZSTD_outBuffer(dst: dst.baseAddress, size: dst.count, pos: 0)
                    let r = ZSTD_decompressStream(stream, &outBuf, &inBuf)
                    return (r, outBuf.pos)
                }
                if ZSTD_isError(ret) != 0 {
                    failure = CompressionError(message: "zstd: \(String(cString: ZSTD_getErrorName(ret)))")
                    return
                }
                out.append(contentsOf: chunk[0..<produced])
                if out.count > limit {
                    failure = CompressionError(message: "zstd: output exceeds \(limit) bytes")
                    return
                }
                if ret == 0 && inBuf.pos == inBuf.size { return }
                if produced == 0 && inBuf.pos == inBuf.size {
                    failure = CompressionError(message: "zstd: truncated frame")
                    return
                }
            }
        }
        if let failure { throw failure }
        return out
    }

    static func gzipCompress(_ input: [UInt8]) throws(CompressionError) -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 + 16 selects the gzip wrapper.
        guard
            deflateInit2_(
                &stream,
                6,
                Z_DEFLATED,
                15 + 16,
                8,
                Z_DEFAULT_STRATEGY,
                ZLIB_VERSION,
                Int32(MemoryLayout<z_stream>.size)
            ) == Z_OK
        else { throw CompressionError(message: "gzip: cannot initialise deflate") }
        defer { deflateEnd(&stream) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 32)
        var input = input
        let status = input.withUnsafeMutableBytes { src in
            out.withUnsafeMutableBytes { dst -> Int32 in
                stream.next_in = src.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_in = uInt(src.count)
                stream.next_out = dst.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(dst.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw CompressionError(message: "gzip: deflate failed (\(status))") }
        out.removeSubrange(Int(stream.total_out)...)
        return out
    }

    static func gzipDecompress(_ input: [UInt8], limit: Int) throws(CompressionError) -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw CompressionError(message: "gzip: cannot initialise inflate")
        }
        defer { inflateEnd(&stream) }
        var input = input
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var status: Int32 = Z_OK
        input.withUnsafeMutableBytes { src in
            stream.next_in = src.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.avail_in = uInt(src.count)
            repeat {
                let produced = chunk.withUnsafeMutableBytes { dst -> Int in
                    stream.next_out = dst.baseAddress?.assumingMemoryBound(to: Bytef.self)
                    stream.avail_out = uInt(dst.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return dst.count - Int(stream.avail_out)
                }
                out.append(contentsOf: chunk[0..<produced])
            } while status == Z_OK && out.count <= limit && !(stream.avail_in == 0 && stream.avail_out != 0)
        }
        guard out.count <= limit else { throw CompressionError(message: "gzip: output exceeds \(limit) bytes") }
        guard status == Z_STREAM_END else {
            throw CompressionError(message: "gzip: corrupt or truncated stream (\(status))")
        }
        return out
    }
}

/// Compression or decompression failed; `message` names the codec and the reason.
public struct CompressionError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
