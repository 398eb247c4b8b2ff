// The GeoJSON reader: GeoJSON.decode(_:) and GeoJSON.decodeGeometry(_:) on arbitrary bytes.
// Thrown errors are the expected answer to bad input; only a trap or a sanitizer report is a finding.
// Property: what the writer makes of a decoded document reads back to the same text.
import FuzzSupport
import TesseraGeometry

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    if let object = try? GeoJSON.decode(bytes) {
        roundTrip(object)
    }
    if let geometry = try? GeoJSON.decodeGeometry(bytes) {
        _ = geometry.boundingBox
        roundTrip(.geometry(geometry))
    }
    return 0
}

/// encode → decode → encode gives the same text (encode refuses non-finite numbers: that is fine).
func roundTrip(_ object: GeoJSONObject) {
    guard let text = try? GeoJSON.encode(object) else { return }
    let again: GeoJSONObject
    do {
        again = try GeoJSON.decode(Array(text.utf8))
    } catch {
        fatalError("round trip: the writer's output does not read back (\(error)): \(text)")
    }
    guard let text2 = try? GeoJSON.encode(again), text2 == text else {
        fatalError("round trip: \(text) read back as \((try? GeoJSON.encode(again)) ?? "nothing")")
    }
}

@_cdecl("fuzz_geojson_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    tessera_fuzz_run(argc, argv, fuzz)
}
