import Foundation
import TesseraTestSupport
import Testing

@testable import TesseraGrids

@Suite struct LoadSketchTests {
    /// Positions of `count` distinct level-13 S2 cells, and a Zipf(1.1) draw over them.
    static func zipfStream(_ rng: inout SeededGenerator, cells: Int, records: Int, grid: PartitionGrid) -> [UInt64] {
        let positions = (0..<cells).map { _ in
            grid.cellStart(UInt64.random(in: 0..<grid.positionLimit, using: &rng), level: grid.level)
        }
        var cumulative: [Double] = []
        var sum = 0.0
        for rank in 1...cells {
            sum += 1 / pow(Double(rank), 1.1)
            cumulative.append(sum)
        }
        return (0..<records).map { _ in
            let u = Double.random(in: 0..<sum, using: &rng)
            var low = 0
            var high = cells - 1
            while low < high {
                let middle = (low + high) / 2
                if cumulative[middle] < u { low = middle + 1 } else { high = middle }
            }
            return positions[low] + 1
        }
    }

    @Test func estimatesStayWithinTheBoundAndNoLoadIsLost() throws {
        var rng = SeededGenerator(seed: 17)
        let grid = try PartitionGrid(.s2, level: 13)
        var sketch = LoadSketch(grid: grid, capacity: 2_048, tailCapacity: 256, decay: 0.5)
        var recent: [UInt64: Double] = [:]
        var exact: [UInt64: Double] = [:]
        for window in 0..<3 {
            recent = [:]
            for position in Self.zipfStream(&rng, cells: 50_000, records: 100_000, grid: grid) {
                sketch.record(position)
                exact[grid.cellKey(position, level: grid.level), default: 0] += 1
                recent[grid.cellKey(position, level: grid.level), default: 0] += 1
            }
            if window < 2 {
                sketch.closeWindow()
                for key in exact.keys { exact[key]! *= 0.5 }
            }
        }
        let total = exact.values.reduce(0, +)
        #expect(abs(sketch.total - total) < 1e-6 * total)
        #expect(sketch.sizes.fine <= 2_048)
        #expect(sketch.sizes.tail <= 3 * 256)
        let bound = sketch.errorBound
        #expect(bound == 2 * sketch.total / 2_048)
        var held = 0
        for (key, truth) in exact {
            let estimate = sketch.estimate(ofKey: key)
            #expect(estimate <= truth + 1e-9)
            #expect(estimate >= truth - bound - 1e-9)
            if truth > bound {
                #expect(estimate > 0)
                held += 1
            }
        }
        #expect(held > 50)
        // Every unit of load is somewhere: fine, tail or root.
        let listed = sketch.items.reduce(0) { $0 + $1.load }
        #expect(abs(listed - total) < 1e-6 * total)
        // So is the open window's.
        #expect(sketch.recentTotal == 100_000)
        #expect(abs(sketch.items.reduce(0) { $0 + $1.recent } - 100_000) < 1e-6 * 100_000)
        #expect(recent.values.reduce(0, +) == 100_000)
        #expect(zip(sketch.items, sketch.items.dropFirst()).allSatisfy { $0.position < $1.position })
    }

    @Test func aRefinedCellIsCountedByItsChildren() throws {
        let grid = try PartitionGrid(.s2, level: 10, finestLevel: 12)
        var sketch = LoadSketch(grid: grid)
        let cell = try S2LatLng(latitude: 52.52, longitude: 13.40).cell(at: try S2Level(10))
        let children = cell.children
        for child in children { sketch.record(child.rangeMin.id, weight: 2) }
        #expect(sketch.estimate(ofKey: cell.id) == 8)
        sketch.refine(cell.id)
        for child in children { sketch.record(child.rangeMin.id, weight: 1) }
        for child in children { #expect(sketch.estimate(ofKey: child.id) == 1) }
        #expect(sketch.countingLevel(of: children[0].rangeMin.id) == 11)
        // Refining a child too goes one more level; past the finest level nothing changes.
        sketch.refine(children[0].id)
        #expect(sketch.countingLevel(of: children[0].rangeMin.id) == 12)
        sketch.refine(children[0].children[0].id)
        #expect(sketch.countingLevel(of: children[0].rangeMin.id) == 12)
        sketch.coarsen(cell.id)
        #expect(sketch.refined.isEmpty)
        #expect(sketch.estimate(ofKey: cell.id) == 12)
        #expect(abs(sketch.items.reduce(0) { $0 + $1.load } - 12) < 1e-9)
    }

    @Test func badWeightsAreIgnored() throws {
        var sketch = LoadSketch(grid: try PartitionGrid(.h3, level: 9))
        sketch.record(12345, weight: .nan)
        sketch.record(12345, weight: -1)
        sketch.record(12345, weight: .infinity)
        #expect(sketch.total == 0)
        #expect(sketch.items.isEmpty)
    }
}
