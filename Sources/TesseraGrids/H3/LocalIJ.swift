/// Two-axis coordinates of a cell in the frame anchored at an origin cell (the reference's
/// `CoordIJ`, from `cellToLocalIj`).
///
/// Only coordinates from the same origin are comparable, and the frame has gaps and folds near
/// pentagons. The reference does not promise the same coordinates across its versions; these are
/// those of H3 4.5.0.
public struct H3LocalIJ: Hashable, Sendable, CustomStringConvertible {
    /// Steps along the i axis.
    public var i: Int32
    /// Steps along the j axis.
    public var j: Int32

    @inlinable
    public init(i: Int32, j: Int32) {
        self.i = i
        self.j = j
    }

    public var description: String { "(\(i), \(j))" }
}

extension H3Cell {
    /// The number of steps from this cell to `other` (the reference's `gridDistance`).
    ///
    /// Works through local IJ coordinates anchored at this cell, so it fails exactly where the
    /// reference fails: cells whose base cells are not neighbours (roughly more than a base cell
    /// apart) and some pairs on opposite sides of a pentagon.
    /// - Throws: ``H3Error`` `.resolutionMismatch` for cells of different resolutions,
    ///   `.outOfReach` where the reference returns `E_FAILED`.
    public func gridDistance(to other: H3Cell) throws(H3Error) -> Int {
        let start = try localIJK(of: self)
        let end = try localIJK(of: other)
        let d = H3CoordIJK(start.a &- end.a, start.b &- end.b, 0).normalized
        return max(abs(d.i), abs(d.j), abs(d.k))
    }

    /// Coordinates of `other` in the local IJ frame anchored at this cell (the reference's
    /// `cellToLocalIj(self, other, 0)`).
    /// - Throws: ``H3Error`` `.resolutionMismatch` for cells of different resolutions,
    ///   `.outOfReach` where the reference returns `E_FAILED`.
    public func localIJ(of other: H3Cell) throws(H3Error) -> H3LocalIJ {
        let c = try localIJK(of: other)
        return H3LocalIJ(i: Int32(truncatingIfNeeded: c.a), j: Int32(truncatingIfNeeded: c.b))
    }

    /// The cell at `ij` in the local IJ frame anchored at this cell (the reference's
    /// `localIjToCell(self, ij, 0)`).
    /// - Throws: ``H3Error`` `.outOfReach` where the reference returns `E_FAILED` (too far away, or
    ///   arithmetic that would overflow its 32-bit coordinates), `.pentagonDistortion` where it
    ///   returns `E_PENTAGON` (the coordinates fall into a pentagon's deleted sub-sequence).
    public func cell(atLocalIJ ij: H3LocalIJ) throws(H3Error) -> H3Cell {
        // ijToIjk: (i, j, 0), normalised, refused where the reference's 32-bit normalisation could overflow.
        let hi = max(ij.i, ij.j)
        let lo = min(ij.i, ij.j)
        if lo < 0 {
            if hi.addingReportingOverflow(lo).overflow || Int32(0).subtractingReportingOverflow(lo).overflow
                || hi.subtractingReportingOverflow(lo).overflow
            {
                throw H3LocalFrame.outOfReach("local coordinates \(ij) overflow")
            }
        }
        let ijk = H3CoordIJK(Int(ij.i), Int(ij.j), 0).normalized
        return H3Cell(unchecked: try H3LocalFrame.cell(at: ijk, origin: rawValue))
    }

