import TesseraGeometry

/// Exact tile covers: which tiles of a tile matrix set a geometry touches, render buffer included.
///
/// A tile at zoom z is in the cover exactly when its square, grown on every side by the
/// buffer, intersects the geometry, with the geometry's edges drawn straight in the set's
/// projected CRS (as tile servers draw them). Polygons cover their interior minus holes,
/// lines every tile they pass, points the tile(s) holding them; touching counts.
/// Whatever lies beyond the set's extent is clipped away (Web Mercator ends at ±85.0511°).
///
/// Each zoom is computed on its own with its own buffer — never by taking parents of a
/// deeper zoom, which misses buffered neighbours. Cost grows with the number of vertices
/// and boundary tiles, not with the area: interiors are produced as row spans.
public struct TileCover: Sendable {
    public let tileMatrixSet: TileMatrixSet

    public init(_ tileMatrixSet: TileMatrixSet = .webMercatorQuad) {
        self.tileMatrixSet = tileMatrixSet
    }

    /// The tiles at `zoom` whose buffered squares intersect `geometry`.
    /// - Throws: ``TileError`` `.zoomOutOfRange`, or `.invalidGeometry` for NaN/infinite coordinates.
    public func cover(_ geometry: Geometry, zoom: Int, buffer: RenderBuffer = .none) throws(TileError) -> TileSet {
        try cover(geometry, zooms: zoom...zoom, buffer: buffer)[0]
    }

    /// One ``TileSet`` per zoom of `zooms`, in order, each with that zoom's own buffer.
    public func cover(_ geometry: Geometry, zooms: ClosedRange<Int>, buffer: RenderBuffer = .none) throws(TileError)
        -> [TileSet]
    {
        var projected = ProjectedGeometry()
        try projected.append(geometry, crs: tileMatrixSet.crs)
        var rasterizer = TileRasterizer()
        var result: [TileSet] = []
        result.reserveCapacity(zooms.count)
        for zoom in zooms {
            let matrix = try tileMatrixSet.matrix(at: zoom)
            result.append(rasterizer.cover(projected, matrix: matrix, buffer: buffer.fraction))
        }
        return result
    }

    /// The union of the covers of several geometries (e.g. a feature's old and new shape).
    public func cover(_ geometries: [Geometry], zooms: ClosedRange<Int>, buffer: RenderBuffer = .none) throws(TileError)
        -> [TileSet]
    {
        var projected = ProjectedGeometry()
        for g in geometries { try projected.append(g, crs: tileMatrixSet.crs) }
        var rasterizer = TileRasterizer()
        var result: [TileSet] = []
        for zoom in zooms {
            let matrix = try tileMatrixSet.matrix(at: zoom)
            result.append(rasterizer.cover(projected, matrix: matrix, buffer: buffer.fraction))
        }
        return result
    }
}

/// A geometry flattened into projected coordinates: points, paths (lines and rings, whose
/// segments are rasterised) and polygons (groups of rings, whose interiors are filled).
struct ProjectedGeometry {
    /// x, y, x, y, ... in the CRS.
    var coordinates: [Double] = []
    /// Indices (in positions, not doubles) of lone points.
    var points: [Int] = []
    /// Each path is `start..<end` in positions.
    var paths: [Range<Int>] = []
    /// Each polygon is a range of `paths` (its rings).
    var polygons: [Range<Int>] = []

    mutating func append(_ geometry: Geometry, crs: TileCRS) throws(TileError) {
        switch geometry {
        case .point(let p):
            points.append(try add(p, crs))
        case .multiPoint(let ps):
            for p in ps { points.append(try add(p, crs)) }
        case .lineString(let l):
            try addPath(l.positions, crs)
        case .multiLineString(let ls):
            for l in ls { try addPath(l.positions, crs) }
        case .polygon(let poly):
            try addPolygon(poly, crs)
        case .multiPolygon(let polys):
            for poly in polys { try addPolygon(poly, crs) }
        case .geometryCollection(let gs):
            for g in gs { try append(g, crs: crs) }
        }
    }

    private mutating func add(_ p: Position, _ crs: TileCRS) throws(TileError) -> Int {
        guard p.longitude.isFinite, p.latitude.isFinite else {
            throw TileError(code: .invalidGeometry, message: "coordinate \(p) is not finite")
        }
        let (x, y) = crs.project(longitude: p.longitude, latitude: p.latitude)
        coordinates.append(x)
        coordinates.append(y)
        return coordinates.count / 2 - 1
    }

