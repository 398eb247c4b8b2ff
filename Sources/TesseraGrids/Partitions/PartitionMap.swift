/// Which partition each position of a grid's curve belongs to: a versioned list of contiguous ranges.
///
/// The ranges are disjoint, sorted, and cover the whole curve (the first starts at 0, the last runs
/// to `UInt64.max`). A range has one owner, or, for a single hot cell spread by a secondary key, a
/// list of *slices* (256 unless more partitions share the cell): a key picks the slice
/// `key % slices` (``partition(of:key:)``), so one device's or feature's events always land in one
/// partition and stay in order, and a rebalance can hand a cell's keys over a few slices at a time.
///
/// A partition usually owns one range; rebalancing may give it a few more, near its own (see
/// ``PartitionBalancer``). Lookup is a binary search over the range starts, allocation-free.
/// `epoch` names the version: every payload routed with a map carries the map's epoch.
public struct PartitionMap: Hashable, Sendable {
    /// The most partitions a map can have.
    public static let maximumPartitions = 4096

    public let grid: PartitionGrid
    public let partitionCount: Int
    public let epoch: Int64
    /// Range starts, sorted and unique, `starts[0] == 0`.
    @usableFromInline let starts: [UInt64]
    /// Per range: a partition, or ``spreadFlag`` | an index into `spreads`.
    @usableFromInline let owners: [UInt32]
    /// The owner lists of spread ranges.
    @usableFromInline let spreads: [[UInt16]]
    /// A first step for lookups: `buckets[b]` is the range holding position `b << bucketShift`, so a
    /// lookup searches only the few ranges between two buckets.
    @usableFromInline let buckets: [UInt32]
    @usableFromInline let bucketShift: UInt64

    @usableFromInline static let spreadFlag: UInt32 = 1 << 31

    /// A map that splits the curve into `partitions` ranges of equal length, for a subscription
    /// without load history. Boundaries fall on cell boundaries at the grid's level.
    /// - Throws: ``PartitionError`` `.invalidPartitionCount` outside 1...4096.
    public init(uniform grid: PartitionGrid, partitions: Int, epoch: Int64 = 1) throws(PartitionError) {
        try Self.check(partitions: partitions)
        let limit = grid.positionLimit
        var ranges: [PartitionRange] = []
        var previous: UInt64? = nil
        for p in 0..<partitions {
            let raw = UInt64((Double(limit) * Double(p) / Double(partitions)).rounded(.down))
            let start = p == 0 ? 0 : grid.cellStart(min(raw, limit - 1), level: grid.level)
            if let previous, start <= previous { continue }
            ranges.append(PartitionRange(start: start, owners: [p]))
            previous = start
        }
        // With more partitions than cells at the grid's level, the last ones own nothing yet; the
        // balancer gives them load when there is some to give.
        try self.init(grid: grid, partitions: partitions, epoch: epoch, ranges: ranges)
    }

    /// A map cut along the curve at equal shares of `load` (sorted by position, as
    /// ``LoadSketch/items`` gives it): the first map of a subscription that has load but no
    /// consumers yet, when no budget on moved load applies. Boundaries fall on the items' cells; a
    /// single item larger than a share ends up in one partition (the balancer spreads it later),
    /// and partitions left without a range own nothing until the balancer gives them load. With no
    /// load it is the uniform map.
    /// - Throws: ``PartitionError`` `.invalidPartitionCount` outside 1...4096.
    public init(balanced grid: PartitionGrid, partitions: Int, load: [LoadItem], epoch: Int64 = 1)
        throws(PartitionError)
    {
        let total = load.reduce(0) { $0 + max(0, $1.load) }
        guard total > 0, partitions > 1 else {
            try self.init(uniform: grid, partitions: partitions, epoch: epoch)
            return
        }
        try Self.check(partitions: partitions)
        var ranges = [PartitionRange(start: 0, owners: [0])]
        var cumulative = 0.0
        var next = 1
        for item in load {
            // The item starts partition `next` once the load up to its middle reaches `next` shares.
            let middle = cumulative + max(0, item.load) / 2
            while next < partitions, middle >= total * Double(next) / Double(partitions) {
                if item.position > ranges[ranges.count - 1].start {
                    ranges.append(PartitionRange(start: item.position, owners: [next]))
                } else {
                    ranges[ranges.count - 1].owners = [next]
                }
                next += 1
            }
            cumulative += max(0, item.load)
        }
        try self.init(grid: grid, partitions: partitions, epoch: epoch, ranges: ranges)
    }

