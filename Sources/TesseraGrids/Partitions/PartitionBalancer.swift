/// Evens the load of a ``PartitionMap`` by moving pieces of its ranges, a bounded amount per step.
///
/// One call of ``rebalance(_:load:refined:)`` is one step, run once per window with the sketch's
/// load (``LoadSketch/items``):
///
/// 1. **Hysteresis.** Nothing moves while the most loaded partition carries at most `threshold`
///    (default 1.1) times the mean and no single cell is hotter than a partition's share. Once a
///    step starts, it aims lower, at `target` (default 1.02), so the map does not flap around the
///    threshold.
/// 2. **Hot cells.** A cell too big to place evenly (more than `splitShare`, a quarter of a
///    partition's share; a cell near a whole share cannot be packed, so the issue's "hotter than a
///    partition" is not enough) is split: the sketch is asked to count finer cells inside it
///    (``Plan/refine``), as many levels down as make them small enough, while the grid allows
///    (`finestLevel`), so the next steps can draw boundaries between them. A cell at the finest
///    level carrying more than `spreadShare` (half a share) is *spread*: its range is cut into key
///    slices (a key, the hash of a device or feature id, always picks the same slice, so per-key
///    order holds), and slices pass from the cell's owner to the nearest partitions with room, a
///    few per step within the budget, until each of `⌈load / (spreadShare × mean)⌉` owners has its
///    share.
/// 3. **Shedding.** While the most loaded partition is above the target and the step's budget
///    (`maxMoveFraction`, default 4.5 % of the load) lasts, it gives the cells at one end of one of its
///    ranges to the partition with room whose range is nearest along the curve: to its neighbour on
///    that side when the neighbour has room (the neighbour's range simply grows), otherwise as a new
///    range at that end (a fragment close to home, since the curve keeps near positions near).
///
/// Load moved by a step is at most the budget, counted from the sketch's loads; a cell is never
/// split, lost or given two owners except by spreading. The balancer keeps no state: it is a pure
/// function of the map and the load.
public struct PartitionBalancer: Sendable {
    /// What a step may do.
    public struct Configuration: Hashable, Sendable {
        /// Max / mean load above which a step rebalances.
        public var threshold: Double
        /// Max / mean load a step aims for once it runs.
        public var target: Double
        /// The share of the load a step may move, in the decayed loads and in the open window's
        /// alike: 4.5 %, a margin under 5 % for the gap between the sketch and the next window.
        public var maxMoveFraction: Double
        /// A cell above this share of the mean is counted finer.
        public var splitShare: Double
        /// A cell at the finest level above this share of the mean is spread by key.
        public var spreadShare: Double
        /// A refined cell whose load falls under this share of the mean is counted as one again
        /// (below `splitShare`, so a cell does not flap between the two).
        public var coarsenShare: Double

        public init(
            threshold: Double = 1.1,
            target: Double = 1.02,
            maxMoveFraction: Double = 0.045,
            splitShare: Double = 0.25,
            spreadShare: Double = 0.5,
            coarsenShare: Double = 0.1
        ) {
            self.threshold = max(1, threshold)
            self.target = min(max(1, target), max(1, threshold))
            self.maxMoveFraction = min(1, max(0, maxMoveFraction))
            self.splitShare = max(0.01, splitShare)
            self.spreadShare = max(0.01, spreadShare)
            self.coarsenShare = min(max(0, coarsenShare), self.splitShare / 2)
        }
    }

    /// The outcome of one step.
    public struct Plan: Sendable {
        /// The next map (epoch + 1), or nil when nothing moved.
        public var map: PartitionMap?
        /// Load moved to another partition, by the sketch's decayed loads.
        public var movedLoad: Double = 0
        /// The load the step saw (decayed).
        public var totalLoad: Double = 0
        /// The same two for the open window alone.
        public var movedRecentLoad: Double = 0
        public var totalRecentLoad: Double = 0
        /// Max / mean before and after the step, by the sketch's loads.
        public var imbalanceBefore: Double = 1
        public var imbalanceAfter: Double = 1
        /// Cells (sketch keys) to count finer from now on, and the level to count them at.
        public var refine: [UInt64: Int] = [:]
        /// Refined cells the sketch should count as one again.
        public var coarsen: [UInt64] = []
        /// Cells spread over several partitions in this step.
        public var spread: [UInt64] = []

