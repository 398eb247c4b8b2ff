import Foundation
import TesseraGrids
import Testing

@testable import TesseraServer

/// The `bbox` of a partition: ranges of the curve cut into cells, their bounds unioned.
@Suite struct PartitionBoundsTests {
    typealias Cell = PartitionBounds.Cell

    static func range(of position: UInt64, level: Int, grid: PartitionGrid) -> ClosedRange<UInt64> {
        grid.cellStart(position, level: level)...grid.cellEnd(position, level: level)
    }

    static func near(_ a: Double, _ b: Double, _ tolerance: Double = 1e-6) -> Bool { abs(a - b) <= tolerance }

    @Test func theWholeCurveIsTheTopLevelCells() throws {
        let s2 = try PartitionGrid(.s2, level: 10)
        #expect(PartitionBounds.cells(0...UInt64.max, grid: s2) == (0..<6).map { Cell(start: $0 << 61, level: 0) })
        let h3 = try PartitionGrid(.h3, level: 5)
        let bases = PartitionBounds.cells(0...UInt64.max, grid: h3)
        #expect(bases.count == H3Curve.baseCellCount)
        #expect(bases.allSatisfy { $0.level == 0 })
        #expect(
            PartitionBounds.box(of: [0...UInt64.max], grid: h3) == .init(west: -180, south: -90, east: 180, north: 90)
        )
    }

    @Test func anAlignedRangeIsCutIntoMaximalCells() throws {
        let grid = try PartitionGrid(.s2, level: 10, finestLevel: 14)
        let level1 = grid.mask(at: 1) + 1
        let level2 = grid.mask(at: 2) + 1
        // Face 1 from its second child on, then the first two grandchildren of face 2.
        let start: UInt64 = 1 << 61 + level1
        let cells = PartitionBounds.cells(start...(2 << 61 + 2 * level2 - 1), grid: grid)
        #expect(
            cells == [
                Cell(start: start, level: 1), Cell(start: start + level1, level: 1),
                Cell(start: start + 2 * level1, level: 1), Cell(start: 2 << 61, level: 2),
                Cell(start: 2 << 61 + level2, level: 2),
            ]
        )
        // An end inside a finest cell counts that whole cell.
        #expect(PartitionBounds.cells(5...100, grid: grid) == [Cell(start: 0, level: 14)])
    }

    @Test func holesOfTheH3CurveHaveNoCell() throws {
        let grid = try PartitionGrid(.h3, level: 1, finestLevel: 2)
        let child = grid.mask(at: 1) + 1
        // Digits 6 and 7 of a hexagon base cell: 7 is no cell.
        let hexagon = UInt64(H3Curve.rankOfBaseCell[0]) << 45
        #expect(
            PartitionBounds.cells((hexagon + 6 * child)...(hexagon + 8 * child - 1), grid: grid)
                == [Cell(start: hexagon + 6 * child, level: 1)]
        )
        // A pentagon has no child 1.
        let pentagon = UInt64(H3Curve.rankOfBaseCell[4]) << 45
        #expect(try H3Cell("8009fffffffffff").isPentagon)
        #expect(
            PartitionBounds.cells(pentagon...(pentagon + 3 * child - 1), grid: grid)
                == [Cell(start: pentagon, level: 1), Cell(start: pentagon + 2 * child, level: 1)]
        )
    }

    @Test func aCapOnTheCellsCoarsensTheRest() throws {
        let grid = try PartitionGrid(.s2, level: 20, finestLevel: 30)
        let range: ClosedRange<UInt64> = 12_345...(3 << 61 + 987_654_321)
        let fine = PartitionBounds.cells(range, grid: grid)
        let capped = PartitionBounds.cells(range, grid: grid, limit: 10)
        #expect(fine.count > 20)
        #expect(fine.count < 400)
        #expect(capped.count <= 10 + 6)
        #expect(capped.last?.level == 0)
    }

    @Test func s2FacesAreBoundedByTheirGeodesicEdges() throws {
        let grid = try PartitionGrid(.s2, level: 13)
        let polar = atan(1 / 2.0.squareRoot()) * 180 / Double.pi
        let expected: [(Double, Double, Double, Double)] = [
            (-45, -45, 45, 45), (45, -45, 135, 45), (-180, polar, 180, 90),
            (135, -45, -135, 45), (-135, -45, -45, 45), (-180, -90, 180, -polar),
        ]
        for (face, (west, south, east, north)) in expected.enumerated() {
            let box = try #require(
                PartitionBounds.box(of: [Self.range(of: UInt64(face) << 61, level: 0, grid: grid)], grid: grid)
            )
            #expect(Self.near(box.west, west) && Self.near(box.south, south), "face \(face): \(box)")
            #expect(Self.near(box.east, east) && Self.near(box.north, north), "face \(face): \(box)")
        }
    }

    @Test func aRangeAcrossTheAntimeridianWraps() throws {
        let s2 = try PartitionGrid(.s2, level: 8)
        let west = try s2.position(latitude: 10, longitude: 179.9)
        let east = try s2.position(latitude: 10, longitude: -179.9)
        let box = try #require(
            PartitionBounds.box(
                of: [Self.range(of: west, level: 8, grid: s2), Self.range(of: east, level: 8, grid: s2)],
                grid: s2
            )
        )
        #expect(box.west > box.east, "\(box)")
        #expect(box.west > 179 && box.east < -179, "\(box)")

        // One H3 cell on the antimeridian (H3 cells do not line up with it).
        let h3 = try PartitionGrid(.h3, level: 3)
        let cell = try H3LatLng(latitude: 0, longitude: 180).cell(at: try H3Resolution(3))
        let one = try #require(
            PartitionBounds.box(of: [Self.range(of: h3.position(of: cell), level: 3, grid: h3)], grid: h3)
        )
        #expect(one.west > one.east, "\(one)")
        #expect(one.west > 178 && one.east < -178, "\(one)")
        #expect(one.south < 0 && one.north > 0)
    }

    @Test func theCellOfAPoleReachesItAtEveryLongitude() throws {
        let grid = try PartitionGrid(.h3, level: 2)
        for latitude in [90.0, -90.0] {
            let cell = try H3LatLng(latitude: latitude, longitude: 0).cell(at: try H3Resolution(2))
            let box = try #require(
                PartitionBounds.box(of: [Self.range(of: grid.position(of: cell), level: 2, grid: grid)], grid: grid)
            )
            #expect(box.west == -180 && box.east == 180, "\(box)")
            if latitude > 0 {
                #expect(box.north == 90 && box.south > 85 && box.south < 89.9, "\(box)")
            } else {
                #expect(box.south == -90 && box.north < -85 && box.north > -89.9, "\(box)")
            }
        }
    }

    @Test func anH3BoxHoldsTheCellsEdges() throws {
        // A resolution-0 cell's edges are long: they bulge poleward of the vertices.
        let cell = try H3Cell("8001fffffffffff")
        let grid = try PartitionGrid(.h3, level: 0)
        let box = try #require(
            PartitionBounds.box(of: [Self.range(of: grid.position(of: cell), level: 0, grid: grid)], grid: grid)
        )
        let vertices = cell.boundary.map(\.latitude)
        #expect(box.north >= vertices.max()!)
        #expect(box.south <= vertices.min()!)
        #expect(box.north > vertices.max()! || box.south < vertices.min()!, "an edge bulges past its vertices")
        #expect(box.south <= cell.center.latitude && cell.center.latitude <= box.north)
    }

    @Test func longitudeIntervalsUnionOnTheCircle() {
        func box(_ intervals: [(Double, Double)]) -> PartitionBounds.Box? {
            var union = PartitionBounds.Union()
            for (west, east) in intervals { union.add(.init(south: 0, north: 1, west: west, east: east)) }
            return union.box
        }
        #expect(box([(10, 20), (30, 40)]) == .init(west: 10, south: 0, east: 40, north: 1))
        #expect(box([(170, 180), (-180, -170)]) == .init(west: 170, south: 0, east: -170, north: 1))
        #expect(box([(-170, -160), (160, 170)]) == .init(west: 160, south: 0, east: -160, north: 1))
        #expect(
            box([(175, -175), (-10, 20)]) == .init(west: -10, south: 0, east: -175, north: 1),
            "the narrowest cover leaves out the widest gap"
        )
        #expect(box([(-180, 0), (0, 180)]) == .init(west: -180, south: 0, east: 180, north: 1))
        #expect(box([(100, 90)]) == .init(west: 100, south: 0, east: 90, north: 1), "almost all, wrapping")
        #expect(box([]) == nil)
    }
}
