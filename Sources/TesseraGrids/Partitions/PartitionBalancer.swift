/// Evens the load of a ``PartitionMap`` by moving pieces of its ranges, a bounded amount per step.
///
/// One call of ``rebalance(_:load:refined:)`` is one step, run once per window with the sketch's
/// load (``LoadSketch/items``):
///
/// 1. **Hysteresis.** Nothing moves while the most loaded partition carries at most `threshold`
///    (default 1.1) times the mean and no single cell is hotter than a partition's share. Once a
///    step starts, it aims lower, at `target` (default 1.04), so the map does not flap around the
///    threshold.
/// 2. **Hot cells.** A cell carrying more than the mean is split: the sketch is asked to count its
///    children (``Plan/refine``) while the grid allows finer cells (`finestLevel`), so the next
///    steps can draw boundaries between them. A cell at the finest level is *spread*: its range is
///    cut into key slices (a key, the hash of a device or feature id, always picks the same slice,
///    so per-key order holds), and slices pass from the cell's owner to the nearest partitions with
///    room, a few per step within the budget, until each of `⌈load / mean⌉` owners has its share.
/// 3. **Shedding.** While the most loaded partition is above the target and the step's budget
///    (`maxMoveFraction`, default 5 % of the load) lasts, it gives the cells at one end of one of its
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
        public var threshold: Double = 1.1
        /// Max / mean load a step aims for once it runs.
        public var target: Double = 1.04
        /// The share of the total load a step may move.
        public var maxMoveFraction: Double = 0.05
        /// A refined cell whose load falls under this share of the mean is counted as one again.
        public var coarsenShare: Double = 0.25

        public init(
            threshold: Double = 1.1,
            target: Double = 1.04,
            maxMoveFraction: Double = 0.05,
            coarsenShare: Double = 0.25
        ) {
            self.threshold = max(1, threshold)
            self.target = min(max(1, target), max(1, threshold))
            self.maxMoveFraction = min(1, max(0, maxMoveFraction))
            self.coarsenShare = max(0, coarsenShare)
        }
    }

    /// The outcome of one step.
    public struct Plan: Sendable {
        /// The next map (epoch + 1), or nil when nothing moved.
        public var map: PartitionMap?
        /// Load moved to another partition, by the sketch's loads.
        public var movedLoad: Double = 0
        /// The load the step saw.
        public var totalLoad: Double = 0
        /// Max / mean before and after the step, by the sketch's loads.
        public var imbalanceBefore: Double = 1
        public var imbalanceAfter: Double = 1
        /// Cells (sketch keys) whose children the sketch should count from now on.
        public var refine: [UInt64] = []
        /// Refined cells the sketch should count as one again.
        public var coarsen: [UInt64] = []
        /// Cells spread over several partitions in this step.
        public var spread: [UInt64] = []

        /// The share of the load moved.
        public var movedFraction: Double { totalLoad > 0 ? movedLoad / totalLoad : 0 }
    }

    public var configuration: Configuration

    public init(_ configuration: Configuration = Configuration()) { self.configuration = configuration }

    /// One rebalancing step of `map` under `load` (sorted by position, as the sketch gives it).
    /// `refined` is the sketch's set of refined cells.
    public func rebalance(_ map: PartitionMap, load: [LoadItem], refined: Set<UInt64> = []) -> Plan {
        var work = Work(map: map, items: load)
        var plan = Plan()
        plan.totalLoad = work.total
        guard work.total > 0 else { return plan }
        let mean = work.total / Double(map.partitionCount)
        plan.imbalanceBefore = work.maxLoad / mean

        // Cells to count as one again: refined cells that cooled down.
        for key in refined {
            let level = map.grid.level(ofKey: key)
            let load = work.load(in: map.grid.cellStart(key, level: level)...map.grid.cellEnd(key, level: level))
            if load < configuration.coarsenShare * mean { plan.coarsen.append(key) }
        }

        // Hot cells: split while the grid allows, spread at the finest level.
        var hot: [Int] = []
        for (index, item) in load.enumerated() where item.load > mean {
            guard let key = item.cell else { continue }
            if map.grid.level(ofKey: key) < map.grid.finestLevel {
                if !refined.contains(key) { plan.refine.append(key) }
            } else {
                hot.append(index)
            }
        }
        let hotSpreadNeeded = hot.contains { index in
            let item = load[index]
            let wanted = Self.spreadWidth(item.load, mean: mean, partitions: map.partitionCount)
            return work.spreadWidth(at: item.position) < wanted
        }
        guard plan.imbalanceBefore > configuration.threshold || hotSpreadNeeded else {
            plan.imbalanceAfter = plan.imbalanceBefore
            return plan
        }

        var budget = configuration.maxMoveFraction * work.total
        for index in hot {
            let item = load[index]
            let wanted = Self.spreadWidth(item.load, mean: mean, partitions: map.partitionCount)
            let last = map.grid.cellEnd(item.position, level: map.grid.finestLevel)
            let moved = work.spread(item.position...last, width: wanted, target: mean, budget: budget)
            if moved > 0, let key = item.cell { plan.spread.append(key) }
            budget -= moved
            plan.movedLoad += moved
        }

        let goal = configuration.target * mean
        var stuck = Set<Int>()
        var rounds = 0
        while budget > 0, rounds < 16 * map.partitionCount + 64 {
            rounds += 1
            guard let giver = work.mostLoaded(excluding: stuck), work.loads[giver] > goal else { break }
            let excess = work.loads[giver] - goal
            let moved = work.shed(from: giver, amount: min(excess, budget), goal: goal, mean: mean)
            if moved <= 0 {
                stuck.insert(giver)
                continue
            }
            budget -= moved
            plan.movedLoad += moved
        }

        plan.imbalanceAfter = work.maxLoad / mean
        if let next = work.map(like: map), next.ranges != map.ranges { plan.map = next }
        return plan
    }

    /// How many partitions a cell of `load` is spread over.
    static func spreadWidth(_ load: Double, mean: Double, partitions: Int) -> Int {
        min(partitions, max(1, Int((load / mean).rounded(.up))))
    }
}