        /// The share of the load moved: the larger of the decayed and the open window's share.
        public var movedFraction: Double {
            max(
                totalLoad > 0 ? movedLoad / totalLoad : 0,
                totalRecentLoad > 0 ? movedRecentLoad / totalRecentLoad : 0
            )
        }
    }

    public var configuration: Configuration

    public init(_ configuration: Configuration = Configuration()) { self.configuration = configuration }

    /// One rebalancing step of `map` under `load` (sorted by position, as the sketch gives it).
    /// `refined` is the sketch's refined cells (``LoadSketch/refined``).
    public func rebalance(_ map: PartitionMap, load: [LoadItem], refined: [UInt64: Int] = [:]) -> Plan {
        var work = Work(map: map, items: load)
        var plan = Plan()
        plan.totalLoad = work.total
        plan.totalRecentLoad = work.recentTotal
        guard work.total > 0 else { return plan }
        let mean = work.total / Double(map.partitionCount)
        plan.imbalanceBefore = work.maxLoad / mean

        // Cells to count as one again: refined cells that cooled down.
        for key in refined.keys {
            let level = map.grid.level(ofKey: key)
            let first = map.grid.cellStart(key, level: level)
            let last = map.grid.cellEnd(key, level: level)
            // Not while the map draws a boundary inside it: its load would be charged to one side.
            guard work.range(of: first) == work.range(of: last) else { continue }
            if work.load(in: first...last) < configuration.coarsenShare * mean { plan.coarsen.append(key) }
        }

        // Hot cells: split while the grid allows, spread at the finest level.
        var hot: [Int] = []
        let split = configuration.splitShare * mean
        let spreadAbove = configuration.spreadShare * mean
        let branching = map.grid.system == .h3 ? 7.0 : 4.0
        for (index, item) in load.enumerated() where item.cellLoad > split {
            guard let key = item.cell else { continue }
            let level = map.grid.level(ofKey: key)
            if level < map.grid.finestLevel {
                guard refined[key] == nil else { continue }
                // Deep enough that the cells inside are likely under the split share.
                var depth = 1
                var cells = branching
                while item.cellLoad / cells > split, depth < 30 {
                    depth += 1
                    cells *= branching
                }
                plan.refine[key] = min(map.grid.finestLevel, level + depth)
            } else if item.cellLoad > spreadAbove {
                hot.append(index)
            }
        }
        let hotSpreadNeeded = hot.contains { index in
            let item = load[index]
            let wanted = Self.spreadWidth(item.load, share: spreadAbove, partitions: map.partitionCount)
            return work.spreadWidth(at: item.position) < wanted
        }
        guard plan.imbalanceBefore > configuration.threshold || hotSpreadNeeded else {
            plan.imbalanceAfter = plan.imbalanceBefore
            return plan
        }

        var budget = Amount(
            decayed: configuration.maxMoveFraction * work.total,
            recent: configuration.maxMoveFraction * work.recentTotal
        )
        for index in hot {
            let item = load[index]
            let wanted = Self.spreadWidth(item.load, share: spreadAbove, partitions: map.partitionCount)
            let last = map.grid.cellEnd(item.position, level: map.grid.finestLevel)
            let moved = work.spread(item.position...last, width: wanted, target: mean, budget: budget)
            if moved.decayed > 0, let key = item.cell { plan.spread.append(key) }
            budget.subtract(moved)
            plan.movedLoad += moved.decayed
            plan.movedRecentLoad += moved.recent
        }

        let goal = configuration.target * mean
        var stuck = Set<Int>()
        var rounds = 0
        while budget.decayed > 0, budget.recent >= 0, rounds < 16 * map.partitionCount + 64 {
            rounds += 1
            guard let giver = work.mostLoaded(excluding: stuck), work.loads[giver] > goal else { break }
            let moved = work.shed(from: giver, goal: goal, mean: mean, budget: budget)
            if moved.decayed <= 0 {
                stuck.insert(giver)
                continue
            }
            budget.subtract(moved)
            plan.movedLoad += moved.decayed
            plan.movedRecentLoad += moved.recent
        }

        plan.imbalanceAfter = work.maxLoad / mean
        if let next = work.map(like: map), next.ranges != map.ranges { plan.map = next }
        return plan
    }

    /// How many partitions a cell of `load` is spread over, `share` each at most.
    static func spreadWidth(_ load: Double, share: Double, partitions: Int) -> Int {
        min(partitions, max(1, Int((load / share).rounded(.up))))
    }
}

/// Load in both measures: decayed, and the open window's.
private struct Amount {
    var decayed: Double
    var recent: Double

