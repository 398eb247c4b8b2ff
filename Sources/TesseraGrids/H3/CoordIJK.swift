/// Integer coordinates on one icosahedron face's hexagon grid, with three axes i, j, k
/// 120° apart. A coordinate is normalised when all components are ≥ 0 and one is 0.
@usableFromInline
struct H3CoordIJK: Hashable, Sendable {
    @usableFromInline var i: Int
    @usableFromInline var j: Int
    @usableFromInline var k: Int

    @inlinable
    init(_ i: Int, _ j: Int, _ k: Int) {
        self.i = i
        self.j = j
        self.k = k
    }

    @inlinable static var zero: H3CoordIJK { H3CoordIJK(0, 0, 0) }

    /// The unit vector of each of the 7 digits (0 = centre).
    @inlinable
    static func unit(_ digit: Int) -> H3CoordIJK {
        H3CoordIJK((digit >> 2) & 1, (digit >> 1) & 1, digit & 1)
    }

    @inlinable
    static func + (a: H3CoordIJK, b: H3CoordIJK) -> H3CoordIJK { H3CoordIJK(a.i + b.i, a.j + b.j, a.k + b.k) }

    @inlinable
    static func - (a: H3CoordIJK, b: H3CoordIJK) -> H3CoordIJK { H3CoordIJK(a.i - b.i, a.j - b.j, a.k - b.k) }

    @inlinable
    static func * (a: H3CoordIJK, s: Int) -> H3CoordIJK { H3CoordIJK(a.i * s, a.j * s, a.k * s) }

    /// Brings the coordinate to its normal form (non-negative, at least one zero).
    @inlinable
    mutating func normalize() {
        if i < 0 {
            j -= i
            k -= i
            i = 0
        }
        if j < 0 {
            i -= j
            k -= j
            j = 0
        }
        if k < 0 {
            i -= k
            j -= k
            k = 0
        }
        let m = min(i, j, k)
        if m > 0 {
            i -= m
            j -= m
            k -= m
        }
    }

    @inlinable
    var normalized: H3CoordIJK {
        var c = self
        c.normalize()
        return c
    }

    /// The digit whose unit vector this is, or 7 when it is not a unit vector.
    @inlinable
    var digit: Int {
        let c = normalized
        guard c.i | c.j | c.k <= 1, c.i >= 0, c.j >= 0, c.k >= 0 else { return 7 }
        let d = c.i << 2 | c.j << 1 | c.k
        return d == 7 ? 7 : d
    }

    /// The centre of this coordinate's parent cell, one aperture-7 step coarser (counter-clockwise, Class III).
    @inlinable
    mutating func upAperture7() {
        let ii = i - k
        let jj = j - k
        i = Int((Double(3 * ii - jj) * H3Constants.oneSeventh).rounded(.toNearestOrAwayFromZero))
        j = Int((Double(ii + 2 * jj) * H3Constants.oneSeventh).rounded(.toNearestOrAwayFromZero))
        k = 0
        normalize()
    }

    /// As ``upAperture7()`` but clockwise (Class II).
    @inlinable
    mutating func upAperture7Clockwise() {
        let ii = i - k
        let jj = j - k
        i = Int((Double(2 * ii + jj) * H3Constants.oneSeventh).rounded(.toNearestOrAwayFromZero))
        j = Int((Double(3 * jj - ii) * H3Constants.oneSeventh).rounded(.toNearestOrAwayFromZero))
        k = 0
        normalize()
    }

    /// The centre child one aperture-7 step finer (counter-clockwise).
    @inlinable
    mutating func downAperture7() {
        let n = H3CoordIJK(3 * i + j, 3 * j + k, i + 3 * k)
        self = n.normalized
    }

    /// The centre child one aperture-7 step finer (clockwise).
    @inlinable
    mutating func downAperture7Clockwise() {
        let n = H3CoordIJK(3 * i + k, i + 3 * j, j + 3 * k)
        self = n.normalized
    }

    /// One aperture-3 step finer (counter-clockwise), used for cell vertices.
    @inlinable
    mutating func downAperture3() {
        let n = H3CoordIJK(2 * i + j, 2 * j + k, i + 2 * k)
        self = n.normalized
    }

