/// The grid and space-filling curve a partition map is laid along.
///
/// A *position* is a 64-bit point on the curve. Every cell of the grid, at every level, is one
/// contiguous interval of positions, and a cell's descendants lie inside it, so a range of positions
/// is a union of whole cells and a partition made of few ranges is a compact region.
///
/// - **S2**: the position is the cell id itself; S2 ids already follow a Hilbert curve over the six
///   cube faces. A leaf cell (level 30) is one position.
/// - **H3**: H3 cells do not nest exactly, so no curve through them is continuous; Tessera orders
///   them hierarchically, by the index's own digits (a cell's seven children follow it, each
///   subtree contiguous), and visits the 122 base cells in the Hilbert order of their centres on
///   S2's curve, so consecutive base cells are neighbours or close. The position is
///   `rank(base cell) << 45 | digits`, with unused digits all ones (7), which is the last position
///   of the cell.
///
/// `level` is the grid's resolution (H3 0–15, S2 0–30): load is measured per cell at that level,
/// and partition boundaries fall on its cell boundaries. `finestLevel` (at least `level`) is how far
/// a hot cell may be split into children before it is spread over several partitions by a
/// secondary key instead.
public struct PartitionGrid: Hashable, Sendable, CustomStringConvertible {
    /// The cell system.
    public enum System: String, Hashable, Sendable, CaseIterable {
        case h3
        case s2
    }

    public let system: System
    /// The level at which load is measured and boundaries are drawn.
    public let level: Int
    /// The finest level a hot cell may be split to.
    public let finestLevel: Int

    /// - Throws: ``PartitionError`` `.invalidGrid` for a level outside the system's range or a
    ///   `finestLevel` coarser than `level`.
    public init(_ system: System, level: Int, finestLevel: Int? = nil) throws(PartitionError) {
        let maximum = system == .h3 ? 15 : 30
        guard (0...maximum).contains(level) else {
            throw PartitionError(.invalidGrid, "\(system.rawValue) level \(level) is outside 0...\(maximum)")
        }
        let finest = finestLevel ?? min(maximum, level + (system == .h3 ? 3 : 4))
        guard (level...maximum).contains(finest) else {
            throw PartitionError(.invalidGrid, "finest level \(finest) is outside \(level)...\(maximum)")
        }
        self.system = system
        self.level = level
        self.finestLevel = finest
    }

    public var description: String { "\(system.rawValue) \(level) (split to \(finestLevel))" }

    /// The finest level of the system: 15 for H3, 30 for S2.
    @inlinable
    public var maximumLevel: Int { system == .h3 ? 15 : 30 }

    /// One past the last position any cell can have.
    public var positionLimit: UInt64 {
        switch system {
        case .h3: UInt64(H3Curve.baseCellCount) << 45
        case .s2: 6 << 61
        }
    }

    /// The bits below a cell of `level`: positions that differ only in them lie in the same cell.
    @inlinable
    public func mask(at level: Int) -> UInt64 {
        switch system {
        case .h3: (1 << UInt64(3 * (15 - level))) &- 1
        case .s2: (1 << UInt64(2 * (30 - level) + 1)) &- 1
        }
    }

    /// The first position of the level-`level` cell containing `position`.
    @inlinable
    public func cellStart(_ position: UInt64, level: Int) -> UInt64 { position & ~mask(at: level) }

    /// The last position of the level-`level` cell containing `position`.
    @inlinable
    public func cellEnd(_ position: UInt64, level: Int) -> UInt64 { position | mask(at: level) }

    /// A value naming the level-`level` cell containing `position`, unique across levels: the S2
    /// cell id, or for H3 the cell's last position (its unused digits are 7, which no real digit is).
    @inlinable
    public func cellKey(_ position: UInt64, level: Int) -> UInt64 {
        switch system {
        case .h3: position | mask(at: level)
        case .s2: (position & ~mask(at: level)) | ((mask(at: level) &+ 1) >> 1)
        }
    }

    /// The level of a ``cellKey(_:level:)``.
    @inlinable
    public func level(ofKey key: UInt64) -> Int {
        switch system {
        case .h3: 15 - min(15, (~key).trailingZeroBitCount / 3)
        case .s2: 30 - key.trailingZeroBitCount / 2
        }
    }