    static let zero = Amount(decayed: 0, recent: 0)

    mutating func subtract(_ other: Amount) {
        decayed -= other.decayed
        recent -= other.recent
    }

    /// Whether `self + more` stays within `budget` (with a rounding allowance).
    func fits(_ more: Amount, in budget: Amount) -> Bool {
        decayed + more.decayed <= budget.decayed * (1 + 1e-12) + 1e-12
            && recent + more.recent <= budget.recent * (1 + 1e-12) + 1e-12
    }
}

/// The mutable state of one step: ranges with owner lists, items, and loads per partition.
private struct Work {
    var starts: [UInt64]
    var owners: [[Int]]
    let positions: [UInt64]
    let itemLoads: [Double]
    let itemRecent: [Double]
    /// Prefix sums of the item loads: `prefix[i]` is the load of items `0..<i`.
    let prefix: [Double]
    let recentPrefix: [Double]
    var loads: [Double]
    let total: Double
    let recentTotal: Double

    init(map: PartitionMap, items: [LoadItem]) {
        let ranges = map.ranges
        starts = ranges.map(\.start)
        owners = ranges.map(\.owners)
        positions = items.map(\.position)
        itemLoads = items.map(\.load)
        itemRecent = items.map(\.recent)
        var prefix = [0.0]
        var recentPrefix = [0.0]
        prefix.reserveCapacity(items.count + 1)
        recentPrefix.reserveCapacity(items.count + 1)
        for item in items {
            prefix.append(prefix.last! + item.load)
            recentPrefix.append(recentPrefix.last! + item.recent)
        }
        self.prefix = prefix
        self.recentPrefix = recentPrefix
        total = prefix.last!
        recentTotal = recentPrefix.last!
        loads = [Double](repeating: 0, count: map.partitionCount)
        for r in starts.indices {
            let span = itemSpan(of: r)
            let load = prefix[span.upperBound] - prefix[span.lowerBound]
            for owner in owners[r] { loads[owner] += load / Double(owners[r].count) }
        }
    }

    var maxLoad: Double { loads.max() ?? 0 }

    func mostLoaded(excluding stuck: Set<Int>) -> Int? {
        var best: Int? = nil
        for p in loads.indices where !stuck.contains(p) {
            if best == nil || loads[p] > loads[best!] { best = p }
        }
        return best
    }

    /// The first item at or after `position`.
    func firstItem(atOrAfter position: UInt64) -> Int { positions.partitionPoint { $0 < position } }

    func end(of r: Int) -> UInt64? { r + 1 < starts.count ? starts[r + 1] : nil }

    func itemSpan(of r: Int) -> Range<Int> {
        let low = firstItem(atOrAfter: starts[r])
        let high = end(of: r).map { firstItem(atOrAfter: $0) } ?? positions.count
        return low..<max(low, high)
    }

    func load(in positions: ClosedRange<UInt64>) -> Double {
        let low = firstItem(atOrAfter: positions.lowerBound)
        let high =
            positions.upperBound == UInt64.max ? self.positions.count : firstItem(atOrAfter: positions.upperBound + 1)
        return high > low ? prefix[high] - prefix[low] : 0
    }

    /// The index of the range holding `position`.
    func range(of position: UInt64) -> Int { max(0, starts.partitionPoint { $0 <= position } - 1) }

    func spreadWidth(at position: UInt64) -> Int { Set(owners[range(of: position)]).count }

    /// Splits the ranges so that one begins at `position` (no-op if one does).
    mutating func split(at position: UInt64) {
        let r = range(of: position)
        guard starts[r] != position else { return }
        starts.insert(position, at: r + 1)
        owners.insert(owners[r], at: r + 1)
    }