    /// A map from explicit ranges (as ``ranges`` returns them). Adjacent ranges with the same
    /// owners are merged.
    /// - Throws: ``PartitionError`` `.invalidPartitionCount`, or `.invalidMap` for ranges that do
    ///   not start at 0, are not strictly increasing, or name no owner or one outside the count.
    public init(grid: PartitionGrid, partitions: Int, epoch: Int64, ranges: [PartitionRange]) throws(PartitionError) {
        try Self.check(partitions: partitions)
        guard let first = ranges.first, first.start == 0 else {
            throw PartitionError(.invalidMap, "ranges: the first range must start at position 0")
        }
        var starts: [UInt64] = []
        var owners: [UInt32] = []
        var spreads: [[UInt16]] = []
        var spreadIndex: [[UInt16]: UInt32] = [:]
        var previousOwners: [Int]? = nil
        starts.reserveCapacity(ranges.count)
        owners.reserveCapacity(ranges.count)
        for (index, range) in ranges.enumerated() {
            if index > 0, range.start <= ranges[index - 1].start {
                throw PartitionError(
                    .invalidMap,
                    "ranges[\(index)]: start \(range.start) does not follow \(ranges[index - 1].start)"
                )
            }
            guard !range.owners.isEmpty else { throw PartitionError(.invalidMap, "ranges[\(index)]: no owner") }
            guard range.owners.count <= Self.maximumPartitions else {
                throw PartitionError(
                    .invalidMap,
                    "ranges[\(index)]: \(range.owners.count) slices, more than \(Self.maximumPartitions)"
                )
            }
            for owner in range.owners where !(0..<partitions).contains(owner) {
                throw PartitionError(.invalidMap, "ranges[\(index)]: partition \(owner) is outside 0..<\(partitions)")
            }
            // Slices all of one owner are that owner.
            let normal = range.owners.allSatisfy { $0 == range.owners[0] } ? [range.owners[0]] : range.owners
            if normal == previousOwners { continue }
            previousOwners = normal
            starts.append(range.start)
            if normal.count == 1 {
                owners.append(UInt32(normal[0]))
            } else {
                let list = normal.map { UInt16($0) }
                if let known = spreadIndex[list] {
                    owners.append(Self.spreadFlag | known)
                } else {
                    let next = UInt32(spreads.count)
                    spreads.append(list)
                    spreadIndex[list] = next
                    owners.append(Self.spreadFlag | next)
                }
            }
        }
        self.grid = grid
        self.partitionCount = partitions
        self.epoch = epoch
        self.starts = starts
        self.owners = owners
        self.spreads = spreads
        // At most 2,048 buckets over the curve's used part: 1,952 for H3's base cells, 1,536 for S2.
        let shift = UInt64(max(0, 64 - grid.positionLimit.leadingZeroBitCount - 11))
        var buckets: [UInt32] = []
        let count = Int((grid.positionLimit - 1) >> shift) + 1
        buckets.reserveCapacity(count)
        var r = 0
        for b in 0..<count {
            let position = UInt64(b) << shift
            while r + 1 < starts.count && starts[r + 1] <= position { r += 1 }
            buckets.append(UInt32(r))
        }
        self.buckets = buckets
        self.bucketShift = shift
    }

    private static func check(partitions: Int) throws(PartitionError) {
        guard (1...maximumPartitions).contains(partitions) else {
            throw PartitionError(
                .invalidPartitionCount,
                "partitions: \(partitions) is outside 1...\(maximumPartitions)"
            )
        }
    }

    /// The same ranges under another epoch.
    public func with(epoch: Int64) -> PartitionMap {
        // The ranges were valid for this count already.
        (try? PartitionMap(grid: grid, partitions: partitionCount, epoch: epoch, ranges: ranges)) ?? self
    }

    /// The ranges, in curve order; each runs to the next one's start (the last to `UInt64.max`).
    public var ranges: [PartitionRange] {
        zip(starts, owners).map { start, owner in PartitionRange(start: start, owners: ownerList(owner)) }
    }

    /// How many ranges the map has.
    public var rangeCount: Int { starts.count }

    @usableFromInline
    func ownerList(_ owner: UInt32) -> [Int] {
        owner & Self.spreadFlag == 0 ? [Int(owner)] : spreads[Int(owner & ~Self.spreadFlag)].map(Int.init)
    }

    /// The index of the range holding `position`.
    @inlinable
    public func rangeIndex(of position: UInt64) -> Int {
        let b = Int(truncatingIfNeeded: position >> bucketShift)
        let low: Int
        let high: Int
        if b < buckets.count {
            low = Int(buckets[b])
            high = b + 1 < buckets.count ? Int(buckets[b + 1]) + 1 : starts.count
        } else {
            low = Int(buckets[buckets.count - 1])
            high = starts.count
        }
        return starts.withUnsafeBufferPointer { s in
            var base = low
            var n = high - low
            while n > 1 {
                let half = n >> 1
                base = s[base &+ half] <= position ? base &+ half : base
                n &-= half
            }
            return base
        }
    }

