/// Decayed load per cell in bounded memory: hot cells exactly, the long tail by coarser cells.
///
/// Tiers of cells: **fine** cells at the grid's level (or finer, inside a cell the balancer asked
/// to ``refine(_:)``), at most `capacity` of them; then **tail** tiers one level coarser each, for
/// `tailLevels` levels, at most `tailCapacity` cells each; and last the **root** cells (H3 base
/// cells, S2 faces). When a tier outgrows its capacity it is compacted as Misra and Gries do, in a
/// batch: the median count is subtracted from every entry, entries that reach zero leave, and what
/// was subtracted from each entry is added to its parent in the next tier. So no load is ever
/// lost, only blurred to the nearest coarser cell that has room, and:
///
/// - the loads of all tiers add up to ``total`` exactly;
/// - a fine cell's estimate is at most its true decayed load and at least that minus
///   ``errorBound`` (`2 × total / capacity`); a cell missing from the fine tier has at most that;
///   so every cell carrying more than `errorBound` is held.
///
/// ``closeWindow()`` multiplies every load by `decay` (default 0.1: the last window, a tenth of the
/// one before, a hundredth of the one before that; measured on a moving hot spot, a longer memory
/// keeps the map balancing where the load was), so a load is `Σ decayᵃᵍᵉ × weight`, with age in
/// windows. Each entry also keeps the weight of the open window alone (``LoadItem/recent``), so
/// that the balancer can bound what a step moves in today's traffic, not only in the decayed sum
/// (a hot spot that has just arrived weighs more today than in the decayed sum). Recording costs one dictionary update; a compaction (every `capacity / 2` new cells
/// at most) sorts the counts once.
public struct LoadSketch: Sendable {
    public let grid: PartitionGrid
    public let capacity: Int
    public let tailCapacity: Int
    /// The factor applied to every load at the end of a window, in (0, 1].
    public let decay: Double

    /// The level of each tier after the fine one: the tail tiers, then 0 (the root).
    private let levels: [Int]
    private var fine: [UInt64: Load] = [:]
    /// The tail tiers and, last, the root.
    private var coarse: [[UInt64: Load]]
    /// Cells (keys) counted at a finer level instead of themselves: key → the level of the cells
    /// counted inside it.
    public private(set) var refined: [UInt64: Int] = [:]
    /// The decayed sum of every weight recorded.
    public private(set) var total: Double = 0
    /// The weight recorded in the open window.
    public private(set) var recentTotal: Double = 0

    struct Load {
        var decayed: Double
        var recent: Double
    }
    /// The most a fine estimate can fall short of the truth.
    public var errorBound: Double { 2 * total / Double(capacity) }

    public init(
        grid: PartitionGrid,
        capacity: Int = 65_536,
        tailCapacity: Int = 32_768,
        tailLevels: Int = 3,
        decay: Double = 0.1
    ) {
        self.grid = grid
        self.capacity = max(2, capacity)
        self.tailCapacity = max(2, tailCapacity)
        self.decay = min(1, max(0.000_001, decay))
        let tails = (1...max(1, tailLevels)).map { grid.level - $0 }.filter { $0 > 0 }
        levels = tails + [0]
        coarse = Array(repeating: [:], count: levels.count)
    }

    /// How many cells each tier holds: fine, the tail tiers together, root.
    public var sizes: (fine: Int, tail: Int, root: Int) {
        (fine.count, coarse.dropLast().reduce(0) { $0 + $1.count }, coarse.last?.count ?? 0)
    }

    /// The level at which `position` is counted: the grid's, or finer inside a refined cell.
    @inlinable
    public func countingLevel(of position: UInt64) -> Int {
        var level = grid.level
        if refined.isEmpty { return level }
        while level < grid.finestLevel, let target = refined[grid.cellKey(position, level: level)] {
            level = max(level + 1, min(target, grid.finestLevel))
        }
        return level
    }

