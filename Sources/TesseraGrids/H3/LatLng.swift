/// A validated WGS84 location in degrees, the input of ``cell(at:)``.
///
/// Latitude must be finite and in [-90, 90], longitude finite and in [-180, 180];
/// the throwing initialiser refuses anything else so the fast path never sees it.
public struct H3LatLng: Hashable, Sendable, CustomStringConvertible {
    /// Degrees north.
    public let latitude: Double
    /// Degrees east.
    public let longitude: Double

    /// - Throws: ``H3Error`` with code `.latitudeDomain` or `.longitudeDomain`, naming the value.
    @inlinable
    public init(latitude: Double, longitude: Double) throws(H3Error) {
        guard latitude.isFinite, latitude >= -90, latitude <= 90 else {
            throw H3Error(.latitudeDomain, field: "latitude", reason: "\(latitude) is not a finite value in [-90, 90]")
        }
        guard longitude.isFinite, longitude >= -180, longitude <= 180 else {
            throw H3Error(
                .longitudeDomain,
                field: "longitude",
                reason: "\(longitude) is not a finite value in [-180, 180]"
            )
        }
        self.latitude = latitude
        self.longitude = longitude
    }

    @inlinable
    init(unchecked latitude: Double, _ longitude: Double) {
        self.latitude = latitude
        self.longitude = longitude
    }

    /// Degrees from radians, as the reference's `radsToDegs`.
    @inlinable
    init(radians latitude: Double, _ longitude: Double) {
        self.init(unchecked: latitude * H3Constants.radiansToDegrees, longitude * H3Constants.radiansToDegrees)
    }

    public var description: String { "(\(latitude), \(longitude))" }

    /// The cell containing this location at `resolution` (the reference's `latLngToCell`).
    ///
    /// Allocation-free; about a hundred nanoseconds. Not inlinable on purpose: inside its own
    /// module the tables are reached directly, without lazy-initialisation checks.
    public func cell(at resolution: H3Resolution) -> H3Cell {
        let v = H3Vec3(
            latitude: latitude * H3Constants.degreesToRadians,
            longitude: longitude * H3Constants.degreesToRadians
        )
        let res = resolution.value
        let (face, point) = H3FaceIJK.hex2d(v, resolution: res)
        let (i, j) = H3CoordIJK.twoAxis(hex2d: point)
        return H3Cell(unchecked: H3Bits.index(face: face, i: i, j: j, resolution: res))
    }
}

extension H3Cell {
    /// The cell's centre (the reference's `cellToLatLng`), in degrees.
    @inlinable
    public var center: H3LatLng {
        let res = H3Bits.resolution(rawValue)
        let v = H3Bits.faceIJK(rawValue).sphere(resolution: res)
        return H3LatLng(radians: v.latitude, v.longitude)
    }
}
