import Testing

@testable import TesseraGrids

@Suite struct H3GridDiskTests {
    @Test(arguments: H3Vectors.sets)
    func disksMatchReference(set: String) throws {
        var failures: [String] = []
        var pentagons = 0
        for row in try H3Vectors.lines("disks.txt", in: H3Vectors.directory(set)) {
            let cell = try H3Vectors.cell(row[0])
            let k = Int(row[1])!
            let want = try H3Vectors.cells(row[2])
            let got = try cell.disk(radius: k)
            if Set(got) != want || got.count != want.count { failures.append("disk \(k) of \(cell)") }
            if cell.isPentagon && k > 0 { pentagons += 1 }
            if failures.count > 10 { break }
        }
        #expect(failures.isEmpty, "\(failures)")
        #expect(pentagons > 0, "the vectors should include disks around pentagons")
    }

    @Test(arguments: H3Vectors.sets)
    func neighbourTestMatchesReference(set: String) throws {
        var failures: [String] = []
        var yes = 0
        for row in try H3Vectors.lines("neighbors.txt", in: H3Vectors.directory(set)) {
            let a = try H3Vectors.cell(row[0])
            let b = try H3Vectors.cell(row[1])
            let want = row[2] == "1"
            if want { yes += 1 }
            if a.isNeighbor(of: b) != want { failures.append("\(a) \(b) want \(want)") }
            if failures.count > 10 { break }
        }
        #expect(failures.isEmpty, "\(failures)")
        #expect(yes > 0)
    }

    @Test func negativeRadiusIsRefused() throws {
        let cell = try H3Cell("8928308280fffff")
        #expect(throws: H3Error.self) { try cell.disk(radius: -1) }
    }
}
