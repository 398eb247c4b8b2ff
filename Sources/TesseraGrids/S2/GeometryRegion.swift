import TesseraGeometry

/// A geometry prepared for S2 cell tests: which cells it may intersect and which it contains.
///
/// The model is s2geometry's: every polygon and line edge is a geodesic (great-circle arc)
/// between its vertices, not a straight line in longitude/latitude. For the small edges of
/// typical features the difference is negligible; for long edges the S2 covering follows the
/// great circle, as S2Polygon and S2Polyline do.
///
/// Each polygon ring is taken to enclose the smaller of the two areas it bounds (as
/// `S2Loop::Normalize`), so ring orientation does not matter. A point lies in a polygon when it
/// lies inside an odd number of its rings (inside the exterior and not inside a hole). The region
/// is the union of all parts; like `S2RegionUnion`, a cell counts as contained when one part
/// contains it.
public struct S2GeometryRegion: Sendable {
    /// One geodesic edge; `polygon` is the index of the polygon it bounds, or -1 for a line edge.
    struct Edge: Sendable {
        var a: S2Point
        var b: S2Point
        var polygon: Int32
    }

    /// Every polygon and line edge.
    let edges: [Edge]
    /// The leaf cells of the point parts.
    let points: [S2CellID]
    /// For each polygon, the range of its edges in ``edges``.
    let polygonEdges: [Range<Int>]
    /// For each polygon, the ranges of its rings' edges in ``edges``.
    let polygonRings: [[Range<Int>]]
    /// Every vertex, for bounds.
    let vertices: [S2Point]

    /// Prepares `geometry`.
    /// - Throws: ``S2Error`` (`invalidCoordinate`) naming the part and position of a coordinate
    ///   out of range, or (`invalidGeometry`) a ring with fewer than three distinct vertices or a
    ///   line with no distinct vertices.
    public init(_ geometry: Geometry) throws(S2Error) {
        try self.init([geometry])
    }

    /// Prepares the union of `geometries`.
    /// - Throws: as ``init(_:)``.
    public init(_ geometries: [Geometry]) throws(S2Error) {
        var builder = Builder()
        for (index, geometry) in geometries.enumerated() {
            try builder.add(geometry, path: geometries.count == 1 ? "" : "geometry \(index) ")
        }
        edges = builder.edges
        points = builder.points
        polygonEdges = builder.polygonEdges
        polygonRings = builder.polygonRings
        vertices = builder.vertices
    }

    /// True when the region has no parts.
    public var isEmpty: Bool { edges.isEmpty && points.isEmpty }

    private struct Builder {
        var edges: [Edge] = []
        var points: [S2CellID] = []
        var polygonEdges: [Range<Int>] = []
        var polygonRings: [[Range<Int>]] = []
        var vertices: [S2Point] = []

        mutating func add(_ geometry: Geometry, path: String) throws(S2Error) {
            switch geometry {
            case .point(let p):
                try addPoint(p, path: path)
            case .multiPoint(let ps):
                for (k, p) in ps.enumerated() { try addPoint(p, path: path + "point \(k) ") }
            case .lineString(let line):
                try addLine(line.positions, path: path)
            case .multiLineString(let lines):
                for (k, line) in lines.enumerated() { try addLine(line.positions, path: path + "line \(k) ") }
            case .polygon(let polygon):
                try addPolygon(polygon, path: path)
            case .multiPolygon(let polygons):
                for (k, polygon) in polygons.enumerated() { try addPolygon(polygon, path: path + "polygon \(k) ") }
            case .geometryCollection(let parts):
                for (k, part) in parts.enumerated() { try add(part, path: path + "geometry \(k) ") }
            }
        }

        func point(_ p: Position, path: String) throws(S2Error) -> S2Point {
            do {
                return try S2LatLng(latitude: p.latitude, longitude: p.longitude).point
            } catch {
                throw S2Error(error.code, "\(path)\(path.isEmpty ? "" : ": ")\(error.message)")
            }
        }