    /// The reference's `cellToLocalIjk`: `other` in coordinates of this cell's base cell frame,
    /// unfolded across a neighbouring base cell or pentagon where that is possible; in two-axis
    /// form (i − k, j − k), which is the reference's local IJ.
    @usableFromInline
    func localIJK(of other: H3Cell) throws(H3Error) -> (a: Int, b: Int) {
        let origin = rawValue
        var h = other.rawValue
        let res = H3Bits.resolution(origin)
        guard res == H3Bits.resolution(h) else {
            throw H3Error(
                .resolutionMismatch,
                field: "cell",
                reason: "\(other) is at resolution \(H3Bits.resolution(h)), \(self) at \(res)"
            )
        }
        let originBaseCell = H3Bits.baseCell(origin)
        let baseCell = H3Bits.baseCell(h)
        // Direction from the origin's base cell to the other's, and back.
        var dir = 0
        var revDir = 0
        if originBaseCell != baseCell {
            dir = H3BaseCells.direction(from: originBaseCell, to: baseCell)
            guard dir != 7 else {
                throw H3LocalFrame.outOfReach("base cells \(originBaseCell) and \(baseCell) are not neighbours")
            }
            revDir = H3BaseCells.direction(from: baseCell, to: originBaseCell)
        }
        let originOnPentagon = H3BaseCells.pentagon[originBaseCell] != 0
        let indexOnPentagon = H3BaseCells.pentagon[baseCell] != 0
        if dir != 0 {
            // Undo the rotation into the other base cell's orientation (clockwise).
            let baseCellRotations = Int(H3BaseCells.neighborRotations[originBaseCell * 7 + dir])
            for _ in 0..<max(0, baseCellRotations) {
                if indexOnPentagon {
                    h = H3Bits.rotatePentagon60Clockwise(h)
                    revDir = H3Digit.rotate60Clockwise(revDir)
                    if revDir == 1 { revDir = H3Digit.rotate60Clockwise(revDir) }
                } else {
                    h = H3Bits.rotate60Clockwise(h)
                    revDir = H3Digit.rotate60Clockwise(revDir)
                }
            }
        }
        // Coordinates within the base cell, starting from its centre (face unused), in two-axis
        // form (i − k, j − k): the reference's normalised steps are linear in it.
        var coord = H3TwoAxis.walk(h, resolution: res)
        if dir != 0 {
            var pentagonRotations = 0
            var directionRotations = 0
            if originOnPentagon {
                let originLeading = H3Bits.leadingNonZeroDigit(origin)
                if H3LocalFrame.failedDirection(originLeading, dir) {
                    throw H3LocalFrame.outOfReach("\(other) lies across pentagon \(self)'s distortion")
                }
                directionRotations = H3LocalFrame.pentagonRotations(originLeading, dir)
                pentagonRotations = directionRotations
            } else if indexOnPentagon {
                let indexLeading = H3Bits.leadingNonZeroDigit(h)
                if H3LocalFrame.failedDirection(indexLeading, revDir) {
                    throw H3LocalFrame.outOfReach("\(other) lies across a pentagon's distortion from \(self)")
                }
                pentagonRotations = H3LocalFrame.pentagonRotations(revDir, indexLeading)
            }
            guard pentagonRotations >= 0, directionRotations >= 0 else {
                throw H3Error(.invalidCell, field: "cell", reason: "\(other) has a deleted k digit")
            }
            for _ in 0..<pentagonRotations { coord = H3TwoAxis.rotate60Clockwise(coord) }
            // The offset of the neighbouring base cell, scaled down to this resolution.
            var offset = H3TwoAxis.unit(dir)
            for r in stride(from: res, through: 1, by: -1) {
                offset = H3TwoAxis.down(offset, classIII: r & 1 == 1)
            }
            for _ in 0..<directionRotations { offset = H3TwoAxis.rotate60Clockwise(offset) }
            coord = (coord.a &+ offset.a, coord.b &+ offset.b)
        } else if originOnPentagon && indexOnPentagon {
            let originLeading = H3Bits.leadingNonZeroDigit(origin)
            let indexLeading = H3Bits.leadingNonZeroDigit(h)
            if H3LocalFrame.failedDirection(originLeading, indexLeading) {
                throw H3LocalFrame.outOfReach("\(other) lies across pentagon \(self)'s distortion")
            }
            let rotations = H3LocalFrame.pentagonRotations(originLeading, indexLeading)
            for _ in 0..<max(0, rotations) { coord = H3TwoAxis.rotate60Clockwise(coord) }
        }
        return coord
    }
}

