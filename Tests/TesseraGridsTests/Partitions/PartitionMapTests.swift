import TesseraTestSupport
import Testing

@testable import TesseraGrids

@Suite struct PartitionMapTests {
    /// A random valid map: random sorted starts, random owners, some ranges spread.
    static func randomMap(_ rng: inout SeededGenerator, grid: PartitionGrid, partitions: Int, ranges: Int)
        -> PartitionMap
    {
        var starts = Set<UInt64>([0])
        while starts.count < ranges { starts.insert(UInt64.random(in: 1..<grid.positionLimit, using: &rng)) }
        let list = starts.sorted().map { start -> PartitionRange in
            if partitions > 2, Int.random(in: 0..<10, using: &rng) == 0 {
                let k = Int.random(in: 2...min(5, partitions), using: &rng)
                return PartitionRange(start: start, owners: Array((0..<partitions).shuffled(using: &rng).prefix(k)))
            }
            return PartitionRange(start: start, owners: [Int.random(in: 0..<partitions, using: &rng)])
        }
        return try! PartitionMap(grid: grid, partitions: partitions, epoch: 1, ranges: list)
    }

    /// The reference: a linear scan for the last range starting at or before the position.
    static func bruteForce(_ ranges: [PartitionRange], _ position: UInt64, key: UInt64) -> Int {
        var found = ranges[0]
        for range in ranges where range.start <= position { found = range }
        return found.owners[Int(key % UInt64(found.owners.count))]
    }

    @Test func lookupAgreesWithBruteForce() throws {
        var rng = SeededGenerator(seed: 3)
        let grid = try PartitionGrid(.s2, level: 13)
        for (partitions, ranges) in [(1, 1), (2, 5), (64, 64), (64, 300), (4096, 5000)] {
            let map = Self.randomMap(&rng, grid: grid, partitions: partitions, ranges: ranges)
            var probes: [UInt64] = [0, UInt64.max, grid.positionLimit - 1]
            for range in map.ranges {
                probes.append(range.start)
                if range.start > 0 { probes.append(range.start - 1) }
            }
            for _ in 0..<2_000 { probes.append(UInt64.random(in: 0..<grid.positionLimit, using: &rng)) }
            let ranges = map.ranges
            for position in probes {
                let key = rng.next()
                #expect(map.partition(of: position, key: key) == Self.bruteForce(ranges, position, key: key))
                #expect(map.owners(of: position).contains(map.partition(of: position, key: key)))
            }
        }
    }

    @Test func rangesAreDisjointAndCoverTheCurve() throws {
        var rng = SeededGenerator(seed: 5)
        for system in PartitionGrid.System.allCases {
            let grid = try PartitionGrid(system, level: 9)
            for partitions in [1, 7, 64, 4096] {
                let uniform = try PartitionMap(uniform: grid, partitions: partitions)
                let random = Self.randomMap(&rng, grid: grid, partitions: partitions, ranges: partitions * 2)
                for map in [uniform, random] {
                    let ranges = map.ranges
                    #expect(ranges.first?.start == 0)
                    #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.start < $1.start })
                    // Adjacent ranges differ in owners (they were merged otherwise).
                    #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.owners != $1.owners })
                    // Spread ranges are listed once per owner; once each, the pieces tile 0...max.
                    let pieces = Set(map.rangesByPartition.flatMap { $0 }).sorted { $0.lowerBound < $1.lowerBound }
                    #expect(pieces.first?.lowerBound == 0)
                    #expect(pieces.last?.upperBound == UInt64.max)
                    #expect(zip(pieces, pieces.dropFirst()).allSatisfy { $0.upperBound &+ 1 == $1.lowerBound })
                }
                // A uniform map starts each range on a cell of the grid's level, one per partition.
                #expect(uniform.ranges.allSatisfy { grid.cellStart($0.start, level: grid.level) == $0.start })
                if partitions <= 64 { #expect(uniform.rangeCount == partitions) }
            }
        }
    }

    @Test func invalidMapsAreRefused() throws {
        let grid = try PartitionGrid(.h3, level: 9)
        #expect(throws: PartitionError.self) { try PartitionMap(uniform: grid, partitions: 0) }
        #expect(throws: PartitionError.self) { try PartitionMap(uniform: grid, partitions: 4097) }
        let cases: [[PartitionRange]] = [
            [],
            [PartitionRange(start: 5, owners: [0])],
            [PartitionRange(start: 0, owners: [0]), PartitionRange(start: 0, owners: [1])],
            [PartitionRange(start: 0, owners: [0]), PartitionRange(start: 9, owners: [4])],
            [PartitionRange(start: 0, owners: [])],
            [PartitionRange(start: 0, owners: [1, -1])],
            // Out of order after a range that merges into its neighbour.
            [
                PartitionRange(start: 0, owners: [0]), PartitionRange(start: 10, owners: [0]),
                PartitionRange(start: 5, owners: [1]),
            ],
            // More slices than the stored form allows.
            [PartitionRange(start: 0, owners: (0..<4097).map { $0 % 4 })],
        ]
        for ranges in cases {
            #expect(throws: PartitionError.self) {
                try PartitionMap(grid: grid, partitions: 4, epoch: 1, ranges: ranges)
            }
        }
        // Slices all of one partition are that partition; equal neighbours merge.
        let merged = try PartitionMap(
            grid: grid,
            partitions: 4,
            epoch: 1,
            ranges: [PartitionRange(start: 0, owners: [1, 1]), PartitionRange(start: 7, owners: [1])]
        )
        #expect(merged.ranges == [PartitionRange(start: 0, owners: [1])])
    }