    /// One aperture-3 step finer (clockwise).
    @inlinable
    mutating func downAperture3Clockwise() {
        let n = H3CoordIJK(2 * i + k, i + 2 * j, j + 2 * k)
        self = n.normalized
    }

    /// Moves one cell in the direction of `digit` (no-op for 0 or 7).
    @inlinable
    mutating func move(_ digit: Int) {
        guard digit > 0, digit < 7 else { return }
        self = (self + H3CoordIJK.unit(digit)).normalized
    }

    @inlinable
    mutating func rotate60CounterClockwise() {
        self = H3CoordIJK(i + k, i + j, j + k).normalized
    }

    @inlinable
    mutating func rotate60Clockwise() {
        self = H3CoordIJK(i + j, j + k, i + k).normalized
    }

    /// Planar coordinates of the cell centre, in units of the cell spacing.
    @inlinable
    var hex2d: H3Vec2 {
        let ii = Double(i - k)
        let jj = Double(j - k)
        return H3Vec2(x: ii - 0.5 * jj, y: jj * H3Constants.sqrt3Over2)
    }

    /// The cell containing planar point `v`.
    @inlinable
    init(hex2d v: H3Vec2) {
        let (i, j) = H3CoordIJK.twoAxis(hex2d: v)
        self = H3CoordIJK(i, j, 0).normalized
    }

    /// The cell containing planar point `v`, as (i − k, j − k) (the reference's `_hex2dToCoordIJK`
    /// before its final normalisation, which does not change these two differences).
    @inlinable
    static func twoAxis(hex2d v: H3Vec2) -> (i: Int, j: Int) {
        let a1 = abs(v.x)
        let a2 = abs(v.y)
        let x2 = a2 * H3Constants.inverseSin60
        let x1 = a1 + x2 / 2.0
        let m1 = Int(x1)
        let m2 = Int(x2)
        let r1 = x1 - Double(m1)
        let r2 = x2 - Double(m2)
        // The reference's nested tests, with every comparison made and the results combined
        // without branches (which the position within the cell makes unpredictable).
        let lowHalf = r1 < 0.5
        let lowThird = r1 < 1.0 / 3.0
        let lowTwoThirds = r1 < 2.0 / 3.0
        let belowMid = r2 < (1.0 + r1) / 2.0
        let belowAnti = r2 < (1.0 - r1)
        let belowHalf = r2 < (r1 / 2.0)
        let inLower = (1.0 - r1) <= r2 && r2 < (2.0 * r1)
        let inUpper = (2.0 * r1 - 1.0) < r2 && r2 < (1.0 - r1)
        let firstThird = lowHalf && lowThird
        let lastThird = !lowHalf && !lowTwoThirds
        let jBelow = firstThird ? belowMid : (lastThird ? belowHalf : belowAnti)
        var cj = jBelow ? m2 : m2 &+ 1
        let iStep: Bool
        if lowHalf {
            iStep = !lowThird && inLower
        } else {
            iStep = lowTwoThirds ? !inUpper : true
        }
        var ci = iStep ? m1 &+ 1 : m1
        // Fold across the axes for the other quadrants. With cj ≥ 0 the reference's reflection
        // about axis cj/2 (even) or (cj + 1)/2 (odd) is cj − ci either way, and its
        // ci − (2cj + 1)/2 is ci − cj.
        ci = v.x < 0.0 ? cj &- ci : ci
        if v.y < 0.0 {
            ci = ci &- cj
            cj = 0 &- cj
        }
        return (ci, cj)
    }
}

/// Digit arithmetic: the 7 H3 directions (0 centre, 1 k, 2 j, 3 jk, 4 i, 5 ik, 6 ij).
@usableFromInline
enum H3Digit {
    @inlinable
    static func rotate60CounterClockwise(_ d: Int) -> Int {
        switch d {
        case 1: 5
        case 5: 4
        case 4: 6
        case 6: 2
        case 2: 3
        case 3: 1
        default: d
        }
    }

    @inlinable
    static func rotate60Clockwise(_ d: Int) -> Int {
        switch d {
        case 1: 3
        case 3: 2
        case 2: 6
        case 6: 4
        case 4: 5
        case 5: 1
        default: d
        }
    }
}
