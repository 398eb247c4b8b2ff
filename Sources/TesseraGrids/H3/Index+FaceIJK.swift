extension H3Bits {
    /// The index of the cell at `fijk` (resolution `res` coordinates), or 0 for coordinates off the grid.
    @inlinable
    static func index(_ fijk: H3FaceIJK, resolution res: Int) -> UInt64 {
        var h = setResolution(cellTemplate, res)
        var bc = fijk
        if res == 0 {
            guard bc.coord.i <= 2, bc.coord.j <= 2, bc.coord.k <= 2 else { return 0 }
            return setBaseCell(h, Int(H3BaseCells.byFaceIJK[H3BaseCells.faceIJKSlot(bc)]))
        }
        // Walk up from the finest digit, recording each child's offset from its parent centre.
        var r = res - 1
        while r >= 0 {
            let last = bc.coord
            var lastCenter: H3CoordIJK
            if (r + 1) & 1 == 1 {
                bc.coord.upAperture7()
                lastCenter = bc.coord
                lastCenter.downAperture7()
            } else {
                bc.coord.upAperture7Clockwise()
                lastCenter = bc.coord
                lastCenter.downAperture7Clockwise()
            }
            h = setDigit(h, r + 1, (last - lastCenter).digit)
            r -= 1
        }
        guard bc.coord.i <= 2, bc.coord.j <= 2, bc.coord.k <= 2 else { return 0 }
        let slot = H3BaseCells.faceIJKSlot(bc)
        let baseCell = Int(H3BaseCells.byFaceIJK[slot])
        h = setBaseCell(h, baseCell)
        let rotations = Int(H3BaseCells.rotationsByFaceIJK[slot])
        if H3BaseCells.pentagon[baseCell] != 0 {
            // Rotate out of the deleted k sub-sequence.
            if leadingNonZeroDigit(h) == 1 {
                if H3BaseCells.isClockwiseOffset(baseCell, face: bc.face) {
                    h = rotate60Clockwise(h)
                } else {
                    h = rotate60CounterClockwise(h)
                }
            }
            for _ in 0..<rotations { h = rotatePentagon60CounterClockwise(h) }
        } else {
            for _ in 0..<rotations { h = rotate60CounterClockwise(h) }
        }
        return h
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
        for r in stride(from: 1, through: res, by: 1) {
            if r & 1 == 1 {
                fijk.coord.downAperture7()
            } else {
                fijk.coord.downAperture7Clockwise()
            }
            fijk.coord.move(digit(h, r))
        }
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
