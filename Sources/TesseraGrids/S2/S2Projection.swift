/// The coordinate systems between a point on the sphere and a cell id, as in s2geometry:
///
/// - `(face, u, v)`: the cube face and a position on it in `[-1, 1]²` (gnomonic projection);
/// - `(s, t)`: `u` and `v` remapped by the quadratic projection to `[0, 1]`, so that cells
///   have closer to equal areas;
/// - `(i, j)`: `s` and `t` as integers in `[0, 2³⁰)`, the leaf cell grid on a face;
/// - `(si, ti)`: twice the resolution, so that cell centres and edges are integers.
///
/// Every formula keeps s2geometry's order of floating-point operations so that ids are identical.
@usableFromInline
enum S2Projection {
    /// Leaf cells per face edge, 2³⁰.
    @inlinable static var limitIJ: Int { 1 << 30 }
    /// `(si, ti)` units per face edge, 2³¹.
    @inlinable static var maxSiTi: Int { 1 << 31 }

    /// The quadratic projection from `u` or `v` in `[-1, 1]` to `s` or `t` in `[0, 1]`.
    @inlinable
    static func uvToST(_ u: Double) -> Double {
        // 1 + 3|u| equals the reference's 1 − 3u for u < 0 exactly (negation is exact), so one
        // square root and a select replace the unpredictable branch.
        let t = 0.5 * (1 + 3 * abs(u)).squareRoot()
        return u >= 0 ? t : 1 - t
    }

    /// The inverse of ``uvToST(_:)``.
    @inlinable
    static func stToUV(_ s: Double) -> Double {
        if s >= 0.5 { return (1 / 3.0) * (4 * s * s - 1) }
        return (1 / 3.0) * (1 - 4 * (1 - s) * (1 - s))
    }

    /// The leaf-grid coordinate of `s`, clamped to `[0, 2³⁰ - 1]` (NaN maps to 0).
    @inlinable
    static func stToIJ(_ s: Double) -> Int {
        guard s > 0 else { return 0 }
        return min(Int(Double(limitIJ) * s), limitIJ - 1)
    }

    /// The lower edge `s` of leaf row or column `i`.
    @inlinable
    static func ijToSTMin(_ i: Int) -> Double { (1.0 / Double(limitIJ)) * Double(i) }

    /// `s` for a `(si, ti)` coordinate.
    @inlinable
    static func siTiToST(_ si: Int) -> Double { (1.0 / Double(maxSiTi)) * Double(si) }

    /// The face whose axis is closest to `p`.
    @inlinable
    static func face(of p: S2Point) -> Int {
        var face = p.largestAbsComponent
        if p[face] < 0 { face += 3 }
        return face
    }

    /// `(u, v)` of `p` on `face`, which must be the face `p` projects onto.
    @inlinable
    static func validFaceXYZToUV(_ face: Int, _ p: S2Point) -> (u: Double, v: Double) {
        switch face {
        case 0: return (p.y / p.x, p.z / p.x)
        case 1: return (-p.x / p.y, p.z / p.y)
        case 2: return (-p.x / p.z, -p.y / p.z)
        case 3: return (p.z / p.x, p.y / p.x)
        case 4: return (p.z / p.y, -p.x / p.y)
        default: return (-p.y / p.z, -p.x / p.z)
        }
    }

    /// `(u, v)` of `p` projected onto `face`, or nil when `p` lies in the other hemisphere.
    @inlinable
    static func faceXYZToUV(_ face: Int, _ p: S2Point) -> (u: Double, v: Double)? {
        if face < 3 {
            if p[face] <= 0 { return nil }
        } else {
            if p[face - 3] >= 0 { return nil }
        }
        return validFaceXYZToUV(face, p)
    }

    /// The face and `(u, v)` of `p`.
    @inlinable
    static func xyzToFaceUV(_ p: S2Point) -> (face: Int, u: Double, v: Double) {
        let face = face(of: p)
        let (u, v) = validFaceXYZToUV(face, p)
        return (face, u, v)
    }

    /// The (not unit length) point for `(u, v)` on `face`.
    @inlinable
    static func faceUVToXYZ(_ face: Int, _ u: Double, _ v: Double) -> S2Point {
        switch face {
        case 0: return S2Point(x: 1, y: u, z: v)
        case 1: return S2Point(x: -u, y: 1, z: v)
        case 2: return S2Point(x: -u, y: -v, z: 1)
        case 3: return S2Point(x: -1, y: -v, z: -u)
        case 4: return S2Point(x: v, y: -1, z: -u)
        default: return S2Point(x: v, y: u, z: -1)
        }
    }

    /// The (not unit length) point for `(si, ti)` on `face`.
    @inlinable
    static func faceSiTiToXYZ(_ face: Int, _ si: Int, _ ti: Int) -> S2Point {
        faceUVToXYZ(face, stToUV(siTiToST(si)), stToUV(siTiToST(ti)))
    }
}
