/// A WGS84 position: longitude and latitude in degrees, in GeoJSON's (RFC 7946) axis order.
///
/// A `Position` is a plain value and is not range-checked on construction, so that
/// parsing can keep what it read and validation can report exactly what is wrong.
/// Use ``GeometryValidator`` (or ``Geometry/coordinateIssues()``) to check ranges.
public struct Position: Hashable, Sendable {
    /// Degrees east, nominally in [-180, 180].
    public var longitude: Double
    /// Degrees north, nominally in [-90, 90].
    public var latitude: Double

    @inlinable
    public init(longitude: Double, latitude: Double) {
        self.longitude = longitude
        self.latitude = latitude
    }

    /// Shorthand for `Position(longitude: x, latitude: y)`.
    @inlinable
    public init(_ longitude: Double, _ latitude: Double) {
        self.init(longitude: longitude, latitude: latitude)
    }
}

extension Position: CustomStringConvertible {
    public var description: String { "(\(longitude), \(latitude))" }
}
