/// A 64-bit S2 cell id, bit-identical to s2geometry's `S2CellId`.
///
/// Layout: 3 bits of face, then 2 bits per level of position along the face's Hilbert curve,
/// then a single 1 bit marking the level, then zeros. Ids sort in Hilbert order and a cell's
/// descendants form the contiguous range ``rangeMin``...``rangeMax``.
///
/// An `S2CellID` may hold any 64-bit value (e.g. read from storage); use ``isValid`` or the
/// throwing ``init(validating:)`` before relying on it. Functions that take a level use
/// ``S2Level`` so that the level itself is always in range.
public struct S2CellID: Hashable, Comparable, Sendable {
    /// The raw 64-bit id.
    public let id: UInt64

    /// Bits used by the face number.
    @inlinable static var faceBits: Int { 3 }
    /// Bits used by the Hilbert position (including the marker bit).
    @inlinable static var positionBits: Int { 61 }
    /// The deepest level, 30.
    public static let maxLevel = 30

    /// Wraps a raw value without checking it. See ``isValid``.
    @inlinable
    public init(id: UInt64) { self.id = id }

    /// Wraps a raw value after checking that it names a cell.
    /// - Throws: ``S2Error`` with code `invalidCellID` when ``isValid`` is false.
    public init(validating id: UInt64) throws(S2Error) {
        let cell = S2CellID(id: id)
        guard cell.isValid else {
            throw S2Error(.invalidCellID, "cell id \(id) is not a valid S2 cell id")
        }
        self = cell
    }

    /// The face cell `face` (0...5).
    @inlinable
    init(face: Int) { self.id = (UInt64(face) << 61) &+ S2CellID.lsb(for: 0) }

    /// The leaf cell containing `p` (any non-zero vector; its direction is what counts).
    @inlinable
    public init(_ p: S2Point) {
        // S2Projection.xyzToFaceUV without data-dependent branches (random points would
        // mispredict them): the largest component k is chosen by arithmetic on comparisons, and
        // the face's numerators by selects. Face k has (u, v) = (n₁, n₂)/p[k] with
        // (n₁, n₂) = (y, z), (−x, z), (−x, −y) for k = 0, 1, 2; faces k + 3 (p[k] < 0) swap
        // them. The divisions are the reference's, so the result is bit-identical.
        let ax = abs(p.x)
        let ay = abs(p.y)
        let az = abs(p.z)
        let xMax = (ax > ay && ax > az) ? 1 : 0
        let yMax = (!(ax > ay) && ay > az) ? 1 : 0
        let k = 2 &- 2 &* xMax &- yMax
        let components = SIMD4(p.x, p.y, p.z, 0)
        let first = SIMD4(p.y, -p.x, -p.x, 0)
        let second = SIMD4(p.z, p.z, -p.y, 0)
        let d = components[k]
        let negative = d < 0
        let n1 = first[k]
        let n2 = second[k]
        let u = (negative ? n2 : n1) / d
        let v = (negative ? n1 : n2) / d
        let face = negative ? k &+ 3 : k
        let i = S2Projection.stToIJ(S2Projection.uvToST(u))
        let j = S2Projection.stToIJ(S2Projection.uvToST(v))
        self = S2CellID(face: face, i: i, j: j)
    }

    /// The leaf cell at leaf-grid position `(i, j)` on `face`.
    @inlinable @inline(__always)
    init(face: Int, i: Int, j: Int) {
        self.init(face: face, i: UInt64(truncatingIfNeeded: i), j: UInt64(truncatingIfNeeded: j))
    }

    /// The leaf cell at leaf-grid position `(i, j)` (each below 2³⁰) on `face` (0...5).
    ///
    /// The same Hilbert curve as s2geometry's eight lookups of four levels, in five lookups of
    /// six levels, written out so that every shift is a constant (see
    /// ``S2HilbertCurve/positionsAllOrientations``).
    @inlinable @inline(__always)
    init(face: Int, i: UInt64, j: UInt64) {
        let table = S2HilbertCurve.positionsAllOrientations
        var n = UInt64(truncatingIfNeeded: face) &<< 60
        var orientation = UInt64(truncatingIfNeeded: face & S2HilbertCurve.swapMask) &<< 4
        S2CellID.hilbertStep(table, i, j, 24, &n, &orientation)
        S2CellID.hilbertStep(table, i, j, 18, &n, &orientation)
        S2CellID.hilbertStep(table, i, j, 12, &n, &orientation)
        S2CellID.hilbertStep(table, i, j, 6, &n, &orientation)
        S2CellID.hilbertStep(table, i, j, 0, &n, &orientation)
        self.id = n &* 2 &+ 1
    }

    /// Six levels of the curve: the position of `(i, j)`'s bits `shift..<shift + 6` within
    /// the block, ORed into `n` at bit `2 · shift`, and the orientation (kept as the shift,
    /// 16 × orientation, that selects its field of the table entry) for the next block.
    @inlinable @inline(__always)
    static func hilbertStep(
        _ table: UnsafePointer<UInt64>,
        _ i: UInt64,
        _ j: UInt64,
        _ shift: UInt64,
        _ n: inout UInt64,
        _ orientation: inout UInt64
    ) {
        let index = (((i &>> shift) & 63) &<< 6) | ((j &>> shift) & 63)
        let entry = table[Int(truncatingIfNeeded: index)] &>> orientation
        n |= ((entry &>> 2) & 0xFFF) &<< (2 &* shift)
        orientation = (entry & 3) &<< 4
    }

    /// The lowest set bit of a cell at `level`.
    @inlinable
    static func lsb(for level: Int) -> UInt64 { 1 << UInt64(2 * (maxLevel - level)) }

