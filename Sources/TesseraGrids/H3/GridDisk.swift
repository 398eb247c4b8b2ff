extension H3Cell {
    /// The neighbour in direction `digit` (1...6), adjusting the running `rotations` count as the
    /// reference's `h3NeighborRotations` does; nil when the step enters a pentagon's deleted direction.
    @usableFromInline
    func neighbor(_ digit: Int, rotations: inout Int) -> H3Cell? {
        var current = rawValue
        var dir = digit
        if rotations >= 6 { rotations %= 6 }
        for _ in 0..<rotations { dir = H3Digit.rotate60CounterClockwise(dir) }
        var newRotations = 0
        let oldBaseCell = H3Bits.baseCell(current)
        let oldLeadingDigit = H3Bits.leadingNonZeroDigit(current)
        var r = H3Bits.resolution(current) - 1
        while true {
            if r == -1 {
                var nb = Int(H3BaseCells.neighbors[oldBaseCell * 7 + dir])
                newRotations = Int(H3BaseCells.neighborRotations[oldBaseCell * 7 + dir])
                if nb == H3BaseCells.invalid {
                    // The deleted k vertex: this edge borders the ik neighbour instead.
                    nb = Int(H3BaseCells.neighbors[oldBaseCell * 7 + 5])
                    newRotations = Int(H3BaseCells.neighborRotations[oldBaseCell * 7 + 5])
                    current = H3Bits.rotate60CounterClockwise(current)
                    rotations += 1
                }
                current = H3Bits.setBaseCell(current, nb)
                break
            }
            let oldDigit = H3Bits.digit(current, r + 1)
            let slot = oldDigit * 7 + dir
            let nextDir: Int
            if (r + 1) & 1 == 1 {
                current = H3Bits.setDigit(current, r + 1, Int(H3NeighborTables.digitII[slot]))
                nextDir = Int(H3NeighborTables.adjustmentII[slot])
            } else {
                current = H3Bits.setDigit(current, r + 1, Int(H3NeighborTables.digitIII[slot]))
                nextDir = Int(H3NeighborTables.adjustmentIII[slot])
            }
            if nextDir == 0 { break }
            dir = nextDir
            r -= 1
        }
        let newBaseCell = H3Bits.baseCell(current)
        if H3BaseCells.pentagon[newBaseCell] != 0 {
            var alreadyAdjusted = false
            if H3Bits.leadingNonZeroDigit(current) == 1 {
                if oldBaseCell != newBaseCell {
                    let homeFace = Int(H3BaseCells.home[oldBaseCell * 4])
                    if H3BaseCells.isClockwiseOffset(newBaseCell, face: homeFace) {
                        current = H3Bits.rotate60Clockwise(current)
                    } else {
                        current = H3Bits.rotate60CounterClockwise(current)
                    }
                    alreadyAdjusted = true
                } else {
                    switch oldLeadingDigit {
                    case 0: return nil
                    case 3:
                        current = H3Bits.rotate60CounterClockwise(current)
                        rotations += 1
                    case 5:
                        current = H3Bits.rotate60Clockwise(current)
                        rotations += 5
                    default: return nil
                    }
                }
            }
            for _ in 0..<newRotations { current = H3Bits.rotatePentagon60CounterClockwise(current) }
            if oldBaseCell != newBaseCell {
                if newBaseCell == 4 || newBaseCell == 117 {
                    // Polar pentagons have all-i neighbours.
                    if oldBaseCell != 118 && oldBaseCell != 8 && H3Bits.leadingNonZeroDigit(current) != 3 {
                        rotations += 1
                    }
                } else if H3Bits.leadingNonZeroDigit(current) == 5 && !alreadyAdjusted {
                    rotations += 1
                }
            }
        } else {
            for _ in 0..<newRotations { current = H3Bits.rotate60CounterClockwise(current) }
        }
        rotations += newRotations
        if rotations >= 6 { rotations %= 6 }
        return H3Cell(unchecked: current)
    }

    /// The cells within `k` steps of this one, this cell included (the reference's `gridDisk`).
    ///
    /// Away from pentagons the cells come ring by ring in the reference's order (the walk of its
    /// `gridDiskDistancesUnsafe`); when that walk meets a pentagon the disk is gathered breadth-first
    /// instead, in no particular order. About 1 + 3k(k + 1) cells.
    /// - Throws: ``H3Error`` `.invalidArgument` for negative `k`.
    public func disk(radius k: Int) throws(H3Error) -> [H3Cell] {
        guard k >= 0 else { throw H3Error(.invalidArgument, field: "k", reason: "\(k) is negative") }
        var out: [H3Cell] = []
        let (triangle, overflow) = k.multipliedReportingOverflow(by: k &+ 1)
        if !overflow && triangle < 1 << 24 { out.reserveCapacity(1 + 3 * triangle) }
        if walkRings(k, into: &out) { return out }
        return breadthFirstDisk(k)
    }

    /// Appends the disk ring by ring, walking each ring's six sides; false (with `out` partly
    /// filled) when the walk meets a pentagon, where the rings are distorted.
    @usableFromInline
    func walkRings(_ k: Int, into out: inout [H3Cell]) -> Bool {
        out.append(self)
        if H3Bits.isPentagon(rawValue) { return false }
        // Directions of the six sides, starting from the i-axis step out to the next ring:
        // j, jk, k, ik, i, ij.
        let sides: UInt64 = 0x64_5132
        var current = self
        var rotations = 0
        var ring = 1
        while ring <= k {
            guard let start = current.neighbor(4, rotations: &rotations), !H3Bits.isPentagon(start.rawValue) else {
                return false
            }
            current = start
            for side in 0..<6 {
                let direction = Int((sides >> UInt64(4 * side)) & 0xf)
                for _ in 0..<ring {
                    guard let next = current.neighbor(direction, rotations: &rotations) else { return false }
                    current = next
                    out.append(next)
                    if H3Bits.isPentagon(next.rawValue) { return false }
                }
            }
            ring += 1
        }
        return true
    }

    /// The disk gathered breadth-first, correct around pentagons: each cell is reached first at
    /// its grid distance.
    @usableFromInline
    func breadthFirstDisk(_ k: Int) -> [H3Cell] {
        var seen: Set<H3Cell> = [self]
        var out: [H3Cell] = [self]
        var frontier: [H3Cell] = [self]
        var step = 0
        while step < k && !frontier.isEmpty {
            step += 1
            var next: [H3Cell] = []
            for cell in frontier {
                for d in 1...6 {
                    var rotations = 0
                    guard let n = cell.neighbor(d, rotations: &rotations) else { continue }
                    if seen.insert(n).inserted {
                        out.append(n)
                        next.append(n)
                    }
                }
            }
            frontier = next
        }
        return out
    }

    /// True when `other` shares an edge with this cell (same resolution, not the same cell).
    public func isNeighbor(of other: H3Cell) -> Bool {
        guard other != self, H3Bits.resolution(other.rawValue) == H3Bits.resolution(rawValue) else { return false }
        for d in 1...6 {
            var rotations = 0
            if neighbor(d, rotations: &rotations) == other { return true }
        }
        return false
    }
}

