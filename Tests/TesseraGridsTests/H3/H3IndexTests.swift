import Testing

@testable import TesseraGrids

@Suite struct H3IndexTests {
    @Test(arguments: H3Vectors.sets)
    func latLngToCellMatchesReference(set: String) throws {
        let rows = try H3Vectors.lines("points.txt", in: H3Vectors.directory(set))
        var resolutionsSeen = Set<Int>()
        var mismatches: [String] = []
        for row in rows {
            let point = try H3LatLng(latitude: try H3Vectors.double(row[0]), longitude: try H3Vectors.double(row[1]))
            let res = try H3Resolution(Int(row[2])!)
            let got = point.cell(at: res)
            resolutionsSeen.insert(res.value)
            if got.description != row[3] && mismatches.count < 10 {
                mismatches.append("\(point) res \(res): got \(got), want \(row[3])")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
        #expect(resolutionsSeen == Set(0...15))
        if set == "full" { #expect(rows.count >= 1_000_000) }
    }

    @Test func textAndIntegerForms() throws {
        let cell = try H3Cell("8928308280fffff")
        #expect(cell.rawValue == 0x8928308280fffff)
        #expect(cell.description == "8928308280fffff")
        #expect(try H3Cell("0x8928308280FFFFF") == cell)
        #expect(try H3Cell(UInt64(0x8928308280fffff)) == cell)
        #expect(cell.resolution.value == 9)
        #expect(cell.baseCell == 20)
        #expect(!cell.isPentagon)
        let pentagon = try H3Cell("8009fffffffffff")
        #expect(pentagon.isPentagon)
        #expect(pentagon.baseCell == 4)
    }

    @Test(arguments: [
        "", "xyz", "8928308280fffffff", "8928308280fffg", "-892830828",
    ])
    func malformedTextIsRefused(text: String) {
        #expect(throws: H3Error.self) { try H3Cell(text) }
        do {
            _ = try H3Cell(text)
        } catch {
            #expect(error.code == .malformedCell || error.code == .invalidCell)
            #expect(error.field == "cell")
        }
    }

    @Test(
        arguments: [UInt64](
            arrayLiteral:
                0,
            0x8928308280ffff7,
            0x0928308280fffff,
            0x89f4308280fffff,
            0x8128308280fffff,
            0x8009fffffffffff | (1 << 63),
            0x8109fffffffffff & ~(UInt64(7) << 42) | (UInt64(1) << 42)
        )
    )
    func invalidIndicesAreRefused(value: UInt64) {
        #expect(!H3Cell.isValid(value))
        #expect(throws: H3Error.self) { try H3Cell(value) }
    }

    @Test func validityAgreesOnReferenceCells() throws {
        for row in try H3Vectors.lines("cells.txt", in: H3Vectors.sampleDirectory) {
            let cell = try H3Cell(row[0])
            #expect(H3Cell.isValid(cell.rawValue))
            // Flipping a digit past the resolution to something other than 7 invalidates it.
            if cell.resolution.value < 15 {
                #expect(!H3Cell.isValid(H3Bits.setDigit(cell.rawValue, 15, 0)))
            }
        }
    }

    @Test(
        arguments: [(Double, Double)](
            arrayLiteral: (.nan, 0),
            (0, .nan),
            (91, 0),
            (-90.0001, 0),
            (0, 180.5),
            (.infinity, 0),
            (0, -.infinity)
        )
    )
    func badCoordinatesAreRefused(lat: Double, lng: Double) {
        do {
            _ = try H3LatLng(latitude: lat, longitude: lng)
            Issue.record("accepted \(lat), \(lng)")
        } catch {
            #expect(error.code == .latitudeDomain || error.code == .longitudeDomain)
            #expect(error.field == "latitude" || error.field == "longitude")
        }
    }

    @Test(arguments: [-1, 16, 100, Int.min])
    func badResolutionsAreRefused(value: Int) {
        do {
            _ = try H3Resolution(value)
            Issue.record("accepted resolution \(value)")
        } catch {
            #expect(error.code == .resolutionDomain)
            #expect(error.field == "resolution")
        }
    }
}
