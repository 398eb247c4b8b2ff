import Foundation
import TesseraCatalog
import TesseraDelivery
import TesseraGeometry
import TesseraGrids
import TesseraInvalidation
import Testing

@Suite struct PayloadTests {
    static func sample() throws -> TileInvalidation {
        let square = Geometry.polygon(
            Polygon([[Position(13.38, 52.51), Position(13.40, 52.51), Position(13.40, 52.52), Position(13.38, 52.51)]])
        )
        let sets = try TileCover().cover(square, zooms: 12...15, buffer: RenderBuffer(parsing: "64/4096"))
        return TileInvalidation(
            eventID: "4b6f3d1e-0000-4000-8000-000000000001",
            subscriptionID: "00000000-0000-4000-8000-000000000002",
            layer: "buildings \"main\"",
            tileMatrixSet: "WebMercatorQuad",
            zooms: sets.map { ZoomTiles(tiles: $0) } + [
                ZoomTiles(tiles: TileSet(zoom: 1, tiles: [Tile(z: 1, x: 1, y: 0)]), rolledUpFrom: 9)
            ],
            bbox: square.boundingBox,
            changeCount: 3,
            windowStartMilliseconds: 1_763_900_000_000,
            windowEndMilliseconds: 1_763_900_001_500
        )
    }

    @Test(arguments: PayloadCompression.allCases)
    func protobufRoundTripsThroughEveryCompression(compression: PayloadCompression) throws {
        let inv = try Self.sample()
        let payload = try inv.encoded(as: .protobuf, compression: compression)
        #expect(payload.contentEncoding == compression.contentEncoding)
        let raw = try compression.decompress(payload.bytes)
        let back = try TileInvalidation(protobuf: Tessera_V1_TileInvalidation(serializedBytes: raw))
        #expect(back == inv)
    }

    @Test func zxyIsOneTilePerLine() throws {
        let inv = try Self.sample()
        let lines = inv.zxyText().split(separator: "\n")
        #expect(lines.count == inv.tileCount)
        #expect(lines.last == "1/1/0")
        #expect(try lines.allSatisfy { try Tile(parsing: $0).z >= 1 })
    }

    @Test func jsonCarriesEveryField() throws {
        let inv = try Self.sample()
        let doc = try JSONValue.parse(Array(inv.jsonText().utf8))
        #expect(doc["type"] == .string("tiles.invalidated"))
        #expect(doc["event_id"] == .string(inv.eventID))
        #expect(doc["layer"] == .string("buildings \"main\""))
        #expect(doc["tile_matrix_set"] == .string("WebMercatorQuad"))
        #expect(doc["change_count"] == .number(3))
        #expect(doc["tile_count"] == .number(Double(inv.tileCount)))
        #expect(doc["window"]?["start_ms"] == .number(1_763_900_000_000))
        guard case .array(let zooms)? = doc["zooms"], case .array(let bbox)? = doc["bbox"] else {
            Issue.record("zooms or bbox missing")
            return
        }
        #expect(bbox.count == 4)
        #expect(zooms.count == 5)
        #expect(zooms.last?["rolled_up_from"] == .number(9))
        guard case .array(let tiles)? = zooms.first?["tiles"] else { return }
        #expect(tiles.count == inv.zooms[0].tiles.count)
    }

    @Test func compressionShrinksTileLists() throws {
        var inv = try Self.sample()
        let city = Geometry.polygon(
            Polygon([[Position(13.2, 52.4), Position(13.6, 52.4), Position(13.6, 52.6), Position(13.2, 52.4)]])
        )
        inv.zooms = try TileCover().cover(city, zooms: 12...15).map { ZoomTiles(tiles: $0) }
        let plain = try inv.encoded(as: .zxy, compression: .none)
        for c in [PayloadCompression.zstd, .gzip] {
            let packed = try inv.encoded(as: .zxy, compression: c)
            #expect(packed.bytes.count < plain.bytes.count / 2)
            #expect(try c.decompress(packed.bytes) == plain.bytes)
        }
    }

