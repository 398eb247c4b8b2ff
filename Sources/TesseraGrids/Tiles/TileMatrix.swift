/// One zoom level of a tile matrix set: a grid of `matrixWidth × matrixHeight` tiles whose
/// corner of origin sits at `origin` in the set's CRS.
public struct TileMatrix: Hashable, Sendable {
    /// Where tile (0, 0) sits: the top-left corner (rows grow southward) or bottom-left.
    public enum Corner: String, Hashable, Sendable {
        case topLeft
        case bottomLeft
    }

    /// The zoom: this matrix's position in the set (0 for the coarsest).
    public let zoom: Int
    /// The identifier in the definition file (usually the zoom as text).
    public let identifier: String
    /// CRS units per pixel.
    public let cellSize: Double
    public let corner: Corner
    /// The corner of origin in the CRS (easting, northing).
    public let origin: (x: Double, y: Double)
    public let tileWidth: Int
    public let tileHeight: Int
    public let matrixWidth: Int
    public let matrixHeight: Int

    public init(
        zoom: Int,
        identifier: String,
        cellSize: Double,
        corner: Corner,
        origin: (x: Double, y: Double),
        tileWidth: Int,
        tileHeight: Int,
        matrixWidth: Int,
        matrixHeight: Int
    ) {
        self.zoom = zoom
        self.identifier = identifier
        self.cellSize = cellSize
        self.corner = corner
        self.origin = origin
        self.tileWidth = tileWidth
        self.tileHeight = tileHeight
        self.matrixWidth = matrixWidth
        self.matrixHeight = matrixHeight
    }

    /// A tile's width in CRS units.
    @inlinable public var tileSpanX: Double { cellSize * Double(tileWidth) }
    /// A tile's height in CRS units.
    @inlinable public var tileSpanY: Double { cellSize * Double(tileHeight) }

    /// Converts CRS coordinates to continuous tile coordinates: tile (x, y) covers
    /// `[x, x + 1] × [y, y + 1]`, with y counted from the corner of origin.
    @inlinable
    public func tileCoordinates(x: Double, y: Double) -> (x: Double, y: Double) {
        let tx = (x - origin.x) / tileSpanX
        let ty = corner == .topLeft ? (origin.y - y) / tileSpanY : (y - origin.y) / tileSpanY
        return (tx, ty)
    }

    /// The CRS coordinates of a continuous tile coordinate (the inverse of ``tileCoordinates(x:y:)``).
    @inlinable
    public func crsCoordinates(tileX: Double, tileY: Double) -> (x: Double, y: Double) {
        let x = origin.x + tileX * tileSpanX
        let y = corner == .topLeft ? origin.y - tileY * tileSpanY : origin.y + tileY * tileSpanY
        return (x, y)
    }

    public static func == (a: TileMatrix, b: TileMatrix) -> Bool {
        a.zoom == b.zoom && a.identifier == b.identifier && a.cellSize == b.cellSize && a.corner == b.corner
            && a.origin == b.origin && a.tileWidth == b.tileWidth && a.tileHeight == b.tileHeight
            && a.matrixWidth == b.matrixWidth && a.matrixHeight == b.matrixHeight
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(zoom)
        hasher.combine(cellSize)
        hasher.combine(matrixWidth)
        hasher.combine(matrixHeight)
    }
}
