// Skew-aware partitions side by side: Tessera's map and three baselines on the same load, in one run.
//
// Usage: partition-bench [--grid h3|s2|both] [--partitions N] [--windows W] [--points P]
//                        [--scenario NAME]... [--geonames FILE]
// Prints, per grid and scenario, for each strategy: max/mean load (mean of the last 5 windows, and
// the worst after the first 10), coherence (the share of pairs of neighbouring active cells that land
// in the same partition), load and active cells moved per window, lookups per second (one core), and for the moving
// hot spot the windows each jump took to get back under 1.1.
// Environment: SKETCH=N (the sketch's fine cells, default 65,536), DECAY=x (default 0.1), DEBUG=1
// (the balancer's plan per window and the most loaded partition at the end).
import Foundation
import TesseraGrids

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

var arguments = Array(CommandLine.arguments.dropFirst())
@MainActor func option(_ name: String) -> [String] {
    var out: [String] = []
    var i = 0
    while i < arguments.count {
        if arguments[i] == name, i + 1 < arguments.count {
            out.append(arguments[i + 1])
            arguments.removeSubrange(i...(i + 1))
        } else {
            i += 1
        }
    }
    return out
}
let grids = option("--grid").last ?? "both"
let partitions = Int(option("--partitions").last ?? "") ?? 64
let windows = Int(option("--windows").last ?? "") ?? 30
let pointsPerWindow = Int(option("--points").last ?? "") ?? 200_000
let geonames = option("--geonames").last
var scenarios = option("--scenario").compactMap(Scenario.init(rawValue:))
if scenarios.isEmpty { scenarios = Scenario.allCases.filter { $0 != .geonames || geonames != nil } }

func imbalance(_ loads: [Double]) -> Double {
    let mean = loads.reduce(0, +) / Double(loads.count)
    return mean > 0 ? loads.max()! / mean : 1
}

func neighbours(_ key: UInt64, _ grid: PartitionGrid) -> [UInt64] {
    switch grid.system {
    case .h3:
        guard let cell = grid.h3Cell(at: key, level: grid.level), let disk = try? cell.disk(radius: 1) else {
            return []
        }
        return disk.filter { $0 != cell }.map { grid.position(of: $0) }
    case .s2:
        return S2CellID(id: key).edgeNeighbors.map(\.id)
    }
}

