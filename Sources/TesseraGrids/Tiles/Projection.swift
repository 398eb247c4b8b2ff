import TesseraGeometry

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The coordinate reference systems a tile matrix set may use, with their forward and
/// inverse projections from and to WGS84 longitude/latitude.
public enum TileCRS: Hashable, Sendable {
    /// EPSG:3857, spherical Web Mercator in metres (the sphere of radius 6 378 137 m).
    case webMercator
    /// OGC:CRS84 (or EPSG:4326): plate carrée in degrees, longitude first.
    case crs84

    /// Radius of the Web Mercator sphere, metres.
    public static let earthRadius = 6_378_137.0

    /// Latitudes beyond this are clamped before projecting to Web Mercator, where ±90° is at
    /// infinity. A clamped vertex still lies far outside the ±85.0511° extent, so edges toward
    /// a pole keep their direction within the extent to far better than a pixel at z30.
    public static let mercatorLatitudeLimit = 89.999_999

    /// Recognises the CRS URIs (and their `EPSG:`/`OGC:` short forms) that tile matrix sets use.
    public init?(uri: String) {
        let u = uri.uppercased()
        if u.hasSuffix("/EPSG/0/3857") || u == "EPSG:3857" || u.hasSuffix("/EPSG/0/900913") {
            self = .webMercator
        } else if u.hasSuffix("/OGC/1.3/CRS84") || u == "OGC:CRS84" || u.hasSuffix("/EPSG/0/4326") || u == "EPSG:4326" {
            self = .crs84
        } else {
            return nil
        }
    }

    /// Projects a longitude/latitude to this CRS's (easting, northing).
    @inlinable
    public func project(longitude: Double, latitude: Double) -> (x: Double, y: Double) {
        switch self {
        case .crs84:
            return (longitude, latitude)
        case .webMercator:
            let lat = min(max(latitude, -Self.mercatorLatitudeLimit), Self.mercatorLatitudeLimit)
            let x = Self.earthRadius * longitude * (Double.pi / 180)
            let y = Self.earthRadius * log(tan(Double.pi / 4 + lat * (Double.pi / 360)))
            return (x, y)
        }
    }

    /// The longitude/latitude of a projected point.
    @inlinable
    public func unproject(x: Double, y: Double) -> Position {
        switch self {
        case .crs84:
            return Position(longitude: x, latitude: y)
        case .webMercator:
            let lon = x / Self.earthRadius * (180 / Double.pi)
            let lat = (2 * atan(exp(y / Self.earthRadius)) - Double.pi / 2) * (180 / Double.pi)
            return Position(longitude: lon, latitude: lat)
        }
    }
}
