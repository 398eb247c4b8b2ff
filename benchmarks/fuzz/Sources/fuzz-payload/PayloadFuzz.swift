// The payload readers: zstd and gzip decompression (with its output limit) and the Protobuf, JSON and
// z/x/y readers of a tile invalidation (TileInvalidation.listedTiles, what the status page runs on
// stored payloads). The first input byte picks the content type (bits 0-1) and the encoding (bits
// 2-3); the rest is the payload. Thrown errors are the expected answer to bad input; only a trap or
// a sanitizer report is a finding.
// Properties: what decompresses compresses and decompresses back to the same bytes; no reader lists
// more tiles than asked for, nor a tile outside its zoom's grid (z 0-30, x and y below 2^(z+1)).
import FuzzSupport
import TesseraCatalog
import TesseraDelivery
import TesseraInvalidation

let contentTypes = [
    PayloadFormat.protobuf.contentType, PayloadFormat.json.contentType, PayloadFormat.zxy.contentType,
    "application/octet-stream",
]
let encodings: [String?] = [nil, "gzip", "zstd", "br"]
let limit = 4096

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard size > 0, let data else { return 0 }
    let selector = data[0]
    let payload = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let contentType = contentTypes[Int(selector & 3)]
    let encoding = encodings[Int((selector >> 2) & 3)]

    if let compression = encoding.flatMap(PayloadCompression.init(rawValue:)),
        let raw = try? compression.decompress(payload, limit: 1 << 20)
    {
        guard let again = try? compression.compress(raw), let back = try? compression.decompress(again) else {
            fatalError("\(compression): \(raw.count) decompressed bytes do not compress and decompress again")
        }
        if back != raw { fatalError("\(compression): round trip changed \(raw.count) bytes") }
    }

    if let listed = try? TileInvalidation.listedTiles(
        payload: payload,
        contentType: contentType,
        contentEncoding: encoding,
        limit: limit
    ) {
        if listed.tiles.count > limit { fatalError("listed \(listed.tiles.count) tiles, limit \(limit)") }
        // Both built-in sets: WebMercatorQuad has 2^z columns, WorldCRS84Quad 2^(z+1).
        for t in listed.tiles
        where !(0...30).contains(t.z) || t.x < 0 || t.y < 0 || t.x >> (t.z + 1) != 0 || t.y >> (t.z + 1) != 0 {
            fatalError("listed \(t.z)/\(t.x)/\(t.y), outside its zoom's grid")
        }
    }
    return 0
}

@_cdecl("fuzz_payload_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    tessera_fuzz_run(argc, argv, fuzz)
}