    /// Adds `weight` (a reading, a change, or its bytes) at `position`.
    public mutating func record(_ position: UInt64, weight: Double = 1) {
        guard weight > 0, weight.isFinite else { return }
        let key = grid.cellKey(position, level: countingLevel(of: position))
        fine[key, default: Load(decayed: 0, recent: 0)].decayed += weight
        fine[key]!.recent += weight
        total += weight
        recentTotal += weight
        guard fine.count > capacity else { return }
        Self.compact(&fine, into: &coarse[0], level: levels[0], grid: grid)
        for tier in 0..<(levels.count - 1) where coarse[tier].count > tailCapacity {
            var table = coarse[tier]
            Self.compact(&table, into: &coarse[tier + 1], level: levels[tier + 1], grid: grid)
            coarse[tier] = table
        }
    }

    private static func compact(
        _ table: inout [UInt64: Load],
        into parent: inout [UInt64: Load],
        level: Int,
        grid: PartitionGrid
    ) {
        var values = table.values.map(\.decayed)
        let middle = values.count / 2
        values.withUnsafeMutableBufferPointer { buffer in
            // A partial sort would do; the full one is rare enough (every capacity / 2 new cells).
            buffer.sort()
        }
        let delta = values[middle]
        var kept: [UInt64: Load] = [:]
        kept.reserveCapacity(table.count - middle)
        for (key, load) in table {
            // The open window's weight moves in the same proportion as the decayed one.
            let share = load.decayed > 0 ? min(1, delta / load.decayed) : 1
            let taken = Load(decayed: load.decayed * share, recent: load.recent * share)
            let parentKey = grid.cellKey(key, level: min(level, grid.level(ofKey: key)))
            parent[parentKey, default: Load(decayed: 0, recent: 0)].decayed += taken.decayed
            parent[parentKey]!.recent += taken.recent
            if share < 1 { kept[key] = Load(decayed: load.decayed - taken.decayed, recent: load.recent - taken.recent) }
        }
        table = kept
    }

    /// Ends a window: every load decays by `decay`, and a new window opens.
    public mutating func closeWindow() {
        for key in fine.keys { fine[key] = Load(decayed: fine[key]!.decayed * decay, recent: 0) }
        for tier in coarse.indices {
            for key in coarse[tier].keys {
                coarse[tier][key] = Load(decayed: coarse[tier][key]!.decayed * decay, recent: 0)
            }
        }
        total *= decay
        recentTotal = 0
    }

    /// From now on, counts the cells at `level` (default: the children) inside the cell `key`
    /// instead of the cell itself; the balancer asks for this when a cell is too hot to place.
    /// Capped at the grid's finest level; ignored for a cell already there.
    public mutating func refine(_ key: UInt64, to level: Int? = nil) {
        let own = grid.level(ofKey: key)
        guard own < grid.finestLevel else { return }
        refined[key] = min(grid.finestLevel, max(own + 1, level ?? own + 1))
    }

    /// Counts the cell `key` as one again, its children's load folded back into it.
    public mutating func coarsen(_ key: UInt64) {
        guard refined.removeValue(forKey: key) != nil else { return }
        let level = grid.level(ofKey: key)
        let first = grid.cellStart(key, level: level)
        let last = grid.cellEnd(key, level: level)
        var sum = Load(decayed: 0, recent: 0)
        for (child, load) in fine where child != key && (first...last).contains(child) {
            if grid.level(ofKey: child) > level {
                sum.decayed += load.decayed
                sum.recent += load.recent
                fine[child] = nil
                refined[child] = nil
            }
        }
        if sum.decayed > 0 || sum.recent > 0 {
            fine[key, default: Load(decayed: 0, recent: 0)].decayed += sum.decayed
            fine[key]!.recent += sum.recent
        }
    }

    /// The fine estimate of a cell, 0 when the fine tier does not hold it.
    public func estimate(ofKey key: UInt64) -> Double { fine[key]?.decayed ?? 0 }

