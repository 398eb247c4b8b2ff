import CZstd
import Testing

/// Proves the system-library shim links the real libzstd: a round trip through it.
@Suite struct ZstdLinkTests {
    @Test func roundTripsThroughLibzstd() {
        let input = Array(String(repeating: "14/8191/5448\n", count: 200).utf8)
        var compressed = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
        let written = ZSTD_compress(&compressed, compressed.count, input, input.count, 3)
        #expect(ZSTD_isError(written) == 0)
        #expect(written < input.count / 10)
        var output = [UInt8](repeating: 0, count: input.count)
        let read = ZSTD_decompress(&output, output.count, compressed, written)
        #expect(ZSTD_isError(read) == 0)
        #expect(read == input.count)
        #expect(output == input)
    }
}
