/// A latitude/longitude rectangle in degrees.
///
/// Longitude runs east from ``west`` to ``east``; when `west > east` the rectangle crosses the
/// antimeridian. A rectangle touching a pole has the full longitude range.
public struct S2LatLngRect: Hashable, Sendable {
    public var south: Double
    public var north: Double
    public var west: Double
    public var east: Double

    /// Creates a rectangle from its four edges in degrees (no validation; for results).
    public init(south: Double, west: Double, north: Double, east: Double) {
        self.south = south
        self.west = west
        self.north = north
        self.east = east
    }

    /// True when the longitude range wraps across ±180°.
    public var crossesAntimeridian: Bool { west > east }

    /// True when `position` lies inside or on the rectangle.
    public func contains(_ position: S2LatLng) -> Bool {
        guard position.latitude >= south, position.latitude <= north else { return false }
        let lng = position.longitude
        if crossesAntimeridian { return lng >= west || lng <= east }
        return (lng >= west && lng <= east) || (west == -180 && east == 180)
    }
}