/// Grid coordinates in two-axis form (a, b) = (i − k, j − k): one representative per cell, so the
/// normalisations of ijk arithmetic are unnecessary, and every step is a few integer operations.
@usableFromInline
enum H3TwoAxis {
    /// The unit vector of `digit` (zero for 0 and 7).
    @inlinable
    static func unit(_ digit: Int) -> (a: Int, b: Int) {
        switch digit {
        case 1: (-1, -1)
        case 2: (0, 1)
        case 3: (-1, 0)
        case 4: (1, 0)
        case 5: (0, -1)
        case 6: (1, 1)
        default: (0, 0)
        }
    }

    /// The centre child one resolution finer: counter-clockwise into a Class III resolution,
    /// clockwise into a Class II one (the reference's `_downAp7` and `_downAp7r`).
    @inlinable
    static func down(_ c: (a: Int, b: Int), classIII: Bool) -> (a: Int, b: Int) {
        classIII ? (2 &* c.a &+ c.b, 3 &* c.b &- c.a) : (3 &* c.a &- c.b, c.a &+ 2 &* c.b)
    }

    /// 60° clockwise: (i, j, k) → (i + j, j + k, i + k).
    @inlinable
    static func rotate60Clockwise(_ c: (a: Int, b: Int)) -> (a: Int, b: Int) { (c.b, c.b &- c.a) }

    /// The position of cell `h` within its base cell, from the base cell's centre (the reference's
    /// `_h3ToFaceIjkWithInitializedFijk` from zero coordinates).
    @inlinable
    static func walk(_ h: UInt64, resolution res: Int) -> (a: Int, b: Int) {
        var c = (a: 0, b: 0)
        for r in stride(from: 1, through: res, by: 1) {
            c = down(c, classIII: r & 1 == 1)
            let u = unit(H3Bits.digit(h, r))
            c = (c.a &+ u.a, c.b &+ u.b)
        }
        return c
    }
}

extension H3BaseCells {
    /// The direction (0...6) from base cell `origin` to its neighbour `neighbor`, or 7 when they
    /// are not neighbours.
    @inlinable
    static func direction(from origin: Int, to neighbor: Int) -> Int {
        for d in 0..<7 where Int(neighbors[origin * 7 + d]) == neighbor { return d }
        return 7
    }
}

extension H3Bits {
    /// Clockwise rotation of a pentagon-based index, stepping over the deleted k sub-sequence.
    @inlinable
    static func rotatePentagon60Clockwise(_ h: UInt64) -> UInt64 {
        let h = rotate60Clockwise(h)
        return leadingNonZeroDigit(h) == 1 ? rotate60Clockwise(h) : h
    }
}

/// The tables and the inverse walk of the local IJ frame (the reference's `localij.c`).
@usableFromInline
enum H3LocalFrame {
    /// Clockwise rotations, by origin leading digit (row) and index leading digit or base-cell
    /// direction (column); -1 where a k digit makes the pair impossible.
    @usableFromInline static let rotations: [Int8] = [
        0, -1, 0, 0, 0, 0, 0,
        -1, -1, -1, -1, -1, -1, -1,
        0, -1, 0, 0, 0, 1, 0,
        0, -1, 0, 0, 1, 1, 0,
        0, -1, 0, 5, 0, 0, 0,
        0, -1, 5, 5, 0, 0, 0,
        0, -1, 0, 0, 0, 0, 0,
    ]

    /// Counter-clockwise rotations undoing ``rotations`` when the origin is on a pentagon
    /// (reverse base-cell direction or origin leading digit by index leading digit).
    @usableFromInline static let reverseRotations: [Int8] = [
        0, 0, 0, 0, 0, 0, 0,
        -1, -1, -1, -1, -1, -1, -1,
        0, 1, 0, 0, 0, 0, 0,
        0, 1, 0, 0, 0, 1, 0,
        0, 5, 0, 0, 0, 0, 0,
        0, 5, 0, 5, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0,
    ]

