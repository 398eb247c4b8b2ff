/// The outline of a cell as the reference's `cellToBoundary` emits it: counter-clockwise
/// vertices, with an extra vertex wherever an edge of a Class III cell crosses an
/// icosahedron edge (up to 10 vertices in all). Not closed: the first vertex is not repeated.
///
/// A fixed-size value; building one does not allocate.
public struct H3Boundary: RandomAccessCollection, Sendable {
    public typealias Index = Int
    public typealias Element = H3LatLng

    @usableFromInline
    typealias Storage = (
        Double, Double, Double, Double, Double, Double, Double, Double, Double, Double,
        Double, Double, Double, Double, Double, Double, Double, Double, Double, Double
    )

    /// Latitude, longitude pairs in radians, as the reference computes them.
    @usableFromInline var storage: Storage = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    /// Number of vertices (5 to 10).
    public private(set) var count = 0

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { count }

    @usableFromInline
    init() {}

    /// Vertex `i` in degrees.
    public subscript(i: Int) -> H3LatLng {
        precondition(i >= 0 && i < count, "boundary vertex index out of range")
        return withUnsafeBytes(of: storage) { raw in
            let d = raw.bindMemory(to: Double.self)
            return H3LatLng(radians: d[2 * i], d[2 * i + 1])
        }
    }

    /// Latitude and longitude of vertex `i` in radians (for the polygon algorithms).
    @usableFromInline
    func radians(_ i: Int) -> (lat: Double, lng: Double) {
        withUnsafeBytes(of: storage) { raw in
            let d = raw.bindMemory(to: Double.self)
            return (d[2 * i], d[2 * i + 1])
        }
    }

    /// Appends a vertex given in radians.
    @usableFromInline
    mutating func append(lat: Double, lng: Double) {
        let i = count
        withUnsafeMutableBytes(of: &storage) { raw in
            let d = raw.bindMemory(to: Double.self)
            d[2 * i] = lat
            d[2 * i + 1] = lng
        }
        count += 1
    }

    @usableFromInline
    mutating func append(_ v: H3Vec3) {
        let lat = v.latitude
        let lng = v.longitude
        let i = count
        withUnsafeMutableBytes(of: &storage) { raw in
            let d = raw.bindMemory(to: Double.self)
            d[2 * i] = lat
            d[2 * i + 1] = lng
        }
        count += 1
    }
}

extension H3Cell {
    /// The cell's outline, exactly as the reference emits it (distortion vertices included).
    public var boundary: H3Boundary {
        let fijk = H3Bits.faceIJK(rawValue)
        let res = H3Bits.resolution(rawValue)
        return isPentagon
            ? H3VertexGrid.pentagonBoundary(fijk, resolution: res)
            : H3VertexGrid.hexagonBoundary(fijk, resolution: res)
    }
}

/// Cell vertices live on a finer "substrate" grid (aperture 3, then back to Class II).
@usableFromInline
enum H3VertexGrid {
    /// Vertex offsets of an origin-centred cell on the substrate grid, for Class II and Class III.
    @usableFromInline static let classIIOffsets: [H3CoordIJK] = [
        H3CoordIJK(2, 1, 0), H3CoordIJK(1, 2, 0), H3CoordIJK(0, 2, 1),
        H3CoordIJK(0, 1, 2), H3CoordIJK(1, 0, 2), H3CoordIJK(2, 0, 1),
    ]
    @usableFromInline static let classIIIOffsets: [H3CoordIJK] = [
        H3CoordIJK(5, 4, 0), H3CoordIJK(1, 5, 0), H3CoordIJK(0, 5, 4),
        H3CoordIJK(0, 1, 5), H3CoordIJK(4, 0, 5), H3CoordIJK(5, 0, 1),
    ]

    /// The cell centre moved onto the substrate grid, and the substrate's (Class II) resolution.
    @usableFromInline
    static func substrateCenter(_ fijk: H3FaceIJK, resolution res: Int) -> (H3FaceIJK, Int) {
        var c = fijk
        c.coord.downAperture3()
        c.coord.downAperture3Clockwise()
        var adjusted = res
        if res & 1 == 1 {
            c.coord.downAperture7Clockwise()
            adjusted += 1
        }
        return (c, adjusted)
    }