/// Digit and carry tables for moving one step within the hierarchy (from the reference's `algos.c`),
/// indexed `oldDigit * 7 + direction`.
@usableFromInline
enum H3NeighborTables {
    @usableFromInline static let digitII: [UInt8] = [
        0, 1, 2, 3, 4, 5, 6, 1, 4, 3, 6, 5, 2, 0, 2, 3, 1, 4, 6, 0, 5, 3, 6, 4, 5, 0, 1, 2,
        4, 5, 6, 0, 2, 3, 1, 5, 2, 0, 1, 3, 6, 4, 6, 0, 5, 2, 1, 4, 3,
    ]
    @usableFromInline static let adjustmentII: [UInt8] = [
        0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 5, 0, 0, 0, 2, 3, 0, 0, 2, 0, 1, 3, 3, 0, 0, 0,
        0, 0, 0, 0, 4, 4, 6, 0, 5, 0, 0, 4, 5, 0, 0, 0, 2, 0, 6, 0, 6,
    ]
    @usableFromInline static let digitIII: [UInt8] = [
        0, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 0, 2, 3, 4, 5, 6, 0, 1, 3, 4, 5, 6, 0, 1, 2,
        4, 5, 6, 0, 1, 2, 3, 5, 6, 0, 1, 2, 3, 4, 6, 0, 1, 2, 3, 4, 5,
    ]
    @usableFromInline static let adjustmentIII: [UInt8] = [
        0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 3, 0, 1, 0, 0, 0, 2, 2, 0, 0, 6, 0, 3, 2, 3, 0, 0, 0,
        0, 0, 0, 0, 4, 5, 4, 0, 1, 0, 0, 5, 5, 0, 0, 0, 6, 0, 4, 0, 6,
    ]
}