    /// The lowest set bit of the id: 1 for a leaf, 2⁶⁰ for a face.
    @inlinable
    public var lsb: UInt64 { id & (0 &- id) }

    /// True when the id names a cell: a face number below 6 and a marker bit at an even position.
    @inlinable
    public var isValid: Bool { face < 6 && (lsb & 0x1555_5555_5555_5555) != 0 }

    /// The cube face, 0...5.
    @inlinable
    public var face: Int { Int(truncatingIfNeeded: id >> UInt64(S2CellID.positionBits)) }

    /// The position along the Hilbert curve over the face, with the marker bit (61 bits).
    @inlinable
    public var position: UInt64 { id & (UInt64.max >> UInt64(S2CellID.faceBits)) }

    /// The level as an integer, 0 for a face and 30 for a leaf. Requires a valid id.
    @inlinable
    public var levelValue: Int { S2CellID.maxLevel - (id.trailingZeroBitCount >> 1) }

    /// The level. Requires a valid id.
    @inlinable
    public var level: S2Level { S2Level(unchecked: levelValue) }

    /// True for a leaf cell (level 30).
    @inlinable
    public var isLeaf: Bool { id & 1 != 0 }

    /// True for a face cell (level 0).
    @inlinable
    public var isFace: Bool { id & (S2CellID.lsb(for: 0) - 1) == 0 }

    /// The ancestor at `level`, which must not be deeper than this cell's level.
    @inlinable
    public func parent(at level: S2Level) -> S2CellID {
        parent(atLevel: level.rawValue)
    }

    @inlinable
    func parent(atLevel level: Int) -> S2CellID {
        let newLsb = S2CellID.lsb(for: level)
        return S2CellID(id: (id & (0 &- newLsb)) | newLsb)
    }

    /// The parent one level up. Requires a cell below level 0.
    @inlinable
    public var parent: S2CellID {
        let newLsb = lsb << 2
        return S2CellID(id: (id & (0 &- newLsb)) | newLsb)
    }

    /// Child `position` (0...3, in Hilbert order). Requires a non-leaf cell.
    @inlinable
    public func child(_ position: Int) -> S2CellID {
        let newLsb = lsb >> 2
        return S2CellID(id: id &+ UInt64(2 * position + 1) &* newLsb &- 4 &* newLsb)
    }

    /// The four children in Hilbert order. Requires a non-leaf cell.
    @inlinable
    public var children: [S2CellID] { (0..<4).map { child($0) } }

    /// The descendants at `level` (deeper than or equal to this cell's), in Hilbert order.
    public func children(at level: S2Level) -> [S2CellID] {
        precondition(level.rawValue >= levelValue, "children(at:) needs a level at or below the cell's")
        let step = S2CellID.lsb(for: level.rawValue) << 1
        var out: [S2CellID] = []
        out.reserveCapacity(1 << (2 * (level.rawValue - levelValue)))
        var c = childBegin(atLevel: level.rawValue).id
        let end = childEnd(atLevel: level.rawValue).id
        while c != end {
            out.append(S2CellID(id: c))
            c &+= step
        }
        return out
    }

    @inlinable
    func childBegin(atLevel level: Int) -> S2CellID { S2CellID(id: id &- lsb &+ S2CellID.lsb(for: level)) }

    @inlinable
    func childEnd(atLevel level: Int) -> S2CellID { S2CellID(id: id &+ lsb &+ S2CellID.lsb(for: level)) }

    /// The next cell at the same level in Hilbert order (may run past face 5).
    @inlinable
    var next: S2CellID { S2CellID(id: id &+ (lsb << 1)) }

    /// Which child of its parent this cell is (0...3). Requires a non-face cell.
    @inlinable
    public var childPosition: Int {
        Int(truncatingIfNeeded: (id >> UInt64(2 * (S2CellID.maxLevel - levelValue) + 1)) & 3)
    }

    /// The smallest leaf id inside this cell.
    @inlinable
    public var rangeMin: S2CellID { S2CellID(id: id &- (lsb &- 1)) }

    /// The largest leaf id inside this cell.
    @inlinable
    public var rangeMax: S2CellID { S2CellID(id: id &+ (lsb &- 1)) }

    /// True when `other` is this cell or one of its descendants.
    @inlinable
    public func contains(_ other: S2CellID) -> Bool {
        other.id >= rangeMin.id && other.id <= rangeMax.id
    }

    /// True when the two cells overlap (one contains the other).
    @inlinable
    public func intersects(_ other: S2CellID) -> Bool {
        other.rangeMin.id <= rangeMax.id && other.rangeMax.id >= rangeMin.id
    }

    /// The deepest level at which both cells have the same ancestor, or -1 when on different faces.
    func commonAncestorLevel(_ other: S2CellID) -> Int {
        let bits = max(id ^ other.id, max(lsb, other.lsb))
        let width = 64 - bits.leadingZeroBitCount
        return max(61 - width, -1) >> 1
    }

    @inlinable
    public static func < (lhs: S2CellID, rhs: S2CellID) -> Bool { lhs.id < rhs.id }
}

extension S2CellID: CustomStringConvertible {
    /// `face/positions`, e.g. `3/0231`, as in s2geometry's `ToString`.
    public var description: String {
        guard isValid else { return "Invalid: \(String(id, radix: 16))" }
        var out = "\(face)/"
        for level in 1...max(1, levelValue) where level <= levelValue {
            let shift = UInt64(2 * (S2CellID.maxLevel - level) + 1)
            out.append(String((id >> shift) & 3))
        }
        return out
    }
}
