/// Keeps each key's events in order when a rebalance moves the key to another partition.
///
/// Tessera's rule: **a move takes effect for delivery only after the giver has delivered what it
/// routed before the move.** When the map of epoch `e` hands positions from partition `p` to `q`,
/// `q`'s deliveries routed with epoch `e` or later wait until no delivery of `p` routed with an
/// epoch before `e` is left undelivered. Deliveries of one partition go in order already, so a
/// key's events, which before the move went to `p` and after it go to `q`, reach the consumers in
/// commit order; chains of moves (`p → q` at `e`, `q → r` at `e + 1`) follow by induction.
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
        for edge in edges where edge.to == partition && edge.epoch <= epoch {
            if let oldest = oldestUndelivered[edge.from], oldest < edge.epoch { return false }
        }
        return true
    }

    /// Forgets the hand-offs that can no longer hold anything back: their giver has nothing left
    /// from before them.
    public mutating func prune(oldestUndelivered: [Int: Int64]) {
        edges.removeAll { edge in
            guard let oldest = oldestUndelivered[edge.from] else { return true }
            return oldest >= edge.epoch
        }
    }
}