    @Test func aKeyStaysWithOneOwnerOfASpreadRange() throws {
        let grid = try PartitionGrid(.s2, level: 13)
        let map = try PartitionMap(
            grid: grid,
            partitions: 8,
            epoch: 1,
            ranges: [
                PartitionRange(start: 0, owners: [0]), PartitionRange(start: 1000, owners: [3, 5, 6]),
                PartitionRange(start: 2000, owners: [1]),
            ]
        )
        var seen: [Int: Int] = [:]
        for device in 0..<3_000 {
            let key = PartitionKey.hash("device-\(device)")
            let p = map.partition(of: 1500, key: key)
            #expect([3, 5, 6].contains(p))
            #expect(map.partition(of: 1999, key: key) == p)
            seen[p, default: 0] += 1
        }
        // Keys spread evenly over the owners (each within 10 % of a third).
        #expect(seen.values.allSatisfy { abs($0 - 1000) < 100 })
        // The hash is stable: the same text, the same key, in every process.
        #expect(PartitionKey.hash("device-1") == PartitionKey.hash("device-1"))
        #expect(PartitionKey.hash("") == PartitionKey.hash(""))
        #expect(PartitionKey.hash("a") != PartitionKey.hash("b"))
    }

    @Test func movesNameEveryPositionThatChangedHands() throws {
        var rng = SeededGenerator(seed: 9)
        let grid = try PartitionGrid(.s2, level: 13)
        for _ in 0..<20 {
            let old = Self.randomMap(&rng, grid: grid, partitions: 16, ranges: 40)
            let new = Self.randomMap(&rng, grid: grid, partitions: 16, ranges: 40).with(epoch: 2)
            let moves = old.moves(to: new)
            var probes = old.ranges.map(\.start) + new.ranges.map(\.start)
            for _ in 0..<3_000 { probes.append(UInt64.random(in: 0..<grid.positionLimit, using: &rng)) }
            for position in probes {
                let before = old.owners(of: position)
                let after = new.owners(of: position)
                let named = Set(
                    moves.filter { move in move.ranges.contains { $0.contains(position) } }.map {
                        [$0.from, $0.to]
                    }
                )
                // Which partitions keys really pass between, found by trying many keys.
                var wanted = Set<[Int]>()
                for key in 0..<UInt64(400)
                where before[Int(key % UInt64(before.count))] != after[Int(key % UInt64(after.count))] {
                    wanted.insert([before[Int(key % UInt64(before.count))], after[Int(key % UInt64(after.count))]])
                }
                #expect(named == wanted)
            }
        }
        let same = Self.randomMap(&rng, grid: grid, partitions: 16, ranges: 40)
        #expect(same.moves(to: same.with(epoch: 2)).isEmpty)
    }

    @Test func encodingRoundTripsAndRefusesDamage() throws {
        var rng = SeededGenerator(seed: 21)
        for system in PartitionGrid.System.allCases {
            let grid = try PartitionGrid(system, level: 9, finestLevel: 11)
            let map = Self.randomMap(&rng, grid: grid, partitions: 300, ranges: 700).with(epoch: 41)
            let bytes = map.encoded()
            #expect(try PartitionMap(encoded: bytes) == map)
            #expect(throws: PartitionError.self) { try PartitionMap(encoded: Array(bytes.dropLast())) }
            #expect(throws: PartitionError.self) { try PartitionMap(encoded: bytes + [0]) }
            var wrongVersion = bytes
            wrongVersion[2] = 9
            #expect(throws: PartitionError.self) { try PartitionMap(encoded: wrongVersion) }
            #expect(throws: PartitionError.self) { try PartitionMap(encoded: [0x54, 0x50]) }
            // Numbers that overflow 64 bits, or are not minimal, are refused.
            let header = Array(bytes.prefix(6))
            let overflow = header + [UInt8](repeating: 0xff, count: 9) + [0x7f]
            #expect(throws: PartitionError.self) { try PartitionMap(encoded: overflow) }
            #expect(throws: PartitionError.self) { try PartitionMap(encoded: header + [0x80, 0x00]) }
        }
    }
}
