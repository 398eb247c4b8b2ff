import TesseraGeometry

/// A tile `z/x/y`: column `x` and row `y` (from the corner of origin: north for
/// WebMercatorQuad, as in XYZ/slippy-map numbering) of the matrix at zoom `z`.
public struct Tile: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let z: Int
    public let x: Int
    public let y: Int

    /// A tile with no range check; use ``init(z:x:y:in:)`` to validate against a matrix set.
    @inlinable
    public init(z: Int, x: Int, y: Int) {
        self.z = z
        self.x = x
        self.y = y
    }

    /// A tile that must exist in `set`.
    /// - Throws: ``TileError`` `.zoomOutOfRange` or `.invalidTile`.
    public init(z: Int, x: Int, y: Int, in set: TileMatrixSet) throws(TileError) {
        let m = try set.matrix(at: z)
        guard (0..<m.matrixWidth).contains(x), (0..<m.matrixHeight).contains(y) else {
            throw TileError(
                code: .invalidTile,
                message:
                    "tile \(z)/\(x)/\(y) is outside \(set.identifier)'s \(m.matrixWidth)×\(m.matrixHeight) matrix at zoom \(z)"
            )
        }
        self.init(z: z, x: x, y: y)
    }

    /// Parses `z/x/y`.
    /// - Throws: ``TileError`` `.invalidTile` when the text is not three non-negative integers.
    public init(parsing text: some StringProtocol) throws(TileError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, let z = Int(parts[0]), let x = Int(parts[1]), let y = Int(parts[2]), z >= 0, x >= 0,
            y >= 0
        else {
            throw TileError(code: .invalidTile, message: "'\(text)' is not a z/x/y tile")
        }
        self.init(z: z, x: x, y: y)
    }

    /// `z/x/y`, the expire-list form of osm2pgsql, imposm3, tegola and mod_tile.
    public var description: String { "\(z)/\(x)/\(y)" }

    public static func < (a: Tile, b: Tile) -> Bool { (a.z, a.y, a.x) < (b.z, b.y, b.x) }

    /// The tile containing this one `levels` zooms up (quadtree sets only).
    @inlinable
    public func parent(levels: Int = 1) -> Tile {
        precondition(levels >= 0 && levels <= z, "parent levels must be in 0...z")
        return Tile(z: z - levels, x: x >> levels, y: y >> levels)
    }

    /// The four tiles one zoom down (quadtree sets only), in row order.
    public var children: [Tile] {
        let (cx, cy) = (x << 1, y << 1)
        return [
            Tile(z: z + 1, x: cx, y: cy), Tile(z: z + 1, x: cx + 1, y: cy),
            Tile(z: z + 1, x: cx, y: cy + 1), Tile(z: z + 1, x: cx + 1, y: cy + 1),
        ]
    }

    /// The Bing Maps quadkey: one digit per zoom, `2·ybit + xbit` (empty at zoom 0).
    public var quadkey: String {
        var digits: [UInt8] = []
        digits.reserveCapacity(z)
        for level in stride(from: z, to: 0, by: -1) {
            let mask = 1 << (level - 1)
            var d: UInt8 = UInt8(ascii: "0")
            if x & mask != 0 { d += 1 }
            if y & mask != 0 { d += 2 }
            digits.append(d)
        }
        return String(decoding: digits, as: UTF8.self)
    }

    /// The tile a quadkey names.
    /// - Throws: ``TileError`` `.invalidQuadkey` for characters other than 0–3 or more than 30 digits.
    public init(quadkey: some StringProtocol) throws(TileError) {
        guard quadkey.utf8.count <= 30 else {
            throw TileError(code: .invalidQuadkey, message: "quadkey '\(quadkey)' is longer than 30 digits")
        }
        var x = 0
        var y = 0
        for c in quadkey.utf8 {
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "3") else {
                throw TileError(code: .invalidQuadkey, message: "quadkey '\(quadkey)' has a digit outside 0–3")
            }
            let d = Int(c - UInt8(ascii: "0"))
            x = x << 1 | (d & 1)
            y = y << 1 | (d >> 1)
        }
        self.init(z: quadkey.utf8.count, x: x, y: y)
    }

    /// The tile's bounds in longitude/latitude (west, south, east, north).
    public func bounds(in set: TileMatrixSet) throws(TileError) -> BoundingBox {
        let m = try set.matrix(at: z)
        let a = m.crsCoordinates(tileX: Double(x), tileY: Double(y))
        let b = m.crsCoordinates(tileX: Double(x + 1), tileY: Double(y + 1))
        let p = set.crs.unproject(x: a.x, y: a.y)
        let q = set.crs.unproject(x: b.x, y: b.y)
        return BoundingBox(
            west: min(p.longitude, q.longitude),
            south: min(p.latitude, q.latitude),
            east: max(p.longitude, q.longitude),
            north: max(p.latitude, q.latitude)
        )
    }
}
