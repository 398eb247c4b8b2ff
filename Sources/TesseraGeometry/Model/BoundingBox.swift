/// A longitude/latitude box, as GeoJSON's `bbox` member: west, south, east, north.
///
/// `west > east` is allowed and means the box crosses the antimeridian (RFC 7946 §5.2).
public struct BoundingBox: Hashable, Sendable {
    public var west: Double
    public var south: Double
    public var east: Double
    public var north: Double

    public init(west: Double, south: Double, east: Double, north: Double) {
        self.west = west
        self.south = south
        self.east = east
        self.north = north
    }

    /// Grows the box (never across the antimeridian) to include `position`.
    public mutating func extend(with position: Position) {
        west = min(west, position.longitude)
        east = max(east, position.longitude)
        south = min(south, position.latitude)
        north = max(north, position.latitude)
    }

    /// The union of two boxes that do not cross the antimeridian.
    public func union(_ other: BoundingBox) -> BoundingBox {
        BoundingBox(
            west: min(west, other.west),
            south: min(south, other.south),
            east: max(east, other.east),
            north: max(north, other.north)
        )
    }
}