/// The mutable state of one step: ranges with owner lists, items, and loads per partition.
private struct Work {
    var starts: [UInt64]
    var owners: [[Int]]
    let positions: [UInt64]
    let itemLoads: [Double]
    /// Prefix sums of the item loads: `prefix[i]` is the load of items `0..<i`.
    let prefix: [Double]
    var loads: [Double]
    let total: Double

    init(map: PartitionMap, items: [LoadItem]) {
        let ranges = map.ranges
        starts = ranges.map(\.start)
        owners = ranges.map(\.owners)
        positions = items.map(\.position)
        itemLoads = items.map(\.load)
        var prefix = [0.0]
        prefix.reserveCapacity(items.count + 1)
        for item in items { prefix.append(prefix.last! + item.load) }
        self.prefix = prefix
        total = prefix.last!
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
    func firstItem(atOrAfter position: UInt64) -> Int {
        var low = 0
        var high = positions.count
        while low < high {
            let middle = (low + high) / 2
            if positions[middle] < position { low = middle + 1 } else { high = middle }
        }
        return low
    }

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
    func range(of position: UInt64) -> Int {
        var low = 0
        var high = starts.count
        while high - low > 1 {
            let middle = (low + high) / 2
            if starts[middle] <= position { low = middle } else { high = middle }
        }
        return low
    }

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
    mutating func spread(_ cell: ClosedRange<UInt64>, width: Int, target: Double, budget: Double) -> Double {
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
        let perSlice = load / Double(slices.count)
        guard perSlice > 0 else { return 0 }
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
        var moved = 0.0
        for index in slices.indices {
            let from = slices[index]
            guard held[from, default: 0] > quota[from, default: 0] else { continue }
            guard let to = members.first(where: { held[$0, default: 0] < quota[$0, default: 0] }) else { break }
            guard moved + perSlice <= budget + 1e-9 * load else { break }
            slices[index] = to
            held[from]! -= 1
            held[to, default: 0] += 1
            loads[from] -= perSlice
            loads[to] += perSlice
            moved += perSlice
        }
        if moved > 0 { owners[r] = slices }
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

    /// Moves up to `amount` of load off `giver`'s ranges to the nearest partitions below `goal`.
    /// Returns the load moved (0 when no piece could move).
    mutating func shed(from giver: Int, amount: Double, goal: Double, mean: Double) -> Double {
        // Candidate (range, side, receiver, distance) for each of the giver's single-owner ranges.
        struct Option {
            var range: Int
            var left: Bool
            var receiver: Int
            var distance: Int
        }
        var options: [Option] = []
        let minimum = min(amount, 0.2 * mean)
        for r in owners.indices where owners[r] == [giver] && !itemSpan(of: r).isEmpty {
            for left in [true, false] {
                var index = left ? r - 1 : r + 1
                while index >= 0 && index < owners.count {
                    let list = owners[index]
                    if list.count == 1, list[0] != giver, goal - loads[list[0]] >= minimum {
                        options.append(Option(range: r, left: left, receiver: list[0], distance: abs(index - r)))
                        break
                    }
                    index += left ? -1 : 1
                }
            }
        }
        if options.isEmpty {
            // Nobody with real room near: the partition with the most room anywhere takes a piece at
            // the giver's biggest range.
            guard let receiver = loads.indices.filter({ $0 != giver }).min(by: { loads[$0] < loads[$1] }),
                goal - loads[receiver] > 0,
                let r = owners.indices.filter({ owners[$0] == [giver] }).max(by: {
                    itemSpan(of: $0).count < itemSpan(of: $1).count
                })
            else { return 0 }
            options = [Option(range: r, left: true, receiver: receiver, distance: Int.max)]
        }
        options.sort { ($0.distance, loads[$0.receiver]) < ($1.distance, loads[$1.receiver]) }
        for option in options {
            let room = goal - loads[option.receiver]
            let moved = carve(option.range, left: option.left, to: option.receiver, upTo: min(amount, room))
            if moved > 0 {
                loads[giver] -= moved
                loads[option.receiver] += moved
                return moved
            }
        }
        return 0
    }

    /// Gives the items at one end of range `r` to `receiver`, as many as fit in `limit` (at least
    /// the first, if it alone fits), and returns their load.
    mutating func carve(_ r: Int, left: Bool, to receiver: Int, upTo limit: Double) -> Double {
        let span = itemSpan(of: r)
        guard !span.isEmpty, limit > 0 else { return 0 }
        var taken = 0.0
        if left {
            var k = span.lowerBound
            while k < span.upperBound, taken + itemLoads[k] <= limit {
                taken += itemLoads[k]
                k += 1
            }
            guard taken > 0 else { return 0 }
            if k == span.upperBound {
                owners[r] = [receiver]
            } else {
                let cut = positions[k]
                split(at: cut)
                owners[r] = [receiver]
            }
        } else {
            var k = span.upperBound
            while k > span.lowerBound, taken + itemLoads[k - 1] <= limit {
                taken += itemLoads[k - 1]
                k -= 1
            }
            guard taken > 0 else { return 0 }
            if k == span.lowerBound {
                owners[r] = [receiver]
            } else {
                let cut = positions[k]
                split(at: cut)
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
