import TesseraGeometry

/// A tile matrix set (OGC Two Dimensional Tile Matrix Set 2.0): a CRS and one
/// ``TileMatrix`` per zoom.
///
/// Tessera ships `WebMercatorQuad` (the default) and `WorldCRS84Quad`, embedded from
/// `grids/tms/*.json`; any other 2.0 JSON definition in EPSG:3857 or CRS84 can be loaded
/// with ``init(json:)``.
public struct TileMatrixSet: Hashable, Sendable {
    public let identifier: String
    public let crs: TileCRS
    /// Indexed by zoom.
    public let matrices: [TileMatrix]

    /// Web Mercator, 256-pixel tiles, zooms 0–24: what web maps, Martin, tegola and mod_tile serve.
    public static let webMercatorQuad = try! TileMatrixSet(json: PackageResources.WebMercatorQuad_json)
    /// Plate carrée on CRS84, two tiles at zoom 0, zooms 0–23.
    public static let worldCRS84Quad = try! TileMatrixSet(json: PackageResources.WorldCRS84Quad_json)

    /// The tile matrix sets built into Tessera.
    public static let builtIn: [TileMatrixSet] = [webMercatorQuad, worldCRS84Quad]

    /// A built-in set by identifier (case-insensitive).
    /// - Throws: ``TileError`` `.unknownTileMatrixSet` listing the known names.
    public static func named(_ identifier: String) throws(TileError) -> TileMatrixSet {
        if let set = builtIn.first(where: { $0.identifier.lowercased() == identifier.lowercased() }) {
            return set
        }
        let known = builtIn.map(\.identifier).joined(separator: ", ")
        throw TileError(
            code: .unknownTileMatrixSet,
            message: "unknown tile matrix set '\(identifier)' (known: \(known))"
        )
    }

    /// The matrix at `zoom`.
    /// - Throws: ``TileError`` `.zoomOutOfRange` when the set does not define that zoom.
    public func matrix(at zoom: Int) throws(TileError) -> TileMatrix {
        guard matrices.indices.contains(zoom) else {
            throw TileError(
                code: .zoomOutOfRange,
                message: "zoom \(zoom) is outside \(identifier)'s 0–\(matrices.count - 1)"
            )
        }
        return matrices[zoom]
    }

    /// The zooms this set defines.
    public var zooms: ClosedRange<Int> { 0...(matrices.count - 1) }

    /// True when each zoom splits every tile of the one above into 2 × 2 tiles, so tiles have
    /// parents, children and quadkeys.
    public var isQuadtree: Bool {
        zip(matrices, matrices.dropFirst()).allSatisfy { a, b in
            b.matrixWidth == 2 * a.matrixWidth && b.matrixHeight == 2 * a.matrixHeight
                && b.corner == a.corner && b.origin == a.origin
                && abs(b.tileSpanX * 2 - a.tileSpanX) <= 1e-9 * a.tileSpanX
        }
    }

    /// Reads an OGC TMS 2.0 JSON definition.
    /// - Throws: ``TileError`` `.invalidDefinition` naming the member at fault, or
    ///   `.unsupportedCRS` for a CRS other than EPSG:3857 and CRS84/EPSG:4326.
    public init(json bytes: some Collection<UInt8>) throws(TileError) {
        let root: JSONValue
        do {
            root = try JSONValue.parse(bytes)
        } catch {
            throw TileError(code: .invalidDefinition, message: "tile matrix set: \(error.message)")
        }
        func bad(_ message: String) -> TileError {
            TileError(code: .invalidDefinition, message: "tile matrix set: \(message)")
        }
        guard case .string(let id)? = root["id"] else { throw bad("missing string \"id\"") }
        let crsValue: String
        switch root["crs"] {
        case .string(let s)?: crsValue = s
        case .object? where root["crs"]?["uri"] != nil:
            guard case .string(let s)? = root["crs"]?["uri"] else { throw bad("\"crs.uri\" must be a string") }
            crsValue = s
        default: throw bad("missing \"crs\"")
        }
        guard let crs = TileCRS(uri: crsValue) else {
            throw TileError(
                code: .unsupportedCRS,
                message: "tile matrix set \(id): CRS \(crsValue) is not supported (EPSG:3857 and CRS84 are)"
            )
        }
        // EPSG:4326 orders axes latitude first; CRS84 and EPSG:3857 easting first.
        let latitudeFirst = crsValue.uppercased().hasSuffix("/EPSG/0/4326") || crsValue.uppercased() == "EPSG:4326"
        guard case .array(let items)? = root["tileMatrices"], !items.isEmpty else {
            throw bad("\"tileMatrices\" must be a non-empty array")
        }
        var matrices: [TileMatrix] = []
        for (zoom, item) in items.enumerated() {
            let path = "tileMatrices[\(zoom)]"
            func number(_ name: String) throws(TileError) -> Double {
                guard case .number(let n)? = item[name], n.isFinite else {
                    throw bad("\(path).\(name) must be a number")
                }
                return n
            }
            func count(_ name: String) throws(TileError) -> Int {
                let n = try number(name)
                guard n >= 1, n == n.rounded(), n < 1e12 else {
                    throw bad("\(path).\(name) must be a positive integer")
                }
                return Int(n)
            }
            let identifier: String
            if case .string(let s)? = item["id"] { identifier = s } else { throw bad("\(path).id must be a string") }
            let cellSize = try number("cellSize")
            guard cellSize > 0 else { throw bad("\(path).cellSize must be positive") }
            guard case .array(let o)? = item["pointOfOrigin"], o.count == 2, case .number(let a) = o[0],
                case .number(let b) = o[1]
            else { throw bad("\(path).pointOfOrigin must be two numbers") }
            let corner: TileMatrix.Corner
            switch item["cornerOfOrigin"] {
            case nil: corner = .topLeft
            case .string(let s)?:
                guard let c = TileMatrix.Corner(rawValue: s) else {
                    throw bad("\(path).cornerOfOrigin '\(s)' is not topLeft or bottomLeft")
                }
                corner = c
            default: throw bad("\(path).cornerOfOrigin must be a string")
            }
            if item["variableMatrixWidths"] != nil {
                throw bad("\(path): variable matrix widths are not supported")
            }
            matrices.append(
                TileMatrix(
                    zoom: zoom,
                    identifier: identifier,
                    cellSize: cellSize,
                    corner: corner,
                    origin: latitudeFirst ? (b, a) : (a, b),
                    tileWidth: try count("tileWidth"),
                    tileHeight: try count("tileHeight"),
                    matrixWidth: try count("matrixWidth"),
                    matrixHeight: try count("matrixHeight")
                )
            )
        }
        self.identifier = id
        self.crs = crs
        self.matrices = matrices
    }
}
