import Foundation
import TesseraCatalog
import TesseraGeometry
import TesseraGrids

extension Representation {
    /// A subscription's published partition map, partition by partition.
    ///
    /// `first`/`last` are positions on the grid's curve (inclusive, 16 lowercase hex digits), the
    /// last range clipped to the last position any cell has; `first_cell`/`last_cell` name their
    /// cells at the grid's level (null at a hole of the H3 curve). `load` is the load the balancer
    /// saw for the partition when it published the map, `load_share` that load over the total;
    /// `imbalance` is the largest load over the mean; all three null without loads.
    static func partitions(_ published: PublishedPartitionMap, subscription: UUID) -> JSONValue {
        let map = published.map
        let grid = map.grid
        let limit = grid.positionLimit
        var owned = [[JSONValue]](repeating: [], count: map.partitionCount)
        var spans = [[ClosedRange<UInt64>]](repeating: [], count: map.partitionCount)
        let ranges = map.ranges
        for (index, range) in ranges.enumerated() {
            guard range.start < limit else { break }
            let next = index + 1 < ranges.count ? ranges[index + 1].start : limit
            let last = min(next, limit) - 1
            let entry = JSONValue.object([
                ("first", .string(hex(range.start))),
                ("last", .string(hex(last))),
                ("first_cell", .string(grid.cellName(at: range.start, level: grid.level))),
                ("last_cell", .string(grid.cellName(at: last, level: grid.level))),
                ("spread", .bool(range.owners.count > 1)),
            ])
            var slices: [Int: Int] = [:]
            for owner in range.owners { slices[owner, default: 0] += 1 }
            for owner in slices.keys.sorted() {
                owned[owner].append(entry)
                spans[owner].append(range.start...last)
            }
        }
        let loads = published.loads.flatMap { $0.count == map.partitionCount ? $0 : nil }
        var imbalance: JSONValue = .null
        let total = loads?.reduce(0, +) ?? 0
        if let loads, let largest = loads.max() {
            let mean = loads.reduce(0, +) / Double(loads.count)
            if mean > 0 { imbalance = .number(largest / mean) }
        }
        let partitions: [JSONValue] = (0..<map.partitionCount).map { p in
            let box = PartitionBounds.box(of: spans[p], grid: grid)
            return .object([
                ("partition", .int(p)),
                ("load", loads.map { .number($0[p]) } ?? .null),
                ("load_share", loads.flatMap { total > 0 ? .number($0[p] / total) : nil } ?? .null),
                (
                    "bbox",
                    box.map { .array([.number($0.west), .number($0.south), .number($0.east), .number($0.north)]) }
                        ?? .null
                ),
                ("ranges", .array(owned[p])),
            ])
        }
        return .object([
            ("subscription", .string(subscription.uuidString.lowercased())),
            ("epoch", .int(Int(map.epoch))),
            ("published_at", .date(published.publishedAt)),
            (
                "grid",
                .object([
                    ("system", .string(grid.system.rawValue)),
                    ("level", .int(grid.level)),
                    ("finest_level", .int(grid.finestLevel)),
                ])
            ),
            ("partition_count", .int(map.partitionCount)),
            ("imbalance", imbalance),
            ("partitions", .array(partitions)),
        ])
    }

    /// A position as 16 lowercase hexadecimal digits.
    static func hex(_ position: UInt64) -> String {
        let digits = String(position, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
