/// Decayed load per cell in bounded memory: hot cells exactly, the long tail by coarser cells.
///
/// Three tiers, each a table of cells: **fine** cells at the grid's level (or finer, inside a cell
/// the balancer asked to ``refine(_:)``), at most `capacity` of them; **tail** cells `tailLevels`
/// levels coarser, at most `tailCapacity`; and **root** cells (H3 base cells, S2 faces). When a
/// table outgrows its capacity it is compacted as Misra and Gries do, in a batch: the median count
/// is subtracted from every entry, entries that reach zero leave, and what was subtracted from each
/// entry is added to its ancestor in the next tier. So no load is ever lost, only blurred to a
/// coarser cell, and:
///
/// - the loads of all tiers add up to ``total`` exactly;
/// - a fine cell's estimate is at most its true decayed load and at least that minus
///   ``errorBound`` (`2 × total / capacity`); a cell missing from the fine tier has at most that;
///   so every cell carrying more than `errorBound` is held.
///
/// ``closeWindow()`` multiplies every load by `decay`, so a load is `Σ decayᵃᵍᵉ × weight`, with age
/// in windows. Recording costs one dictionary update; a compaction (every `capacity / 2` new cells
/// at most) sorts the counts once.
public struct LoadSketch: Sendable {
    public let grid: PartitionGrid
    public let capacity: Int
    public let tailCapacity: Int
    /// The level of the tail tier.
    public let tailLevel: Int
    /// The factor applied to every load at the end of a window, in (0, 1].
    public let decay: Double

    private var fine: [UInt64: Double] = [:]
    private var tail: [UInt64: Double] = [:]
    private var root: [UInt64: Double] = [:]
    /// Cells (keys) whose children are counted instead of themselves.
    public private(set) var refined: Set<UInt64> = []
    /// The decayed sum of every weight recorded.
    public private(set) var total: Double = 0
    /// The most a fine estimate can fall short of the truth.
    public var errorBound: Double { 2 * total / Double(capacity) }

    public init(
        grid: PartitionGrid,
        capacity: Int = 65_536,
        tailCapacity: Int = 16_384,
        tailLevels: Int = 3,
        decay: Double = 0.5
    ) {
        self.grid = grid
        self.capacity = max(2, capacity)
        self.tailCapacity = max(2, tailCapacity)
        self.tailLevel = max(0, grid.level - max(1, tailLevels))
        self.decay = min(1, max(0.000_001, decay))
    }

    /// How many cells each tier holds.
    public var sizes: (fine: Int, tail: Int, root: Int) { (fine.count, tail.count, root.count) }

    /// The level at which `position` is counted: the grid's, or finer inside a refined cell.
    @inlinable
    public func countingLevel(of position: UInt64) -> Int {
        var level = grid.level
        if refined.isEmpty { return level }
        while level < grid.finestLevel, refined.contains(grid.cellKey(position, level: level)) { level += 1 }
        return level
    }

    /// Adds `weight` (a reading, a change, or its bytes) at `position`.
    public mutating func record(_ position: UInt64, weight: Double = 1) {
        guard weight > 0, weight.isFinite else { return }
        let key = grid.cellKey(position, level: countingLevel(of: position))
        fine[key, default: 0] += weight
        total += weight
        if fine.count > capacity { Self.compact(&fine, into: &tail, level: tailLevel, grid: grid) }
        if tail.count > tailCapacity { Self.compact(&tail, into: &root, level: 0, grid: grid) }
    }

    private static func compact(
        _ table: inout [UInt64: Double],
        into parent: inout [UInt64: Double],
        level: Int,
        grid: PartitionGrid
    ) {
        var values = Array(table.values)
        let middle = values.count / 2
        values.withUnsafeMutableBufferPointer { buffer in
            // A partial sort would do; the full one is rare enough (every capacity / 2 new cells).
            buffer.sort()
        }
        let delta = values[middle]
        var kept: [UInt64: Double] = [:]
        kept.reserveCapacity(table.count - middle)
        for (key, load) in table {
            let taken = min(load, delta)
            parent[grid.cellKey(key, level: min(level, grid.level(ofKey: key))), default: 0] += taken
            if load > delta { kept[key] = load - delta }
        }
        table = kept
    }

    /// Ends a window: every load decays by `decay`.
    public mutating func closeWindow() {
        guard decay < 1 else { return }
        for key in fine.keys { fine[key]! *= decay }
        for key in tail.keys { tail[key]! *= decay }
        for key in root.keys { root[key]! *= decay }
        total *= decay
    }

    /// From now on, counts the children of the cell `key` instead of the cell (the balancer asks
    /// for this when one cell is hotter than a partition's share). Ignored at the finest level.
    public mutating func refine(_ key: UInt64) {
        guard grid.level(ofKey: key) < grid.finestLevel else { return }
        refined.insert(key)
    }

    /// Counts the cell `key` as one again, its children's load folded back into it.
    public mutating func coarsen(_ key: UInt64) {
        guard refined.remove(key) != nil else { return }
        let level = grid.level(ofKey: key)
        let first = grid.cellStart(key, level: level)
        let last = grid.cellEnd(key, level: level)
        var sum = 0.0
        for (child, load) in fine where child != key && (first...last).contains(child) {
            if grid.level(ofKey: child) > level {
                sum += load
                fine[child] = nil
                refined.remove(child)
            }
        }
        if sum > 0 { fine[key, default: 0] += sum }
    }

    /// The fine estimate of a cell, 0 when the fine tier does not hold it.
    public func estimate(ofKey key: UInt64) -> Double { fine[key] ?? 0 }

    /// Every tier's cells in curve order. A fine cell sits at its first position; a tail or root
    /// cell, whose load is spread over its descendants not held finer, at the grid-level cell in
    /// its middle.
    public var items: [LoadItem] {
        var out: [LoadItem] = []
        out.reserveCapacity(fine.count + tail.count + root.count)
        for (key, load) in fine where load > 0 {
            let level = grid.level(ofKey: key)
            out.append(LoadItem(position: grid.cellStart(key, level: level), load: load, cell: key))
        }
        for table in [tail, root] {
            for (key, load) in table where load > 0 {
                let level = grid.level(ofKey: key)
                let first = grid.cellStart(key, level: level)
                let middle = first + (grid.cellEnd(key, level: level) - first) / 2
                out.append(LoadItem(position: grid.cellStart(middle, level: grid.level), load: load, cell: nil))
            }
        }
        out.sort { $0.position < $1.position }
        // One item per position: a tail's middle can fall on a fine cell's start.
        var merged: [LoadItem] = []
        merged.reserveCapacity(out.count)
        for item in out {
            if let last = merged.last, last.position == item.position {
                merged[merged.count - 1].load += item.load
                if merged[merged.count - 1].cell == nil { merged[merged.count - 1].cell = item.cell }
            } else {
                merged.append(item)
            }
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
    /// The fine cell's key, or nil for load blurred to a coarser cell.
    public var cell: UInt64?

    public init(position: UInt64, load: Double, cell: UInt64?) {
        self.position = position
        self.load = load
        self.cell = cell
    }
}
