// The WKB/EWKB reader: WKB.decode(_ bytes: [UInt8]) on the input, and WKB.decode(hex:) on the input
// as text and on the input hex-encoded (which must agree with the binary decode). Thrown errors are
// the expected answer to bad input; only a trap or a sanitizer report is a finding.
// Properties: decode(encode(g)) encodes to the same bytes again; the validator takes any geometry.
import FuzzSupport
import TesseraGeometry

nonisolated(unsafe) let validator = GeometryValidator()
let hexDigits = Array("0123456789abcdef".utf8)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))

    let decoded = try? WKB.decode(bytes)

    // The input as hex text (PostGIS's text form), as it comes.
    _ = try? WKB.decode(hex: String(decoding: bytes, as: UTF8.self))

    // The input hex-encoded must decode exactly as the bytes do.
    var hex: [UInt8] = []
    hex.reserveCapacity(bytes.count * 2)
    for b in bytes {
        hex.append(hexDigits[Int(b >> 4)])
        hex.append(hexDigits[Int(b & 0xF)])
    }
    let viaHex = try? WKB.decode(hex: String(decoding: hex, as: UTF8.self))
    if (decoded == nil) != (viaHex == nil) {
        fatalError("hex: decode(hex:) \(viaHex == nil ? "refused" : "accepted") what decode(_:) did not")
    }

    guard let decoded else { return 0 }
    // Writer and reader agree (bytes are compared, so NaN coordinates compare equal).
    for little in [true, false] {
        let once = WKB.encode(decoded.geometry, srid: decoded.srid, littleEndian: little)
        guard let back = try? WKB.decode(once) else {
            fatalError("round trip: the writer's output does not read back: \(once)")
        }
        let twice = WKB.encode(back.geometry, srid: back.srid, littleEndian: little)
        if once != twice || back.srid != decoded.srid {
            fatalError("round trip: \(once) read back as \(twice)")
        }
    }
    _ = decoded.geometry.boundingBox
    _ = validator.validate(decoded.geometry)
    return 0
}

@_cdecl("fuzz_wkb_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    tessera_fuzz_run(argc, argv, fuzz)
}