    @usableFromInline
    static func vertex(_ center: H3FaceIJK, _ v: Int, classIII: Bool) -> H3FaceIJK {
        let offset = classIII ? classIIIOffsets[v] : classIIOffsets[v]
        return H3FaceIJK(face: center.face, coord: (center.coord + offset).normalized)
    }

    /// The icosahedron-face edge (two planar end points) in quadrant `direction` (1 ij, 3 jk, else ki).
    @usableFromInline
    static func faceEdge(_ direction: Int, resolution adjRes: Int) -> (H3Vec2, H3Vec2) {
        let maxDim = Double(H3Faces.maxDimension[adjRes])
        let v0 = H3Vec2(x: 3.0 * maxDim, y: 0.0)
        let v1 = H3Vec2(x: -1.5 * maxDim, y: 3.0 * H3Constants.sqrt3Over2 * maxDim)
        let v2 = H3Vec2(x: -1.5 * maxDim, y: -3.0 * H3Constants.sqrt3Over2 * maxDim)
        switch direction {
        case 1: return (v0, v1)
        case 3: return (v1, v2)
        default: return (v2, v0)
        }
    }

    @usableFromInline
    static func hexagonBoundary(_ fijk: H3FaceIJK, resolution res: Int) -> H3Boundary {
        let classIII = res & 1 == 1
        let (center, adjRes) = substrateCenter(fijk, resolution: res)
        var out = H3Boundary()
        var lastFace = -1
        var lastOverage = H3Overage.none
        // One extra step to catch a distortion vertex on the closing edge.
        for vert in 0...6 {
            let v = vert % 6
            let original = vertex(center, v, classIII: classIII)
            var moved = original
            let overage = moved.adjustOverage(resolution: adjRes, pentagonLeading4: false, substrate: true)
            if classIII && vert > 0 && moved.face != lastFace && lastOverage != .faceEdge {
                let a = vertex(center, (v + 5) % 6, classIII: classIII).coord.hex2d
                let b = original.coord.hex2d
                let face2 = lastFace == center.face ? moved.face : lastFace
                let (e0, e1) = faceEdge(Int(H3Faces.adjacentDirection[center.face * 20 + face2]), resolution: adjRes)
                let crossing = H3Vec2.intersection(a, b, e0, e1)
                // A crossing exactly at a vertex needs no extra point.
                if !(a.almostEquals(crossing) || b.almostEquals(crossing)) {
                    out.append(H3FaceIJK.sphere(crossing, face: center.face, resolution: adjRes, substrate: true))
                }
            }
            if vert < 6 {
                out.append(H3FaceIJK.sphere(moved.coord.hex2d, face: moved.face, resolution: adjRes, substrate: true))
            }
            lastFace = moved.face
            lastOverage = overage
        }
        return out
    }

    @usableFromInline
    static func pentagonBoundary(_ fijk: H3FaceIJK, resolution res: Int) -> H3Boundary {
        let classIII = res & 1 == 1
        let (center, adjRes) = substrateCenter(fijk, resolution: res)
        var out = H3Boundary()
        var last = center
        for vert in 0...5 {
            let v = vert % 5
            var moved = vertex(center, v, classIII: classIII)
            moved.adjustPentagonVertexOverage(resolution: adjRes)
            // Every Class III pentagon edge crosses an icosahedron edge.
            if classIII && vert > 0 {
                var tmp = moved
                let a = last.coord.hex2d
                let toLast = Int(H3Faces.adjacentDirection[tmp.face * 20 + last.face])
                let n = (tmp.face * 4 + toLast) * 5
                let orient = H3Faces.neighbors
                tmp.face = orient[n]
                for _ in 0..<orient[n + 4] { tmp.coord.rotate60CounterClockwise() }
                let scale = H3Faces.unitScale[adjRes] * 3
                tmp.coord = (tmp.coord + H3CoordIJK(orient[n + 1], orient[n + 2], orient[n + 3]) * scale).normalized
                let b = tmp.coord.hex2d
                let (e0, e1) = faceEdge(Int(H3Faces.adjacentDirection[tmp.face * 20 + moved.face]), resolution: adjRes)
                let crossing = H3Vec2.intersection(a, b, e0, e1)
                out.append(H3FaceIJK.sphere(crossing, face: tmp.face, resolution: adjRes, substrate: true))
            }
            if vert < 5 {
                out.append(H3FaceIJK.sphere(moved.coord.hex2d, face: moved.face, resolution: adjRes, substrate: true))
            }
            last = moved
        }
        return out
    }
}
