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
        let phi = (Double.pi / 180) * latitude
        let theta = (Double.pi / 180) * longitude
        let cosphi = cos(phi)
        return S2Point(x: cos(theta) * cosphi, y: sin(theta) * cosphi, z: sin(phi))
    }

    /// The leaf cell containing this position.
    @inlinable
    public var leafCell: S2CellID { S2CellID(point) }

    /// The cell at `level` containing this position.
    @inlinable
    public func cell(at level: S2Level) -> S2CellID { S2CellID(point).parent(at: level) }
}