    /// The partition that `position` routes to. `key` (``PartitionKey/hash(_:)-(String)`` of a
    /// device or feature id) matters only in a spread range, where it picks one owner, always the
    /// same one for the same key and map.
    @inlinable
    public func partition(of position: UInt64, key: UInt64 = 0) -> Int {
        let owner = owners[rangeIndex(of: position)]
        if owner & Self.spreadFlag == 0 { return Int(owner) }
        let list = spreads[Int(owner & ~Self.spreadFlag)]
        return Int(list[Int(key % UInt64(list.count))])
    }

    /// The owner of each slice of the range holding `position`: one entry, or a spread range's
    /// slices (partitions repeat).
    public func owners(of position: UInt64) -> [Int] { ownerList(owners[rangeIndex(of: position)]) }

    /// The ranges each partition owns, as `(first, last)` positions, in curve order.
    public var rangesByPartition: [[ClosedRange<UInt64>]] {
        var out = [[ClosedRange<UInt64>]](repeating: [], count: partitionCount)
        for index in starts.indices {
            let last = index + 1 < starts.count ? starts[index + 1] - 1 : UInt64.max
            for owner in Set(ownerList(owners[index])) { out[owner].append(starts[index]...last) }
        }
        return out
    }

    /// What changes hands between this map and `next`: for each piece of the curve whose owners
    /// differ, a move for every pair of old and new owner that some key of the piece goes through
    /// (key `k` goes from slice `k % a` to slice `k % b`). Moves between the same two partitions are
    /// merged.
    public func moves(to next: PartitionMap) -> [PartitionMove] {
        var pieces: [PartitionMove.Pair: [ClosedRange<UInt64>]] = [:]
        var i = 0
        var j = 0
        var position: UInt64 = 0
        while true {
            let before = ownerList(owners[i])
            let after = next.ownerList(next.owners[j])
            let endI = i + 1 < starts.count ? starts[i + 1] : nil
            let endJ = j + 1 < next.starts.count ? next.starts[j + 1] : nil
            let end = [endI, endJ].compactMap { $0 }.min()
            if before != after {
                let last = end.map { $0 - 1 } ?? UInt64.max
                for pair in Self.pairs(before, after) {
                    if let previous = pieces[pair]?.last, previous.upperBound &+ 1 == position {
                        pieces[pair]![pieces[pair]!.count - 1] = previous.lowerBound...last
                    } else {
                        pieces[pair, default: []].append(position...last)
                    }
                }
            }
            guard let end else { break }
            if endI == end { i += 1 }
            if endJ == end { j += 1 }
            position = end
        }
        return pieces.map { PartitionMove(from: $0.key.from, to: $0.key.to, ranges: $0.value) }
            .sorted { ($0.from, $0.to) < ($1.from, $1.to) }
    }

    /// The (old, new) owner pairs, old ≠ new, that some key passes through between slice lists
    /// `a` and `b`: slices `i` of `a` and `j` of `b` share keys exactly when `i ≡ j` modulo
    /// gcd(|a|, |b|).
    static func pairs(_ a: [Int], _ b: [Int]) -> Set<PartitionMove.Pair> {
        var g = a.count
        var h = b.count
        while h != 0 { (g, h) = (h, g % h) }
        var out = Set<PartitionMove.Pair>()
        for i in a.indices {
            var j = i % g
            while j < b.count {
                if a[i] != b[j] { out.insert(PartitionMove.Pair(from: a[i], to: b[j])) }
                j += g
            }
        }
        return out
    }
}

/// One range of a ``PartitionMap``: where it starts, and who owns it.
public struct PartitionRange: Hashable, Sendable {
    /// The first position; the range runs to the next range's start.
    public var start: UInt64
    /// The owning partition, or a spread hot cell's slices (a key picks slice `key % count`).
    public var owners: [Int]

    public init(start: UInt64, owners: [Int]) {
        self.start = start
        self.owners = owners
    }
}

/// Positions that pass from one partition to another between two epochs of a map.
public struct PartitionMove: Hashable, Sendable {
    struct Pair: Hashable {
        var from: Int
        var to: Int
    }

    public let from: Int
    public let to: Int
    /// The positions that moved, as `first...last`, sorted.
    public let ranges: [ClosedRange<UInt64>]
}

/// Stable 64-bit keys for the secondary key of a spread range (a device or feature id).
///
/// Stable across processes and builds (unlike `Hasher`), so every instance sends one key to the
/// same partition: FNV-1a over the UTF-8 bytes, then a SplitMix64 finaliser for even low bits.
public enum PartitionKey {
    public static func hash(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        return mix(h)
    }

    public static func hash(_ value: UInt64) -> UInt64 { mix(value &+ 0x9e37_79b9_7f4a_7c15) }

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