    @Test func corruptInputIsAnErrorNotACrash() {
        #expect(throws: CompressionError.self) { try PayloadCompression.zstd.decompress([1, 2, 3, 4, 5]) }
        #expect(throws: CompressionError.self) { try PayloadCompression.gzip.decompress([0x1f, 0x8b, 8, 0, 0]) }
        #expect(throws: PayloadError.self) { try SpanCodec.decode([1, 2], zoom: 3) }
        let big = [UInt8](repeating: 7, count: 1 << 20)
        #expect(throws: CompressionError.self) {
            try PayloadCompression.zstd.decompress(PayloadCompression.zstd.compress(big), limit: 1000)
        }
    }

    /// fuzz-payload's inputs (`benchmarks/fuzz/corpus/payload` and any crash kept in `regressions/`),
    /// byte 0 choosing the content type and encoding as in the fuzzer: each is read or refused, and
    /// what is read lists the seeds' tiles inside their grid.
    @Test func fuzzPayloadInputsAreReadOrRefused() throws {
        let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("benchmarks/fuzz")
        let types = [PayloadFormat.protobuf, .json, .zxy].map(\.contentType) + ["application/octet-stream"]
        let encodings: [String?] = [nil, "gzip", "zstd", "br"]
        var read = 0
        var seen = 0
        for folder in ["corpus/payload", "regressions/payload"] {
            let dir = fuzz.appendingPathComponent(folder)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: dir.path))?.sorted() ?? [] {
                let bytes = Array(try Data(contentsOf: dir.appendingPathComponent(name)))
                guard let selector = bytes.first else { continue }
                seen += 1
                guard
                    let listed = try? TileInvalidation.listedTiles(
                        payload: Array(bytes.dropFirst()),
                        contentType: types[Int(selector & 3)],
                        contentEncoding: encodings[Int((selector >> 2) & 3)],
                        limit: 4096
                    )
                else { continue }
                read += 1
                #expect(!listed.tiles.isEmpty, "\(folder)/\(name)")
                for t in listed.tiles {
                    #expect((0...30).contains(t.z) && t.x >> (t.z + 1) == 0 && t.y >> (t.z + 1) == 0, "\(name): \(t)")
                }
            }
        }
        #expect(seen >= 10)
        #expect(read > 0 && read < seen, "the seeds hold both readable and unreadable payloads")
    }

    @Test func spanCodecIsCompactForAreas() throws {
        let box = Geometry.polygon(
            Polygon([[Position(-10, -10), Position(10, -10), Position(10, 10), Position(-10, 10), Position(-10, -10)]])
        )
        let set = try TileCover().cover(box, zoom: 14)
        let numbers = SpanCodec.encode(set)
        #expect(numbers.count == set.spans.count * 3)
        #expect(set.count > 800_000 && numbers.count < 3_000)
        #expect(try SpanCodec.decode(numbers, zoom: 14) == set)
    }

    /// The stored-payload reader behind the status page lists only tiles of a zoom's grid: a z/x/y
    /// line past zoom 30 or outside 2^(z+1) columns is refused, not drawn (found by fuzz-payload).
    @Test func listedTilesRefusesZXYLinesOutsideTheGrid() throws {
        let ok = try TileInvalidation.listedTiles(
            payload: Array("3/7/7\n0/1/0\n".utf8),
            contentType: PayloadFormat.zxy.contentType,
            contentEncoding: nil,
            limit: 10
        )
        #expect(ok.tiles == [Tile(z: 3, x: 7, y: 7), Tile(z: 0, x: 1, y: 0)])
        for line in ["99/0/0", "3/16/0", "3/0/16", "31/0/0", "1/9223372036854775807/0"] {
            #expect(throws: PayloadError.self, "\(line)") {
                try TileInvalidation.listedTiles(
                    payload: Array(line.utf8),
                    contentType: PayloadFormat.zxy.contentType,
                    contentEncoding: nil,
                    limit: 10
                )
            }
        }
    }
}