    /// The load in curve order, one item per position. Each fine cell is an item at its first
    /// position; the load of a tail or root cell (blurred there by compaction) is shared equally
    /// among the fine cells held inside it, the places where load is known to arrive, or, when it
    /// holds none, among its children (measured: sharing among the children always instead puts
    /// GeoNames' long tail at 1.6–1.9 max/mean rather than 1.14–1.22).
    public var items: [LoadItem] {
        var out: [LoadItem] = []
        out.reserveCapacity(fine.count)
        for (key, load) in fine where load.decayed > 0 || load.recent > 0 {
            let level = grid.level(ofKey: key)
            out.append(
                LoadItem(
                    position: grid.cellStart(key, level: level),
                    load: load.decayed,
                    recent: load.recent,
                    cell: key,
                    cellLoad: load.decayed
                )
            )
        }
        out.sort { $0.position < $1.position }
        func first(atOrAfter position: UInt64) -> Int { out.partitionPoint { $0.position < position } }
        var extra = [Load](repeating: Load(decayed: 0, recent: 0), count: out.count)
        var loose: [LoadItem] = []
        for table in coarse {
            for (key, load) in table where load.decayed > 0 || load.recent > 0 {
                let level = grid.level(ofKey: key)
                let start = grid.cellStart(key, level: level)
                let end = grid.cellEnd(key, level: level)
                let low = first(atOrAfter: start)
                let high = end == UInt64.max ? out.count : first(atOrAfter: end + 1)
                if high > low {
                    let count = Double(high - low)
                    for index in low..<high {
                        extra[index].decayed += load.decayed / count
                        extra[index].recent += load.recent / count
                    }
                } else {
                    // Shared equally among the cell's children, at their first positions.
                    let children = grid.system == .h3 ? 7 : 4
                    let step = grid.mask(at: level + 1) &+ 1
                    for child in 0..<children {
                        loose.append(
                            LoadItem(
                                position: start &+ UInt64(child) &* step,
                                load: load.decayed / Double(children),
                                recent: load.recent / Double(children),
                                cell: nil,
                                cellLoad: 0
                            )
                        )
                    }
                }
            }
        }
        for index in out.indices {
            out[index].load += extra[index].decayed
            out[index].recent += extra[index].recent
        }
        out.append(contentsOf: loose)
        out.sort { $0.position < $1.position }
        // One item per position (a refined cell's own entry starts where its first child does; a
        // child share can fall on a fine cell): the balancer cuts only between positions. The item
        // keeps the finest cell there, and that cell's own load is what makes it hot.
        var merged: [LoadItem] = []
        merged.reserveCapacity(out.count)
        for item in out {
            guard let last = merged.last, last.position == item.position else {
                merged.append(item)
                continue
            }
            var combined = last
            combined.load += item.load
            combined.recent += item.recent
            if let cell = item.cell, last.cell.map({ grid.level(ofKey: cell) > grid.level(ofKey: $0) }) ?? true {
                combined.cell = cell
                combined.cellLoad = item.cellLoad
            }
            merged[merged.count - 1] = combined
        }
        return merged
    }
}

/// A load at one place on the curve, as ``LoadSketch/items`` lists them.
public struct LoadItem: Hashable, Sendable {
    /// Where on the curve: a cell's first position.
    public var position: UInt64
    /// The decayed load.
    public var load: Double
    /// The load of the open window alone.
    public var recent: Double
    /// The fine cell's key, or nil for load blurred to a coarser cell.
    public var cell: UInt64?
    /// The fine cell's own load (without blurred load shared to it): what makes a cell hot.
    public var cellLoad: Double

    public init(position: UInt64, load: Double, recent: Double? = nil, cell: UInt64?, cellLoad: Double? = nil) {
        self.position = position
        self.load = load
        self.recent = recent ?? load
        self.cell = cell
        self.cellLoad = cellLoad ?? (cell == nil ? 0 : load)
    }
}
