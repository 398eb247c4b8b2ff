/// Normalising and expanding sets of cells, as s2geometry's `S2CellUnion`.
enum S2CellUnion {
    /// Sorts `cells`, drops cells contained in others and replaces every four complete siblings
    /// by their parent, repeatedly.
    static func normalize(_ cells: [S2CellID]) -> [S2CellID] {
        var output: [S2CellID] = []
        output.reserveCapacity(cells.count)
        for var id in cells.sorted() {
            if let last = output.last, last.contains(id) { continue }
            while let last = output.last, id.contains(last) { output.removeLast() }
            // Merge complete sibling sets into their parent.
            while output.count >= 3 && !id.isFace {
                let n = output.count
                let a = output[n - 3], b = output[n - 2], c = output[n - 1]
                guard (a.id ^ b.id ^ c.id) == id.id else { break }
                // The four must be the children of one parent: check the mask of shared bits.
                var mask = id.lsb << 1
                mask = ~(mask &+ (mask << 1))
                let idMasked = id.id & mask
                guard (a.id & mask) == idMasked && (b.id & mask) == idMasked && (c.id & mask) == idMasked
                else { break }
                output.removeLast(3)
                id = id.parent
            }
            output.append(id)
        }
        return output
    }

    /// Replaces cells coarser than `minLevel`, or not on a level `minLevel + k·levelMod`, by
    /// their descendants at the next allowed level.
    static func denormalize(_ cells: [S2CellID], minLevel: Int, levelMod: Int) -> [S2CellID] {
        var output: [S2CellID] = []
        output.reserveCapacity(cells.count)
        for id in cells {
            let level = id.levelValue
            var newLevel = max(minLevel, level)
            if levelMod > 1 {
                newLevel += (S2CellID.maxLevel - (newLevel - minLevel)) % levelMod
                newLevel = min(S2CellID.maxLevel, newLevel)
            }
            if newLevel == level {
                output.append(id)
            } else {
                let step = S2CellID.lsb(for: newLevel) << 1
                var c = id.childBegin(atLevel: newLevel).id
                let end = id.childEnd(atLevel: newLevel).id
                while c != end {
                    output.append(S2CellID(id: c))
                    c &+= step
                }
            }
        }
        return output
    }
}