    private mutating func addPath(_ positions: [Position], _ crs: TileCRS) throws(TileError) {
        guard !positions.isEmpty else { return }
        let start = coordinates.count / 2
        for p in positions { _ = try add(p, crs) }
        paths.append(start..<(coordinates.count / 2))
    }

    private mutating func addPolygon(_ polygon: Polygon, _ crs: TileCRS) throws(TileError) {
        let first = paths.count
        for ring in polygon.rings { try addPath(ring, crs) }
        polygons.append(first..<paths.count)
    }
}

/// The cover algorithm, with scratch buffers reused from zoom to zoom.
///
/// Works in continuous tile coordinates, where tile (x, y) is `[x, x+1] × [y, y+1]` and its
/// buffered square `[x-b, x+1+b] × [y-b, y+1+b]`:
/// - a segment meets the buffered squares of row r where it crosses the band
///   `[r-b, r+1+b]`; within the band it is one interval of x, so the row's tiles are those
///   whose grown column overlaps that interval;
/// - a polygon's remaining tiles are those whose centre is inside, found by an even-odd
///   scanline through the centres of each row (an active edge table keeps this linear in
///   crossings); a tile not met by the boundary is wholly inside or wholly outside.
struct TileRasterizer {
    var tileXY: [Double] = []
    var spans: [TileSpan] = []
    var edges: [Edge] = []
    var active: [Int] = []
    var crossings: [Double] = []

    struct Edge {
        var yMin: Double
        var yMax: Double
        var ax: Double
        var ay: Double
        var slope: Double  // dx/dy
    }

    mutating func cover(_ g: ProjectedGeometry, matrix m: TileMatrix, buffer b: Double) -> TileSet {
        // CRS → tile coordinates for this zoom.
        let n = g.coordinates.count / 2
        tileXY.removeAll(keepingCapacity: true)
        tileXY.reserveCapacity(n * 2)
        let sx = 1 / m.tileSpanX
        let sy = 1 / m.tileSpanY
        let flip = m.corner == .topLeft
        for i in 0..<n {
            let x = g.coordinates[2 * i]
            let y = g.coordinates[2 * i + 1]
            tileXY.append((x - m.origin.x) * sx)
            tileXY.append(flip ? (m.origin.y - y) * sy : (y - m.origin.y) * sy)
        }
        spans.removeAll(keepingCapacity: true)
        let width = Double(m.matrixWidth)
        let height = Double(m.matrixHeight)

        for i in g.points {
            addBox(
                xLo: tileXY[2 * i],
                xHi: tileXY[2 * i],
                yLo: tileXY[2 * i + 1],
                yHi: tileXY[2 * i + 1],
                b: b,
                w: width,
                h: height
            )
        }
        for path in g.paths {
            if path.count == 1 {
                let i = path.lowerBound
                addBox(
                    xLo: tileXY[2 * i],
                    xHi: tileXY[2 * i],
                    yLo: tileXY[2 * i + 1],
                    yHi: tileXY[2 * i + 1],
                    b: b,
                    w: width,
                    h: height
                )
                continue
            }
            for i in path.lowerBound..<(path.upperBound - 1) {
                addSegment(
                    tileXY[2 * i],
                    tileXY[2 * i + 1],
                    tileXY[2 * i + 2],
                    tileXY[2 * i + 3],
                    b: b,
                    w: width,
                    h: height
                )
            }
        }
        for polygon in g.polygons {
            fill(g.paths[polygon], w: width, h: height)
        }
        return TileSet(zoom: m.zoom, spans: spans)
    }

    /// Adds the tiles whose buffered squares meet the box `[xLo, xHi] × [yLo, yHi]`, one row span per row.
    @inline(__always)
    mutating func addBox(xLo: Double, xHi: Double, yLo: Double, yHi: Double, b: Double, w: Double, h: Double) {
        let r0 = max((yLo - 1 - b).rounded(.up), 0)
        let r1 = min((yHi + b).rounded(.down), h - 1)
        let c0 = max((xLo - 1 - b).rounded(.up), 0)
        let c1 = min((xHi + b).rounded(.down), w - 1)
        guard r0 <= r1, c0 <= c1 else { return }
        for r in Int32(r0)...Int32(r1) {
            spans.append(TileSpan(y: r, x0: Int32(c0), x1: Int32(c1)))
        }
    }

