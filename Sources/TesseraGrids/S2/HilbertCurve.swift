/// The lookup tables that walk S2's Hilbert curve four levels (8 bits of `i`, `j`) at a time.
///
/// `positions[(i₄ << 6) | (j₄ << 2) | orientation]` gives `(pos₈ << 2) | newOrientation` for a
/// 4×4-level block, and `coordinates` is the inverse. Built once, on first use.
@usableFromInline
enum S2HilbertCurve {
    /// Levels resolved per table lookup.
    @usableFromInline static let lookupBits = 4
    /// Orientation bit: the curve's i and j axes are swapped.
    @usableFromInline static let swapMask = 1
    /// Orientation bit: the curve runs in the opposite direction.
    @usableFromInline static let invertMask = 2

    /// For each orientation, the `(i, j)` (as `i << 1 | j`) of the child at each curve position.
    static let positionToIJ: [[Int]] = [[0, 1, 3, 2], [0, 2, 3, 1], [3, 2, 0, 1], [3, 1, 0, 2]]
    /// How a child's orientation differs from its parent's, by curve position.
    static let positionToOrientation: [Int] = [swapMask, 0, 0, invertMask | swapMask]

    /// `(i, j, orientation)` → `(position, orientation)`; 1024 entries.
    @usableFromInline static let positions: [UInt16] = tables.positions
    /// `(position, orientation)` → `(i, j, orientation)`; 1024 entries.
    @usableFromInline static let coordinates: [UInt16] = tables.coordinates

    private static let tables: (positions: [UInt16], coordinates: [UInt16]) = {
        var pos = [UInt16](repeating: 0, count: 1 << (2 * lookupBits + 2))
        var ij = pos
        func fill(level: Int, i: Int, j: Int, origin: Int, position: Int, orientation: Int) {
            if level == lookupBits {
                let ijIndex = (i << lookupBits) + j
                pos[(ijIndex << 2) + origin] = UInt16((position << 2) + orientation)
                ij[(position << 2) + origin] = UInt16((ijIndex << 2) + orientation)
                return
            }
            let r = positionToIJ[orientation]
            for k in 0..<4 {
                fill(
                    level: level + 1, i: (i << 1) + (r[k] >> 1), j: (j << 1) + (r[k] & 1), origin: origin,
                    position: (position << 2) + k, orientation: orientation ^ positionToOrientation[k])
            }
        }
        for orientation in 0..<4 {
            fill(level: 0, i: 0, j: 0, origin: orientation, position: 0, orientation: orientation)
        }
        return (pos, ij)
    }()
}
