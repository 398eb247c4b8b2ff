/// Keeps each key's events in order when a rebalance moves the key to another partition.
///
/// Tessera's rule: **a move takes effect for delivery only after the giver has delivered what it
/// routed before the move.** When the map of epoch `e` hands positions from partition `p` to `q`,
/// `q`'s deliveries routed with epoch `e` or later wait until no delivery of `p` routed with an
/// epoch before `e` is left undelivered. Deliveries of one partition go in order already, so a
/// key's events, which before the move went to `p` and after it go to `q`, reach the consumers in
/// commit order. The gate is transitive: for a chain of moves (`p → q` at `e`, `q → r` at `e + 1`)
/// `r` also waits for what `q` had to wait for, so a key whose events skipped `q` entirely (none
/// during epoch `e`) still cannot overtake its events left in `p`.
///
/// A partition's deliveries must be routed with non-decreasing epochs (route inside the transaction
/// that reads the current map and enqueues), or two partitions could wait for each other.
///
/// The wait is per pair of partitions, not per key, so it is coarse but needs no per-key state: a
/// receiving partition stalls for at most the giver's backlog at the time of the move, and only for
/// the epochs after it. The payloads also carry partition and epoch, so a consumer can check.
public struct PartitionHandoff: Hashable, Sendable {
    /// At `epoch`, partition `from` handed positions to partition `to`.
    public struct Edge: Hashable, Sendable {
        public let epoch: Int64
        public let from: Int
        public let to: Int

        public init(epoch: Int64, from: Int, to: Int) {
            self.epoch = epoch
            self.from = from
            self.to = to
        }
    }

    public private(set) var edges: [Edge]

    public init(edges: [Edge] = []) { self.edges = edges }

    /// The hand-offs of the map change to epoch `epoch` (`old.moves(to: new)`).
    public static func edges(of moves: [PartitionMove], epoch: Int64) -> [Edge] {
        moves.map { Edge(epoch: epoch, from: $0.from, to: $0.to) }
    }

    public mutating func record(_ moves: [PartitionMove], epoch: Int64) {
        edges.append(contentsOf: Self.edges(of: moves, epoch: epoch))
    }

    /// Whether `partition`'s deliveries routed with `epoch` may go, given the oldest epoch still
    /// undelivered per partition (absent: nothing undelivered).
    public func mayRelease(partition: Int, epoch: Int64, oldestUndelivered: [Int: Int64]) -> Bool {
        guard let blocked = heldFrom(oldestUndelivered)[partition] else { return true }
        return epoch < blocked
    }

    /// Per partition, the first epoch whose deliveries must still wait (absent: none wait).
    ///
    /// One pass over the hand-offs in epoch order: a hand-off `p → q` at `e` holds `q` from `e` on
    /// when `p` still has deliveries from before `e`, or when `p` itself was held before `e`.
    public func heldFrom(_ oldestUndelivered: [Int: Int64]) -> [Int: Int64] {
        var held: [Int: Int64] = [:]
        var index = 0
        let sorted = edges.sorted { $0.epoch < $1.epoch }
        while index < sorted.count {
            // Hand-offs of one epoch see only what held before that epoch.
            let epoch = sorted[index].epoch
            var next = index
            var found: [(Int, Int64)] = []
            while next < sorted.count && sorted[next].epoch == epoch {
                let edge = sorted[next]
                let dirty = oldestUndelivered[edge.from].map { $0 < epoch } ?? false
                let inherited = held[edge.from].map { $0 < epoch } ?? false
                if dirty || inherited { found.append((edge.to, epoch)) }
                next += 1
            }
            for (to, from) in found where held[to].map({ from < $0 }) ?? true { held[to] = from }
            index = next
        }
        return held
    }

    /// Forgets the hand-offs that can no longer hold anything back: their giver has nothing left
    /// from before them, and neither has anyone the giver was waiting for.
    public mutating func prune(oldestUndelivered: [Int: Int64]) {
        var kept: [Edge] = []
        for edge in edges.sorted(by: { $0.epoch < $1.epoch }) {
            let clean = oldestUndelivered[edge.from].map { $0 >= edge.epoch } ?? true
            // An edge into the giver that is still kept carries a wait this one passes on.
            let inherited = kept.contains { $0.to == edge.from && $0.epoch < edge.epoch }
            if !clean || inherited { kept.append(edge) }
        }
        edges = kept
    }
}
