#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An S2 cell with its geometry: the `(u, v)` rectangle on its face, vertices, edges and bounds.
///
/// Cell edges are geodesics (they are straight lines in `(u, v)`, i.e. great-circle arcs).
public struct S2Cell: Hashable, Sendable {
    /// The cell's id.
    public let id: S2CellID
    /// The cube face.
    public let face: Int
    /// The level as an integer.
    public let level: Int
    /// Bounds on the face in the gnomonic `(u, v)` coordinates.
    let u0: Double, u1: Double, v0: Double, v1: Double

    /// The geometry of `id`, which must be valid.
    public init(_ id: S2CellID) {
        let (face, i, j, _) = id.faceIJOrientation()
        self.id = id
        self.face = face
        self.level = id.levelValue
        (u0, u1, v0, v1) = S2CellID.boundUV(i: i, j: j, level: level)
    }

    /// Vertex `k` (0...3) counter-clockwise from `(u0, v0)`, not normalised.
    func rawVertex(_ k: Int) -> S2Point {
        switch k & 3 {
        case 0: return S2Projection.faceUVToXYZ(face, u0, v0)
        case 1: return S2Projection.faceUVToXYZ(face, u1, v0)
        case 2: return S2Projection.faceUVToXYZ(face, u1, v1)
        default: return S2Projection.faceUVToXYZ(face, u0, v1)
        }
    }

    /// Vertex `k` (0...3, counter-clockwise) as a unit point.
    public func vertex(_ k: Int) -> S2Point { rawVertex(k).normalized }

    /// The four vertices, counter-clockwise, as unit points.
    public var vertices: [S2Point] { (0..<4).map { vertex($0) } }

    /// The four vertices in degrees.
    public var vertexLatLngs: [S2LatLng] { (0..<4).map { S2LatLng(rawVertex($0)) } }

    /// The cell's centre.
    public var center: S2Point { id.center }

    /// True when `p` lies in the cell or on its boundary (with a margin of a few ulps in `(u, v)`,
    /// so that the leaf cell found for a point always contains it).
    public func contains(_ p: S2Point) -> Bool {
        guard let (u, v) = S2Projection.faceXYZToUV(face, p) else { return false }
        let e = 2.0 * Double.ulpOfOne
        return u >= u0 - e && u <= u1 + e && v >= v0 - e && v <= v1 + e
    }

    /// The four children, in Hilbert order.
    public var children: [S2Cell] { id.children.map(S2Cell.init) }

    /// The area in steradians, exact up to rounding (two spherical triangles, l'Huilier's formula).
    public var exactArea: Double {
        let v = vertices
        return S2Cell.triangleArea(v[0], v[1], v[2]) + S2Cell.triangleArea(v[0], v[2], v[3])
    }

    /// The area of the spherical triangle `abc` (unit vectors), by Girard's theorem in the
    /// numerically stable form `tan(E/2) = |a·(b×c)| / (1 + a·b + b·c + c·a)`.
    static func triangleArea(_ a: S2Point, _ b: S2Point, _ c: S2Point) -> Double {
        // a·(b×c) = a·((b−a)×(c−a)); the differences keep tiny triangles accurate.
        let numerator = abs(a.dot((b - a).cross(c - a)))
        let denominator = 1 + a.dot(b) + b.dot(c) + c.dot(a)
        return 2 * atan2(numerator, denominator)
    }

    /// A latitude/longitude rectangle containing the cell (and its geodesic edges), padded by
    /// about 1e-12 degrees against rounding.
    public var rectBound: S2LatLngRect {
        let v = vertices
        var south = Double.infinity
        var north = -Double.infinity
        for k in 0..<4 {
            let a = v[k]
            let b = v[(k + 1) & 3]
            let (lo, hi) = S2Cell.latitudeRange(a, b)
            south = min(south, lo)
            north = max(north, hi)
        }
        let pad = 1e-12
        if contains(S2Point(x: 0, y: 0, z: 1)) {
            return S2LatLngRect(south: south - pad, west: -180, north: 90, east: 180)
        }
        if contains(S2Point(x: 0, y: 0, z: -1)) {
            return S2LatLngRect(south: -90, west: -180, north: north + pad, east: 180)
        }
        // Without a pole the cell spans less than 180° of longitude and its geodesic edges
        // are monotone in longitude, so the vertices bound it. Take the shortest interval
        // holding all four vertex longitudes.
        let lngs = v.map { atan2($0.y, $0.x) * (180 / Double.pi) }.sorted()
        var bestGap = -1.0
        var west = lngs[0]
        var east = lngs[3]
        for k in 0..<4 {
            let next = k == 3 ? lngs[0] + 360 : lngs[k + 1]
            let gap = next - lngs[k]
            if gap > bestGap {
                bestGap = gap
                west = next > 180 ? next - 360 : next
                east = lngs[k]
            }
        }
        west -= pad
        east += pad
        if west < -180 { west += 360 }
        if east > 180 { east -= 360 }
        return S2LatLngRect(south: max(-90, south - pad), west: west, north: min(90, north + pad), east: east)
    }

    /// The latitude range (degrees) of the geodesic arc from `a` to `b` (unit vectors, less than
    /// 180° apart): the endpoints, plus the great circle's extreme latitude when it lies on the arc.
    static func latitudeRange(_ a: S2Point, _ b: S2Point) -> (Double, Double) {
        let la = S2LatLng(a).latitude
        let lb = S2LatLng(b).latitude
        var lo = min(la, lb)
        var hi = max(la, lb)
        let n = a.cross(b)
        let nn = n.norm
        guard nn > 0 else { return (lo, hi) }
        // The point of the great circle farthest north is z⃗ minus its component along n, normalised.
        let z = S2Point(x: 0, y: 0, z: 1)
        let top = (z - n * (n.z / (nn * nn))).normalized
        for candidate in [top, -top] where candidate.norm > 0 {
            // On the arc when it lies between a and b: a×c and c×b both point along n.
            if a.cross(candidate).dot(n) > 0 && candidate.cross(b).dot(n) > 0 {
                let lat = S2LatLng(candidate).latitude
                lo = min(lo, lat)
                hi = max(hi, lat)
            }
        }
        return (lo, hi)
    }
}