@MainActor func run(grid: PartitionGrid, scenario: Scenario) throws {
    let generator = try Generator(scenario, pointsPerWindow: pointsPerWindow, geonames: geonames)
    let tessera = try TesseraStrategy(grid: grid, partitions: partitions)
    let strategies: [Strategy] = [
        tessera, try TesseraStrategy(grid: grid, partitions: partitions, warm: true),
        HashStrategy(partitions: partitions), BoundedConsistentHashing(partitions: partitions),
        ParentStrategy(partitions: partitions, grid: grid, levels: 3),
    ]
    var ratios = [[Double]](repeating: [], count: strategies.count)
    var moved = [[Double]](repeating: [], count: strategies.count)
    var movedCells = [[Int]](repeating: [], count: strategies.count)
    var last: [Routed] = []
    let started = now()
    for window in 0..<windows {
        let points = generator.points(window: window)
        var routed: [Routed] = []
        routed.reserveCapacity(points.count)
        for p in points {
            let position = try grid.position(latitude: p.lat, longitude: p.lng)
            routed.append(
                Routed(
                    position: position,
                    cell: grid.cellKey(position, level: grid.level),
                    key: PartitionKey.hash(p.device)
                )
            )
        }
        for (s, strategy) in strategies.enumerated() {
            var loads = [Double](repeating: 0, count: partitions)
            var before = [Int32](repeating: 0, count: routed.count)
            for (i, r) in routed.enumerated() {
                let p = strategy.route(r)
                loads[p] += 1
                before[i] = Int32(p)
            }
            ratios[s].append(imbalance(loads))
            strategy.endWindow(routed)
            var changed = 0
            var cellsChanged = Set<UInt64>()
            for (i, r) in routed.enumerated() where strategy.route(r) != before[i] {
                changed += 1
                cellsChanged.insert(r.cell)
            }
            moved[s].append(Double(changed) / Double(routed.count))
            movedCells[s].append(cellsChanged.count)
        }
        last = routed
    }
    let elapsed = now() - started

    // Coherence over the last window's active cells.
    let active = Set(last.map(\.cell))
    var pairs: [(UInt64, UInt64)] = []
    for cell in active {
        for other in neighbours(cell, grid) where other > cell && active.contains(other) { pairs.append((cell, other)) }
    }

    // Lookups: the last window's cells (H3 as cell ids, S2 as cell ids), 10 M lookups, best of 3.
    let cells = last.map(\.cell)
    let h3Cells: [H3Cell] = grid.system == .h3 ? cells.compactMap { grid.h3Cell(at: $0, level: grid.level) } : []
    func lookups(_ s: Strategy) -> Double {
        var best = Double.infinity
        var sink = 0
        let rounds = max(1, 10_000_000 / cells.count)
        for _ in 0..<3 {
            let t0 = now()
            let t = s as? TesseraStrategy
            let map = t?.map ?? tessera.map
            for _ in 0..<rounds {
                if t != nil, grid.system == .h3 {
                    // From the H3 cell id: its curve position, then the map.
                    for cell in h3Cells { sink &+= map.partition(of: grid.position(of: cell)) }
                } else if t != nil {
                    for cell in cells { sink &+= map.partition(of: cell) }
                } else {
                    for cell in cells { sink &+= s.route(cell: cell) }
                }
            }
            best = min(best, (now() - t0) / Double(rounds * cells.count))
        }
        if sink == 42 { print("") }
        return 1 / best
    }

    print("")
    print(
        "### \(grid.system.rawValue) level \(grid.level), \(scenario.rawValue): \(partitions) partitions, "
            + "\(windows) windows × \(pointsPerWindow) readings, \(active.count) active cells, "
            + "\(pairs.count) neighbour pairs (\(String(format: "%.0f", elapsed)) s)"
    )
    print("")
    var header =
        "| strategy | max/mean, last 5 windows | worst max/mean after window 10 | coherence | moved per window, max | mean | cells moved per window, max | lookups/s |"
    var rule = "| --- | --- | --- | --- | --- | --- | --- | --- |"
    if scenario == .movingHotSpot {
        header += " windows to get under 1.1 after each jump |"
        rule += " --- |"
    }
    print(header)
    print(rule)
    for (s, strategy) in strategies.enumerated() {
        let tail = ratios[s].suffix(5)
        let settled = tail.reduce(0, +) / Double(tail.count)
        let worst = ratios[s].dropFirst(10).max() ?? ratios[s].last!
        let same = pairs.reduce(0) { $0 + (strategy.route(cell: $1.0) == strategy.route(cell: $1.1) ? 1 : 0) }
        let coherence = pairs.isEmpty ? 1 : Double(same) / Double(pairs.count)
        // The warm start's first cut is the bootstrap, before any consumer holds state: not a step.
        let steps = (strategy as? TesseraStrategy)?.warm == true ? Array(moved[s].dropFirst()) : moved[s]
        let cellSteps =
            (strategy as? TesseraStrategy)?.warm == true ? Array(movedCells[s].dropFirst()) : movedCells[s]
        let maxCells = cellSteps.max() ?? 0
        let maxMoved = (steps.max() ?? 0) * 100
        let meanMoved = steps.reduce(0, +) / Double(max(1, steps.count)) * 100
        let rate = lookups(strategy) / 1e6
        var line = String(
            format: "| %@ | %.3f | %.3f | %.3f | %.1f %% | %.2f %% | %d | %.1f M |",
            strategy.name,
            settled,
            worst,
            coherence,
            maxMoved,
            meanMoved,
            maxCells,
            rate
        )
        if scenario == .movingHotSpot {
            // Windows from each jump (the window the hot spot arrives) until max/mean ≤ 1.1.
            var recoveries: [String] = []
            var start = Scenario.hotSpotPeriod
            while start < windows {
                var k = 0
                while start + k < windows, k < Scenario.hotSpotPeriod, ratios[s][start + k] > 1.1 { k += 1 }
                recoveries.append(k == Scenario.hotSpotPeriod ? "never" : String(k))
                start += Scenario.hotSpotPeriod
            }
            line += " \(recoveries.joined(separator: ", ")) |"
        }
        print(line)
    }
    if ProcessInfo.processInfo.environment["DEBUG"] != nil {
        let items = tessera.sketch.items
        var loads = [Double](repeating: 0, count: partitions)
        for item in items {
            for o in tessera.map.owners(of: item.position) {
                loads[o] += item.load / Double(tessera.map.owners(of: item.position).count)
            }
        }
        let p = loads.indices.max { loads[$0] < loads[$1] }!
        let mean = loads.reduce(0, +) / Double(partitions)
        print("DEBUG max partition \(p) load \(loads[p]) mean \(mean)")
        for (i, range) in tessera.map.ranges.enumerated() where range.owners.contains(p) {
            let next = i + 1 < tessera.map.rangeCount ? tessera.map.ranges[i + 1].start : UInt64.max
            let inside = items.filter { $0.position >= range.start && $0.position < next }
            let left = i > 0 ? tessera.map.ranges[i - 1].owners : []
            let right = i + 1 < tessera.map.rangeCount ? tessera.map.ranges[i + 1].owners : []
            print(
                "  range \(i) owners \(Set(range.owners).sorted()) items \(inside.count) load \(inside.reduce(0) { $0 + $1.load }) left \(Set(left).sorted()) \(left.first.map { loads[$0] } ?? 0) right \(Set(right).sorted()) \(right.first.map { loads[$0] } ?? 0)"
            )
            for item in inside.sorted(by: { $0.load > $1.load }).prefix(5) {
                print(
                    "    item load \(item.load) cellLoad \(item.cellLoad) level \(item.cell.map { grid.level(ofKey: $0) } ?? -1)"
                )
            }
        }
    }
    print("")
    print("Tessera max/mean per window: " + ratios[0].map { String(format: "%.2f", $0) }.joined(separator: " "))
    print("Tessera moved per window %: " + moved[0].map { String(format: "%.1f", $0 * 100) }.joined(separator: " "))
    if let firstUnder = ratios[0].firstIndex(where: { $0 <= 1.1 }) {
        print("")
        print(
            "Tessera first under 1.1 in window \(firstUnder); ranges: \(tessera.map.rangeCount), epoch \(tessera.map.epoch), refined cells \(tessera.sketch.refined.count), sketch \(tessera.sketch.sizes)"
        )
    } else {
        print("")
        print("Tessera never under 1.1; ranges: \(tessera.map.rangeCount), epoch \(tessera.map.epoch)")
    }
}

var which: [PartitionGrid] = []
if grids == "h3" || grids == "both" { which.append(try PartitionGrid(.h3, level: 9)) }
if grids == "s2" || grids == "both" { which.append(try PartitionGrid(.s2, level: 13)) }
print(
    "partition-bench: \(partitions) partitions; Tessera's balancer: threshold 1.1, target 1.02, at most 4.5 % of the sketched load moved per window; sketch 65,536 fine cells + 3 tail tiers of 32,768, decay 0.1"
)
for grid in which {
    for scenario in scenarios { try run(grid: grid, scenario: scenario) }
}
