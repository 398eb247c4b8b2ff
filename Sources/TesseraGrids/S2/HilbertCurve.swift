/// The lookup tables that walk S2's Hilbert curve four levels (8 bits of `i`, `j`) at a time.
///
/// `positions[(i₄ << 6) | (j₄ << 2) | orientation]` gives `(pos₈ << 2) | newOrientation` for a
/// 4×4-level block, and `coordinates` is the inverse. Built once, on first use.
@usableFromInline
enum S2HilbertCurve {
    /// Levels resolved per table lookup.
    @inlinable static var lookupBits: Int { 4 }
    /// Orientation bit: the curve's i and j axes are swapped.
    @inlinable static var swapMask: Int { 1 }
    /// Orientation bit: the curve runs in the opposite direction.
    @inlinable static var invertMask: Int { 2 }

    /// For each orientation, the `(i, j)` (as `i << 1 | j`) of the child at each curve position.
    static let positionToIJ: [[Int]] = [[0, 1, 3, 2], [0, 2, 3, 1], [3, 2, 0, 1], [3, 1, 0, 2]]
    /// How a child's orientation differs from its parent's, by curve position.
    static let positionToOrientation: [Int] = [swapMask, 0, 0, invertMask | swapMask]

    /// `(i, j, orientation)` → `(position, orientation)`; 1024 entries.
    @usableFromInline static let positions: [UInt16] = tables.positions
    /// `(position, orientation)` → `(i, j, orientation)`; 1024 entries.
    @usableFromInline static let coordinates: [UInt16] = tables.coordinates

    /// ``positions`` copied to memory that lives for the whole process, so the hot path reads
    /// it without the reference counting that `withUnsafeBufferPointer` on a global costs.
    // nonisolated(unsafe): written once during lazy initialisation, only read afterwards.
    @usableFromInline nonisolated(unsafe) static let positionTable: UnsafePointer<UInt16> = permanentCopy(positions)
    /// ``coordinates`` copied likewise.
    // nonisolated(unsafe): written once during lazy initialisation, only read afterwards.
    @usableFromInline nonisolated(unsafe) static let coordinateTable: UnsafePointer<UInt16> = permanentCopy(coordinates)

    /// `(i₆ << 14) | (j₆ << 8) | (orientation)` → `(pos₁₂ << 2) | newOrientation`: six levels per
    /// lookup, so a leaf id takes five dependent lookups instead of eight (16,384 entries, 32 KiB).
    // nonisolated(unsafe): written once during lazy initialisation, only read afterwards.
    @usableFromInline nonisolated(unsafe) static let positionTable6: UnsafePointer<UInt16> = {
        let bits = 6
        let memory = UnsafeMutablePointer<UInt16>.allocate(capacity: 1 << (2 * bits + 2))
        forEachSubcell(levels: bits) { i, j, origin, position, orientation in
            memory[(((i << bits) + j) << 2) + origin] = UInt16((position << 2) + orientation)
        }
        return UnsafePointer(memory)
    }()

    /// ``positionTable6`` regrouped so that one 64-bit entry, indexed by `(i₆ << 6) | j₆` alone,
    /// holds the 14-bit results for all four orientations (orientation `o` at bits `16o`).
    /// The five lookups for a leaf then no longer wait on each other: only a shift depends on
    /// the previous step's orientation. 4,096 entries, 32 KiB.
    // nonisolated(unsafe): written once during lazy initialisation, only read afterwards.
    @usableFromInline nonisolated(unsafe) static let positionsAllOrientations: UnsafePointer<UInt64> = {
        let memory = UnsafeMutablePointer<UInt64>.allocate(capacity: 1 << 12)
        for ij in 0..<(1 << 12) {
            var entry: UInt64 = 0
            for orientation in 0..<4 {
                entry |= UInt64(positionTable6[(ij << 2) + orientation]) << UInt64(16 * orientation)
            }
            memory[ij] = entry
        }
        return UnsafePointer(memory)
    }()

    /// A never-freed copy of `table` (1024 entries, allocated once per table).
    private static func permanentCopy(_ table: [UInt16]) -> UnsafePointer<UInt16> {
        let memory = UnsafeMutablePointer<UInt16>.allocate(capacity: table.count)
        memory.initialize(from: table, count: table.count)
        return UnsafePointer(memory)
    }

    private static let tables: (positions: [UInt16], coordinates: [UInt16]) = {
        var pos = [UInt16](repeating: 0, count: 1 << (2 * lookupBits + 2))
        var ij = pos
        forEachSubcell(levels: lookupBits) { i, j, origin, position, orientation in
            let ijIndex = (i << lookupBits) + j
            pos[(ijIndex << 2) + origin] = UInt16((position << 2) + orientation)
            ij[(position << 2) + origin] = UInt16((ijIndex << 2) + orientation)
        }
        return (pos, ij)
    }()

    /// Walks the Hilbert curve `levels` levels down from each of the four starting orientations
    /// and calls `visit(i, j, startOrientation, position, endOrientation)` for every subcell:
    /// its coordinates within the block, its position along the curve, and the orientation
    /// the curve leaves it in. Both lookup tables are built from this one walk.
    private static func forEachSubcell(
        levels: Int,
        _ visit: (_ i: Int, _ j: Int, _ origin: Int, _ position: Int, _ orientation: Int) -> Void
    ) {
        func descend(level: Int, i: Int, j: Int, origin: Int, position: Int, orientation: Int) {
            if level == levels {
                visit(i, j, origin, position, orientation)
                return
            }
            let r = positionToIJ[orientation]
            for k in 0..<4 {
                descend(
                    level: level + 1,
                    i: (i << 1) + (r[k] >> 1),
                    j: (j << 1) + (r[k] & 1),
                    origin: origin,
                    position: (position << 2) + k,
                    orientation: orientation ^ positionToOrientation[k]
                )
            }
        }
        for orientation in 0..<4 {
            descend(level: 0, i: 0, j: 0, origin: orientation, position: 0, orientation: orientation)
        }
    }
}
