extension H3Bits {
    /// The index of the cell at `fijk` (resolution `res` coordinates), or 0 for coordinates off the grid.
    ///
    /// The reference's `_faceIjkToH3`, worked in two-axis (i − k, j − k) coordinates: every step of
    /// the walk up the hierarchy (aperture-7 parent, its centre child, the offset digit) is linear
    /// and invariant under adding (1, 1, 1), so the normalisations in between change nothing.
    @inlinable
    static func index(_ fijk: H3FaceIJK, resolution res: Int) -> UInt64 {
        index(face: fijk.face, i: fijk.coord.i - fijk.coord.k, j: fijk.coord.j - fijk.coord.k, resolution: res)
    }

    /// ``index(_:resolution:)`` for the cell at two-axis coordinates (`i`, `j`) on `face`.
    @inlinable
    static func index(face: Int, i: Int, j: Int, resolution res: Int) -> UInt64 {
        var a = i
        var b = j
        // Digits 1...res (3 bits each, digit r at bit 3·(15 − r)); digits after res are 7.
        var digits: UInt64 = (1 &<< UInt64(3 &* (15 &- res))) &- 1
        var r = res
        // Below 2²³ in magnitude, every later (smaller) coordinate is too, and the products below
        // stay under 2²⁵: the division by 7 needs no range check (the loop is unswitched on `small`).
        let small = a.magnitude < 1 << 23 && b.magnitude < 1 << 23
        while r > 0 {
            let pa: Int
            let pb: Int
            let da: Int
            let db: Int
            if r & 1 == 1 {
                // Class III: the parent is counter-clockwise.
                pa = H3Bits.nearestSeventh(3 &* a &- b, small: small)
                pb = H3Bits.nearestSeventh(a &+ 2 &* b, small: small)
                da = a &- (2 &* pa &+ pb)
                db = b &- (3 &* pb &- pa)
            } else {
                pa = H3Bits.nearestSeventh(2 &* a &+ b, small: small)
                pb = H3Bits.nearestSeventh(3 &* b &- a, small: small)
                da = a &- (3 &* pa &- pb)
                db = b &- (pa &+ 2 &* pb)
            }
            digits |= UInt64(H3Bits.unitDigit(da, db)) &<< UInt64(3 &* (15 &- r))
            a = pa
            b = pb
            r &-= 1
        }
        // Base cell coordinates, normalised (all ≥ 0, one of them 0).
        var bi = a
        var bj = b
        var bk = 0
        if bi < 0 {
            bj -= bi
            bk -= bi
            bi = 0
        }
        if bj < 0 {
            bi -= bj
            bk -= bj
            bj = 0
        }
        let m = min(bi, bj, bk)
        bi -= m
        bj -= m
        bk -= m
        guard bi <= 2, bj <= 2, bk <= 2, face >= 0, face < 20 else { return 0 }
        let slot = face * 27 + bi * 9 + bj * 3 + bk
        let baseCell = Int(H3BaseCells.byFaceIJK[slot])
        let rotations = Int(H3BaseCells.rotationsByFaceIJK[slot])
        var h =
            (cellTemplate & ~(0xf << 52 | 0x7f << 45 | 0x1fff_ffff_ffff)) | UInt64(res) << 52
            | UInt64(baseCell) << 45 | digits
        if H3BaseCells.pentagon[baseCell] != 0 {
            // Rotate out of the deleted k sub-sequence.
            if leadingNonZeroDigit(h) == 1 {
                if H3BaseCells.isClockwiseOffset(baseCell, face: face) {
                    h = rotate60Clockwise(h)
                } else {
                    h = rotate60CounterClockwise(h)
                }
            }
            for _ in 0..<rotations { h = rotatePentagon60CounterClockwise(h) }
        } else if rotations != 0 {
            h = rotate60CounterClockwise(h, times: rotations)
        }
        return h
    }

    /// The integer nearest to n / 7, as the reference's `lround(n * M_ONESEVENTH)`.
    ///
    /// n / 7 is never halfway between integers, and for |n| < 2³¹ the rounding error of the
    /// reference's double product (below 10⁻⁶) is far smaller than the distance (at least 1/14)
    /// from any multiple of 1/7 to a half-integer, so both always agree; this form needs no libm call.
    @inlinable
    static func nearestSeventh(_ n: Int) -> Int {
        // floor((n + 3) / 7). Grid coordinates stay below 2²⁵ in magnitude: shifted by 7·2²⁶ they
        // are in [0, 2³⁰), where multiplying by (2³² + 3) / 7 and dropping 32 bits divides by 7
        // exactly (the excess, under 3/28, never reaches the next multiple of 1/7).
        if n.magnitude < 1 << 26 {
            let x = UInt64(bitPattern: Int64(n &+ 3 &+ 7 << 26))
            return Int(bitPattern: UInt((x &* 613_566_757) >> 32)) &- 1 << 26
        }
        let m = n + 3
        return m >= 0 ? m / 7 : (m - 6) / 7
    }

