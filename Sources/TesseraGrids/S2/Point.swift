#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A point in 3-D space, used for points on the unit sphere (S2's native coordinates).
///
/// Cell edges and, in Tessera, polygon and line edges are geodesics between such points.
public struct S2Point: Hashable, Sendable {
    public var x: Double
    public var y: Double
    public var z: Double

    @inlinable
    public init(x: Double, y: Double, z: Double) {
        self.x = x
        self.y = y
        self.z = z
    }

    @inlinable
    public static func + (a: S2Point, b: S2Point) -> S2Point { S2Point(x: a.x + b.x, y: a.y + b.y, z: a.z + b.z) }

    @inlinable
    public static func - (a: S2Point, b: S2Point) -> S2Point { S2Point(x: a.x - b.x, y: a.y - b.y, z: a.z - b.z) }

    @inlinable
    public static func * (a: S2Point, s: Double) -> S2Point { S2Point(x: a.x * s, y: a.y * s, z: a.z * s) }

    @inlinable
    public static prefix func - (a: S2Point) -> S2Point { S2Point(x: -a.x, y: -a.y, z: -a.z) }

    /// The dot product.
    @inlinable
    public func dot(_ b: S2Point) -> Double { x * b.x + y * b.y + z * b.z }

    /// The cross product `self × b`.
    @inlinable
    public func cross(_ b: S2Point) -> S2Point {
        S2Point(x: y * b.z - z * b.y, y: z * b.x - x * b.z, z: x * b.y - y * b.x)
    }

    /// The Euclidean length.
    @inlinable
    public var norm: Double { dot(self).squareRoot() }

    /// This vector scaled to unit length (or unchanged when it is zero).
    @inlinable
    public var normalized: S2Point {
        let n = norm
        return n > 0 ? self * (1 / n) : self
    }

    /// The angle between two vectors in radians, in `[0, π]`, accurate for small and large angles.
    @inlinable
    public func angle(to b: S2Point) -> Double {
        atan2(cross(b).norm, dot(b))
    }

    /// The index (0, 1, 2) of the component with the largest absolute value.
    @inlinable
    var largestAbsComponent: Int {
        let ax = abs(x), ay = abs(y), az = abs(z)
        return ax > ay ? (ax > az ? 0 : 2) : (ay > az ? 1 : 2)
    }

    /// Component `i` (0 = x, 1 = y, 2 = z).
    @inlinable
    subscript(i: Int) -> Double { i == 0 ? x : (i == 1 ? y : z) }

    /// Some unit vector orthogonal to this one (deterministic).
    var ortho: S2Point {
        let k = largestAbsComponent == 0 ? 1 : (largestAbsComponent == 1 ? 2 : 0)
        let axis = k == 0 ? S2Point(x: 1, y: 0, z: 0) : (k == 1 ? S2Point(x: 0, y: 1, z: 0) : S2Point(x: 0, y: 0, z: 1))
        return cross(axis).normalized
    }
}