    /// The position of an H3 cell: its last position. Call only on an H3 grid.
    @inlinable
    public func position(of cell: H3Cell) -> UInt64 {
        let raw = cell.rawValue
        let rank = UInt64(H3Curve.rankOfBaseCell[Int(truncatingIfNeeded: (raw >> 45) & 127)])
        return rank << 45 | (raw & (1 << 45 - 1))
    }

    /// The position of an S2 cell: its id. Call only on an S2 grid.
    @inlinable
    public func position(of cell: S2CellID) -> UInt64 { cell.id }

    /// The position of a point: its finest cell's (H3 resolution 15, S2 leaf), so that a hot cell can
    /// be split down to `finestLevel` for it. For H3 the curve's cell of a point at a coarser level
    /// is that finest cell's ancestor, which near a cell edge can be a neighbour of the cell that
    /// contains the point at that resolution (H3 cells do not nest); route and measure one kind of
    /// input always the same way (points by this position, cells by ``position(of:)-(H3Cell)``).
    /// - Throws: ``PartitionError`` `.invalidCoordinate` for a latitude or longitude out of range.
    public func position(latitude: Double, longitude: Double) throws(PartitionError) -> UInt64 {
        switch system {
        case .h3:
            guard let point = try? H3LatLng(latitude: latitude, longitude: longitude) else {
                throw PartitionError(.invalidCoordinate, "(\(latitude), \(longitude)) is not a valid location")
            }
            return position(of: point.cell(at: .finest))
        case .s2:
            guard let point = try? S2LatLng(latitude: latitude, longitude: longitude) else {
                throw PartitionError(.invalidCoordinate, "(\(latitude), \(longitude)) is not a valid location")
            }
            return point.leafCell.id
        }
    }

    /// The H3 cell at `level` containing `position`, or nil where the curve has a hole (a digit 7,
    /// a pentagon's deleted subsequence, a base cell rank past the last).
    public func h3Cell(at position: UInt64, level: Int) -> H3Cell? {
        let rank = Int(truncatingIfNeeded: position >> 45)
        guard system == .h3, rank < H3Curve.baseCellCount else { return nil }
        let digits = (position & (1 << 45 - 1)) | mask(at: level)
        let raw = UInt64(1) << 59 | UInt64(level) << 52 | UInt64(H3Curve.baseCellOfRank[rank]) << 45 | digits
        return try? H3Cell(raw)
    }

    /// The S2 cell at `level` containing `position`, or nil past the sixth face.
    public func s2Cell(at position: UInt64, level: Int) -> S2CellID? {
        guard system == .s2, position < positionLimit else { return nil }
        return S2CellID(id: cellKey(position, level: level))
    }

    /// The cell containing `position` at `level`, as text (H3 hexadecimal, S2 token), or nil at a hole.
    public func cellName(at position: UInt64, level: Int) -> String? {
        switch system {
        case .h3: h3Cell(at: position, level: level)?.description
        case .s2: s2Cell(at: position, level: level)?.token
        }
    }
}

/// H3's base cells in curve order.
public enum H3Curve {
    public static let baseCellCount = 122

    /// `baseCellOfRank[r]` is the base cell visited `r`-th: base cells sorted by the S2 (Hilbert)
    /// position of their centres.
    public static let baseCellOfRank: [UInt8] = {
        let keyed: [(UInt64, UInt8)] = (0..<baseCellCount).map { base in
            let raw = UInt64(1) << 59 | UInt64(base) << 45 | (1 << 45 - 1)
            let center = H3Cell(unchecked: raw).center
            // The centre of a valid cell is a valid location.
            let leaf = (try? S2LatLng(latitude: center.latitude, longitude: center.longitude))?.leafCell.id ?? 0
            return (leaf, UInt8(base))
        }
        return keyed.sorted { $0.0 < $1.0 }.map(\.1)
    }()

    /// The inverse of ``baseCellOfRank``, with 127 (past every rank) for the unused base-cell numbers.
    public static let rankOfBaseCell: [UInt8] = {
        var out = [UInt8](repeating: 127, count: 128)
        for (rank, base) in baseCellOfRank.enumerated() { out[Int(base)] = UInt8(rank) }
        return out
    }()
}
