/// A planar point on an icosahedron face, in cell-spacing units.
@usableFromInline
struct H3Vec2: Sendable {
    @usableFromInline var x: Double
    @usableFromInline var y: Double

    @inlinable
    init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }

    @inlinable var magnitude: Double { (x * x + y * y).squareRoot() }

    /// Intersection of the lines p0–p1 and p2–p3.
    @inlinable
    static func intersection(_ p0: H3Vec2, _ p1: H3Vec2, _ p2: H3Vec2, _ p3: H3Vec2) -> H3Vec2 {
        let s1 = H3Vec2(x: p1.x - p0.x, y: p1.y - p0.y)
        let s2 = H3Vec2(x: p3.x - p2.x, y: p3.y - p2.y)
        let t = (s2.x * (p0.y - p2.y) - s2.y * (p0.x - p2.x)) / (-s2.x * s1.y + s1.x * s2.y)
        return H3Vec2(x: p0.x + t * s1.x, y: p0.y + t * s1.y)
    }

    /// Equal within single-precision epsilon in both components.
    @inlinable
    func almostEquals(_ o: H3Vec2) -> Bool {
        abs(x - o.x) < Double(Float.ulpOfOne) && abs(y - o.y) < Double(Float.ulpOfOne)
    }
}

/// A point on (or direction in) the unit sphere: x towards (0°, 0°), y towards (0°, 90°E), z north.
@usableFromInline
struct H3Vec3: Sendable {
    @usableFromInline var x: Double
    @usableFromInline var y: Double
    @usableFromInline var z: Double

    @inlinable
    init(x: Double, y: Double, z: Double) {
        self.x = x
        self.y = y
        self.z = z
    }

    /// The unit vector of latitude/longitude given in radians.
    @inlinable
    init(latitude: Double, longitude: Double) {
        let r = H3Math.cos(latitude)
        x = H3Math.cos(longitude) * r
        y = H3Math.sin(longitude) * r
        z = H3Math.sin(latitude)
    }

    /// Latitude in radians.
    @inlinable var latitude: Double { H3Math.asin(z) }
    /// Longitude in radians.
    @inlinable var longitude: Double { H3Math.atan2(y, x) }

    @inlinable
    static func combine(_ a: Double, _ v1: H3Vec3, _ b: Double, _ v2: H3Vec3) -> H3Vec3 {
        H3Vec3(x: a * v1.x + b * v2.x, y: a * v1.y + b * v2.y, z: a * v1.z + b * v2.z)
    }

    @inlinable
    func dot(_ o: H3Vec3) -> Double { x * o.x + y * o.y + z * o.z }

    @inlinable
    func cross(_ o: H3Vec3) -> H3Vec3 {
        H3Vec3(x: y * o.z - z * o.y, y: z * o.x - x * o.z, z: x * o.y - y * o.x)
    }

    @inlinable
    mutating func normalize() {
        let norm = dot(self).squareRoot()
        let s = norm > 0.0 ? 1.0 / norm : 0.0
        x *= s
        y *= s
        z *= s
    }

    @inlinable
    func distanceSquared(_ o: H3Vec3) -> Double {
        let d = H3Vec3.combine(1.0, self, -1.0, o)
        return d.dot(d)
    }
}