    /// ``nearestSeventh(_:)`` where the caller knows |n| < 2²⁶ when `small` is true.
    @inlinable @inline(__always)
    static func nearestSeventh(_ n: Int, small: Bool) -> Int {
        guard small else { return nearestSeventh(n) }
        let x = UInt64(bitPattern: Int64(n &+ 3 &+ 7 << 26))
        return Int(bitPattern: UInt((x &* 613_566_757) >> 32)) &- 1 << 26
    }

    /// The digit of a unit offset given in two-axis coordinates, or 7 when it is not a unit offset.
    @inlinable
    static func unitDigit(_ a: Int, _ b: Int) -> Int {
        // (a, b) = (i − k, j − k) of the 7 unit vectors: (0,0) 0, (−1,−1) 1, (0,1) 2, (−1,0) 3,
        // (1,0) 4, (0,−1) 5, (1,1) 6; packed 4 bits per (a + 1)·3 + (b + 1).
        let table: UInt64 = 0x6_4720_5731
        guard UInt(bitPattern: a &+ 1) < 3, UInt(bitPattern: b &+ 1) < 3 else { return 7 }
        return Int((table &>> UInt64(4 &* ((a &+ 1) &* 3 &+ b &+ 1))) & 0xf)
    }

    /// The face and coordinates of a valid cell `h`, on its base cell's home face unless it overflows onto a neighbour.
    @inlinable
    static func faceIJK(_ h: UInt64) -> H3FaceIJK {
        var h = h
        let baseCell = baseCell(h)
        let isPentagonBase = H3BaseCells.pentagon[baseCell] != 0
        // All of sub-sequence 5 of a pentagon must be rotated (and some of 4, below).
        if isPentagonBase && leadingNonZeroDigit(h) == 5 { h = rotate60Clockwise(h) }
        var fijk = H3BaseCells.homeFaceIJK(baseCell)
        let res = resolution(h)
        let possibleOverage = isPentagonBase || (res != 0 && fijk.coord != .zero)
        // Down the hierarchy in two-axis form (see ``H3TwoAxis``), normalised once at the end.
        var c = (a: fijk.coord.i - fijk.coord.k, b: fijk.coord.j - fijk.coord.k)
        for r in stride(from: 1, through: res, by: 1) {
            c = H3TwoAxis.down(c, classIII: r & 1 == 1)
            let u = H3TwoAxis.unit(digit(h, r))
            c = (c.a &+ u.a, c.b &+ u.b)
        }
        fijk.coord = H3CoordIJK(c.a, c.b, 0).normalized
        guard possibleOverage else { return fijk }
        let original = fijk.coord
        var adjustedRes = res
        if res & 1 == 1 {
            fijk.coord.downAperture7Clockwise()
            adjustedRes += 1
        }
        let leading4 = isPentagonBase && leadingNonZeroDigit(h) == 4
        if fijk.adjustOverage(resolution: adjustedRes, pentagonLeading4: leading4, substrate: false) != .none {
            if isPentagonBase {
                while fijk.adjustOverage(resolution: adjustedRes, pentagonLeading4: false, substrate: false) != .none {}
            }
            if adjustedRes != res { fijk.coord.upAperture7Clockwise() }
        } else if adjustedRes != res {
            fijk.coord = original
        }
        return fijk
    }
}

extension H3BaseCells {
    @inlinable
    static func faceIJKSlot(_ f: H3FaceIJK) -> Int { f.face * 27 + f.coord.i * 9 + f.coord.j * 3 + f.coord.k }

    @inlinable
    static func homeFaceIJK(_ baseCell: Int) -> H3FaceIJK {
        let n = baseCell * 4
        return H3FaceIJK(
            face: Int(home[n]),
            coord: H3CoordIJK(Int(home[n + 1]), Int(home[n + 2]), Int(home[n + 3]))
        )
    }

    @inlinable
    static func isClockwiseOffset(_ baseCell: Int, face: Int) -> Bool {
        Int(clockwiseOffsetFaces[baseCell * 2]) == face || Int(clockwiseOffsetFaces[baseCell * 2 + 1]) == face
    }
}
