import TesseraGeometry
import TesseraGrids

/// One zoom's stale tiles in an invalidation.
public struct ZoomTiles: Hashable, Sendable {
    /// The tiles; when ``rolledUpFrom`` is set, ancestors standing for their descendants.
    public var tiles: TileSet
    /// The zoom the tiles were rolled up from (their descendants down to it are stale), or nil.
    public var rolledUpFrom: Int?

    public init(tiles: TileSet, rolledUpFrom: Int? = nil) {
        self.tiles = tiles
        self.rolledUpFrom = rolledUpFrom
    }
}

/// Every tile of one layer made stale by the edits of one coalescing window: what a tile
/// cache receives, in JSON, `z/x/y` text or Protobuf.
public struct TileInvalidation: Hashable, Sendable {
    /// The `event_type` of its deliveries.
    public static let eventType = "tiles.invalidated"

    public var eventID: String
    public var subscriptionID: String
    public var layer: String
    public var tileMatrixSet: String
    public var zooms: [ZoomTiles]
    public var bbox: BoundingBox?
    public var changeCount: Int
    /// Unix milliseconds of the first and last change in the window.
    public var windowStartMilliseconds: Int64
    public var windowEndMilliseconds: Int64
    /// 1-based part number and the number of parts when a window is split; 1 and 1 otherwise.
    public var part: Int
    public var parts: Int

    public init(
        eventID: String,
        subscriptionID: String,
        layer: String,
        tileMatrixSet: String,
        zooms: [ZoomTiles],
        bbox: BoundingBox?,
        changeCount: Int,
        windowStartMilliseconds: Int64,
        windowEndMilliseconds: Int64,
        part: Int = 1,
        parts: Int = 1
    ) {
        self.eventID = eventID
        self.subscriptionID = subscriptionID
        self.layer = layer
        self.tileMatrixSet = tileMatrixSet
        self.zooms = zooms
        self.bbox = bbox
        self.changeCount = changeCount
        self.windowStartMilliseconds = windowStartMilliseconds
        self.windowEndMilliseconds = windowEndMilliseconds
        self.part = part
        self.parts = parts
    }

    /// The number of tiles listed, over all zooms.
    public var tileCount: Int { zooms.reduce(0) { $0 + $1.tiles.count } }
}
