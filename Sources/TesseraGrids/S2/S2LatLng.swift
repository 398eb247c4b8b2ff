#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A validated latitude/longitude in degrees, the entry point for finding S2 cells.
///
/// Conversion to a point follows s2geometry exactly (`S2LatLng::FromDegrees(...).ToPoint()`),
/// so cell ids match the reference library bit for bit.
public struct S2LatLng: Hashable, Sendable {
    /// Degrees north, in `[-90, 90]`.
    public let latitude: Double
    /// Degrees east, in `[-180, 180]`.
    public let longitude: Double

    /// Validates a latitude and longitude in degrees.
    /// - Throws: ``S2Error`` with code `invalidCoordinate`, naming the field, when a value is not
    ///   finite or outside `[-90, 90]` (latitude) or `[-180, 180]` (longitude).
    public init(latitude: Double, longitude: Double) throws(S2Error) {
        guard latitude.isFinite, (-90...90).contains(latitude) else {
            throw S2Error(.invalidCoordinate, "latitude \(latitude) is outside [-90, 90]")
        }
        guard longitude.isFinite, (-180...180).contains(longitude) else {
            throw S2Error(.invalidCoordinate, "longitude \(longitude) is outside [-180, 180]")
        }
        self.latitude = latitude
        self.longitude = longitude
    }

    @inlinable
    init(uncheckedLatitude latitude: Double, longitude: Double) {
        self.latitude = latitude
        self.longitude = longitude
    }

    /// The latitude and longitude of a point on the sphere (need not be unit length).
    public init(_ p: S2Point) {
        let lat = atan2(p.z, (p.x * p.x + p.y * p.y).squareRoot())
        let lng = atan2(p.y, p.x)
        self.init(uncheckedLatitude: lat * (180 / Double.pi), longitude: lng * (180 / Double.pi))
    }

    /// The unit-sphere point, computed in the same order of operations as s2geometry.
    @inlinable
    public var point: S2Point {
        let phi = S2Math.sinCos((Double.pi / 180) * latitude)
        let theta = S2Math.sinCos((Double.pi / 180) * longitude)
        return S2Point(x: theta.cos * phi.cos, y: theta.sin * phi.cos, z: phi.sin)
    }

    /// The leaf cell containing this position, identical to s2geometry's
    /// `S2CellId(S2LatLng::FromDegrees(lat, lng))`.
    ///
    /// Fast path: the point is computed with ``S2Math/approximateSinCos(_:)`` (error ≲ 5e-16),
    /// which moves `s` and `t` by less than 2e-15, about 2e-6 of a leaf cell. When every decision
    /// (face, and the leaf row and column) is more than 1e-4 of a leaf from its threshold, that
    /// error cannot change the answer; otherwise, about once in a few thousand points, the
    /// exact reference computation runs instead. Either way the id is the reference's.
    @inlinable
    public var leafCell: S2CellID {
        if let id = approximateLeafCell() { return id }
        return S2CellID(point)
    }

    /// The leaf cell from the approximate point, or nil when a decision is too close to call.
    @inlinable @inline(__always)
    func approximateLeafCell() -> S2CellID? {
        let phi = S2Math.approximateSinCos((Double.pi / 180) * latitude)
        let theta = S2Math.approximateSinCos((Double.pi / 180) * longitude)
        let p = S2Point(x: theta.cos * phi.cos, y: theta.sin * phi.cos, z: phi.sin)
        let ax = abs(p.x)
        let ay = abs(p.y)
        let az = abs(p.z)
        // The face comparisons must not be ties within the error.
        let margin = 1e-12
        guard abs(ax - ay) > margin, abs(ax - az) > margin, abs(ay - az) > margin else { return nil }
        let xMax = (ax > ay && ax > az) ? 1 : 0
        let yMax = (!(ax > ay) && ay > az) ? 1 : 0
        let k = 2 &- 2 &* xMax &- yMax
        let d = SIMD4(p.x, p.y, p.z, 0)[k]
        let negative = d < 0
        let n1 = SIMD4(p.y, -p.x, -p.x, 0)[k]
        let n2 = SIMD4(p.z, p.z, -p.y, 0)[k]
        let u = (negative ? n2 : n1) / d
        let v = (negative ? n1 : n2) / d
        let si = Double(S2Projection.limitIJ) * S2Projection.uvToST(u)
        let ti = Double(S2Projection.limitIJ) * S2Projection.uvToST(v)
        // Row and column: the scaled s and t must be clear of integers (this also covers
        // u = 0, where uvToST switches formula, and the face's edges 0 and 2³⁰).
        // Truncation is floor here: a negative value (possible only within the error of 0)
        // leaves a negative fraction and is refused.
        let i = Int(si)
        let j = Int(ti)
        let fs = si - Double(i)
        let ft = ti - Double(j)
        let leafMargin = 1e-4
        guard fs > leafMargin, fs < 1 - leafMargin, ft > leafMargin, ft < 1 - leafMargin else { return nil }
        return S2CellID(face: negative ? k &+ 3 : k, i: i, j: j)
    }

    /// The cell at `level` containing this position.
    @inlinable
    public func cell(at level: S2Level) -> S2CellID { leafCell.parent(at: level) }
}
