extension H3Cell {
    /// The ancestor at `resolution` (the cell itself at its own resolution).
    /// - Throws: ``H3Error`` `.resolutionMismatch` when `resolution` is finer than the cell's.
    @inlinable
    public func parent(at resolution: H3Resolution) throws(H3Error) -> H3Cell {
        let own = H3Bits.resolution(rawValue)
        let r = resolution.value
        guard r <= own else {
            throw H3Error(
                .resolutionMismatch,
                field: "resolution",
                reason: "parent resolution \(r) is finer than \(own)"
            )
        }
        var h = H3Bits.setResolution(rawValue, r)
        for i in stride(from: r + 1, through: own, by: 1) { h = H3Bits.setDigit(h, i, 7) }
        return H3Cell(unchecked: h)
    }

    /// The descendant at `resolution` that shares this cell's centre.
    /// - Throws: ``H3Error`` `.resolutionMismatch` when `resolution` is coarser than the cell's.
    @inlinable
    public func centerChild(at resolution: H3Resolution) throws(H3Error) -> H3Cell {
        let own = H3Bits.resolution(rawValue)
        let r = resolution.value
        guard r >= own else {
            throw H3Error(
                .resolutionMismatch,
                field: "resolution",
                reason: "child resolution \(r) is coarser than \(own)"
            )
        }
        return H3Cell(unchecked: H3Bits.setResolution(H3Bits.zeroDigits(rawValue, own + 1, r), r))
    }

    /// Number of descendants at `resolution`: 7ⁿ for hexagons, 1 + 5(7ⁿ − 1)/6 for pentagons.
    /// - Throws: ``H3Error`` `.resolutionMismatch` when `resolution` is coarser than the cell's.
    public func childCount(at resolution: H3Resolution) throws(H3Error) -> Int {
        let own = H3Bits.resolution(rawValue)
        guard resolution.value >= own else {
            throw H3Error(
                .resolutionMismatch,
                field: "resolution",
                reason: "child resolution \(resolution.value) is coarser than \(own)"
            )
        }
        var p = 1
        for _ in own..<resolution.value { p *= 7 }
        return isPentagon ? 1 + 5 * (p - 1) / 6 : p
    }

    /// All descendants at `resolution`, in the reference's order (ascending index).
    /// - Throws: ``H3Error`` `.resolutionMismatch` when `resolution` is coarser than the cell's.
    public func children(at resolution: H3Resolution) throws(H3Error) -> [H3Cell] {
        var out: [H3Cell] = []
        out.reserveCapacity(try childCount(at: resolution))
        forEachChild(at: resolution.value) { out.append($0) }
        return out
    }

    /// Calls `body` with each descendant at `childRes` (≥ the cell's resolution), ascending.
    @usableFromInline
    func forEachChild(at childRes: Int, _ body: (H3Cell) -> Void) {
        let parentRes = H3Bits.resolution(rawValue)
        var h = H3Bits.setResolution(H3Bits.zeroDigits(rawValue, parentRes + 1, childRes), childRes)
        // Pentagon children skip digit 1 at the first non-zero position; track where that can happen.
        var skipDigit = H3Bits.isPentagon(h) ? childRes : -1
        while true {
            body(H3Cell(unchecked: h))
            // Increment the finest digit with carry.
            var r = childRes
            while true {
                if r == parentRes { return }
                var d = H3Bits.digit(h, r) + 1
                if r == skipDigit && d == 1 {
                    d = 2
                    skipDigit -= 1
                    h = H3Bits.setDigit(h, r, d)
                    break
                }
                if d == 7 {
                    h = H3Bits.setDigit(h, r, 0)
                    r -= 1
                    continue
                }
                h = H3Bits.setDigit(h, r, d)
                break
            }
        }
    }
}

/// Compaction: replacing every complete set of siblings by their parent, recursively.
public enum H3Compaction {
    /// The smallest set of cells of mixed resolutions covering exactly `cells`
    /// (the reference's `compactCells`), sorted ascending.
    /// - Throws: ``H3Error`` `.resolutionMismatch` when the cells are not all at one resolution,
    ///   `.invalidArgument` for duplicates.
    public static func compact(_ cells: [H3Cell]) throws(H3Error) -> [H3Cell] {
        guard let first = cells.first else { return [] }
        let res = H3Bits.resolution(first.rawValue)
        for c in cells where H3Bits.resolution(c.rawValue) != res {
            throw H3Error(.resolutionMismatch, field: "cells", reason: "\(c) is not at resolution \(res) like \(first)")
        }
        guard Set(cells).count == cells.count else {
            throw H3Error(.invalidArgument, field: "cells", reason: "duplicate cells")
        }
        var out: [H3Cell] = []
        var level = cells
        var r = res
        while r > 0 && !level.isEmpty {
            var siblings: [UInt64: Int] = [:]
            for c in level {
                let p = try c.parent(at: H3Resolution(unchecked: r - 1))
                siblings[p.rawValue, default: 0] += 1
            }
            var next: [H3Cell] = []
            for c in level {
                let p = try c.parent(at: H3Resolution(unchecked: r - 1))
                let need = p.isPentagon ? 6 : 7
                if siblings[p.rawValue] == need {
                    if siblings.updateValue(-1, forKey: p.rawValue) != -1 { next.append(p) }
                } else if siblings[p.rawValue] != -1 {
                    out.append(c)
                }
            }
            level = next
            r -= 1
        }
        out += level
        return out.sorted()
    }

    /// Every descendant at `resolution` of every cell in `cells` (the reference's `uncompactCells`).
    /// - Throws: ``H3Error`` `.resolutionMismatch` when a cell is finer than `resolution`.
    public static func uncompact(_ cells: [H3Cell], to resolution: H3Resolution) throws(H3Error) -> [H3Cell] {
        var out: [H3Cell] = []
        for c in cells {
            out.reserveCapacity(out.count + (try c.childCount(at: resolution)))
            c.forEachChild(at: resolution.value) { out.append($0) }
        }
        return out
    }
}