    /// As ``reverseRotations`` when the index is on a non-polar pentagon and the origin is not.
    @usableFromInline static let reverseRotationsNonPolar: [Int8] = [
        0, 0, 0, 0, 0, 0, 0,
        -1, -1, -1, -1, -1, -1, -1,
        0, 1, 0, 0, 0, 0, 0,
        0, 1, 0, 0, 0, 1, 0,
        0, 5, 0, 0, 0, 0, 0,
        0, 1, 0, 5, 1, 1, 0,
        0, 0, 0, 0, 0, 0, 0,
    ]

    /// As ``reverseRotations`` when the index is on a polar pentagon (base cells 4 and 117).
    @usableFromInline static let reverseRotationsPolar: [Int8] = [
        0, 0, 0, 0, 0, 0, 0,
        -1, -1, -1, -1, -1, -1, -1,
        0, 1, 1, 1, 1, 1, 1,
        0, 1, 0, 0, 0, 1, 0,
        0, 1, 0, 0, 1, 1, 1,
        0, 1, 0, 5, 1, 1, 0,
        0, 1, 1, 0, 1, 1, 1,
    ]

    /// Pairs of directions (towards the origin, towards the index, both seen from the pentagon)
    /// across which the reference refuses to unfold a pentagon: more than one face away. One bit
    /// per column, one row of 7 bits per first direction.
    @usableFromInline static let failedDirections: UInt64 = {
        let rows: [[Int]] = [[], [], [4, 5], [4, 6], [2, 3], [2, 6], [3, 5]]
        var bits: UInt64 = 0
        for (row, columns) in rows.enumerated() {
            for c in columns { bits |= 1 << UInt64(row * 7 + c) }
        }
        return bits
    }()

    @inlinable
    static func failedDirection(_ a: Int, _ b: Int) -> Bool {
        guard (0..<7).contains(a), (0..<7).contains(b) else { return false }
        return failedDirections >> UInt64(a * 7 + b) & 1 == 1
    }

    @inlinable
    static func pentagonRotations(_ a: Int, _ b: Int) -> Int {
        guard (0..<7).contains(a), (0..<7).contains(b) else { return -1 }
        return Int(rotations[a * 7 + b])
    }

    @usableFromInline
    static func outOfReach(_ reason: String) -> H3Error {
        H3Error(.outOfReach, field: "cell", reason: reason)
    }