    mutating func addSegment(_ ax: Double, _ ay: Double, _ bx: Double, _ by: Double, b: Double, w: Double, h: Double) {
        let yLo = min(ay, by)
        let yHi = max(ay, by)
        let xMin = min(ax, bx)
        let xMax = max(ax, bx)
        if ay == by {
            addBox(xLo: xMin, xHi: xMax, yLo: yLo, yHi: yHi, b: b, w: w, h: h)
            return
        }
        let r0 = max((yLo - 1 - b).rounded(.up), 0)
        let r1 = min((yHi + b).rounded(.down), h - 1)
        guard r0 <= r1, xMin - 1 - b < w, xMax + b >= 0 else { return }
        let slope = (bx - ax) / (by - ay)
        var r = r0
        while r <= r1 {
            let bandLo = max(yLo, r - b)
            let bandHi = min(yHi, r + 1 + b)
            var xa = ax + (bandLo - ay) * slope
            var xb = ax + (bandHi - ay) * slope
            if xa > xb { swap(&xa, &xb) }
            xa = max(xa, xMin)
            xb = min(xb, xMax)
            let c0 = max((xa - 1 - b).rounded(.up), 0)
            let c1 = min((xb + b).rounded(.down), w - 1)
            if c0 <= c1 {
                spans.append(TileSpan(y: Int32(r), x0: Int32(c0), x1: Int32(c1)))
            }
            r += 1
        }
    }

    /// Adds the tiles whose centres lie inside the polygon made of `rings` (even-odd rule).
    mutating func fill(_ rings: ArraySlice<Range<Int>>, w: Double, h: Double) {
        edges.removeAll(keepingCapacity: true)
        var yMin = Double.infinity
        var yMax = -Double.infinity
        for ring in rings where ring.count >= 2 {
            // Close the ring implicitly if the input left it open; validation reports that separately.
            var j = ring.upperBound - 1
            for i in ring {
                let ax = tileXY[2 * j]
                let ay = tileXY[2 * j + 1]
                let bx = tileXY[2 * i]
                let by = tileXY[2 * i + 1]
                j = i
                if ay == by { continue }
                let lo = min(ay, by)
                let hi = max(ay, by)
                edges.append(Edge(yMin: lo, yMax: hi, ax: ax, ay: ay, slope: (bx - ax) / (by - ay)))
                yMin = min(yMin, lo)
                yMax = max(yMax, hi)
            }
        }
        guard !edges.isEmpty else { return }
        // Rows whose centre line y = r + 0.5 lies in [yMin, yMax).
        let r0 = max((yMin - 0.5).rounded(.up), 0)
        let r1 = min((yMax - 0.5).rounded(.up) - 1, h - 1)
        guard r0 <= r1 else { return }
        edges.sort { $0.yMin < $1.yMin }
        active.removeAll(keepingCapacity: true)
        var next = 0
        var r = r0
        while r <= r1 {
            let yc = r + 0.5
            while next < edges.count, edges[next].yMin <= yc {
                active.append(next)
                next += 1
            }
            crossings.removeAll(keepingCapacity: true)
            var k = 0
            while k < active.count {
                let e = edges[active[k]]
                if e.yMax <= yc {
                    active[k] = active[active.count - 1]
                    active.removeLast()
                    continue
                }
                crossings.append(e.ax + (yc - e.ay) * e.slope)
                k += 1
            }
            if crossings.count >= 2 {
                crossings.sort()
                var c = 0
                while c + 1 < crossings.count {
                    // Tiles whose centre x + 0.5 lies within [crossings[c], crossings[c+1]].
                    let x0 = max((crossings[c] - 0.5).rounded(.up), 0)
                    let x1 = min((crossings[c + 1] - 0.5).rounded(.down), w - 1)
                    if x0 <= x1 {
                        spans.append(TileSpan(y: Int32(r), x0: Int32(x0), x1: Int32(x1)))
                    }
                    c += 2
                }
            }
            r += 1
        }
    }
}
