import TesseraGeometry
import Testing

@Suite struct GeometryValidatorTests {
    let validator = GeometryValidator()

    func polygon(_ rings: [[(Double, Double)]]) -> Geometry {
        .polygon(Polygon(rings.map { $0.map { Position($0.0, $0.1) } }))
    }

    @Test func acceptsValidGeometries() {
        #expect(validator.validate(polygon([[(0, 0), (1, 0), (1, 1), (0, 0)]])).isEmpty)
        #expect(validator.validate(.lineString(LineString([Position(0, 0), Position(179.9, 89.9)]))).isEmpty)
        #expect(validator.validate(.geometryCollection([])).isEmpty)
    }

    @Test func reportsSelfIntersectionWithGEOSReasonAndLocation() throws {
        let bowtie = polygon([[(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)]])
        let issues = validator.validate(bowtie)
        let issue = try #require(issues.first)
        #expect(issue.code == .topology)
        #expect(issue.reason.contains("Self-intersection"))
        #expect(issue.location == Position(1, 1))
    }

    @Test func reportsHoleOutsideShell() throws {
        let g = polygon([[(0, 0), (1, 0), (1, 1), (0, 0)], [(5, 5), (6, 5), (6, 6), (5, 5)]])
        let issue = try #require(validator.validate(g).first)
        #expect(issue.code == .topology)
        #expect(issue.reason.contains("Hole lies outside shell"))
    }

    @Test func reportsCoordinateProblemsWithTheirPath() {
        let g = Geometry.multiPolygon([
            Polygon([[Position(0, 0), Position(1, 0), Position(1, 1), Position(0, 0)]]),
            Polygon([[Position(0, 0), Position(.nan, 0), Position(181, 91), Position(0, 0.5)]]),
        ])
        let issues = validator.validate(g)
        #expect(issues.map(\.code) == [.nonFinite, .longitudeOutOfRange, .latitudeOutOfRange, .unclosedRing])
        #expect(issues[0].path == "coordinates[1][0][1]")
        #expect(issues[1].path == "coordinates[1][0][2]")
        #expect(issues[3].path == "coordinates[1][0]")
    }

    @Test func reportsTooFewPoints() {
        let issues = validator.validate(.geometryCollection([.lineString(LineString([Position(0, 0)]))]))
        #expect(issues.map(\.code) == [.tooFewPoints])
        #expect(issues[0].path == "geometries[0].coordinates")
        #expect(validator.validate(polygon([[(0, 0), (1, 0), (0, 0)]])).map(\.code) == [.tooFewPoints])
    }

    @Test func repairsBowtieIntoValidMultiPolygon() throws {
        let fixed = try validator.repaired(polygon([[(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)]]))
        #expect(validator.validate(fixed).isEmpty)
        guard case .multiPolygon(let parts) = fixed else {
            Issue.record("expected a multipolygon, got \(fixed.typeName)")
            return
        }
        #expect(parts.count == 2)
    }

    @Test func repairClosesUnclosedRingsButRefusesOutOfRange() throws {
        let open = polygon([[(0, 0), (1, 0), (1, 1), (0, 1)]])
        #expect(validator.validate(try validator.repaired(open)).isEmpty)
        #expect(throws: GeometryOperationError.self) {
            try validator.repaired(polygon([[(0, 0), (200, 0), (1, 1), (0, 0)]]))
        }
    }

    @Test func normalisationMakesEquivalentDrawingsEqual() throws {
        let a = polygon([[(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)]])
        let b = polygon([[(1, 1), (1, 0), (0, 0), (0, 1), (1, 1)]])  // other start, other direction
        #expect(a != b)
        #expect(try validator.normalized(a) == validator.normalized(b))
        let c = polygon([[(0, 0), (2, 0), (2, 2), (0, 2), (0, 0)]])
        #expect(try validator.normalized(a) != validator.normalized(c))
    }
}
