import TesseraGeometry
import TesseraGrids

/// The not-yet-sent union of one layer's stale tiles for one subscription: what a coalescing
/// window has gathered so far. Stored in a row of `tessera.pending` (see ``PendingStore``), its tiles
/// in the coalescer's own form (``encodedTiles()``).
public struct PendingWindow: Hashable, Sendable {
    /// Exact stale tiles per zoom.
    public var zooms: [Int: TileSet] = [:]
    /// True after a TRUNCATE: every tile of every zoom of the layer is stale.
    public var fullExtent = false
    public var changeCount = 0
    public var bbox: BoundingBox?
    public var firstChangeMilliseconds: Int64 = .max
    public var lastChangeMilliseconds: Int64 = .min

    public init() {}

    /// Adds one change's effect.
    public mutating func absorb(
        tiles: [TileSet],
        bbox changeBox: BoundingBox?,
        fullExtent truncated: Bool,
        at milliseconds: Int64
    ) {
        for set in tiles where !set.isEmpty {
            zooms[set.zoom] = zooms[set.zoom].map { $0.union(set) } ?? set
        }
        if truncated { fullExtent = true }
        if let changeBox { bbox = bbox.map { $0.union(changeBox) } ?? changeBox }
        changeCount += 1
        firstChangeMilliseconds = min(firstChangeMilliseconds, milliseconds)
        lastChangeMilliseconds = max(lastChangeMilliseconds, milliseconds)
    }

    /// Merges another window (e.g. the stored one) into this.
    public mutating func merge(_ other: PendingWindow) {
        for (z, set) in other.zooms {
            zooms[z] = zooms[z].map { $0.union(set) } ?? set
        }
        fullExtent = fullExtent || other.fullExtent
        if let b = other.bbox { bbox = bbox.map { $0.union(b) } ?? b }
        changeCount += other.changeCount
        firstChangeMilliseconds = min(firstChangeMilliseconds, other.firstChangeMilliseconds)
        lastChangeMilliseconds = max(lastChangeMilliseconds, other.lastChangeMilliseconds)
    }
}
