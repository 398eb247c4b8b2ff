import TesseraGeometry
import TesseraGrids

/// What a tile server serves from one or more tables: a grid, the zooms, and the render buffer.
public struct Layer: Hashable, Sendable {
    public let name: String
    public let tileMatrixSet: TileMatrixSet
    public let zooms: ClosedRange<Int>
    public let buffer: RenderBuffer

    public init(name: String, tileMatrixSet: TileMatrixSet, zooms: ClosedRange<Int>, buffer: RenderBuffer) {
        self.name = name
        self.tileMatrixSet = tileMatrixSet
        self.zooms = zooms
        self.buffer = buffer
    }
}

/// A receiver of tile invalidations, as `tessera.subscriptions` holds it.
public struct TileSubscription: Hashable, Sendable {
    public enum RollUp: String, Hashable, Sendable {
        /// Over the cap, zooms are replaced by ancestors (purge their descendants).
        case parents
        /// Over the cap, the window is sent as several events of at most the cap each.
        case split
    }

    public let id: String
    public let name: String
    public let layers: [String]
    public let format: String
    public let compression: String
    public let debounceMilliseconds: Int
    public let maxDelayMilliseconds: Int
    public let maxTiles: Int
    public let rollUp: RollUp
    public let isActive: Bool
    /// The area the subscriber wants (EPSG:4326): only stale tiles touching it are sent.
    public let filter: Geometry?

    public init(
        id: String,
        name: String,
        layers: [String],
        format: String,
        compression: String,
        debounceMilliseconds: Int,
        maxDelayMilliseconds: Int,
        maxTiles: Int,
        rollUp: RollUp,
        isActive: Bool,
        filter: Geometry? = nil
    ) {
        self.id = id
        self.name = name
        self.layers = layers
        self.format = format
        self.compression = compression
        self.debounceMilliseconds = debounceMilliseconds
        self.maxDelayMilliseconds = maxDelayMilliseconds
        self.maxTiles = maxTiles
        self.rollUp = rollUp
        self.isActive = isActive
        self.filter = filter
    }
}
