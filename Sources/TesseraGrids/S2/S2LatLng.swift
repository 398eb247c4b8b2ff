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
    /// Fast path (``approximateLeafCell()``), then the exact reference computation for the
    /// few points it cannot decide; either way the id is the reference's. See the error budget
    /// on ``approximateLeafCell()``. Always inlined (the rare exact path is a call), so that
    /// a caller's loop over positions keeps its state in registers.
    @inlinable @inline(__always)
    public var leafCell: S2CellID {
        if let id = approximateLeafCell() { return id }
        return exactLeafCell()
    }

    /// The reference computation: the point from the C library's `sin` and `cos`, then
    /// s2geometry's projection. Kept out of line so that the fast path inlines small.
    @usableFromInline @inline(never)
    func exactLeafCell() -> S2CellID { S2CellID(point) }

    /// The leaf cell from an approximate point, or nil when a decision is too close to call.
    ///
    /// Error budget. The reference computes the point `p` from the C library's `sin` and `cos`
    /// and then decides three things: the face (which of `|x|, |y|, |z|` is largest, and its
    /// sign) and the leaf row `i` and column `j` (`⌊2³⁰ · s⌋` with `s` from `u = n / d`, where
    /// `|d| ≥ 1/√3` is the face's component). Here the point comes from
    /// ``S2Math/approximateSinCos(_:)``, within 5e-16 of the true values (the C library's
    /// are within an ulp), so each component of our `p` is within about 1.5e-15 of the
    /// reference's. Then `u` moves by at most `2·1.5e-15·√3 ≈ 5.2e-15` (plus the same
    /// few roundings on both sides), `s` by at most `0.75` times that, and `2³⁰ · s` by under
    /// 6e-6 of a leaf. So when the face comparisons are more than 1e-12 apart and both
    /// `2³⁰ · s` and `2³⁰ · t` are more than 1e-4 of a leaf from an integer — over 15 times
    /// the bound — every decision is the reference's and so is the id. Otherwise (about once in
    /// 2,500 uniform points, and at deliberately hard places: face edges, cell corners, round
    /// coordinates) this returns nil and the caller runs the exact computation.
    ///
    /// No `Double` → `Int` conversion, no branch but the final accept/refuse, no allocation.
    /// Two-lane vectors for (u, v): one division and the rows of both at once, and bitwise
    /// vector selects for the face's numerators and denominator (the scalar selects and `&&`
    /// of the previous version compiled to branches, which random points mispredict about
    /// once a point). The same operations per value as the scalar version, so the same bits
    /// and the same error budget.
    @inlinable @inline(__always)
    func approximateLeafCell() -> S2CellID? {
        let phi = S2Math.approximateSinCos((Double.pi / 180) * latitude)
        let theta = S2Math.approximateSinCos((Double.pi / 180) * longitude)
        // As S2LatLng::ToPoint.
        let x = theta.cos * phi.cos
        let y = theta.sin * phi.cos
        let z = phi.sin
        let ax = abs(x)
        let ay = abs(y)
        let az = abs(z)
        // The face comparisons must not be ties within the error.
        let margin = 1e-12
        let faceClear = min(abs(ax - ay), abs(ax - az), abs(ay - az)) > margin
        // Face k (largest component) has (u, v) = (n₁, n₂) / p[k] with (n₁, n₂) = (y, z),
        // (−x, z), (−x, −y) for k = 0, 1, 2; faces k + 3 (p[k] < 0) swap n₁ and n₂.
        // The face as 0/1 flags from the comparisons, and all-ones/zero lane masks from those:
        // no short-circuit `&&` and no scalar select, which LLVM would turn into branches.
        let xOverY: UInt64 = ax > ay ? 1 : 0
        let xMax = xOverY & (ax > az ? 1 : 0)
        let yMax = (xOverY ^ 1) & (ay > az ? 1 : 0)
        let zMax = (xMax | yMax) ^ 1
        let d = S2LatLng.select(xMax, x, S2LatLng.select(yMax, y, SIMD2(repeating: z)))
        let numerators = S2LatLng.select(xMax, SIMD2(y, z), S2LatLng.select(zMax, SIMD2(-x, -y), SIMD2(-x, z)))
        let negative = d .< 0
        let uv = numerators.replacing(with: SIMD2(numerators[1], numerators[0]), where: negative) / d
        let (ij, fraction) = S2LatLng.approximateLeafRows(uv)
        // Row and column: the fractions must be clear of 0 and 1 (this also covers u = 0,
        // where the projection switches formula, the face's edges 0 and 2³⁰, and a value a
        // rounding below 0, whose floor is −1 and fraction near 1).
        let leafMargin = 1e-4
        let distance = unsafeBitCast(fraction - 0.5, to: SIMD2<UInt64>.self) & ~(1 &<< 63)
        let rowsClear = all(unsafeBitCast(distance, to: SIMD2<Double>.self) .< 0.5 - leafMargin)
        guard faceClear, rowsClear else { return nil }
        let negativeFlag = unsafeBitCast(d, to: SIMD2<UInt64>.self)[0] &>> 63
        let face = Int(truncatingIfNeeded: (zMax &* 2) | yMax) &+ 3 &* Int(truncatingIfNeeded: negativeFlag)
        return S2CellID(face: face, i: ij[0], j: ij[1])
    }

    /// `flag` (0 or 1) ? `a` : `b` in both lanes, bitwise.
    @inlinable @inline(__always)
    static func select(_ flag: UInt64, _ a: SIMD2<Double>, _ b: SIMD2<Double>) -> SIMD2<Double> {
        let mask = SIMD2<UInt64>(repeating: 0 &- flag)
        let bits = unsafeBitCast(a, to: SIMD2<UInt64>.self) & mask
        return unsafeBitCast(bits | (unsafeBitCast(b, to: SIMD2<UInt64>.self) & ~mask), to: SIMD2<Double>.self)
    }

    /// `flag` (0 or 1) ? `a` : `b` in both lanes, bitwise.
    @inlinable @inline(__always)
    static func select(_ flag: UInt64, _ a: Double, _ b: SIMD2<Double>) -> SIMD2<Double> {
        select(flag, SIMD2(repeating: a), b)
    }

    /// ``approximateLeafRow(_:)`` of `u` and `v` at once, lane by lane (the same operations,
    /// so the same bits).
    @inlinable @inline(__always)
    static func approximateLeafRows(_ uv: SIMD2<Double>) -> (rows: SIMD2<UInt64>, fraction: SIMD2<Double>) {
        let signBit: UInt64 = 1 &<< 63
        let bits = unsafeBitCast(uv, to: SIMD2<UInt64>.self)
        let magnitude = unsafeBitCast(bits & ~signBit, to: SIMD2<Double>.self)
        let half = 0.5 * (3 * magnitude + 1).squareRoot() - 0.5
        let signedHalf = unsafeBitCast(
            unsafeBitCast(half, to: SIMD2<UInt64>.self) | (bits & signBit),
            to: SIMD2<Double>.self
        )
        let scaled = (signedHalf + 0.5) * Double(S2Projection.limitIJ)
        let shifted = (scaled - 0.5) + S2Math.roundingShifter
        let fraction = scaled - (shifted - S2Math.roundingShifter)
        let rows = unsafeBitCast(shifted, to: SIMD2<UInt64>.self) & UInt64(S2Projection.limitIJ - 1)
        return (rows, fraction)
    }

    /// `⌊2³⁰ · s⌋` (masked to 30 bits) for `u`'s `s`, and the fraction `2³⁰ · s − ⌊2³⁰ · s⌋`.
    ///
    /// s2geometry's quadratic projection: u ≥ 0 gives t = 0.5·√(1 + 3u) and u < 0 gives 1 − t
    /// (1 + 3|u| is the reference's 1 − 3u exactly). With h = t − 0.5 (exact, t ∈ [0.5, 1])
    /// these are 0.5 + h and 0.5 − h, again exactly, so an add of h carrying u's sign replaces
    /// the select. The floor comes from the rounding shifter: `2³⁰ · s − 0.5` rounded to the
    /// nearest integer is the floor whenever the fraction is clear of 0, the only case the
    /// caller accepts; no `Double` → `Int` conversion.
    @inlinable @inline(__always)
    static func approximateLeafRow(_ u: Double) -> (row: UInt64, fraction: Double) {
        let half = 0.5 * (1 + 3 * abs(u)).squareRoot() - 0.5
        let signedHalf = Double(bitPattern: half.bitPattern | (u.bitPattern & (1 &<< 63)))
        let scaled = (0.5 + signedHalf) * Double(S2Projection.limitIJ)
        let shifted = (scaled - 0.5) + S2Math.roundingShifter
        let fraction = scaled - (shifted - S2Math.roundingShifter)
        return (shifted.bitPattern & UInt64(S2Projection.limitIJ - 1), fraction)
    }

    /// The cell at `level` containing this position.
    @inlinable
    public func cell(at level: S2Level) -> S2CellID { leafCell.parent(at: level) }
}