    /// Spreads the cell `cell` over `width` partitions by key: the range gets slices (256, or more
    /// for a wider spread), first all its owner's, and slices pass to the nearest partitions with
    /// room, one slice's load at a time, while `budget` lasts. Returns the load moved.
    mutating func spread(_ cell: ClosedRange<UInt64>, width: Int, target: Double, budget: Amount) -> Amount {
        split(at: cell.lowerBound)
        if cell.upperBound < UInt64.max { split(at: cell.upperBound + 1) }
        let r = range(of: cell.lowerBound)
        var slices = owners[r]
        if slices.count == 1 {
            slices = Array(repeating: slices[0], count: 256 * ((width + 255) / 256))
        }
        let width = min(width, slices.count)
        let span = itemSpan(of: r)
        let load = prefix[span.upperBound] - prefix[span.lowerBound]
        let recent = recentPrefix[span.upperBound] - recentPrefix[span.lowerBound]
        let perSlice = Amount(decayed: load / Double(slices.count), recent: recent / Double(slices.count))
        guard perSlice.decayed > 0 else { return .zero }
        // The owners: those the cell has, then partitions with room, nearest first.
        var members: [Int] = []
        for owner in slices where !members.contains(owner) { members.append(owner) }
        if members.count < width {
            let distances = distances(from: r)
            let others = loads.indices.filter { !members.contains($0) }
                .sorted { lhs, rhs in
                    (loads[lhs] < target ? 0 : 1, distances[lhs], loads[lhs])
                        < (loads[rhs] < target ? 0 : 1, distances[rhs], loads[rhs])
                }
            members.append(contentsOf: others.prefix(width - members.count))
        }
        members = Array(members.prefix(width))
        // Each member's share of the slices: as equal as the count allows.
        var quota: [Int: Int] = [:]
        for (index, member) in members.enumerated() {
            quota[member] = slices.count / width + (index < slices.count % width ? 1 : 0)
        }
        var held: [Int: Int] = [:]
        for owner in slices { held[owner, default: 0] += 1 }
        var moved = Amount.zero
        for index in slices.indices {
            let from = slices[index]
            guard held[from, default: 0] > quota[from, default: 0] else { continue }
            guard let to = members.first(where: { held[$0, default: 0] < quota[$0, default: 0] }) else { break }
            guard moved.fits(perSlice, in: budget) else { break }
            slices[index] = to
            held[from]! -= 1
            held[to, default: 0] += 1
            loads[from] -= perSlice.decayed
            loads[to] += perSlice.decayed
            moved.decayed += perSlice.decayed
            moved.recent += perSlice.recent
        }
        if moved.decayed > 0 { owners[r] = slices }
        return moved
    }

    /// Per partition, how far (in ranges) its nearest single-owner range is from range `r`.
    func distances(from r: Int) -> [Int] {
        var out = [Int](repeating: Int.max, count: loads.count)
        for (index, list) in owners.enumerated() where list.count == 1 {
            out[list[0]] = min(out[list[0]], abs(index - r))
        }
        return out
    }

    /// Moves load off `giver`'s ranges towards `goal`, to the nearest partitions with room, within
    /// `budget`. Returns the load moved (zero when no piece could move).
    mutating func shed(from giver: Int, goal: Double, mean: Double, budget: Amount) -> Amount {
        struct Option {
            var range: Int
            var left: Bool
            var receiver: Int
            var distance: Int
        }
        let excess = loads[giver] - goal
        let enough = min(excess, 0.2 * mean)
        // Slices of spread cells first: handing keys over splits no region.
        let sliced = moveSlices(from: giver, excess: excess, goal: goal, enough: enough, budget: budget)
        if sliced.decayed > 0 { return sliced }
        var options: [Option] = []
        var biggest: Int? = nil
        for r in owners.indices where owners[r] == [giver] && !itemSpan(of: r).isEmpty {
            if biggest.map({ itemSpan(of: $0).count < itemSpan(of: r).count }) ?? true { biggest = r }
            for left in [true, false] {
                var index = left ? r - 1 : r + 1
                while index >= 0 && index < owners.count {
                    let list = owners[index]
                    if list.count == 1, list[0] != giver, loads[list[0]] < goal {
                        options.append(Option(range: r, left: left, receiver: list[0], distance: abs(index - r)))
                        break
                    }
                    index += left ? -1 : 1
                }
            }
        }
        // The partition with the most room anywhere, at the giver's biggest range, as the last resort.
        if let r = biggest, let receiver = loads.indices.filter({ $0 != giver }).min(by: { loads[$0] < loads[$1] }),
            loads[receiver] < goal
        {
            options.append(Option(range: r, left: true, receiver: receiver, distance: Int.max))
        }
        // Receivers with real room first, then the nearest.
        options.sort {
            (goal - loads[$0.receiver] >= enough ? 0 : 1, $0.distance, loads[$0.receiver])
                < (goal - loads[$1.receiver] >= enough ? 0 : 1, $1.distance, loads[$1.receiver])
        }
        for option in options {
            let receiver = option.receiver
            let limit = min(excess, goal - loads[receiver], budget.decayed)
            // One cell bigger than the room still goes when the pair ends more even than it began.
            let single = min(budget.decayed, max(limit, (loads[giver] - loads[receiver]) / 2))
            let moved = carve(
                option.range,
                left: option.left,
                to: receiver,
                limit: limit,
                single: single,
                budget: budget
            )
            if moved.decayed > 0 {
                loads[giver] -= moved.decayed
                loads[receiver] += moved.decayed
                return moved
            }
        }
        return .zero
    }

