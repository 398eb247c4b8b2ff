import Testing

@testable import TesseraGrids

@Suite struct H3GridDistanceTests {
    /// The error code that stands for the exception PyPI h3 raises.
    static func code(_ referenceError: Substring) -> H3Error.Code? {
        switch referenceError {
        case "H3FailedError": .outOfReach
        case "H3PentagonError": .pentagonDistortion
        case "H3ResMismatchError": .resolutionMismatch
        case "H3CellInvalidError": .invalidCell
        default: nil
        }
    }

    /// What `body` gave, in the vectors' notation: the value, or the reference exception's name.
    static func outcome<T>(_ body: () throws(H3Error) -> T, _ show: (T) -> String) -> String {
        do {
            return show(try body())
        } catch {
            return "error \(error.code)"
        }
    }

    static func expected(_ field: Substring) -> String {
        if let c = code(field) { return "error \(c)" }
        return String(field)
    }

    @Test(arguments: H3Vectors.sets)
    func distancesAndLocalCoordinatesMatchReference(set: String) throws {
        var failures: [String] = []
        var distances = 0
        var refusals = 0
        var refusalsNearPentagons = 0
        for row in try H3Vectors.lines("distances.txt", in: H3Vectors.directory(set)) {
            let a = try H3Vectors.cell(row[0])
            let b = try H3Vectors.cell(row[1])
            let gotDistance = Self.outcome({ () throws(H3Error) in try a.gridDistance(to: b) }, { String($0) })
            if gotDistance != Self.expected(row[2]) {
                failures.append("distance \(a) → \(b): got \(gotDistance), want \(row[2])")
            }
            let gotIJ = Self.outcome({ () throws(H3Error) in try a.localIJ(of: b) }, { "\($0.i),\($0.j)" })
            if gotIJ != Self.expected(row[3]) {
                failures.append("local ij \(a) → \(b): got \(gotIJ), want \(row[3])")
            }
            if Self.code(row[2]) == nil {
                distances += 1
            } else {
                refusals += 1
                if H3BaseCells.pentagon[a.baseCell] != 0 || H3BaseCells.pentagon[b.baseCell] != 0 {
                    refusalsNearPentagons += 1
                }
            }
            if failures.count > 10 { break }
        }
        #expect(failures.isEmpty, "\(failures)")
        #expect(distances > 1000)
        #expect(refusalsNearPentagons > 50, "the vectors should include pentagon pairs the reference refuses")
        #expect(refusals > refusalsNearPentagons, "and pairs too far apart")
    }

    @Test(arguments: H3Vectors.sets)
    func localCoordinatesToCellMatchReference(set: String) throws {
        var failures: [String] = []
        var found = 0
        var distortions = 0
        for row in try H3Vectors.lines("localij.txt", in: H3Vectors.directory(set)) {
            let origin = try H3Vectors.cell(row[0])
            let ij = H3LocalIJ(i: Int32(row[1])!, j: Int32(row[2])!)
            let got = Self.outcome({ () throws(H3Error) in try origin.cell(atLocalIJ: ij) }, { $0.description })
            if got != Self.expected(row[3]) { failures.append("\(origin) at \(ij): got \(got), want \(row[3])") }
            if Self.code(row[3]) == nil { found += 1 }
            if row[3] == "H3PentagonError" { distortions += 1 }
            if failures.count > 10 { break }
        }
        #expect(failures.isEmpty, "\(failures)")
        #expect(found > 1000)
        #expect(distortions > 10, "the vectors should land in pentagon distortion")
    }

    @Test func localCoordinatesRoundTrip() throws {
        let origin = try H3Cell("8928308280fffff")
        for cell in try origin.disk(radius: 5) {
            let ij = try origin.localIJ(of: cell)
            #expect(try origin.cell(atLocalIJ: ij) == cell)
            #expect(try origin.gridDistance(to: cell) == (try cell.gridDistance(to: origin)))
        }
        #expect(try origin.gridDistance(to: origin) == 0)
    }

    @Test func differentResolutionsAreRefused() throws {
        let a = try H3Cell("8928308280fffff")
        let b = try a.parent(at: H3Resolution(8))
        #expect {
            try a.gridDistance(to: b)
        } throws: { error in
            (error as? H3Error)?.code == .resolutionMismatch
        }
    }
}
