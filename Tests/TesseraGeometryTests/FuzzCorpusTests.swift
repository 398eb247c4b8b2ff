import Foundation
import TesseraGeometry
import Testing

/// The inputs of the libFuzzer targets (`benchmarks/fuzz`), run by the ordinary test build: the seed
/// corpora (`corpus/`) and every input a fuzzer ever crashed on (`regressions/`, kept there when the
/// crash is fixed). Each must be read or refused without a trap, and what is read must satisfy the
/// targets' round-trip properties.
@Suite struct FuzzCorpusTests {
    static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("benchmarks/fuzz")

    /// The files of `corpus/<target>` and `regressions/<target>`.
    static func inputs(_ target: String) throws -> [(name: String, bytes: [UInt8])] {
        var out: [(String, [UInt8])] = []
        for folder in ["corpus", "regressions"] {
            let dir = fuzz.appendingPathComponent(folder).appendingPathComponent(target)
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { continue }
            for name in names.sorted() {
                out.append(
                    ("\(folder)/\(target)/\(name)", Array(try Data(contentsOf: dir.appendingPathComponent(name))))
                )
            }
        }
        return out
    }

    @Test func geoJSONInputsReadOrAreRefusedAndReadBackAsWritten() throws {
        let inputs = try Self.inputs("geojson")
        #expect(inputs.count >= 10)
        var read = 0
        for (name, bytes) in inputs {
            guard let object = try? GeoJSON.decode(bytes) else { continue }
            read += 1
            guard let text = try? GeoJSON.encode(object) else { continue }  // a non-finite number
            let again = try GeoJSON.decode(Array(text.utf8))
            #expect(try GeoJSON.encode(again) == text, "\(name)")
        }
        #expect(read > 0 && read < inputs.count, "the seeds hold both good and bad documents")
    }

    @Test func wkbInputsReadOrAreRefusedAndReadBackAsWritten() throws {
        let inputs = try Self.inputs("wkb")
        #expect(inputs.count >= 10)
        var read = 0
        for (name, bytes) in inputs {
            let decoded = (try? WKB.decode(bytes)) ?? (try? WKB.decode(hex: String(decoding: bytes, as: UTF8.self)))
            guard let decoded else { continue }
            read += 1
            for little in [true, false] {
                let once = WKB.encode(decoded.geometry, srid: decoded.srid, littleEndian: little)
                let back = try WKB.decode(once)
                #expect(WKB.encode(back.geometry, srid: back.srid, littleEndian: little) == once, "\(name)")
                #expect(back.srid == decoded.srid, "\(name)")
            }
            _ = GeometryValidator().validate(decoded.geometry)
        }
        #expect(read > 0 && read < inputs.count, "the seeds hold both good and bad geometries")
    }
}