    /// Hands some of `giver`'s slices in a spread range to the nearest partition with room.
    mutating func moveSlices(from giver: Int, excess: Double, goal: Double, enough: Double, budget: Amount)
        -> Amount
    {
        for r in owners.indices where owners[r].count > 1 && owners[r].contains(giver) {
            let span = itemSpan(of: r)
            let count = Double(owners[r].count)
            let perSlice = Amount(
                decayed: (prefix[span.upperBound] - prefix[span.lowerBound]) / count,
                recent: (recentPrefix[span.upperBound] - recentPrefix[span.lowerBound]) / count
            )
            guard perSlice.decayed > 0 else { continue }
            let distances = distances(from: r)
            let candidates = loads.indices.filter { $0 != giver && loads[$0] < goal }
                .sorted {
                    (goal - loads[$0] >= enough ? 0 : 1, distances[$0], loads[$0])
                        < (goal - loads[$1] >= enough ? 0 : 1, distances[$1], loads[$1])
                }
            for receiver in candidates {
                let limit = min(excess, goal - loads[receiver], budget.decayed)
                // Clamped before converting: a cooled spread cell's slices can weigh almost nothing.
                var n = Int(min(limit / perSlice.decayed, Double(owners[r].count)))
                if n == 0, perSlice.decayed <= (loads[giver] - loads[receiver]) / 2 { n = 1 }
                var moved = Amount.zero
                var slices = owners[r]
                for index in slices.indices where n > 0 && slices[index] == giver {
                    guard moved.fits(perSlice, in: budget) else { break }
                    slices[index] = receiver
                    moved.decayed += perSlice.decayed
                    moved.recent += perSlice.recent
                    n -= 1
                }
                if moved.decayed > 0 {
                    owners[r] = slices
                    loads[giver] -= moved.decayed
                    loads[receiver] += moved.decayed
                    return moved
                }
            }
        }
        return .zero
    }

    /// Gives the items at one end of range `r` to `receiver`: as many as fit in `limit`, or, when the
    /// first alone does not, that one if it fits in `single`; always within `budget`. Returns their load.
    mutating func carve(_ r: Int, left: Bool, to receiver: Int, limit: Double, single: Double, budget: Amount)
        -> Amount
    {
        let span = itemSpan(of: r)
        guard !span.isEmpty else { return .zero }
        var taken = Amount.zero
        func item(_ k: Int) -> Amount { Amount(decayed: itemLoads[k], recent: itemRecent[k]) }
        func fits(_ k: Int) -> Bool {
            let next = item(k)
            guard taken.fits(next, in: budget) else { return false }
            return taken.decayed + next.decayed <= limit
        }
        var k = left ? span.lowerBound : span.upperBound
        if left {
            while k < span.upperBound, fits(k) {
                taken.decayed += itemLoads[k]
                taken.recent += itemRecent[k]
                k += 1
            }
            if taken.decayed == 0, k < span.upperBound, itemLoads[k] <= single, taken.fits(item(k), in: budget) {
                taken = item(k)
                k += 1
            }
            guard taken.decayed > 0 else { return .zero }
            if k < span.upperBound { split(at: positions[k]) }
            owners[r] = [receiver]
        } else {
            while k > span.lowerBound, fits(k - 1) {
                taken.decayed += itemLoads[k - 1]
                taken.recent += itemRecent[k - 1]
                k -= 1
            }
            if taken.decayed == 0, k > span.lowerBound, itemLoads[k - 1] <= single, taken.fits(item(k - 1), in: budget)
            {
                taken = item(k - 1)
                k -= 1
            }
            guard taken.decayed > 0 else { return .zero }
            if k == span.lowerBound {
                owners[r] = [receiver]
            } else {
                split(at: positions[k])
                owners[r + 1] = [receiver]
            }
        }
        return taken
    }

    /// The work's ranges as a map of the next epoch.
    func map(like map: PartitionMap) -> PartitionMap? {
        let ranges = zip(starts, owners).map { PartitionRange(start: $0, owners: $1) }
        return try? PartitionMap(grid: map.grid, partitions: map.partitionCount, epoch: map.epoch + 1, ranges: ranges)
    }
}
