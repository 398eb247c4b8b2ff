import TesseraGeometry
import TesseraTestSupport
import Testing

@Suite struct WKBTests {
    static let cases = try! Vectors.load("grids/geometry/wkb_vectors.json")["cases"]!.array

    @Test(arguments: cases.map { $0["wkt"]!.string })
    func readsWhatGEOSWrites(wkt: String) throws {
        let c = try #require(Self.cases.first { $0["wkt"]?.string == wkt })
        let expected = try GeoJSON.decode(c["geojson"]!)
        for flavour in ["ndr", "xdr", "iso"] {
            let d = try WKB.decode(hex: c[flavour]!.string)
            #expect(GeoJSONObject.geometry(d.geometry) == expected, "\(flavour) of \(wkt)")
            #expect(d.srid == nil)
        }
        let e = try WKB.decode(hex: c["ewkb_4326"]!.string)
        #expect(GeoJSONObject.geometry(e.geometry) == expected)
        #expect(e.srid == 4326)
    }

    @Test(arguments: cases.map { $0["wkt"]!.string })
    func writesWhatGEOSWritesIn2D(wkt: String) throws {
        let c = try #require(Self.cases.first { $0["wkt"]?.string == wkt })
        guard !wkt.contains(" Z ") else { return }  // we write 2D only; Z cases are covered by reading
        let g = try WKB.decode(hex: c["ndr"]!.string).geometry
        #expect(WKB.encodeHex(g) == c["ndr"]!.string)
        #expect(WKB.encodeHex(g, littleEndian: false) == c["xdr"]!.string)
        #expect(WKB.encodeHex(g, srid: 4326) == c["ewkb_4326"]!.string)
    }

    @Test(arguments: [
        ("", WKBError.Code.truncated),
        ("02", .byteOrder),
        ("0101000000000000000000F03F", .truncated),
        ("0109000000", .geometryType),
        ("0102000000FFFFFFFF", .truncated),
        ("0101000000000000000000F03F000000000000F03F00", .trailingBytes),
        ("01040000000100000001020000000000000000", .nesting),
        ("0Z", .truncated),
    ])
    func refusesMalformedBytes(hex: String, code: WKBError.Code) {
        do {
            _ = try WKB.decode(hex: hex)
            Issue.record("accepted \(hex)")
        } catch {
            #expect(error.code == code, "\(hex): \(error)")
        }
    }

    @Test func survivesRandomBytes() {
        // Truncations and bit flips of valid WKB: every one must decode or throw, never trap.
        var rng = SystemRandomNumberGenerator()
        let valid = Self.cases.map { c -> [UInt8] in
            let hex = Array(c["ewkb_4326"]!.string.utf8)
            return stride(from: 0, to: hex.count, by: 2).map {
                UInt8(String(decoding: hex[$0..<$0 + 2], as: UTF8.self), radix: 16)!
            }
        }
        var decoded = 0
        for _ in 0..<20_000 {
            var bytes = valid.randomElement(using: &rng)!
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
            case 1:
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[i] ^= UInt8.random(in: 1...255, using: &rng)
            default: bytes += [UInt8.random(in: 0...255, using: &rng)]
            }
            if (try? WKB.decode(bytes)) != nil { decoded += 1 }
        }
        #expect(decoded < 20_000)  // most mutations are refused, none crashed
    }

    @Test func emptyPointDecodesAsEmpty() throws {
        let g = try WKB.decode(hex: "0101000000000000000000F87F000000000000F87F").geometry
        #expect(g.isEmpty)
    }
}
