import Testing

@testable import TesseraGrids

@Suite struct H3BoundaryTests {
    static let tolerance = 1e-9

    static func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= tolerance }

    @Test(arguments: H3Vectors.sets)
    func centresAndBoundariesMatchReference(set: String) throws {
        var failures: [String] = []
        var distortionVertices = 0
        for row in try H3Vectors.lines("cells.txt", in: H3Vectors.directory(set)) {
            let cell = try H3Vectors.cell(row[0])
            let centre = cell.center
            let wantLat = try H3Vectors.double(row[1])
            let wantLng = try H3Vectors.double(row[2])
            if !Self.close(centre.latitude, wantLat) || !Self.close(centre.longitude, wantLng) {
                failures.append("\(cell) centre \(centre) want \(row[1]) \(row[2])")
            }
            let boundary = cell.boundary
            let n = Int(row[3])!
            if n > 6 || (cell.isPentagon && n > 5) { distortionVertices += 1 }
            if boundary.count != n {
                failures.append("\(cell) has \(boundary.count) vertices, want \(n)")
                continue
            }
            for (i, v) in boundary.enumerated() {
                let lat = try H3Vectors.double(row[4 + 2 * i])
                let lng = try H3Vectors.double(row[5 + 2 * i])
                if !Self.close(v.latitude, lat) || !Self.close(v.longitude, lng) {
                    failures.append("\(cell) vertex \(i) \(v) want \(lat) \(lng)")
                }
            }
            if failures.count > 10 { break }
        }
        #expect(failures.isEmpty, "\(failures)")
        #expect(distortionVertices > 0, "the vectors should include Class III cells with distortion vertices")
    }
}
