/// A run of tiles in one row: columns `x0...x1` of row `y`.
public struct TileSpan: Hashable, Sendable {
    public var y: Int32
    public var x0: Int32
    public var x1: Int32

    @inlinable
    public init(y: Int32, x0: Int32, x1: Int32) {
        self.y = y
        self.x0 = x0
        self.x1 = x1
    }

    @inlinable public var count: Int { Int(x1) - Int(x0) + 1 }
}

/// A set of tiles at one zoom, stored as sorted, disjoint, non-adjacent row spans.
///
/// Memory and the cost of set operations grow with the number of spans — with a shape's
/// boundary, not its area — so a continent at z14 (millions of tiles) is a few thousand
/// spans. Iterating yields tiles row by row, west to east.
public struct TileSet: Hashable, Sendable, Sequence {
    public let zoom: Int
    /// Sorted by row then column; no two spans of a row overlap or touch.
    public let spans: [TileSpan]
    /// The number of tiles.
    public let count: Int

    /// An empty set at `zoom`.
    public init(zoom: Int) {
        self.zoom = zoom
        self.spans = []
        self.count = 0
    }

    /// Sorts and merges arbitrary (possibly overlapping) spans.
    public init(zoom: Int, spans raw: [TileSpan]) {
        var raw = raw
        raw.sort { ($0.y, $0.x0) < ($1.y, $1.x0) }
        self.init(zoom: zoom, sortedSpans: raw)
    }

    /// Merges spans already sorted by row then first column.
    init(zoom: Int, sortedSpans raw: [TileSpan]) {
        var merged: [TileSpan] = []
        merged.reserveCapacity(raw.count)
        var total = 0
        for s in raw {
            if var last = merged.last, last.y == s.y, Int(s.x0) <= Int(last.x1) + 1 {
                if s.x1 > last.x1 {
                    total += Int(s.x1) - Int(last.x1)
                    last.x1 = s.x1
                    merged[merged.count - 1] = last
                }
            } else {
                merged.append(s)
                total += s.count
            }
        }
        self.zoom = zoom
        self.spans = merged
        self.count = total
    }

    /// The set of the given tiles (each must be at `zoom`).
    public init(zoom: Int, tiles: some Sequence<Tile>) {
        self.init(zoom: zoom, spans: tiles.map { TileSpan(y: Int32($0.y), x0: Int32($0.x), x1: Int32($0.x)) })
    }

    public var isEmpty: Bool { spans.isEmpty }

    /// True when tile `x/y` (at this set's zoom) is in the set. O(log spans).
    public func contains(x: Int, y: Int) -> Bool {
        var lo = 0
        var hi = spans.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let s = spans[mid]
            if (Int(s.y), Int(s.x1)) < (y, x) { lo = mid + 1 } else { hi = mid }
        }
        return lo < spans.count && Int(spans[lo].y) == y && Int(spans[lo].x0) <= x
    }

    public func contains(_ tile: Tile) -> Bool { tile.z == zoom && contains(x: tile.x, y: tile.y) }

    /// Tiles in either set (both at the same zoom). O(spans).
    public func union(_ other: TileSet) -> TileSet {
        precondition(zoom == other.zoom, "union of tile sets at different zooms")
        var all: [TileSpan] = []
        all.reserveCapacity(spans.count + other.spans.count)
        var i = 0
        var j = 0
        while i < spans.count || j < other.spans.count {
            if j == other.spans.count
                || (i < spans.count && (spans[i].y, spans[i].x0) <= (other.spans[j].y, other.spans[j].x0))
            {
                all.append(spans[i])
                i += 1
            } else {
                all.append(other.spans[j])
                j += 1
            }
        }
        return TileSet(zoom: zoom, sortedSpans: all)
    }

    /// Tiles in both sets (both at the same zoom). O(spans).
    public func intersection(_ other: TileSet) -> TileSet {
        precondition(zoom == other.zoom, "intersection of tile sets at different zooms")
        var out: [TileSpan] = []
        var i = 0
        var j = 0
        while i < spans.count && j < other.spans.count {
            let a = spans[i]
            let b = other.spans[j]
            if a.y != b.y {
                if a.y < b.y { i += 1 } else { j += 1 }
                continue
            }
            let x0 = Swift.max(a.x0, b.x0)
            let x1 = Swift.min(a.x1, b.x1)
            if x0 <= x1 { out.append(TileSpan(y: a.y, x0: x0, x1: x1)) }
            // Advance whichever span ends first; the other may overlap the next one.
            if a.x1 < b.x1 { i += 1 } else { j += 1 }
        }
        return TileSet(zoom: zoom, sortedSpans: out)
    }

    /// The tiles `levels` zooms up that contain at least one tile of this set (quadtree sets).
    public func ancestors(levels: Int) -> TileSet {
        precondition(levels >= 0 && levels <= zoom, "ancestor levels must be in 0...zoom")
        if levels == 0 { return self }
        let shifted = spans.map {
            TileSpan(y: $0.y >> Int32(levels), x0: $0.x0 >> Int32(levels), x1: $0.x1 >> Int32(levels))
        }
        return TileSet(zoom: zoom - levels, spans: shifted)
    }

    /// This set if it holds at most `maxTiles` tiles; otherwise its ancestors at the deepest
    /// zoom where they number at most `maxTiles` (zoom 0 at the coarsest). Purging every
    /// descendant of the returned tiles purges at least every tile of this set.
    public func rolledUp(maxTiles: Int) -> TileSet {
        if count <= maxTiles || zoom == 0 { return self }
        for levels in 1...zoom {
            let up = ancestors(levels: levels)
            if up.count <= maxTiles { return up }
        }
        return ancestors(levels: zoom)
    }

    public func makeIterator() -> Iterator { Iterator(set: self) }

    /// Yields the tiles of a ``TileSet`` row by row.
    public struct Iterator: IteratorProtocol {
        let set: TileSet
        var span = 0
        var x: Int32 = 0

        init(set: TileSet) {
            self.set = set
            if let first = set.spans.first { x = first.x0 }
        }

        public mutating func next() -> Tile? {
            guard span < set.spans.count else { return nil }
            let s = set.spans[span]
            let tile = Tile(z: set.zoom, x: Int(x), y: Int(s.y))
            if x == s.x1 {
                span += 1
                if span < set.spans.count { x = set.spans[span].x0 }
            } else {
                x += 1
            }
            return tile
        }
    }
}
