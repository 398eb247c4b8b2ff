/// Leaf-grid coordinates, centres and edge neighbours of a cell.
extension S2CellID {
    /// The face, the `(i, j)` of the cell's leaf-grid corner position and the curve orientation.
    @inlinable
    func faceIJOrientation() -> (face: Int, i: Int, j: Int, orientation: Int) {
        var i = 0
        var j = 0
        let face = self.face
        var bits = face & S2HilbertCurve.swapMask
        let id = self.id
        let table = S2HilbertCurve.coordinateTable
        var k = 7
        while k >= 0 {
            let nbits = k == 7 ? 2 : 4
            bits += (Int(truncatingIfNeeded: id >> UInt64(k * 8 + 1)) & ((1 << (2 * nbits)) - 1)) << 2
            bits = Int(table[bits])
            i += (bits >> 6) << (k * 4)
            j += ((bits >> 2) & 15) << (k * 4)
            bits &= 3
            k -= 1
        }
        if lsb & 0x1111_1111_1111_1110 != 0 { bits ^= S2HilbertCurve.swapMask }
        return (face, i, j, bits)
    }

    /// The cell's size in leaf-grid units at `level`.
    @inlinable
    static func sizeIJ(_ level: Int) -> Int { 1 << (maxLevel - level) }

    /// The face and `(si, ti)` of the cell's centre.
    func centerSiTi() -> (face: Int, si: Int, ti: Int) {
        let (face, i, j, _) = faceIJOrientation()
        let delta = isLeaf ? 1 : (((i ^ (Int(truncatingIfNeeded: id) >> 2)) & 1) != 0 ? 2 : 0)
        return (face, 2 * i + delta, 2 * j + delta)
    }

    /// The centre of the cell as a unit point.
    public var center: S2Point {
        let (face, si, ti) = centerSiTi()
        return S2Projection.faceSiTiToXYZ(face, si, ti).normalized
    }

    /// The centre of the cell in degrees (as s2geometry's `ToLatLng`).
    public var centerLatLng: S2LatLng {
        let (face, si, ti) = centerSiTi()
        return S2LatLng(S2Projection.faceSiTiToXYZ(face, si, ti))
    }

    /// The `(u, v)` rectangle of a cell at `level` whose leaf-grid position is `(i, j)`.
    static func boundUV(i: Int, j: Int, level: Int) -> (u0: Double, u1: Double, v0: Double, v1: Double) {
        let size = sizeIJ(level)
        let i0 = i & -size
        let j0 = j & -size
        return (
            S2Projection.stToUV(S2Projection.ijToSTMin(i0)), S2Projection.stToUV(S2Projection.ijToSTMin(i0 + size)),
            S2Projection.stToUV(S2Projection.ijToSTMin(j0)), S2Projection.stToUV(S2Projection.ijToSTMin(j0 + size))
        )
    }

    /// The leaf cell at `(i, j)`, which may lie just off `face`: then it is re-projected onto
    /// the adjacent face, as s2geometry's `FromFaceIJWrap`.
    static func wrapped(face: Int, i: Int, j: Int) -> S2CellID {
        let limit = S2Projection.limitIJ
        let i = max(-1, min(limit, i))
        let j = max(-1, min(limit, j))
        let scale = 1.0 / Double(limit)
        let bound = 1.0 + Double.ulpOfOne
        let u = max(-bound, min(bound, scale * Double(2 * (i - limit / 2) + 1)))
        let v = max(-bound, min(bound, scale * Double(2 * (j - limit / 2) + 1)))
        let (f, pu, pv) = S2Projection.xyzToFaceUV(S2Projection.faceUVToXYZ(face, u, v))
        return S2CellID(face: f, i: S2Projection.stToIJ(0.5 * (pu + 1)), j: S2Projection.stToIJ(0.5 * (pv + 1)))
    }

    static func sameOrWrapped(face: Int, i: Int, j: Int, sameFace: Bool) -> S2CellID {
        sameFace ? S2CellID(face: face, i: i, j: j) : wrapped(face: face, i: i, j: j)
    }

    /// The four cells at this cell's level sharing an edge with it, in the order bottom (−v),
    /// right (+u), top (+v), left (−u) of the cell's face, as s2geometry's `GetEdgeNeighbors`.
    public var edgeNeighbors: [S2CellID] {
        let level = levelValue
        let size = S2CellID.sizeIJ(level)
        let (face, i, j, _) = faceIJOrientation()
        let limit = S2Projection.limitIJ
        return [
            S2CellID.sameOrWrapped(face: face, i: i, j: j - size, sameFace: j - size >= 0).parent(atLevel: level),
            S2CellID.sameOrWrapped(face: face, i: i + size, j: j, sameFace: i + size < limit).parent(atLevel: level),
            S2CellID.sameOrWrapped(face: face, i: i, j: j + size, sameFace: j + size < limit).parent(atLevel: level),
            S2CellID.sameOrWrapped(face: face, i: i - size, j: j, sameFace: i - size >= 0).parent(atLevel: level),
        ]
    }

    /// The three or four cells at `level` (coarser than this cell) that share the vertex of
    /// the level-`level` ancestor closest to this cell, including that ancestor.
    func vertexNeighbors(atLevel level: Int) -> [S2CellID] {
        let (face, i, j, _) = faceIJOrientation()
        let half = S2CellID.sizeIJ(level + 1)
        let size = half << 1
        let limit = S2Projection.limitIJ
        let iSame: Bool
        let jSame: Bool
        let di: Int
        let dj: Int
        if i & half != 0 {
            di = size
            iSame = i + size < limit
        } else {
            di = -size
            iSame = i - size >= 0
        }
        if j & half != 0 {
            dj = size
            jSame = j + size < limit
        } else {
            dj = -size
            jSame = j - size >= 0
        }
        var out = [
            parent(atLevel: level),
            S2CellID.sameOrWrapped(face: face, i: i + di, j: j, sameFace: iSame).parent(atLevel: level),
            S2CellID.sameOrWrapped(face: face, i: i, j: j + dj, sameFace: jSame).parent(atLevel: level),
        ]
        if iSame || jSame {
            out.append(
                S2CellID.sameOrWrapped(face: face, i: i + di, j: j + dj, sameFace: iSame && jSame).parent(
                    atLevel: level
                )
            )
        }
        return out
    }
}