        /// Unit points of `positions` without consecutive duplicates.
        func chain(_ positions: [Position], path: String) throws(S2Error) -> [S2Point] {
            var out: [S2Point] = []
            out.reserveCapacity(positions.count)
            for (k, p) in positions.enumerated() {
                let q = try point(p, path: "\(path)position \(k)")
                if out.last != q { out.append(q) }
            }
            return out
        }

        mutating func addPoint(_ p: Position, path: String) throws(S2Error) {
            let q = try point(p, path: path.isEmpty ? "point" : String(path.dropLast()))
            points.append(S2CellID(q))
            vertices.append(q)
        }

        mutating func addLine(_ positions: [Position], path: String) throws(S2Error) {
            let chain = try chain(positions, path: path)
            guard !chain.isEmpty else {
                throw S2Error(.invalidGeometry, "\(path)line has no positions")
            }
            vertices.append(contentsOf: chain)
            if chain.count == 1 {
                // A line of one repeated position is that point.
                points.append(S2CellID(chain[0]))
                return
            }
            for k in 0..<(chain.count - 1) {
                edges.append(Edge(a: chain[k], b: chain[k + 1], polygon: -1))
            }
        }

        mutating func addPolygon(_ polygon: Polygon, path: String) throws(S2Error) {
            let index = Int32(polygonEdges.count)
            let start = edges.count
            var rings: [Range<Int>] = []
            for (r, ring) in polygon.rings.enumerated() {
                let ringPath = "\(path)ring \(r) "
                var loop = try chain(ring, path: ringPath)
                if loop.count > 1 && loop.first == loop.last { loop.removeLast() }
                guard loop.count >= 3 else {
                    throw S2Error(.invalidGeometry, "\(ringPath)has fewer than 3 distinct positions")
                }
                // Normalise: the ring must turn left in total (enclose at most a hemisphere).
                var turning = 0.0
                for k in 0..<loop.count {
                    turning += S2EdgeTests.turnAngle(
                        loop[(k + loop.count - 1) % loop.count],
                        loop[k],
                        loop[(k + 1) % loop.count]
                    )
                }
                if turning < 0 { loop.reverse() }
                vertices.append(contentsOf: loop)
                let ringStart = edges.count
                for k in 0..<loop.count {
                    edges.append(Edge(a: loop[k], b: loop[(k + 1) % loop.count], polygon: index))
                }
                rings.append(ringStart..<edges.count)
            }
            polygonEdges.append(start..<edges.count)
            polygonRings.append(rings)
        }
    }

    /// Whether `p` lies inside polygon `polygon`, by the winding number of each ring around `p`
    /// (O(edges); used for starting cells and as the fallback when a crossing is degenerate).
    func polygonContains(_ polygon: Int, _ p: S2Point) -> Bool {
        var inside = false
        for ring in polygonRings[polygon] {
            var winding = 0.0
            for k in ring { winding += S2EdgeTests.signedAngle(at: p, edges[k].a, edges[k].b) }
            // A counter-clockwise ring around p winds +2π; one that does not enclose p, 0 or −2π.
            if winding > Double.pi { inside.toggle() }
        }
        return inside
    }

    /// A cap (centre, radius in radians) containing the whole region.
    var capBound: (center: S2Point, radius: Double) {
        var sum = S2Point(x: 0, y: 0, z: 0)
        for v in vertices { sum = sum + v }
        guard sum.norm > 1e-6 else { return (S2Point(x: 0, y: 0, z: 1), Double.pi) }
        let center = sum.normalized
        var radius = 0.0
        for v in vertices { radius = max(radius, center.angle(to: v)) }
        // A point of an arc is within half the arc's length of an endpoint.
        for e in edges {
            radius = max(radius, max(center.angle(to: e.a), center.angle(to: e.b)) + 0.5 * e.a.angle(to: e.b))
        }
        radius += 1e-12
        // A polygon's interior stays inside the cap only when the cap is smaller than a hemisphere.
        if !polygonEdges.isEmpty && radius >= Double.pi / 2 { return (center, Double.pi) }
        return (center, min(radius, Double.pi))
    }
}