    /// The reference's `localIjkToCell`: the cell at normalised `ijk` in `origin`'s local frame.
    @usableFromInline
    static func cell(at ijk: H3CoordIJK, origin: UInt64) throws(H3Error) -> UInt64 {
        let res = H3Bits.resolution(origin)
        let originBaseCell = H3Bits.baseCell(origin)
        let originOnPentagon = H3BaseCells.pentagon[originBaseCell] != 0
        var out = H3Bits.setResolution(H3Bits.cellTemplate, res)
        if res == 0 {
            let dir = ijk.digit
            guard dir != 7 else { throw outOfReach("\(ijk) is not next to base cell \(originBaseCell)") }
            let baseCell = Int(H3BaseCells.neighbors[originBaseCell * 7 + dir])
            guard baseCell != H3BaseCells.invalid else {
                throw outOfReach("no base cell in direction \(dir) of pentagon \(originBaseCell)")
            }
            return H3Bits.setBaseCell(out, baseCell)
        }
        // Walk up from the finest resolution, recording each digit.
        var c = ijk
        for r in stride(from: res, through: 1, by: -1) {
            let last = c
            var center: H3CoordIJK
            if r & 1 == 1 {
                guard upAperture7Fits(c, clockwise: false) else { throw outOfReach("\(ijk) is too far away") }
                c.upAperture7()
                center = c
                center.downAperture7()
            } else {
                guard upAperture7Fits(c, clockwise: true) else { throw outOfReach("\(ijk) is too far away") }
                c.upAperture7Clockwise()
                center = c
                center.downAperture7Clockwise()
            }
            out = H3Bits.setDigit(out, r, (last - center).digit)
        }
        guard c.i <= 1, c.j <= 1, c.k <= 1 else { throw outOfReach("\(ijk) is beyond the neighbouring base cells") }
        var dir = c.digit
        var baseCell = Int(H3BaseCells.neighbors[originBaseCell * 7 + dir])
        let indexOnPentagon = baseCell != H3BaseCells.invalid && H3BaseCells.pentagon[baseCell] != 0
        if dir != 0 {
            var pentagonRotations = 0
            if originOnPentagon {
                let originLeading = H3Bits.leadingNonZeroDigit(origin)
                pentagonRotations = Int(reverseRotations[originLeading * 7 + dir])
                for _ in 0..<max(0, pentagonRotations) { dir = H3Digit.rotate60CounterClockwise(dir) }
                // Still the deleted direction: the coordinates cross the pentagon's distortion.
                guard dir != 1 else {
                    throw H3Error(.pentagonDistortion, field: "ij", reason: "\(ijk) falls into pentagon distortion")
                }
                baseCell = Int(H3BaseCells.neighbors[originBaseCell * 7 + dir])
            }
            let baseCellRotations = Int(H3BaseCells.neighborRotations[originBaseCell * 7 + dir])
            if indexOnPentagon {
                let revDir = H3BaseCells.direction(from: baseCell, to: originBaseCell)
                guard revDir != 7 else { throw outOfReach("base cell \(baseCell) does not border \(originBaseCell)") }
                out = H3Bits.rotate60CounterClockwise(out, times: max(0, baseCellRotations) % 6)
                let indexLeading = H3Bits.leadingNonZeroDigit(out)
                let table = baseCell == 4 || baseCell == 117 ? reverseRotationsPolar : reverseRotationsNonPolar
                let rotations = Int(table[revDir * 7 + indexLeading])
                guard rotations >= 0 else { throw H3Error(.invalidCell, field: "cell", reason: "k digit") }
                for _ in 0..<rotations { out = H3Bits.rotatePentagon60CounterClockwise(out) }
            } else {
                guard pentagonRotations >= 0 else { throw H3Error(.invalidCell, field: "cell", reason: "k digit") }
                out = H3Bits.rotate60CounterClockwise(out, times: (pentagonRotations + max(0, baseCellRotations)) % 6)
            }
        } else if originOnPentagon && indexOnPentagon {
            let originLeading = H3Bits.leadingNonZeroDigit(origin)
            let indexLeading = H3Bits.leadingNonZeroDigit(out)
            let rotations = Int(reverseRotations[originLeading * 7 + indexLeading])
            guard rotations >= 0 else { throw H3Error(.invalidCell, field: "cell", reason: "k digit") }
            out = H3Bits.rotate60CounterClockwise(out, times: rotations % 6)
        }
        if indexOnPentagon && H3Bits.leadingNonZeroDigit(out) == 1 {
            throw H3Error(.pentagonDistortion, field: "ij", reason: "\(ijk) falls into pentagon distortion")
        }
        return H3Bits.setBaseCell(out, baseCell)
    }

    /// Whether the reference's checked aperture-7 step up accepts `c` (its 32-bit arithmetic
    /// cannot overflow).
    @inlinable
    static func upAperture7Fits(_ c: H3CoordIJK, clockwise: Bool) -> Bool {
        let third = Int(Int32.max / 3)
        let i = c.i - c.k
        let j = c.j - c.k
        guard i >= third || j >= third || i < 0 || j < 0 else { return true }
        guard let i32 = Int32(exactly: i), let j32 = Int32(exactly: j) else { return false }
        func adds(_ a: Int32, _ b: Int32) -> Bool { !a.addingReportingOverflow(b).overflow }
        func subs(_ a: Int32, _ b: Int32) -> Bool { !a.subtractingReportingOverflow(b).overflow }
        if clockwise {
            guard adds(i32, i32), adds(j32, j32) else { return false }
            let j2 = j32 &+ j32
            guard adds(j2, j32) else { return false }
            return adds(i32 &+ i32, j32) && subs(j2 &+ j32, i32)
        } else {
            guard adds(i32, i32) else { return false }
            let i2 = i32 &+ i32
            guard adds(i2, i32), adds(j32, j32) else { return false }
            return subs(i2 &+ i32, j32) && adds(i32, j32 &+ j32)
        }
    }
}
