import Foundation
import TesseraTestSupport
import Testing

@testable import TesseraGrids

@Suite struct PartitionGridTests {
    static func randomPoint(_ rng: inout SeededGenerator) -> (Double, Double) {
        // Uniform on the sphere, so poles and the antimeridian come up as often as they should.
        let lat = asin(Double.random(in: -1...1, using: &rng)) * 180 / .pi
        return (lat, Double.random(in: -180..<180, using: &rng))
    }

    @Test func baseCellsAreVisitedOnceEach() {
        #expect(H3Curve.baseCellOfRank.count == 122)
        #expect(Set(H3Curve.baseCellOfRank).count == 122)
        for (rank, base) in H3Curve.baseCellOfRank.enumerated() {
            #expect(Int(H3Curve.rankOfBaseCell[Int(base)]) == rank)
        }
    }

    /// Consecutive base cells along the curve are mostly neighbours: the point of ordering them.
    @Test func consecutiveBaseCellsAreClose() throws {
        let res0 = try H3Resolution(0)
        var neighbours = 0
        for rank in 0..<121 {
            let a = try #require(try PartitionGrid(.h3, level: 0).h3Cell(at: UInt64(rank) << 45, level: 0))
            let b = try #require(try PartitionGrid(.h3, level: 0).h3Cell(at: UInt64(rank + 1) << 45, level: 0))
            #expect(a.resolution == res0)
            if a.isNeighbor(of: b) { neighbours += 1 }
        }
        // Measured: 117 of 121 steps go to an edge neighbour.
        #expect(neighbours >= 110)
    }

    @Test(arguments: PartitionGrid.System.allCases)
    func cellsAreIntervalsHoldingTheirDescendants(system: PartitionGrid.System) throws {
        var rng = SeededGenerator(seed: 11)
        let grid = try PartitionGrid(system, level: system == .h3 ? 7 : 12)
        for _ in 0..<2_000 {
            let (lat, lng) = Self.randomPoint(&rng)
            let leaf = try grid.position(latitude: lat, longitude: lng)
            for level in 0...grid.maximumLevel {
                let first = grid.cellStart(leaf, level: level)
                let last = grid.cellEnd(leaf, level: level)
                #expect(first <= leaf && leaf <= last)
                let key = grid.cellKey(leaf, level: level)
                #expect(grid.level(ofKey: key) == level)
                #expect((first...last).contains(key))
                if level > 0 {
                    // A cell lies inside its parent's interval.
                    #expect(grid.cellStart(leaf, level: level - 1) <= first)
                    #expect(grid.cellEnd(leaf, level: level - 1) >= last)
                }
            }
            // The leaf position names the same cells the grid library computes.
            switch system {
            case .h3:
                // H3 cells do not nest: the curve's cell at a level is the finest cell's ancestor,
                // which near edges is not the cell containing the point at that resolution.
                let finest = try H3LatLng(latitude: lat, longitude: lng).cell(at: .finest)
                #expect(grid.position(of: finest) == leaf)
                for res in [0, 5, 9, 15] {
                    let cell = try finest.parent(at: try H3Resolution(res))
                    #expect(grid.h3Cell(at: leaf, level: res) == cell)
                    #expect(grid.cellEnd(leaf, level: res) == grid.position(of: cell))
                }
            case .s2:
                let point = try S2LatLng(latitude: lat, longitude: lng)
                for level in [0, 10, 30] {
                    let cell = point.cell(at: try S2Level(level))
                    #expect(grid.s2Cell(at: leaf, level: level) == cell)
                    #expect(grid.cellKey(leaf, level: level) == cell.id)
                }
            }
        }
    }

    @Test func holesOfTheH3CurveNameNoCell() throws {
        let grid = try PartitionGrid(.h3, level: 9)
        #expect(grid.h3Cell(at: 122 << 45, level: 0) == nil)
        // Digit 7 at resolution 1 is a hole.
        #expect(grid.h3Cell(at: 7 << 42, level: 1) == nil)
        #expect(grid.h3Cell(at: 0, level: 1) != nil)
    }

    @Test func levelsOutOfRangeAreRefused() {
        #expect(throws: PartitionError.self) { try PartitionGrid(.h3, level: 16) }
        #expect(throws: PartitionError.self) { try PartitionGrid(.s2, level: -1) }
        #expect(throws: PartitionError.self) { try PartitionGrid(.s2, level: 10, finestLevel: 9) }
        #expect(throws: PartitionError.self) { try PartitionGrid(.h3, level: 9).position(latitude: 91, longitude: 0) }
        #expect((try? PartitionGrid(.h3, level: 9))?.finestLevel == 12)
        #expect((try? PartitionGrid(.s2, level: 13))?.finestLevel == 17)
    }
}
