import TesseraTestSupport
import Testing

@testable import TesseraGrids

@Suite struct PartitionHandoffTests {
    struct Event: Hashable {
        var key: Int
        var sequence: Int
        var partition: Int
        var epoch: Int64
    }

    /// Devices report from cells that move between partitions as the map changes every few
    /// events; partitions deliver in their own order, at random speeds. Returns, per device, the
    /// sequence numbers in the order they were delivered.
    static func simulate(gated: Bool, seed: UInt64) throws -> [Int: [Int]] {
        var rng = SeededGenerator(seed: seed)
        let grid = try PartitionGrid(.s2, level: 10)
        let partitions = 6
        var map = try PartitionMap(uniform: grid, partitions: partitions)
        var handoff = PartitionHandoff()
        var queues = [[Event]](repeating: [], count: partitions)
        var delivered: [Int: [Int]] = [:]
        // Each device sits at a fixed position; rebalances move the positions between partitions.
        let devices = (0..<40).map { _ in UInt64.random(in: 0..<grid.positionLimit, using: &rng) }
        var sequence = [Int](repeating: 0, count: devices.count)

        func oldest() -> [Int: Int64] {
            var out: [Int: Int64] = [:]
            for (p, queue) in queues.enumerated() { if let first = queue.first { out[p] = first.epoch } }
            return out
        }

        for round in 0..<3_000 {
            // New events with the current map.
            for _ in 0..<3 {
                let device = Int.random(in: 0..<devices.count, using: &rng)
                sequence[device] += 1
                let p = map.partition(of: devices[device], key: UInt64(device))
                queues[p].append(Event(key: device, sequence: sequence[device], partition: p, epoch: map.epoch))
            }
            // Now and then a rebalance: a random new map.
            if round % 50 == 49 {
                var starts = Set<UInt64>([0])
                while starts.count < 8 { starts.insert(UInt64.random(in: 1..<grid.positionLimit, using: &rng)) }
                let next = try PartitionMap(
                    grid: grid,
                    partitions: partitions,
                    epoch: map.epoch + 1,
                    ranges: starts.sorted().map {
                        PartitionRange(start: $0, owners: [Int.random(in: 0..<partitions, using: &rng)])
                    }
                )
                handoff.record(map.moves(to: next), epoch: next.epoch)
                map = next
            }
            // Partitions deliver the heads of their queues at random speeds (some are slow).
            for p in (0..<partitions).shuffled(using: &rng) where Int.random(in: 0..<(p + 2), using: &rng) == 0 {
                guard let head = queues[p].first else { continue }
                if gated && !handoff.mayRelease(partition: p, epoch: head.epoch, oldestUndelivered: oldest()) {
                    continue
                }
                queues[p].removeFirst()
                delivered[head.key, default: []].append(head.sequence)
            }
            if round % 100 == 0 { handoff.prune(oldestUndelivered: oldest()) }
        }
        // Drain.
        var idle = 0
        while queues.contains(where: { !$0.isEmpty }) && idle < 10_000 {
            idle += 1
            for p in 0..<partitions {
                guard let head = queues[p].first else { continue }
                if gated && !handoff.mayRelease(partition: p, epoch: head.epoch, oldestUndelivered: oldest()) {
                    continue
                }
                queues[p].removeFirst()
                delivered[head.key, default: []].append(head.sequence)
            }
        }
        #expect(queues.allSatisfy { $0.isEmpty }, "the gate never deadlocks")
        return delivered
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func noKeyIsOvertakenAcrossRebalances(seed: UInt64) throws {
        let delivered = try Self.simulate(gated: true, seed: seed)
        for (device, order) in delivered {
            #expect(order == order.sorted(), "device \(device) delivered out of order")
            #expect(order == Array(1...order.count), "device \(device) lost or doubled an event")
        }
    }

    /// The control: without the gate the same schedule does reorder, so the test above can fail.
    @Test func withoutTheGateKeysAreOvertaken() throws {
        let delivered = try Self.simulate(gated: false, seed: 1)
        #expect(delivered.values.contains { $0 != $0.sorted() })
    }

    /// A key that sent nothing while it belonged to the middle partition of a chain of moves.
    @Test func aChainOfMovesHoldsAKeyThatSkippedTheMiddle() {
        // Event 1 went to p (0) at epoch 1 and is still queued; epoch 2 moved the key to q (1),
        // which got nothing and is empty; epoch 3 moved it to r (2), where event 2 waits.
        var handoff = PartitionHandoff(edges: [
            PartitionHandoff.Edge(epoch: 2, from: 0, to: 1), PartitionHandoff.Edge(epoch: 3, from: 1, to: 2),
        ])
        #expect(!handoff.mayRelease(partition: 2, epoch: 3, oldestUndelivered: [0: 1]))
        // The first edge cannot be forgotten while p holds epoch 1, nor the second, which inherits it.
        handoff.prune(oldestUndelivered: [0: 1])
        #expect(handoff.edges.count == 2)
        #expect(handoff.mayRelease(partition: 2, epoch: 3, oldestUndelivered: [:]))
        handoff.prune(oldestUndelivered: [:])
        #expect(handoff.edges.isEmpty)
    }

    @Test func pruningForgetsOnlyWhatCanNoLongerWait() {
        var handoff = PartitionHandoff(edges: [
            PartitionHandoff.Edge(epoch: 3, from: 0, to: 1), PartitionHandoff.Edge(epoch: 5, from: 2, to: 1),
        ])
        #expect(!handoff.mayRelease(partition: 1, epoch: 3, oldestUndelivered: [0: 2]))
        #expect(handoff.mayRelease(partition: 1, epoch: 2, oldestUndelivered: [0: 2]))
        #expect(handoff.mayRelease(partition: 1, epoch: 4, oldestUndelivered: [0: 3, 2: 4]))
        #expect(!handoff.mayRelease(partition: 1, epoch: 5, oldestUndelivered: [0: 3, 2: 4]))
        handoff.prune(oldestUndelivered: [0: 3, 2: 4])
        #expect(handoff.edges == [PartitionHandoff.Edge(epoch: 5, from: 2, to: 1)])
    }
}
