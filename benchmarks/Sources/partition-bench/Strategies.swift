// The partitioners compared: Tessera's map and three baselines, behind one small interface.
import Foundation
import TesseraGrids

/// One reading as every strategy sees it: its curve position (finest cell), its cell at the grid's
/// level (as the grid's cell key), and the hash of its device.
struct Routed {
    var position: UInt64
    var cell: UInt64
    var key: UInt64
}

protocol Strategy: AnyObject {
    var name: String { get }
    /// The partition of one reading.
    func route(_ r: Routed) -> Int
    /// The partition of a cell (for coherence): the reading-free answer.
    func route(cell: UInt64) -> Int
    /// Sees the window's readings and adapts (or not).
    func endWindow(_ window: [Routed])
}

/// Kafka's way: the partition is a hash of the cell, modulo N.
final class HashStrategy: Strategy {
    let n: UInt64
    init(partitions: Int) { n = UInt64(partitions) }
    var name: String { "hash of cell" }
    func route(_ r: Routed) -> Int { route(cell: r.cell) }
    @inline(__always) func route(cell: UInt64) -> Int { Int(PartitionKey.hash(cell) % n) }
    func endWindow(_ window: [Routed]) {}
}

/// Grouping by the cell's ancestor `levels` up, hashed modulo N.
final class ParentStrategy: Strategy {
    let n: UInt64
    let grid: PartitionGrid
    let level: Int
    init(partitions: Int, grid: PartitionGrid, levels: Int) {
        n = UInt64(partitions)
        self.grid = grid
        level = grid.level - levels
    }
    var name: String { "parent cell, \(grid.level - level) levels up" }
    func route(_ r: Routed) -> Int { route(cell: r.cell) }
    @inline(__always) func route(cell: UInt64) -> Int { Int(PartitionKey.hash(grid.cellKey(cell, level: level)) % n) }
    func endWindow(_ window: [Routed]) {}
}

/// Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam 2018), c = 1.25: each cell,
/// heaviest first by the last window's load, goes to the first partition clockwise on the ring
/// (100 virtual nodes per partition) whose load stays within c × the mean; cells not seen yet go
/// to their plain ring position.
final class BoundedConsistentHashing: Strategy {
    let n: Int
    let c: Double
    var ring: [(UInt64, Int)] = []
    var assignment: [UInt64: Int] = [:]
    init(partitions: Int, c: Double = 1.25) {
        n = partitions
        self.c = c
        for p in 0..<partitions {
            for v in 0..<100 { ring.append((PartitionKey.hash(UInt64(p) << 32 | UInt64(v)), p)) }
        }
        ring.sort { $0.0 < $1.0 }
    }
    var name: String { "consistent hashing, bounded loads c = 1.25" }

    func ringIndex(_ h: UInt64) -> Int {
        var low = 0
        var high = ring.count
        while low < high {
            let middle = (low + high) / 2
            if ring[middle].0 < h { low = middle + 1 } else { high = middle }
        }
        return low == ring.count ? 0 : low
    }

    func route(_ r: Routed) -> Int { route(cell: r.cell) }
    func route(cell: UInt64) -> Int { assignment[cell] ?? ring[ringIndex(PartitionKey.hash(cell))].1 }

    func endWindow(_ window: [Routed]) {
        var load: [UInt64: Double] = [:]
        for r in window { load[r.cell, default: 0] += 1 }
        let capacity = c * Double(window.count) / Double(n)
        var bins = [Double](repeating: 0, count: n)
        var next: [UInt64: Int] = [:]
        next.reserveCapacity(load.count)
        for (cell, w) in load.sorted(by: { $0.value > $1.value }) {
            var i = ringIndex(PartitionKey.hash(cell))
            var chosen = -1
            for _ in 0..<ring.count {
                let p = ring[i].1
                if bins[p] + w <= capacity {
                    chosen = p
                    break
                }
                i = (i + 1) % ring.count
            }
            if chosen < 0 { chosen = bins.indices.min { bins[$0] < bins[$1] }! }
            bins[chosen] += w
            next[cell] = chosen
        }
        assignment = next
    }
}

/// Tessera: the partition map, fed by the load sketch, rebalanced once per window.
final class TesseraStrategy: Strategy {
    var map: PartitionMap
    var sketch: LoadSketch
    let balancer = PartitionBalancer()
    var plans: [PartitionBalancer.Plan] = []
    /// Whether the first map is cut from the first window's load (a subscription with load but no
    /// consumers yet) rather than kept uniform and balanced step by step.
    let warm: Bool
    init(grid: PartitionGrid, partitions: Int, warm: Bool = false) throws {
        self.warm = warm
        map = try PartitionMap(uniform: grid, partitions: partitions)
        sketch = LoadSketch(
            grid: grid,
            capacity: Int(ProcessInfo.processInfo.environment["SKETCH"] ?? "") ?? 65_536,
            decay: Double(ProcessInfo.processInfo.environment["DECAY"] ?? "") ?? 0.1
        )
    }
    var name: String { warm ? "Tessera, first map cut from window 0" : "Tessera partition map" }
    @inline(__always) func route(_ r: Routed) -> Int { map.partition(of: r.position, key: r.key) }
    func route(cell: UInt64) -> Int {
        // A cell key is a position inside the cell (H3: its last; S2: its centre).
        map.partition(of: cell, key: 0)
    }
    func endWindow(_ window: [Routed]) {
        for r in window { sketch.record(r.position) }
        if warm, map.epoch == 1,
            let first = try? PartitionMap(
                balanced: map.grid,
                partitions: map.partitionCount,
                load: sketch.items,
                epoch: 2
            )
        {
            map = first
            sketch.closeWindow()
            return
        }
        let plan = balancer.rebalance(map, load: sketch.items, refined: sketch.refined)
        if ProcessInfo.processInfo.environment["DEBUG"] != nil {
            let hottest = sketch.items.max { $0.cellLoad < $1.cellLoad }
            print(
                "refine \(plan.refine.count) coarsen \(plan.coarsen.count) spread \(plan.spread.count) refined \(sketch.refined.count) hottest \(hottest.map { "\($0.cellLoad) level \(sketch.grid.level(ofKey: $0.cell ?? 0))" } ?? "-") total \(sketch.total)"
            )
        }
        for (key, level) in plan.refine { sketch.refine(key, to: level) }
        for key in plan.coarsen { sketch.coarsen(key) }
        if let next = plan.map { map = next }
        plans.append(plan)
        sketch.closeWindow()
    }
}
