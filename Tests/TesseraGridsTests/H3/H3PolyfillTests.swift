import Foundation
import TesseraGeometry
import Testing

@testable import TesseraGrids

@Suite struct H3PolyfillTests {
    struct Case {
        let geometry: Geometry
        let resolution: H3Resolution
        let center: Set<H3Cell>
        let overlap: Set<H3Cell>
    }

    static func cases(_ set: String) throws -> [Case] {
        let data = try Data(contentsOf: H3Vectors.directory(set).appendingPathComponent("polygons.json"))
        let json = try JSONSerialization.jsonObject(with: data) as! [[String: Any]]
        return try json.map { item in
            let polygons = (item["polygons"] as! [[[[Double]]]]).map { rings in
                Polygon(rings.map { ring in ring.map { Position(longitude: $0[1], latitude: $0[0]) } })
            }
            return Case(
                geometry: polygons.count == 1 ? .polygon(polygons[0]) : .multiPolygon(polygons),
                resolution: try H3Resolution(item["res"] as! Int),
                center: Set(try (item["center"] as! [String]).map { try H3Cell($0) }),
                overlap: Set(try (item["overlap"] as! [String]).map { try H3Cell($0) })
            )
        }
    }

    @Test(arguments: H3Vectors.sets)
    func coversMatchReferenceInBothModes(set: String) throws {
        var failures: [String] = []
        var extraInOverlap = 0
        for (i, c) in try Self.cases(set).enumerated() {
            let centre = try H3Polyfill.cells(covering: c.geometry, at: c.resolution, containment: .center)
            let overlap = try H3Polyfill.cells(covering: c.geometry, at: c.resolution, containment: .overlap)
            if Set(centre) != c.center {
                failures.append(
                    "case \(i) centre: \(Set(centre).subtracting(c.center).count) extra, \(c.center.subtracting(centre).count) missing"
                )
            }
            if Set(overlap) != c.overlap {
                failures.append(
                    "case \(i) overlap: \(Set(overlap).subtracting(c.overlap).count) extra, \(c.overlap.subtracting(overlap).count) missing"
                )
            }
            if c.overlap.count > c.center.count { extraInOverlap += 1 }
        }
        #expect(failures.isEmpty, "\(failures)")
        #expect(extraInOverlap > 0)
    }

    @Test func badPolygonsAreRefused() throws {
        let res = try H3Resolution(5)
        let outOfRange = Geometry.polygon(Polygon([[Position(0, 0), Position(1, 95), Position(1, 0), Position(0, 0)]]))
        #expect(throws: H3Error.self) { try H3Polyfill.cells(covering: outOfRange, at: res) }
        let line = Geometry.lineString(LineString([Position(0, 0), Position(1, 1)]))
        #expect(throws: H3Error.self) { try H3Polyfill.cells(covering: line, at: res) }
        let degenerate = Geometry.polygon(Polygon([[Position(0, 0), Position(1, 1)]]))
        #expect(throws: H3Error.self) { try H3Polyfill.cells(covering: degenerate, at: res) }
    }
}
