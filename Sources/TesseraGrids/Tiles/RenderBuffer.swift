/// How far beyond its edges a tile server draws a tile, as a fraction of the tile's side.
///
/// Written as pixels over the tile's extent: `64/4096` (Martin and tegola's default),
/// `256/4096` (PostGIS `ST_AsMVT`'s default), or `0`. A tile is stale when its square grown
/// by this much on every side touches the edited geometry.
public struct RenderBuffer: Hashable, Sendable, CustomStringConvertible {
    public let pixels: Int
    public let extent: Int

    /// No buffer: only the tile's own square counts.
    public static let none = RenderBuffer(uncheckedPixels: 0, extent: 4096)

    private init(uncheckedPixels pixels: Int, extent: Int) {
        self.pixels = pixels
        self.extent = extent
    }

    /// - Throws: ``TileError`` `.invalidBuffer` unless `0 ≤ pixels ≤ extent` and `extent > 0`.
    public init(pixels: Int, extent: Int) throws(TileError) {
        guard extent > 0, pixels >= 0, pixels <= extent else {
            throw TileError(
                code: .invalidBuffer,
                message: "buffer \(pixels)/\(extent): pixels must be in 0...extent and extent positive"
            )
        }
        self.init(uncheckedPixels: pixels, extent: extent)
    }

    /// Parses `pixels/extent` (e.g. `64/4096`) or a bare `0`.
    public init(parsing text: some StringProtocol) throws(TileError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 1, let p = Int(parts[0]), p == 0 {
            self = .none
            return
        }
        guard parts.count == 2, let p = Int(parts[0]), let e = Int(parts[1]) else {
            throw TileError(code: .invalidBuffer, message: "buffer '\(text)' is not pixels/extent, e.g. 64/4096")
        }
        try self.init(pixels: p, extent: e)
    }

    /// The buffer as a fraction of a tile's side.
    @inlinable public var fraction: Double { Double(pixels) / Double(extent) }

    public var description: String { "\(pixels)/\(extent)" }
}

/// An inclusive range of zooms, written `14` or `10-14`.
public struct ZoomRange: Hashable, Sendable, CustomStringConvertible {
    public let range: ClosedRange<Int>

    public init(_ range: ClosedRange<Int>) { self.range = range }

    /// - Throws: ``TileError`` `.invalidZoomRange` for text that is not `z` or `a-b` with `0 ≤ a ≤ b`.
    public init(parsing text: some StringProtocol) throws(TileError) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        if parts.count == 1, let z = Int(parts[0]), z >= 0 {
            range = z...z
        } else if parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]), a >= 0, a <= b {
            range = a...b
        } else {
            throw TileError(code: .invalidZoomRange, message: "zoom '\(text)' is not a zoom (14) or a range (10-14)")
        }
    }

    public var description: String {
        range.count == 1 ? "\(range.lowerBound)" : "\(range.lowerBound)-\(range.upperBound)"
    }
}
